#pragma once
// One time axis for all tracks: the visible range, the selection, the
// playhead and the crosshair, and the mouse gestures that change them.
// Wheel = zoom around the pointer, drag = pan, shift+drag (or right drag) =
// select, click = seek, double click = fit. GUI thread only.
#include <QList>
#include <QObject>
#include <QPointer>

class QMouseEvent;
class QWheelEvent;

namespace spooflens::ui {

class Track;

class TimelineController : public QObject {
    Q_OBJECT
public:
    explicit TimelineController(QObject* parent = nullptr);

    /// Tracks follow the controller's range from now on; a deleted track
    /// is dropped automatically.
    void addTrack(Track* track);
    void removeTrack(Track* track);
    QList<Track*> tracks() const;

    /// Length of the file in seconds (the range is clamped to it).
    void setDuration(double seconds);
    double duration() const { return m_duration; }

    double viewStart() const { return m_lo; }
    double viewEnd() const { return m_hi; }
    double selectionStart() const { return m_selLo; }
    double selectionEnd() const { return m_selHi; }
    bool hasSelection() const { return m_selHi > m_selLo; }
    double playhead() const { return m_playhead; }

    /// When on, a playhead leaving the view pages the view to it.
    void setFollowPlayhead(bool on) { m_follow = on; }
    bool followPlayhead() const { return m_follow; }

    /// Smallest visible span (s): a few samples at 16 kHz.
    static constexpr double kMinSpan = 0.002;

public slots:
    void setView(double lo, double hi);
    /// factor < 1 zooms in, around `centre` seconds (NaN: view centre).
    void zoom(double factor, double centre);
    void zoomIn();
    void zoomOut();
    /// Moves the view by `fraction` of its width (negative: left).
    void pan(double fraction);
    void fit();
    void zoomToSelection();
    void setSelection(double lo, double hi);
    void clearSelection();
    void setPlayhead(double seconds);

signals:
    void viewChanged(double lo, double hi);
    void selectionChanged(double lo, double hi);
    /// The user clicked at `seconds` (a seek request for the player).
    void seekRequested(double seconds);
    /// Pointer over the tracks at `seconds` (NaN: pointer left).
    void crosshairMoved(double seconds);

private:
    void onPress(Track* t, QMouseEvent* e);
    void onMove(Track* t, QMouseEvent* e);
    void onRelease(Track* t, QMouseEvent* e);
    void onWheel(Track* t, QWheelEvent* e);
    bool eventFilter(QObject* watched, QEvent* event) override;
    void applyView();
    void applySelection();
    void setCrosshair(double seconds);

    QList<QPointer<Track>> m_tracks;
    double m_duration = 1.0;
    double m_lo = 0, m_hi = 1;
    double m_selLo = 0, m_selHi = 0;
    double m_playhead = 0;
    bool m_follow = true;

    enum class Drag { None, Pending, Pan, Select };
    Drag m_drag = Drag::None;
    bool m_selectGesture = false;
    int m_pressX = 0;
    double m_pressTime = 0, m_pressLo = 0, m_pressHi = 0;
};

} // namespace spooflens::ui
