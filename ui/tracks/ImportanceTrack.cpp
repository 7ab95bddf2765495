#include "ui/tracks/ImportanceTrack.h"

#include "ui/tracks/FrameRegions.h"

#include "core/audio/FrameGrid.h"

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

ImportanceTrack::ImportanceTrack(QWidget* parent) : Track(parent)
{
    yAxis->setLabel(tr("w(t)"));
    yAxis->setRange(-0.03, 1.03);
    yAxis->ticker()->setTickCount(3);
    m_graph = addGraph();
    m_graph->setPen(QPen(QColor(200, 110, 0), 1.5));
    m_graph->setBrush(QColor(255, 160, 40, 60));
    m_graph->setLineStyle(QCPGraph::lsLine);
    m_line = new QCPItemStraightLine(this);
    m_line->setPen(QPen(QColor(150, 0, 150), 1, Qt::DashLine));
    m_line->point1->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_line->point2->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_line->setSelectable(false);
    setThreshold(m_threshold, true);
    setTitle(tr("Importance w(t), 0…1 per 20 ms frame (no explanation yet)"));
}

void ImportanceTrack::setData(const core::Stage2Track& track, const QString& label)
{
    m_w = track.importance;
    m_label = label;
    setPoints();
    const float peak = m_w.empty() ? 0.f : *std::max_element(m_w.begin(), m_w.end());
    setTitle(tr("Importance w(t), 0…1 per %1 ms frame · %2 · max %3").arg(m_grid.hopSeconds() * 1000, 0, 'g', 4).arg(label).arg(double(peak), 0, 'f', 3));
    rebuildRegions();
    replot(QCustomPlot::rpQueuedReplot);
}

void ImportanceTrack::setPoints()
{
    QVector<double> t(int(m_w.size())), w(int(m_w.size()));
    for (int i = 0; i < t.size(); ++i) {
        t[i] = m_grid.centreSeconds(i);
        w[i] = m_w[size_t(i)];
    }
    m_graph->setData(t, w, true);
}

void ImportanceTrack::setValues(const std::vector<float>& values, const QString& title)
{
    m_w = values;
    m_label = title;
    m_attribution = true;
    m_thresholdVisible = false;
    m_line->setVisible(false);
    setPoints();
    yAxis->setLabel(QStringLiteral("value"));
    double lo = 0, hi = 0;
    for (float v : m_w)
        if (std::isfinite(v)) {
            lo = std::min(lo, double(v));
            hi = std::max(hi, double(v));
        }
    const double pad = hi > lo ? 0.06 * (hi - lo) : 1.0;
    // Headroom on top keeps the curve clear of the title.
    yAxis->setRange(lo - pad, hi + 3 * pad);
    m_graph->setBrush(Qt::NoBrush);
    m_graph->setPen(QPen(QColor(30, 120, 60), 1.3));
    setTitle(title);
    rebuildRegions();
    replot(QCustomPlot::rpQueuedReplot);
}

double ImportanceTrack::pointValue(int i) const
{
    if (i < 0 || i >= m_graph->dataCount())
        return std::nan("");
    return m_graph->data()->at(i)->value;
}

void ImportanceTrack::clear()
{
    m_w.clear();
    m_graph->data()->clear();
    rebuildRegions();
    replot(QCustomPlot::rpQueuedReplot);
}

double ImportanceTrack::pointTime(int i) const
{
    if (i < 0 || i >= m_graph->dataCount())
        return std::nan("");
    return m_graph->data()->at(i)->key;
}

void ImportanceTrack::setThreshold(double threshold, bool visible)
{
    m_threshold = threshold;
    m_thresholdVisible = visible;
    m_line->point1->setCoords(0, threshold);
    m_line->point2->setCoords(1, threshold);
    m_line->setVisible(visible);
    rebuildRegions();
    replot(QCustomPlot::rpQueuedReplot);
}

void ImportanceTrack::rebuildRegions()
{
    for (QCPItemRect* r : m_regions)
        removeItem(r);
    m_regions.clear();
    if (!m_thresholdVisible)
        return;
    for (const FrameRegion& region : regionsAbove(m_w, m_threshold, m_grid)) {
        m_regions.push_back(addTimeBand(region.startSeconds, region.endSeconds, QColor(150, 0, 150, 40)));
    }
}

QString ImportanceTrack::readout(double seconds) const
{
    if (m_w.empty())
        return {};
    const int64_t t = m_grid.frameAt(seconds);
    if (t < 0 || t >= int64_t(m_w.size()))
        return {};
    if (m_attribution)
        return QStringLiteral("%1=%2").arg(m_label.section(QLatin1Char(' '), 0, 0)).arg(double(m_w[size_t(t)]), 0, 'g', 3);
    return tr("w=%1").arg(double(m_w[size_t(t)]), 0, 'f', 3);
}

} // namespace spooflens::ui
