#include "ui/compare/ExplainerSummary.h"

#include "core/explain/Metrics.h"

#include "ui/widgets/Palette.h"
#include "ui/widgets/Plot.h"
#include "ui/widgets/TableActions.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace spooflens::ui {
namespace {

/// Sorts by the number behind the text (NaN, shown as "–", sorts first).
class NumberItem : public QTableWidgetItem {
public:
    NumberItem(double v, int decimals)
        : QTableWidgetItem(std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', decimals))
    {
        setData(Qt::UserRole, v);
        setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    bool operator<(const QTableWidgetItem& other) const override
    {
        const double a = data(Qt::UserRole).toDouble(), b = other.data(Qt::UserRole).toDouble();
        if (std::isnan(a) || std::isnan(b))
            return std::isnan(a) && !std::isnan(b);
        return a < b;
    }
};

} // namespace

ExplainerSummary::ExplainerSummary(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    // Table and chart side by side; the divider is the user's (remembered by the window).
    m_split = new QSplitter(Qt::Horizontal, this);
    m_split->setObjectName(QStringLiteral("explainersSplit"));
    m_split->setChildrenCollapsible(false);
    layout->addWidget(m_split);
    auto* box = new QWidget(m_split);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    v->addWidget(new QLabel(QStringLiteral("<b>Explainers on this utterance</b> (deletion AUC: lower = more "
                                           "faithful; insertion AUC: higher; click a header to sort)"),
                            box));
    m_table = new QTableWidget(box);
    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels({QStringLiteral("row"), QStringLiteral("deletion AUC"),
                                        QStringLiteral("insertion AUC"), QStringLiteral("frame AUC"),
                                        QStringLiteral("AP"), QStringLiteral("pointing game"),
                                        QStringLiteral("frame F1"), QStringLiteral("range EER"),
                                        QStringLiteral("RCQ transition %")});
    m_table->horizontalHeaderItem(FrameF1)->setToolTip(
        QStringLiteral("F1 of the frame decisions: min-max-normalised attribution >= 0.5 (docs/metrics.md)"));
    m_table->horizontalHeaderItem(RangeEer)->setToolTip(
        QStringLiteral("Range-based EER of this utterance (PartialSpoof; lower = better)"));
    m_table->horizontalHeaderItem(RcqTransition)->setToolTip(
        QStringLiteral("Relative contribution of the frames within 50 ms of a splice boundary (Liu et al. 2024)"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(20);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(true);
    addTableActions(m_table, QStringLiteral("explainers"));
    v->addWidget(m_table);
    m_split->addWidget(box);

    m_chart = new Plot(m_split);
    m_chart->setMinimumWidth(260);
    m_chart->xAxis->setLabel(QStringLiteral("fraction of frames"));
    m_chart->yAxis->setLabel(QStringLiteral("p(spoof)"));
    m_chart->xAxis->setRange(0, 1);
    m_chart->yAxis->setRange(0, 1.02);
    // The legend beside the plot, never over the curves: one entry per row
    // (its deletion curve, solid; the insertion curve is the dashed one in the
    // same colour, as the title says).
    m_chart->plotLayout()->insertRow(0);
    m_chart->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_chart, QStringLiteral("solid: deletion · dashed: insertion"), QFont(font().family(), 8)));
    m_chart->legend->setVisible(true);
    m_chart->legend->setFont(QFont(font().family(), 7));
    m_chart->legend->setBorderPen(Qt::NoPen);
    m_chart->axisRect()->insetLayout()->take(m_chart->legend);
    m_chart->plotLayout()->addElement(1, 1, m_chart->legend);
    m_chart->plotLayout()->setColumnStretchFactor(1, 0.01);
    m_chart->legend->setMargins(QMargins(4, 2, 2, 2));
    m_split->addWidget(m_chart);
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 2);
}

bool ExplainerSummary::isEmpty() const
{
    return m_table->rowCount() == 0;
}

int ExplainerSummary::curveCount() const
{
    return m_chart->graphCount();
}

void ExplainerSummary::update(const Document& doc)
{
    m_table->setSortingEnabled(false);
    m_table->setRowCount(0);
    m_chart->clearGraphs();
    int colour = 0;
    const GroundTruthView* truth = doc.groundTruth();
    std::vector<uint8_t> spoof;
    if (truth)
        spoof.assign(truth->frameLabels.begin(), truth->frameLabels.end());
    for (const RowInfo& r : doc.rows()) {
        if (r.kind != RowKind::Attribution)
            continue;
        const core::Attribution* a = doc.attribution(r.key);
        if (!a)
            continue;
        const core::FaithfulnessCurves* c = doc.faithfulness(r.key);
        const double nan = std::nan("");
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* name = new QTableWidgetItem(r.label);
        name->setToolTip(r.key);
        name->setData(Qt::UserRole, r.key);
        m_table->setItem(row, Row, name);
        m_table->setItem(row, Deletion, new NumberItem(c ? c->deletionAuc : nan, 3));
        m_table->setItem(row, Insertion, new NumberItem(c ? c->insertionAuc : nan, 3));
        double frameAuc = nan, ap = nan, pointing = nan, f1 = nan, rangeEer = nan, rcq = nan;
        if (truth && spoof.size() == a->values.size()) {
            const core::LocalisationMetrics m = core::localisationMetrics(a->values, spoof);
            frameAuc = m.frameAuc;
            ap = m.ap;
            pointing = m.pointingGame;
            f1 = m.frameF1;
            const auto intervals = truth->labels.spoofIntervals();
            core::RangeEer range;
            range.add(a->values, truth->grid, truth->samples, intervals);
            rangeEer = range.eer();
            core::Rcq transition;
            transition.add(a->values, spoof, truth->grid, truth->samples, intervals);
            rcq = transition.rcq(core::RcqRegion::Transition);
        }
        m_table->setItem(row, FrameAuc, new NumberItem(frameAuc, 3));
        m_table->setItem(row, AveragePrecision, new NumberItem(ap, 3));
        m_table->setItem(row, PointingGame, new NumberItem(pointing, 0));
        m_table->setItem(row, FrameF1, new NumberItem(f1, 3));
        m_table->setItem(row, RangeEer, new NumberItem(rangeEer, 3));
        m_table->setItem(row, RcqTransition, new NumberItem(rcq, 1));
        if (c && c->fractions.size() == c->deletion.size() && c->fractions.size() == c->insertion.size()) {
            const QColor col = curveColour(colour++);
            const QVector<double> f(c->fractions.begin(), c->fractions.end());
            QCPGraph* del = m_chart->addGraph();
            del->setData(f, QVector<double>(c->deletion.begin(), c->deletion.end()), true);
            del->setPen(QPen(col, 1.5));
            del->setName(QStringLiteral("%1 deletion").arg(r.label));
            QCPGraph* ins = m_chart->addGraph();
            ins->setData(f, QVector<double>(c->insertion.begin(), c->insertion.end()), true);
            ins->setPen(QPen(col, 1.5, Qt::DashLine));
            ins->setName(QStringLiteral("%1 insertion").arg(r.label));
            ins->removeFromLegend();
            del->setName(r.label);
        }
    }
    m_table->setSortingEnabled(true);
    m_chart->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace spooflens::ui
