#pragma once
// Known spoofed regions of the utterance (ground truth from a label file),
// shaded on the shared time axis, with the frame labels derived from them
// drawn as a 0/1 step line (frame t spoof when more than half of its 400
// samples lie in a spoof segment; docs/metrics.md).
#include "ui/Document.h"
#include "ui/tracks/Track.h"

namespace spooflens::ui {

class GroundTruthTrack : public Track {
    Q_OBJECT
public:
    explicit GroundTruthTrack(QWidget* parent = nullptr);

    void setGroundTruth(const GroundTruthView& truth);
    void clear();

    /// Shaded segments drawn, and their times in seconds (for tests).
    int segmentCount() const { return m_regions.size(); }
    double segmentStart(int i) const;
    double segmentEnd(int i) const;
    int frameLabelCount() const { return m_frames->dataCount(); }

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 56; }

private:
    GroundTruthView m_truth;
    bool m_has = false;
    QCPGraph* m_frames = nullptr;
    QList<QCPItemRect*> m_regions;
};

} // namespace spooflens::ui
