#include "ui/tracks/OverlayTrack.h"

#include "core/explain/Metrics.h"
#include "ui/widgets/Palette.h"

#include <cmath>

namespace spooflens::ui {

OverlayTrack::OverlayTrack(QWidget* parent) : Track(parent)
{
    yAxis->setRange(-0.03, 1.05);
    yAxis->setLabel(QStringLiteral("normalised"));
    yAxis->ticker()->setTickCount(3);
    setTitle(QStringLiteral("Overlay: every row shown, each min-max normalised to 0…1 · shaded: ground truth"));
}

void OverlayTrack::setCurves(const std::vector<Curve>& curves)
{
    clearGraphs();
    m_labels.clear();
    QStringList entries, flat;
    for (const Curve& c : curves) {
        const std::vector<double> n = core::minMaxNormalised(c.values);
        if (n.empty()) {
            flat << c.label.toHtmlEscaped();
            continue;
        }
        const QColor colour = curveColour(int(m_labels.size()));
        QVector<double> t(int(n.size())), v(int(n.size()));
        for (int i = 0; i < t.size(); ++i) {
            t[i] = m_grid.centreSeconds(i);
            v[i] = n[size_t(i)];
        }
        QCPGraph* g = addGraph();
        g->setData(t, v, true);
        g->setPen(QPen(colour, 1.6));
        g->setName(c.label);
        m_labels.push_back(c.label);
        entries << QStringLiteral("<span style=\"color:%1\">━</span> %2").arg(colour.name(), c.label.toHtmlEscaped());
    }
    if (!flat.isEmpty())
        entries << QStringLiteral("<span style=\"color:#777\">flat, not drawn: %1</span>").arg(flat.join(QStringLiteral(", ")));
    m_legend = entries.isEmpty() ? QStringLiteral("<span style=\"color:#777\">no rows to overlay</span>")
                                : entries.join(QStringLiteral(" &nbsp; "));
    emit legendChanged(m_legend);
    replot(QCustomPlot::rpQueuedReplot);
}

void OverlayTrack::setGroundTruth(const GroundTruthView* truth)
{
    for (QCPItemRect* r : m_regions)
        removeItem(r);
    m_regions.clear();
    if (truth)
        for (size_t i = 0; i < truth->segmentStart.size() && i < truth->segmentEnd.size(); ++i)
            m_regions.push_back(addTimeBand(truth->segmentStart[i], truth->segmentEnd[i], QColor(220, 40, 40, 45)));
    replot(QCustomPlot::rpQueuedReplot);
}

double OverlayTrack::normalisedValue(int i, int t) const
{
    if (i < 0 || i >= graphCount() || t < 0 || t >= graph(i)->dataCount())
        return std::nan("");
    return (graph(i)->data()->constBegin() + t)->value;
}

QString OverlayTrack::readout(double seconds) const
{
    QStringList parts;
    for (int i = 0; i < graphCount(); ++i) {
        const auto points = graph(i)->data();
        if (points->isEmpty())
            continue;
        auto it = points->findBegin(seconds, false);
        if (it == points->constEnd())
            --it;
        parts << QStringLiteral("%1 %2").arg(m_labels[size_t(i)]).arg(it->value, 0, 'f', 2);
    }
    return parts.isEmpty() ? QString() : QStringLiteral("overlay: ") + parts.join(QStringLiteral(", "));
}

} // namespace spooflens::ui
