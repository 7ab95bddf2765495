#include "ui/TimelineController.h"

#include "ui/tracks/Track.h"

#include <QMouseEvent>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

TimelineController::TimelineController(QObject* parent) : QObject(parent) {}

void TimelineController::addTrack(Track* track)
{
    if (!track || m_tracks.contains(track))
        return;
    m_tracks.push_back(track);
    track->setInteractions(QCP::Interactions());
    track->setMouseTracking(true);
    track->installEventFilter(this);
    connect(track, &QCustomPlot::mousePress, this, [this, track](QMouseEvent* e) { onPress(track, e); });
    connect(track, &QCustomPlot::mouseMove, this, [this, track](QMouseEvent* e) { onMove(track, e); });
    connect(track, &QCustomPlot::mouseRelease, this, [this, track](QMouseEvent* e) { onRelease(track, e); });
    connect(track, &QCustomPlot::mouseWheel, this, [this, track](QWheelEvent* e) { onWheel(track, e); });
    connect(track, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { fit(); });
    connect(track, &QObject::destroyed, this, [this](QObject*) { m_tracks.removeAll(QPointer<Track>()); });
    track->setTimeRange(m_lo, m_hi);
    track->setPlayhead(m_playhead);
    track->setSelection(m_selLo, m_selHi);
}

void TimelineController::removeTrack(Track* track)
{
    if (!track)
        return;
    m_tracks.removeAll(track);
    disconnect(track, nullptr, this, nullptr);
    track->removeEventFilter(this);
}

QList<Track*> TimelineController::tracks() const
{
    QList<Track*> out;
    for (const auto& t : m_tracks)
        if (t)
            out.push_back(t);
    return out;
}

void TimelineController::setDuration(double seconds)
{
    m_duration = std::max(kMinSpan, seconds);
    m_selLo = m_selHi = 0;
    m_playhead = 0;
    applySelection();
    setPlayhead(0);
    fit();
}

void TimelineController::setView(double lo, double hi)
{
    double span = std::clamp(hi - lo, kMinSpan, m_duration);
    lo = std::clamp(lo, 0.0, m_duration - span);
    m_lo = lo;
    m_hi = lo + span;
    applyView();
}

void TimelineController::applyView()
{
    for (const auto& t : m_tracks)
        if (t)
            t->setTimeRange(m_lo, m_hi);
    emit viewChanged(m_lo, m_hi);
}

void TimelineController::zoom(double factor, double centre)
{
    if (std::isnan(centre))
        centre = (m_lo + m_hi) / 2;
    const double span = std::clamp((m_hi - m_lo) * factor, kMinSpan, m_duration);
    const double rel = (m_hi > m_lo) ? (centre - m_lo) / (m_hi - m_lo) : 0.5;
    setView(centre - rel * span, centre - rel * span + span);
}

void TimelineController::zoomIn()
{
    zoom(0.5, std::nan(""));
}

void TimelineController::zoomOut()
{
    zoom(2.0, std::nan(""));
}

void TimelineController::pan(double fraction)
{
    const double d = (m_hi - m_lo) * fraction;
    setView(m_lo + d, m_hi + d);
}

void TimelineController::fit()
{
    setView(0, m_duration);
}

void TimelineController::zoomToSelection()
{
    if (hasSelection())
        setView(m_selLo, m_selHi);
}

void TimelineController::setSelection(double lo, double hi)
{
    if (hi < lo)
        std::swap(lo, hi);
    m_selLo = std::clamp(lo, 0.0, m_duration);
    m_selHi = std::clamp(hi, 0.0, m_duration);
    applySelection();
}

void TimelineController::clearSelection()
{
    m_selLo = m_selHi = 0;
    applySelection();
}

void TimelineController::applySelection()
{
    for (const auto& t : m_tracks)
        if (t)
            t->setSelection(m_selLo, m_selHi);
    emit selectionChanged(m_selLo, m_selHi);
}

void TimelineController::setPlayhead(double seconds)
{
    m_playhead = seconds;
    if (m_follow && (seconds > m_hi || seconds < m_lo) && m_hi - m_lo < m_duration) {
        // Page the view so the playhead is near its left edge again.
        const double span = m_hi - m_lo;
        setView(seconds - span * 0.05, seconds + span * 0.95);
    }
    for (const auto& t : m_tracks)
        if (t)
            t->setPlayhead(seconds);
}

void TimelineController::setCrosshair(double seconds)
{
    for (const auto& t : m_tracks)
        if (t)
            t->setCrosshair(seconds);
    emit crosshairMoved(seconds);
}

void TimelineController::onPress(Track* t, QMouseEvent* e)
{
    m_pressX = int(e->position().x());
    m_pressTime = t->xAxis->pixelToCoord(e->position().x());
    m_pressLo = m_lo;
    m_pressHi = m_hi;
    m_selectGesture = e->button() == Qt::RightButton ||
                      (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ShiftModifier));
    m_drag = (e->button() == Qt::LeftButton || e->button() == Qt::RightButton) ? Drag::Pending : Drag::None;
}

void TimelineController::onMove(Track* t, QMouseEvent* e)
{
    const double x = e->position().x();
    const double time = t->xAxis->pixelToCoord(x);
    setCrosshair(std::clamp(time, 0.0, m_duration));
    if (m_drag == Drag::Pending && std::abs(int(x) - m_pressX) > 3)
        m_drag = m_selectGesture ? Drag::Select : Drag::Pan;
    if (m_drag == Drag::Pan) {
        // Pixel -> seconds with the range at press time, so panning is stable.
        const double perPixel = (m_pressHi - m_pressLo) / std::max(1, t->axisRect()->width());
        const double d = -(x - m_pressX) * perPixel;
        setView(m_pressLo + d, m_pressHi + d);
    } else if (m_drag == Drag::Select) {
        setSelection(m_pressTime, time);
    }
}

void TimelineController::onRelease(Track* t, QMouseEvent* e)
{
    if (m_drag == Drag::Pending && e->button() == Qt::LeftButton) {
        const double time = std::clamp(t->xAxis->pixelToCoord(e->position().x()), 0.0, m_duration);
        emit seekRequested(time);
    }
    m_drag = Drag::None;
}

void TimelineController::onWheel(Track* t, QWheelEvent* e)
{
    const QPoint delta = e->angleDelta();
    if (delta.x() != 0 || (e->modifiers() & Qt::ShiftModifier)) {
        const int d = delta.x() != 0 ? delta.x() : delta.y();
        pan(-d / 120.0 * 0.1);
    } else if (delta.y() != 0) {
        const double centre = t->xAxis->pixelToCoord(e->position().x());
        zoom(std::pow(0.8, delta.y() / 120.0), centre);
    }
    e->accept();
}

bool TimelineController::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Leave)
        setCrosshair(std::nan(""));
    return QObject::eventFilter(watched, event);
}

} // namespace spooflens::ui
