#pragma once
// Table of the loaded Stage 2 modules (per-row summary) and of their pairwise
// agreement on this utterance (Spearman rank correlation of w, overlap of the
// top-k frames); with ground truth, how well each w(t) localises it.
#include "core/explain/Explanation.h"

#include <QWidget>

class QTableWidget;
class QLabel;

namespace spooflens::ui {

class ComparePanel : public QWidget {
    Q_OBJECT
public:
    explicit ComparePanel(QWidget* parent = nullptr);

    /// `tracks` and `labels` in display order. With `spoofFrames` (ground
    /// truth on the tracks' grid, 1 = spoof): each module's frame ROC-AUC, AP
    /// and pointing game of w(t) (core's metrics); "–" without.
    void setRows(const std::vector<core::Stage2Track>& tracks, const QStringList& labels,
                 const std::vector<uint8_t>* spoofFrames = nullptr);
    void clear();

    QTableWidget* summaryTable() const { return m_summary; }
    QTableWidget* agreementTable() const { return m_agreement; }

private:
    QTableWidget* m_summary = nullptr;
    QTableWidget* m_agreement = nullptr;
    QLabel* m_agreementTitle = nullptr;
};

} // namespace spooflens::ui
