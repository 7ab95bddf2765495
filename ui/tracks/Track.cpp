#include "ui/tracks/Track.h"

#include <cmath>

namespace spooflens::ui {

Track::Track(QWidget* parent) : Plot(parent)
{
    setNoAntialiasingOnDrag(true);
    setPlottingHint(QCP::phCacheLabels, true);
    setBackground(QColor(255, 255, 255));
    axisRect()->setAutoMargins(QCP::msNone);
    xAxis->setRange(0, 1);
    yAxis->setLabelPadding(2);
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1.0));
    yAxis->setTickLabelFont(small);
    yAxis->setLabelFont(small);
    xAxis->setTickLabelFont(small);
    xAxis->grid()->setPen(QPen(QColor(0, 0, 0, 30), 0, Qt::DotLine));
    yAxis->grid()->setPen(QPen(QColor(0, 0, 0, 30), 0, Qt::DotLine));

    // Cursor items live on a buffered layer of their own: moving the playhead
    // redraws that layer only, not the data (a spectrogram is expensive).
    // QCustomPlot's own "overlay" layer (topmost, buffered) serves.
    m_overlay = layer(QStringLiteral("overlay"));
    m_overlay->setMode(QCPLayer::lmBuffered);
    connect(this, &QCustomPlot::afterReplot, this, [this] { m_drawn = true; });

    m_selection = new QCPItemRect(this);
    m_selection->setLayer(m_overlay);
    m_selection->setPen(QPen(QColor(40, 90, 200, 160)));
    m_selection->setBrush(QColor(40, 90, 200, 45));
    m_selection->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
    m_selection->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_selection->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
    m_selection->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_selection->topLeft->setCoords(0, 0);
    m_selection->bottomRight->setCoords(0, 1);
    m_selection->setVisible(false);
    m_selection->setSelectable(false);

    auto makeLine = [this](const QPen& pen) {
        auto* line = new QCPItemStraightLine(this);
        line->setLayer(m_overlay);
        line->setPen(pen);
        line->setSelectable(false);
        line->setClipToAxisRect(true);
        line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
        line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
        line->point1->setCoords(0, 0);
        line->point2->setCoords(0, 1);
        line->setVisible(false);
        return line;
    };
    m_crosshair = makeLine(QPen(QColor(80, 80, 80, 170), 1, Qt::DashLine));
    m_playhead = makeLine(QPen(QColor(220, 30, 30), 1.5));

    m_title = new QCPItemText(this);
    m_title->setLayer(m_overlay);
    // Above the data, in the axis rect's top margin: the title never hides
    // the start of a curve (issue 26).
    m_title->setClipToAxisRect(false);
    m_title->position->setType(QCPItemPosition::ptAbsolute);
    m_title->position->setCoords(kLeftMargin, 0);
    m_title->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_title->setPadding(QMargins(1, 1, 3, 0));
    QFont tf = font();
    tf.setPointSizeF(std::max(6.0, tf.pointSizeF() - 0.5));
    m_title->setFont(tf);
    m_title->setSelectable(false);
    m_title->setText(QString());  // QCPItemText's default is the word "text"

    applyMargins();
}

void Track::setTitle(const QString& text)
{
    const bool hadTitle = !m_titleText.isEmpty();
    m_titleText = text;
    m_title->setText(text);
    if (hadTitle != !text.isEmpty()) {
        applyMargins();
        replot(QCustomPlot::rpQueuedReplot);
    } else {
        replotOverlay();
    }
}

QString Track::readout(double) const
{
    return {};
}

void Track::setTimeRange(double lo, double hi)
{
    if (!(hi > lo))
        return;
    xAxis->setRange(lo, hi);
    onTimeRangeChanged(lo, hi);
    replot(QCustomPlot::rpQueuedReplot);
}

void Track::onTimeRangeChanged(double, double) {}

static void placeVertical(QCPItemStraightLine* line, double seconds)
{
    if (std::isnan(seconds)) {
        line->setVisible(false);
        return;
    }
    line->point1->setCoords(seconds, 0);
    line->point2->setCoords(seconds, 1);
    line->setVisible(true);
}

void Track::setPlayhead(double seconds)
{
    m_playheadSeconds = seconds;
    placeVertical(m_playhead, seconds);
    replotOverlay();
}

void Track::setCrosshair(double seconds)
{
    placeVertical(m_crosshair, seconds);
    replotOverlay();
}

void Track::setSelection(double lo, double hi)
{
    if (hi > lo) {
        m_selection->topLeft->setCoords(lo, 0);
        m_selection->bottomRight->setCoords(hi, 1);
        m_selection->setVisible(true);
    } else {
        m_selection->setVisible(false);
    }
    replotOverlay();
}

void Track::setShowTimeLabels(bool show)
{
    m_showTimeLabels = show;
    xAxis->setTickLabels(show);
    xAxis->setLabel(show ? QStringLiteral("Time (s)") : QString());
    applyMargins();
    replot(QCustomPlot::rpQueuedReplot);
}

QCPItemRect* Track::addTimeBand(double start, double end, const QBrush& brush, const QPen& pen)
{
    auto* rect = new QCPItemRect(this);
    rect->setSelectable(false);
    rect->setPen(pen);
    rect->setBrush(brush);
    rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->topLeft->setCoords(start, 0);
    rect->bottomRight->setCoords(end, 1);
    return rect;
}

QMargins Track::axisMargins() const
{
    return QMargins(kLeftMargin, m_titleText.isEmpty() ? 3 : kTitleHeight, kRightMargin, m_showTimeLabels ? 36 : 4);
}

void Track::applyMargins()
{
    axisRect()->setMargins(axisMargins());
}

void Track::replotOverlay()
{
    // QCPLayer::replot falls back to a full replot while the paint buffers
    // are invalid (resize), but needs them to exist (first draw).
    if (m_drawn)
        m_overlay->replot();
    else
        replot(QCustomPlot::rpQueuedReplot);
}

int Track::dataWidthPixels() const
{
    // From the widget width and the fixed margins: the axis rect itself is
    // only laid out at the next replot.
    return std::max(50, width() - kLeftMargin - kRightMargin);
}

} // namespace spooflens::ui
