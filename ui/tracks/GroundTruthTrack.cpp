#include "core/audio/FrameGrid.h"
#include "ui/tracks/GroundTruthTrack.h"

#include "ui/tracks/FrameRegions.h"

#include <QFileInfo>

#include <cmath>

namespace spooflens::ui {

GroundTruthTrack::GroundTruthTrack(QWidget* parent) : Track(parent)
{
    yAxis->setRange(-0.1, 1.6);
    yAxis->setTickLabels(false);
    yAxis->setLabel(QStringLiteral("spoof"));
    m_frames = addGraph();
    m_frames->setPen(QPen(QColor(170, 20, 20), 1.2));
    m_frames->setLineStyle(QCPGraph::lsStepCenter);
    setTitle(QStringLiteral("Ground truth: no labels (File ▸ Open labels…)"));
}

void GroundTruthTrack::setGroundTruth(const GroundTruthView& truth)
{
    clear();
    m_truth = truth;
    m_has = true;
    for (size_t i = 0; i < truth.segmentStart.size() && i < truth.segmentEnd.size(); ++i) {
        m_regions.push_back(addTimeBand(truth.segmentStart[i], truth.segmentEnd[i], QColor(220, 40, 40, 70),
                                        QPen(QColor(190, 30, 30, 160), 1)));
    }
    QVector<double> t(int(truth.frameLabels.size())), v(t.size());
    int spoofFrames = 0;
    for (int i = 0; i < t.size(); ++i) {
        t[i] = truth.grid.centreSeconds(i);
        v[i] = truth.frameLabels[size_t(i)];
        spoofFrames += truth.frameLabels[size_t(i)] != 0;
    }
    m_frames->setData(t, v, true);
    double spoofSeconds = 0;
    for (int i = 0; i < m_regions.size(); ++i)
        spoofSeconds += segmentEnd(i) - segmentStart(i);
    setTitle(QStringLiteral("Ground truth: %1 spoof segment(s), %2 s shaded · %3 of %4 frames spoof · %5")
                 .arg(m_regions.size())
                 .arg(spoofSeconds, 0, 'f', 2)
                 .arg(spoofFrames)
                 .arg(t.size())
                 .arg(QFileInfo(truth.source).fileName()));
    replot(QCustomPlot::rpQueuedReplot);
}

void GroundTruthTrack::clear()
{
    for (QCPItemRect* r : m_regions)
        removeItem(r);
    m_regions.clear();
    m_frames->data()->clear();
    m_truth = {};
    m_has = false;
    setTitle(QStringLiteral("Ground truth: no labels (File ▸ Open labels…)"));
    replot(QCustomPlot::rpQueuedReplot);
}

double GroundTruthTrack::segmentStart(int i) const
{
    return i >= 0 && i < m_regions.size() ? m_regions[i]->topLeft->coords().x() : std::nan("");
}

double GroundTruthTrack::segmentEnd(int i) const
{
    return i >= 0 && i < m_regions.size() ? m_regions[i]->bottomRight->coords().x() : std::nan("");
}

QString GroundTruthTrack::readout(double seconds) const
{
    if (!m_has)
        return {};
    for (size_t i = 0; i < m_truth.segmentStart.size() && i < m_truth.segmentEnd.size(); ++i)
        if (seconds >= m_truth.segmentStart[i] && seconds < m_truth.segmentEnd[i])
            return QStringLiteral("truth=spoof");
    return QStringLiteral("truth=bona fide");
}

} // namespace spooflens::ui
