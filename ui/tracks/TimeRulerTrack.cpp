#include "ui/tracks/TimeRulerTrack.h"

namespace spooflens::ui {

TimeRulerTrack::TimeRulerTrack(QWidget* parent) : Track(parent)
{
    // Tick marks and labels on top of a thin strip; no y axis, no grid.
    xAxis->setVisible(false);
    yAxis->setVisible(false);
    xAxis2->setVisible(true);
    xAxis2->setTickLabels(true);
    xAxis2->setTickLabelFont(xAxis->tickLabelFont());
    xAxis2->setTickLabelPadding(1);
    xAxis2->grid()->setVisible(false);
    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), xAxis2, qOverload<const QCPRange&>(&QCPAxis::setRange));
    auto* unit = new QCPItemText(this);
    unit->setClipToAxisRect(false);
    unit->position->setType(QCPItemPosition::ptAbsolute);
    unit->position->setCoords(kLeftMargin - 6, preferredHeight() - 4);
    unit->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    unit->setFont(xAxis->tickLabelFont());
    unit->setText(QStringLiteral("Time (s)"));
    unit->setSelectable(false);
    setMinimumHeight(preferredHeight());
    setMaximumHeight(preferredHeight());
    applyMargins();
}

QMargins TimeRulerTrack::axisMargins() const
{
    // The labels need ~16 px above the axis line; the strip below it shows
    // the cursors.
    return QMargins(kLeftMargin, 18, kRightMargin, 2);
}

} // namespace spooflens::ui
