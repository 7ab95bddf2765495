#include "ui/training/TrainingCharts.h"

#include "ui/training/RunMonitor.h"

#include "core/stage2/Stage2Objective.h"

#include <QGridLayout>
#include <QTimer>
#include "ui/widgets/Plot.h"

#include <array>
#include <cmath>

namespace spooflens::ui {

namespace {

// Order and colours of the four objective terms (docs/stage2.md §5: contrastive, bona fide
// regulariser, temporal smoothness, sparsity).
const std::array<const char*, 4> kTerms = {"contrastive", "bonafide_reg", "smooth", "sparsity"};
const std::array<QColor, 4> kTermColours = {QColor(31, 119, 180), QColor(44, 160, 44), QColor(148, 103, 189),
                                            QColor(214, 39, 40)};
const QColor kTrain(31, 119, 180);
const QColor kVal(255, 127, 14);

QCPGraph* addGraph(QCustomPlot* p, const QString& name, QColor c, Qt::PenStyle style = Qt::SolidLine,
                   bool markers = false, double width = 1.6)
{
    QCPGraph* g = p->addGraph();
    g->setName(name);
    QPen pen(c, width, style);
    g->setPen(pen);
    if (markers)
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, Qt::white, 5));
    return g;
}

QColor faint(QColor c)
{
    c.setAlpha(70);
    return c;
}

} // namespace

TrainingCharts::TrainingCharts(QWidget* parent) : QWidget(parent)
{
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);

    QCustomPlot* loss = makePlot(tr("Total loss"), tr("loss"));
    m_stepTotal = addGraph(loss, tr("train (per step)"), faint(kTrain), Qt::SolidLine, false, 1.0);
    m_trainTotal = addGraph(loss, tr("train (epoch)"), kTrain, Qt::SolidLine, true);
    m_valTotal = addGraph(loss, tr("validation"), kVal, Qt::SolidLine, true);

    QCustomPlot* terms = makePlot(tr("Loss terms (solid: train, dashed: validation)"), tr("term (log)"));
    terms->yAxis->setScaleType(QCPAxis::stLogarithmic);
    terms->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    terms->yAxis->setNumberFormat("gb");
    for (size_t i = 0; i < kTerms.size(); ++i) {
        m_stepTerms.push_back(addGraph(terms, QString(), faint(kTermColours[i]), Qt::SolidLine, false, 1.0));
        m_stepTerms.back()->removeFromLegend();
        m_trainTerms.push_back(addGraph(terms, QString::fromLatin1(kTerms[i]), kTermColours[i], Qt::SolidLine, true));
        m_valTerms.push_back(addGraph(terms, QString(), kTermColours[i], Qt::DashLine, true));
        m_valTerms.back()->removeFromLegend();
    }
    m_termSmooth.assign(kTerms.size(), 0.0);
    m_termSmoothInit.assign(kTerms.size(), false);

    QCustomPlot* acc = makePlot(tr("Validation accuracy (argmax u_c)"), tr("accuracy"));
    m_valAcc = addGraph(acc, tr("validation accuracy"), kVal, Qt::SolidLine, true);
    acc->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    acc->yAxis->setRange(0, 1.05);

    QCustomPlot* imp = makePlot(tr("Mean total importance  \u03a3\u209c w(t)"), tr("sum of w"));
    m_impBona = addGraph(imp, tr("bona fide"), QColor(44, 160, 44), Qt::SolidLine, true);
    m_impSpoof = addGraph(imp, tr("spoof"), QColor(214, 39, 40), Qt::SolidLine, true);

    QCustomPlot* spread = makePlot(tr("Importance spread and mean (collapse below the dotted line)"), tr("w"));
    m_spread = addGraph(spread, tr("spread (std over frames)"), QColor(148, 103, 189), Qt::SolidLine, true);
    m_meanW = addGraph(spread, tr("mean w"), QColor(127, 127, 127), Qt::SolidLine, true);
    m_spreadThreshold = addGraph(spread, tr("collapse threshold"), QColor(214, 39, 40), Qt::DotLine);

    QCustomPlot* lr = makePlot(tr("Learning rate"), tr("lr"));
    lr->yAxis->setNumberFormat("gb");
    m_lr = addGraph(lr, tr("learning rate"), QColor(23, 190, 207), Qt::SolidLine, true);

    for (size_t i = 0; i < m_plots.size(); ++i)
        grid->addWidget(m_plots[i], int(i / 3), int(i % 3));

    m_replot = new QTimer(this);
    m_replot->setSingleShot(true);
    m_replot->setInterval(100);
    connect(m_replot, &QTimer::timeout, this, &TrainingCharts::replotNow);
    setXAxis(XAxis::Step);
}

QCustomPlot* TrainingCharts::makePlot(const QString& title, const QString& yLabel)
{
    auto* p = new Plot(this);
    p->setMinimumSize(260, 180);
    p->plotLayout()->insertRow(0);
    auto* t = new QCPTextElement(p, title, QFont(font().family(), 9, QFont::Bold));
    p->plotLayout()->addElement(0, 0, t);
    p->yAxis->setLabel(yLabel);
    p->legend->setVisible(true);
    QFont lf = font();
    lf.setPointSize(7);
    p->legend->setFont(lf);
    p->legend->setRowSpacing(-3);
    p->legend->setBrush(QColor(255, 255, 255, 200));
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plots.push_back(p);
    return p;
}

void TrainingCharts::setMonitor(RunMonitor* monitor)
{
    if (m_monitor)
        disconnect(m_monitor, nullptr, this, nullptr);
    m_monitor = monitor;
    if (m_monitor) {
        connect(m_monitor, &RunMonitor::reset, this, &TrainingCharts::rebuild);
        connect(m_monitor, &RunMonitor::stepsAppended, this, &TrainingCharts::addSteps);
        connect(m_monitor, &RunMonitor::epochsAppended, this, &TrainingCharts::addEpochs);
        connect(m_monitor, &RunMonitor::infoChanged, this, &TrainingCharts::nameLossTerms);
        connect(m_monitor, &QObject::destroyed, this, [this] { m_monitor = nullptr; });
    }
    nameLossTerms();
    rebuild();
}

QStringList TrainingCharts::lossTermLegend() const
{
    QStringList out;
    for (const QCPGraph* g : m_trainTerms)
        out << g->name();
    return out;
}

void TrainingCharts::nameLossTerms()
{
    // The slots keep their metrics.jsonl names; the legend says what they hold
    // under the run's objective (a run without one in its config is the default).
    core::Stage2Objective o = core::kDefaultStage2Objective;
    if (m_monitor && !m_monitor->info().objective.isEmpty()) {
        try {
            o = core::parseStage2Objective(m_monitor->info().objective.toStdString());
        } catch (const std::exception&) {
        }
    }
    for (size_t i = 0; i < kTerms.size(); ++i)
        m_trainTerms[i]->setName(QString::fromStdString(core::stage2LossSlotLabel(o, kTerms[i])));
    if (!m_plots.empty())
        m_plots[1]->replot();
}

void TrainingCharts::setXAxis(XAxis axis)
{
    m_xAxis = axis;
    const QString label = axis == XAxis::Step ? tr("step") : tr("epoch");
    for (QCustomPlot* p : m_plots)
        p->xAxis->setLabel(label);
    rebuild();
}

void TrainingCharts::setSmoothing(double factor)
{
    m_smoothing = std::clamp(factor, 0.0, 0.99);
    rebuild();
}

int TrainingCharts::stepPointCount() const
{
    return m_stepTotal->dataCount();
}

int TrainingCharts::epochPointCount() const
{
    return m_valTotal->dataCount();
}

double TrainingCharts::stepX(qint64 step, qint64 epoch, qint64 batch, qint64 batches) const
{
    if (m_xAxis == XAxis::Step)
        return double(step);
    return double(epoch - 1) + (batches > 0 ? double(batch) / double(batches) : 1.0);
}

double TrainingCharts::epochX(qint64 epoch) const
{
    if (m_xAxis == XAxis::Epoch)
        return double(epoch);
    // Step axis: an epoch's point sits at its last step.
    if (m_monitor) {
        const auto& steps = m_monitor->steps();
        for (int i = steps.size() - 1; i >= 0; --i)
            if (steps[i].epoch == epoch)
                return double(steps[i].step);
            else if (steps[i].epoch < epoch)
                break;
        if (!steps.isEmpty() && steps.front().batches > 0)
            return double(epoch * steps.front().batches);
    }
    return double(epoch);
}

void TrainingCharts::rebuild()
{
    for (QCustomPlot* p : m_plots)
        for (int i = 0; i < p->graphCount(); ++i)
            p->graph(i)->data()->clear();
    m_smoothInit = false;
    std::fill(m_termSmoothInit.begin(), m_termSmoothInit.end(), false);
    if (m_monitor) {
        if (!m_monitor->steps().isEmpty())
            addSteps(0);
        if (!m_monitor->epochs().isEmpty())
            addEpochs(0);
    }
    replotNow();
}

void TrainingCharts::addSteps(int first)
{
    if (!m_monitor)
        return;
    const auto& steps = m_monitor->steps();
    const double a = m_smoothing;
    for (int i = first; i < steps.size(); ++i) {
        const StepRecord& s = steps[i];
        const double x = stepX(s.step, s.epoch, s.batch, s.batches);
        auto total = s.loss.find("total");
        if (total != s.loss.end()) {
            m_smoothState = m_smoothInit ? a * m_smoothState + (1 - a) * total->second : total->second;
            m_smoothInit = true;
            m_stepTotal->addData(x, m_smoothState);
        }
        for (size_t k = 0; k < kTerms.size(); ++k) {
            auto it = s.loss.find(kTerms[k]);
            if (it == s.loss.end())
                continue;
            m_termSmooth[k] = m_termSmoothInit[k] ? a * m_termSmooth[k] + (1 - a) * it->second : it->second;
            m_termSmoothInit[k] = true;
            m_stepTerms[k]->addData(x, m_termSmooth[k]);
        }
    }
    Q_EMIT pointsAdded(stepPointCount(), epochPointCount());
    scheduleReplot();
}

void TrainingCharts::addEpochs(int first)
{
    if (!m_monitor)
        return;
    const auto& epochs = m_monitor->epochs();
    for (int i = first; i < epochs.size(); ++i) {
        const EpochRecord& e = epochs[i];
        const double x = epochX(e.epoch);
        auto put = [x](QCPGraph* g, const std::map<QString, double>& m, const char* key) {
            auto it = m.find(key);
            if (it != m.end())
                g->addData(x, it->second);
        };
        put(m_trainTotal, e.train, "total");
        put(m_valTotal, e.val, "total");
        for (size_t k = 0; k < kTerms.size(); ++k) {
            put(m_trainTerms[k], e.train, kTerms[k]);
            put(m_valTerms[k], e.val, kTerms[k]);
        }
        m_valAcc->addData(x, e.valAccuracy);
        m_impBona->addData(x, e.totalImportanceBonafide);
        m_impSpoof->addData(x, e.totalImportanceSpoof);
        m_spread->addData(x, e.importanceSpread);
        m_meanW->addData(x, e.importanceMean);
        if (e.spreadThreshold > 0)
            m_spreadThreshold->addData(x, e.spreadThreshold);
        m_lr->addData(x, e.lr);
    }
    Q_EMIT pointsAdded(stepPointCount(), epochPointCount());
    scheduleReplot();
}

void TrainingCharts::scheduleReplot()
{
    if (!m_replot->isActive())
        m_replot->start();
}

void TrainingCharts::replotNow()
{
    m_replot->stop();
    for (QCustomPlot* p : m_plots) {
        p->rescaleAxes();
        // Give flat curves and single points some room.
        for (QCPAxis* ax : {p->xAxis, p->yAxis}) {
            QCPRange r = ax->range();
            if (ax->scaleType() == QCPAxis::stLogarithmic) {
                if (r.lower > 0 && r.upper > 0)
                    ax->setRange(r.lower / 1.5, r.upper * 1.5);
                continue;
            }
            if (ax == p->yAxis) {
                // rescaleAxes keeps the old span around flat data (a constant lr): use the data's own range.
                bool any = false;
                QCPRange dataRange;
                for (int i = 0; i < p->graphCount(); ++i) {
                    bool found = false;
                    const QCPRange g = p->graph(i)->data()->valueRange(found);
                    if (!found)
                        continue;
                    dataRange = any ? QCPRange(std::min(dataRange.lower, g.lower), std::max(dataRange.upper, g.upper)) : g;
                    any = true;
                }
                if (any)
                    r = dataRange;
            }
            const double span = r.size();
            const double pad = span > 0 ? span * 0.06 : (r.center() != 0 ? std::abs(r.center()) * 0.1 : 0.5);
            ax->setRange(r.lower - pad, r.upper + pad);
        }
        if (p == m_valAcc->parentPlot())
            p->yAxis->setRange(-0.02, 1.05);  // accuracy is a fraction: keep the scale fixed
        p->replot(QCustomPlot::rpQueuedReplot);
    }
}

} // namespace spooflens::ui
