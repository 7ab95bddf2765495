#include "ui/training/RunsChart.h"

#include "ui/training/RunMonitor.h"
#include "ui/widgets/Palette.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <qcustomplot.h>

namespace spooflens::ui {
namespace {

QCustomPlot* makePlot(QWidget* parent, const QString& title, const QString& yLabel)
{
    auto* p = new QCustomPlot(parent);
    p->plotLayout()->insertRow(0);
    p->plotLayout()->addElement(0, 0, new QCPTextElement(p, title, QFont(QString(), 9, QFont::Bold)));
    p->xAxis->setLabel(QObject::tr("epoch"));
    p->yAxis->setLabel(yLabel);
    p->legend->setVisible(true);
    p->legend->setFont(QFont(QString(), 8));
    p->setMinimumHeight(160);
    return p;
}

} // namespace

RunsChart::RunsChart(QWidget* parent) : QWidget(parent)
{
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(0, 0, 0, 0);
    m_loss = makePlot(this, tr("Validation loss of every run (lower is better)"), tr("val loss"));
    m_accuracy = makePlot(this, tr("Validation accuracy of every run"), tr("val accuracy"));
    h->addWidget(m_loss, 1);
    h->addWidget(m_accuracy, 1);
}

void RunsChart::setRuns(const QStringList& runDirs)
{
    for (RunMonitor* m : m_monitors)
        m->deleteLater();
    m_monitors.clear();
    m_dirs.clear();
    for (const QString& d : runDirs) {
        auto* m = new RunMonitor(this);
        if (!m->attach(d)) {
            m->deleteLater();
            continue;
        }
        m_dirs << d;
        m_monitors.push_back(m);
        connect(m, &RunMonitor::epochsAppended, this, &RunsChart::redraw);
        connect(m, &RunMonitor::reset, this, &RunsChart::redraw);
    }
    redraw();
}

int RunsChart::pointCount(int i) const
{
    return i >= 0 && i < m_loss->graphCount() ? m_loss->graph(i)->data()->size() : 0;
}

void RunsChart::redraw()
{
    m_loss->clearGraphs();
    m_accuracy->clearGraphs();
    for (size_t k = 0; k < m_monitors.size(); ++k) {
        const QString name = QFileInfo(m_dirs[int(k)]).fileName();
        const QColor colour = curveColour(int(k));
        QCPGraph* loss = m_loss->addGraph();
        QCPGraph* acc = m_accuracy->addGraph();
        for (QCPGraph* g : {loss, acc}) {
            g->setName(name);
            g->setPen(QPen(colour, 1.6));
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
        }
        for (const EpochRecord& e : m_monitors[k]->epochs()) {
            const auto total = e.val.find(QStringLiteral("total"));
            if (total != e.val.end())
                loss->addData(double(e.epoch), total->second);
            acc->addData(double(e.epoch), e.valAccuracy);
        }
    }
    for (QCustomPlot* p : {m_loss, m_accuracy}) {
        p->rescaleAxes();
        p->replot(QCustomPlot::rpQueuedReplot);
    }
}

} // namespace spooflens::ui
