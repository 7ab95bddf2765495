#pragma once
// What the viewer shows, held in one place: the loaded audio, its
// explanation (core::Explanation), the ground truth and the order of the
// rows. The window and its panels only listen to the change signals and draw
// (the Document / view split of Sonic Visualiser's svapp, much smaller).
// Rows come in two kinds: one per loaded Stage 2 module (key = checkpoint
// path) and one per explainer attribution (key = "method@source"). Matching
// explanation data to rows happens here and nowhere else. GUI thread only.
#include "core/explain/Explanation.h"
#include "core/explain/GroundTruth.h"
#include "ui/analysis/AnalysisTypes.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace spooflens::ui {

enum class RowKind { Stage2, Attribution };

struct RowInfo {
    RowKind kind = RowKind::Stage2;
    QString key;      ///< Stage 2: checkpoint path; attribution: attributionKey()
    QString label;    ///< Stage 2: "mode · run"; attribution: "method · source"
    QString method;   ///< attribution: core::methodName(); Stage 2: empty
    QString source;   ///< attribution: checkpoint path or "detector"; Stage 2: the path
    bool detectorMismatch = false;  ///< Stage 2 only: trained on another detector
};

/// Spoofed regions of the loaded utterance, in seconds, and the frame labels
/// derived from them (1 = spoof; docs/metrics.md, ground truth).
struct GroundTruthView {
    QString source;                    ///< file the labels came from
    QString utterance;                 ///< utterance id they were found under
    std::vector<double> segmentStart;  ///< seconds, parallel to segmentEnd
    std::vector<double> segmentEnd;
    std::vector<int> frameLabels;      ///< length T (frames of `grid` over the audio), 0/1
    core::UtteranceLabels labels;      ///< what frameLabels were derived from
    int64_t samples = 0;               ///< audio length they were framed for
    core::FrameGrid grid;              ///< the frame grid of frameLabels (re-framed to the explanation's)
};

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);

    static QString attributionKey(const core::Attribution& a);
    static QString stage2Label(const core::Stage2Info& info);
    static QString attributionLabel(const core::Attribution& a);

    // ---- audio
    /// A new file: the explanation and ground truth of the previous one are dropped.
    void setAudio(AudioPtr audio);
    AudioPtr audio() const { return m_audio; }
    QString audioPath() const;
    double durationSeconds() const;

    // ---- explanation
    void setExplanation(const core::Explanation& e);
    void clearExplanation();
    const core::Explanation* explanation() const { return m_explanation ? &*m_explanation : nullptr; }

    // ---- rows
    /// Stage 2 rows follow the loaded modules: rows of modules no longer
    /// loaded go, new ones are appended, the order of the others stays.
    void setStage2Modules(const std::vector<core::Stage2Info>& modules);
    const std::vector<RowInfo>& rows() const { return m_rows; }
    int rowIndex(const QString& key) const;
    void moveRow(int from, int to);
    /// Removes the row and its data from the explanation. Returns the row removed.
    std::optional<RowInfo> removeRow(int index);

    /// The data of a row (nullptr when the explanation has none for it).
    const core::Stage2Track* stage2Track(const QString& key) const;
    const core::Attribution* attribution(const QString& key) const;
    const core::FaithfulnessCurves* faithfulness(const QString& key) const;
    /// The values a row draws: w(t) for a Stage 2 row, the attribution otherwise.
    const std::vector<float>* rowValues(const QString& key) const;

    /// Stage 2 rows in display order, with their labels (for the compare panel and export).
    std::vector<core::Stage2Track> stage2TracksInOrder() const;
    QStringList stage2Labels() const;
    /// The explanation as shown: Stage 2 tracks and attributions in row order.
    std::optional<core::Explanation> shownExplanation() const;

    // ---- ground truth
    void setGroundTruth(const GroundTruthView& truth);
    void clearGroundTruth();
    const GroundTruthView* groundTruth() const { return m_truth ? &*m_truth : nullptr; }

signals:
    void audioChanged();
    void explanationChanged();
    /// Rows added, removed or reordered (labels may change too).
    void rowsChanged();
    void groundTruthChanged();

private:
    bool syncAttributionRows();

    AudioPtr m_audio;
    std::optional<core::Explanation> m_explanation;
    std::optional<GroundTruthView> m_truth;
    /// Re-frames the ground truth on the explanation's grid; true if it changed.
    bool alignTruthToExplanation();
    std::vector<RowInfo> m_rows;
};

} // namespace spooflens::ui
