#pragma once
// The time axis on its own, pinned above the scrolling rows (issue 26): tick
// labels in seconds for the visible range, with the playhead, crosshair and
// selection of every track, so the eye always has a ruler after zooming.
#include "ui/tracks/Track.h"

namespace spooflens::ui {

class TimeRulerTrack : public Track {
    Q_OBJECT
public:
    explicit TimeRulerTrack(QWidget* parent = nullptr);

    int preferredHeight() const override { return 30; }
    QSize minimumSizeHint() const override { return QSize(200, preferredHeight()); }

protected:
    QMargins axisMargins() const override;
};

} // namespace spooflens::ui
