#pragma once
// Base of every plotted track: one QCustomPlot whose x axis is time in
// seconds, shared with the other tracks through TimelineController. A track
// draws one kind of data; the window only arranges tracks (STYLE.md, layers).
// GUI thread only.
#include "core/audio/FrameGrid.h"

#include "ui/widgets/Plot.h"

#include <QString>

#include <limits>

namespace spooflens::ui {

class Track : public Plot {
    Q_OBJECT
public:
    /// Left/right axis-rect margins in pixels, equal for all tracks so that
    /// one x pixel is the same time on every track.
    static constexpr int kLeftMargin = 74;
    static constexpr int kRightMargin = 14;
    /// The strip above the data that holds the track's title (so the title
    /// never covers the start of a curve).
    static constexpr int kTitleHeight = 15;

    explicit Track(QWidget* parent = nullptr);

    /// Short name of the quantity and units, shown in the track's corner.
    QString title() const { return m_titleText; }
    void setTitle(const QString& text);

    /// Text for the crosshair readout at `seconds` (empty: nothing to say).
    virtual QString readout(double seconds) const;

    /// Visible time range in seconds; tracks that resample (waveform,
    /// spectrogram) refresh their data here.
    void setTimeRange(double lo, double hi);
    QCPRange timeRange() const { return xAxis->range(); }

    /// Playhead / crosshair positions in seconds (NaN hides them). Redraws
    /// only the overlay layer, so moving them is cheap.
    void setPlayhead(double seconds);
    /// Where the playhead is drawn (NaN when hidden).
    double playheadSeconds() const { return m_playheadSeconds; }
    void setCrosshair(double seconds);
    /// Selected region in seconds (lo >= hi hides it).
    void setSelection(double lo, double hi);

    /// Only the bottom track shows time tick labels and the axis title.
    void setShowTimeLabels(bool show);

    /// True while the track waits for data computed off the GUI thread.
    virtual bool isBusy() const { return false; }

    /// Preferred height in pixels (the panel stretches tracks proportionally).
    virtual int preferredHeight() const { return 100; }

    QSize sizeHint() const override { return QSize(800, preferredHeight()); }
    QSize minimumSizeHint() const override { return QSize(200, 40); }

    /// The detector's frame grid the per-frame tracks place their points on
    /// (set before their data; default XLS-R's 20 ms grid).
    void setFrameGrid(const core::FrameGrid& grid) { m_grid = grid; }
    const core::FrameGrid& frameGrid() const { return m_grid; }

signals:
    void busyChanged(bool busy);

protected:
    core::FrameGrid m_grid;
    virtual void onTimeRangeChanged(double lo, double hi);
    void replotOverlay();
    /// Pixel width of the data area (for resolution decisions).
    int dataWidthPixels() const;
    /// A band over the full height of the data area from `start` to `end`
    /// seconds (shaded regions, ground-truth segments). Owned by the plot.
    QCPItemRect* addTimeBand(double start, double end, const QBrush& brush, const QPen& pen = Qt::NoPen);
    /// Axis-rect margins; subclasses with another shape (the time ruler)
    /// override them and call applyMargins() in their constructor.
    virtual QMargins axisMargins() const;
    void applyMargins();
    bool showsTimeLabels() const { return m_showTimeLabels; }

    QCPLayer* m_overlay = nullptr;

private:
    QString m_titleText;
    QCPItemText* m_title = nullptr;
    QCPItemStraightLine* m_playhead = nullptr;
    QCPItemStraightLine* m_crosshair = nullptr;
    QCPItemRect* m_selection = nullptr;
    bool m_showTimeLabels = false;
    bool m_drawn = false;
    double m_playheadSeconds = std::numeric_limits<double>::quiet_NaN();
};

} // namespace spooflens::ui
