#pragma once
// Cosine similarity of each frame's embedding h(t) to the spoof and bona fide
// prototypes, and their difference (bona fide − spoof), on [-1, 1].
#include "core/explain/Explanation.h"
#include "ui/tracks/Track.h"

namespace spooflens::ui {

class SimilarityTrack : public Track {
    Q_OBJECT
public:
    explicit SimilarityTrack(QWidget* parent = nullptr);

    void setData(const core::Stage2Track& track, const QString& label);
    void clear();

    int pointCount() const { return m_spoof->dataCount(); }
    double pointTime(int i) const;

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 108; }

private:
    std::vector<float> m_simSpoof, m_simBonafide;
    QCPGraph* m_spoof = nullptr;
    QCPGraph* m_bonafide = nullptr;
    QCPGraph* m_diff = nullptr;
};

} // namespace spooflens::ui
