#pragma once
// The corpus list (issue 26; docs/gui.md, "Corpus"): the utterances of a
// protocol, an audio folder or an evaluate folder with label, detector score,
// disagreement between the Stage 2 modules and frame AUC per explainer track.
// Click a column header to sort; next/previous file follow the order shown.
// Values of files opened in the window (protocol or folder) are filled in as
// their analysis finishes, in italics: they come from the models loaded now.
// GUI thread.
#include "core/explain/Corpus.h"

#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

class QLabel;
class QTableView;

namespace spooflens::ui {

class CorpusModel;

class CorpusPanel : public QWidget {
    Q_OBJECT
public:
    explicit CorpusPanel(QWidget* parent = nullptr);

    /// Shows `corpus` (list order, nothing selected).
    void setCorpus(core::Corpus corpus);
    bool hasCorpus() const;
    /// The corpus as read, with the values filled in since.
    const core::Corpus& corpus() const;
    QTableView* table() const { return m_table; }
    /// Column of the table: 0 #, 1 utterance, 2 label, 3 score, 4 disagreement, 5+ AUC per track.
    static constexpr int kFirstAucColumn = 5;

    /// Entry indices in the order shown.
    std::vector<size_t> shownOrder() const;
    /// Marks the entry whose audio is `path` as the current one (selects its
    /// row) or, when none is, clears the mark. Returns its index or -1.
    int64_t setCurrentPath(const QString& path);
    int64_t currentEntry() const { return m_current; }
    /// The audio of the next (delta +1) or previous (-1) entry with audio in
    /// the order shown, from the current one (none: the first / last); "" at the end.
    QString step(int delta) const;

    /// Values computed in the window for the entry of `path` (an entry of a
    /// protocol or folder only; an evaluate folder keeps its run's values).
    /// NaN leaves a value as it is. `auc`: (track, AUC) pairs. False when the
    /// path is not in the corpus or the corpus is an evaluate folder.
    bool setLiveValues(const QString& path, double score, double disagreement,
                       const std::vector<std::pair<std::string, double>>& auc);
    /// Drops the values filled in by setLiveValues (the models changed).
    void clearLiveValues();

signals:
    /// The user chose an entry (double click, Enter).
    void openRequested(const QString& path);

private:
    void updateHeader();
    /// Marks entry `entry` current and selects its row (-1: none).
    void selectEntry(int64_t entry);

    QLabel* m_header = nullptr;
    QTableView* m_table = nullptr;
    CorpusModel* m_model = nullptr;
    int64_t m_current = -1;
};

} // namespace spooflens::ui
