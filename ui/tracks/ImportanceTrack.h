#pragma once
// Importance w(t) in [0, 1] of one Stage 2 module, one point per SSL frame
// at its centre (320 t + 200) / 16000 s, with an optional threshold line and
// the regions above it shaded.
#include "core/explain/Explanation.h"
#include "ui/tracks/Track.h"

namespace spooflens::ui {

class ImportanceTrack : public Track {
    Q_OBJECT
public:
    explicit ImportanceTrack(QWidget* parent = nullptr);

    /// `label` names the module (mode and run) in the title.
    void setData(const core::Stage2Track& track, const QString& label);
    void clear();
    void setThreshold(double threshold, bool visible);
    double threshold() const { return m_threshold; }

    int pointCount() const { return m_graph->dataCount(); }
    /// Shaded regions currently drawn (for tests).
    int regionCount() const { return m_regions.size(); }
    /// Time of point i (for tests: must equal the frame centre).
    double pointTime(int i) const;

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 90; }

private:
    void rebuildRegions();

    std::vector<float> m_w;
    QString m_label;
    QCPGraph* m_graph = nullptr;
    QCPItemStraightLine* m_line = nullptr;
    QList<QCPItemRect*> m_regions;
    double m_threshold = 0.5;
    bool m_thresholdVisible = true;
};

} // namespace spooflens::ui
