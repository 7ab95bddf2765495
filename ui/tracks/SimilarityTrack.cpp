#include "ui/tracks/SimilarityTrack.h"

#include "ui/tracks/FrameRegions.h"

#include "core/audio/FrameGrid.h"

#include <cmath>

namespace spooflens::ui {

SimilarityTrack::SimilarityTrack(QWidget* parent) : Track(parent)
{
    yAxis->setLabel(tr("cosine"));
    yAxis->setRange(-1.05, 1.05);
    yAxis->ticker()->setTickCount(4);
    m_spoof = addGraph();
    m_spoof->setName(tr("to spoof prototype"));
    m_spoof->setPen(QPen(QColor(210, 40, 40), 1.3));
    m_bonafide = addGraph();
    m_bonafide->setName(tr("to bona fide prototype"));
    m_bonafide->setPen(QPen(QColor(20, 140, 60), 1.3));
    m_diff = addGraph();
    m_diff->setName(tr("difference (bona fide − spoof)"));
    m_diff->setPen(QPen(QColor(60, 60, 60), 1, Qt::DotLine));
    legend->setVisible(true);
    legend->setRowSpacing(0);
    legend->setIconSize(14, 8);
    QFont f = font();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() - 1.5));
    legend->setFont(f);
    legend->setBrush(QColor(255, 255, 255, 200));
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setWrap(3);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignTop);
    setTitle(tr("Prototype similarity, cosine −1…1 per 20 ms frame (no explanation yet)"));
}

void SimilarityTrack::setData(const core::Stage2Track& track, const QString& label)
{
    m_simSpoof = track.simSpoof;
    m_simBonafide = track.simBonafide;
    const int n = int(std::min(m_simSpoof.size(), m_simBonafide.size()));
    QVector<double> t(n), s(n), b(n), d(n);
    for (int i = 0; i < n; ++i) {
        t[i] = m_grid.centreSeconds(i);
        s[i] = m_simSpoof[size_t(i)];
        b[i] = m_simBonafide[size_t(i)];
        d[i] = b[i] - s[i];
    }
    m_spoof->setData(t, s, true);
    m_bonafide->setData(t, b, true);
    m_diff->setData(t, d, true);
    // A module with model.feature_norm = utterance compares normalised frames (docs/stage2-objective.md).
    const QString hop = QString::number(m_grid.hopSeconds() * 1000, 'g', 4);
    setTitle(track.featureNorm == "utterance"
                 ? tr("Prototype similarity: cosine of h(t), normalised per utterance, to each prototype, per %1 ms frame · %2")
                       .arg(hop, label)
                 : tr("Prototype similarity: cosine of h(t) to each prototype, per %1 ms frame · %2").arg(hop, label));
    replot(QCustomPlot::rpQueuedReplot);
}

void SimilarityTrack::clear()
{
    m_simSpoof.clear();
    m_simBonafide.clear();
    for (QCPGraph* g : {m_spoof, m_bonafide, m_diff})
        g->data()->clear();
    replot(QCustomPlot::rpQueuedReplot);
}

double SimilarityTrack::pointTime(int i) const
{
    if (i < 0 || i >= m_spoof->dataCount())
        return std::nan("");
    return m_spoof->data()->at(i)->key;
}

QString SimilarityTrack::readout(double seconds) const
{
    if (m_simSpoof.empty())
        return {};
    const int64_t t = m_grid.frameAt(seconds);
    if (t < 0 || t >= int64_t(m_simSpoof.size()) || t >= int64_t(m_simBonafide.size()))
        return {};
    return tr("cos spoof=%1 bona fide=%2")
        .arg(double(m_simSpoof[size_t(t)]), 0, 'f', 3)
        .arg(double(m_simBonafide[size_t(t)]), 0, 'f', 3);
}

} // namespace spooflens::ui
