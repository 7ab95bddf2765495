#pragma once
// Importance w(t) in [0, 1] of one Stage 2 module, one point per SSL frame
// at its centre (320 t + 200) / 16000 s, with an optional threshold line and
// the regions above it shaded. The same track draws an explainer's
// attribution (setValues): any range, higher = more spoof evidence.
#include "core/explain/Explanation.h"
#include "ui/tracks/Track.h"

namespace spooflens::ui {

class ImportanceTrack : public Track {
    Q_OBJECT
public:
    explicit ImportanceTrack(QWidget* parent = nullptr);

    /// `label` names the module (mode and run) in the title.
    void setData(const core::Stage2Track& track, const QString& label);
    /// An explainer's per-frame values (length T) on an automatic y range,
    /// no threshold; `title` names the method and orientation.
    void setValues(const std::vector<float>& values, const QString& title);
    void clear();
    void setThreshold(double threshold, bool visible);
    double threshold() const { return m_threshold; }

    int pointCount() const { return m_graph->dataCount(); }
    /// Value of point i (for tests).
    double pointValue(int i) const;
    /// Shaded regions currently drawn (for tests).
    int regionCount() const { return m_regions.size(); }
    /// Time of point i (for tests: must equal the frame centre).
    double pointTime(int i) const;

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 98; }

private:
    void rebuildRegions();
    void setPoints();

    std::vector<float> m_w;
    QString m_label;
    QCPGraph* m_graph = nullptr;
    QCPItemStraightLine* m_line = nullptr;
    QList<QCPItemRect*> m_regions;
    double m_threshold = 0.5;
    bool m_thresholdVisible = true;
    bool m_attribution = false;   ///< drawing setValues() data, not w(t)
};

} // namespace spooflens::ui
