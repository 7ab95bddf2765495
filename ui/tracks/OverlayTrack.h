#pragma once
// The overlay view (issue 26): the chosen curves (the rows not hidden: Stage 2
// w(t) and explainer attributions) in one pane, each min-max normalised to
// 0…1 over the utterance (core::minMaxNormalised), over the ground truth's
// spoofed segments, so whether an explanation matches the truth is on
// screen without faithfulness curves. Colours are curveColour(i) in row
// order; the legend is the track's header (OverlayTrack::legendHtml).
#include "ui/Document.h"
#include "ui/tracks/Track.h"

#include <vector>

namespace spooflens::ui {

class OverlayTrack : public Track {
    Q_OBJECT
public:
    struct Curve {
        QString label;
        std::vector<float> values;  ///< raw, on the track's frame grid
    };

    explicit OverlayTrack(QWidget* parent = nullptr);

    /// Replaces the curves; a curve whose values are constant or not finite
    /// anywhere is listed as "flat" and not drawn.
    void setCurves(const std::vector<Curve>& curves);
    /// Shaded spoofed segments (nullptr: none).
    void setGroundTruth(const GroundTruthView* truth);

    /// Curves drawn (flat ones excluded).
    int curveCount() const { return graphCount(); }
    /// The drawn value of curve `i` at frame `t` (normalised), for tests.
    double normalisedValue(int i, int t) const;
    /// "<colour> label" entries for a header line, in drawing order.
    QString legendHtml() const { return m_legend; }

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 120; }

signals:
    void legendChanged(const QString& html);

private:
    std::vector<QString> m_labels;
    QList<QCPItemRect*> m_regions;
    QString m_legend;
};

} // namespace spooflens::ui
