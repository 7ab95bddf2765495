#include "ui/training/TrainingPanel.h"

#include "core/training/RunControl.h"
#include "ui/training/RunList.h"
#include "ui/training/RunMonitor.h"
#include "ui/training/RunsChart.h"
#include "ui/training/TrainConfigForm.h"
#include "ui/training/TrainingCharts.h"
#include "ui/training/TrainingRunner.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

namespace {

QString duration(double s)
{
    if (s < 0 || !std::isfinite(s))
        return QStringLiteral("-");
    const qint64 t = qint64(s + 0.5);
    if (t < 60)
        return QStringLiteral("%1 s").arg(t);
    if (t < 3600)
        return QStringLiteral("%1 min %2 s").arg(t / 60).arg(t % 60);
    return QStringLiteral("%1 h %2 min").arg(t / 3600).arg((t % 3600) / 60);
}

} // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent)
{
    m_runner = new TrainingRunner(this);
    m_monitor = new RunMonitor(this);
    buildUi();
    m_charts->setMonitor(m_monitor);

    connect(m_monitor, &RunMonitor::stepsAppended, this, &TrainingPanel::updateStatus);
    connect(m_monitor, &RunMonitor::epochsAppended, this, &TrainingPanel::updateStatus);
    connect(m_monitor, &RunMonitor::reset, this, &TrainingPanel::updateStatus);
    connect(m_monitor, &RunMonitor::infoChanged, this, &TrainingPanel::updateStatus);
    connect(m_monitor, &RunMonitor::malformedLinesChanged, this, &TrainingPanel::updateStatus);

    connect(m_runner, &TrainingRunner::runStarted, this, [this](const QString& dir) {
        QString err;
        attachRun(dir, &err);
        setMessage(tr("training %1").arg(dir), false);
    });
    connect(m_runner, &TrainingRunner::stateChanged, this, [this] {
        updateStatus();
        updateButtons();
    });
    connect(m_runner, &TrainingRunner::logLine, this, [this](const QString& l) { m_log->appendPlainText(l); });
    connect(m_runner, &TrainingRunner::progress, this, [this] { updateStatus(); });
    connect(m_runner, &TrainingRunner::runEnded, this,
            [this](const QString&, TrainingRunner::State s, const QString& msg) {
                m_monitor->refresh();
                // A stop that came as the last epoch ended leaves a finished
                // run: nothing is left for Resume, so the message does not offer it.
                if (s == TrainingRunner::State::Stopped && attachedRunFinished())
                    setMessage(tr("stopped after the last epoch: the run is finished (best.pth, last.pth kept)"), false);
                else
                    setMessage(msg, s == TrainingRunner::State::Failed);
                m_runs->scan(m_runs->root());
                updateButtons();
            });
    updateButtons();
    updateStatus();
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::buildUi()
{
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(4, 4, 4, 4);
    auto* split = new QSplitter(Qt::Horizontal, this);
    outer->addWidget(split);

    // --- left: configuration, launch, past runs ---
    auto* left = new QWidget(split);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    auto* cfgBox = new QGroupBox(tr("Training configuration"), left);
    auto* cv = new QVBoxLayout(cfgBox);
    m_form = new TrainConfigForm(cfgBox);
    m_form->setOutputFolder(
        QDir(QDir::homePath()).filePath("spooflens-runs/run-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss")));
    cv->addWidget(m_form);
    auto* launch = new QHBoxLayout();
    auto* load = new QPushButton(tr("Load YAML\u2026"), cfgBox);
    m_start = new QPushButton(tr("Start"), cfgBox);
    m_start->setObjectName("start");
    m_startAll = new QPushButton(tr("Queue all three modes\u2026"), cfgBox);
    m_startAll->setObjectName("startAll");
    m_startAll->setToolTip(tr("Queues three runs on the same data, one per prototype mode, into "
                              "OUTPUT/ema, OUTPUT/fixed and OUTPUT/learnable"));
    // The batch action sits with Load, away from Start: one click on it queues three runs.
    launch->addWidget(load);
    launch->addWidget(m_startAll);
    launch->addStretch();
    launch->addWidget(m_start);
    cv->addLayout(launch);
    lv->addWidget(cfgBox, 3);
    connect(load, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Load a training configuration"), QString(),
                                                       tr("YAML (*.yaml *.yml)"));
        QString err;
        if (!p.isEmpty() && !m_form->loadYamlFile(p, &err))
            setMessage(err, true);
    });
    connect(m_start, &QPushButton::clicked, this, [this] { startTraining(); });
    connect(m_startAll, &QPushButton::clicked, this, [this] { trainAllModes(); });

    auto* runsBox = new QGroupBox(tr("Past runs (double-click to open)"), left);
    auto* rv = new QVBoxLayout(runsBox);
    m_runs = new RunList(runsBox);
    rv->addWidget(m_runs);
    lv->addWidget(runsBox, 1);
    connect(m_runs, &RunList::runActivated, this, [this](const QString& d) { attachRun(d); });

    // --- right: the run ---
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    rl->setSpacing(4);

    auto* head = new QHBoxLayout();
    m_runLabel = new QLabel(tr("No run attached"), right);
    QFont bf = m_runLabel->font();
    bf.setBold(true);
    bf.setPointSize(bf.pointSize() + 1);
    m_runLabel->setFont(bf);
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stateLabel = new QLabel(right);
    m_stateLabel->setObjectName("state");
    head->addWidget(m_runLabel, 1);
    head->addWidget(m_stateLabel);
    rl->addLayout(head);

    auto* controls = new QHBoxLayout();
    auto* attach = new QPushButton(tr("Attach to run folder\u2026"), right);
    m_pause = new QPushButton(tr("Pause"), right);
    m_continue = new QPushButton(tr("Continue"), right);
    m_stop = new QPushButton(tr("Stop"), right);
    m_stop->setToolTip(tr("Finishes the current step and exits; last.pth and best.pth are kept"));
    m_resume = new QPushButton(tr("Resume run"), right);
    m_resume->setToolTip(tr("spooflens train --resume RUN_DIR: continues a stopped or killed run after its "
                            "last completed epoch"));
    m_openViewer = new QPushButton(tr("Open in viewer"), right);
    m_addCompare = new QPushButton(tr("Add to comparison"), right);
    for (auto* b : {m_pause, m_continue, m_stop, m_resume, m_openViewer, m_addCompare})
        b->setObjectName(b->text().toLower().replace(' ', '_'));
    controls->addWidget(attach);
    controls->addSpacing(12);
    controls->addWidget(m_pause);
    controls->addWidget(m_continue);
    controls->addWidget(m_stop);
    controls->addWidget(m_resume);
    controls->addSpacing(12);
    controls->addWidget(m_openViewer);
    controls->addWidget(m_addCompare);
    controls->addStretch();
    controls->addWidget(new QLabel(tr("x axis"), right));
    m_xAxis = new QComboBox(right);
    m_xAxis->addItems({tr("step"), tr("epoch")});
    controls->addWidget(m_xAxis);
    controls->addWidget(new QLabel(tr("smoothing"), right));
    m_smoothing = new QDoubleSpinBox(right);
    m_smoothing->setRange(0, 0.99);
    m_smoothing->setSingleStep(0.1);
    m_smoothing->setDecimals(2);
    m_smoothing->setToolTip(tr("Exponential smoothing of the per-step curves (0 = off)"));
    controls->addWidget(m_smoothing);
    rl->addLayout(controls);
    connect(attach, &QPushButton::clicked, this, &TrainingPanel::attachDialog);
    connect(m_pause, &QPushButton::clicked, this, &TrainingPanel::pauseRun);
    connect(m_continue, &QPushButton::clicked, this, &TrainingPanel::continueRun);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stopRun);
    connect(m_resume, &QPushButton::clicked, this, &TrainingPanel::resumeFromFolder);
    connect(m_openViewer, &QPushButton::clicked, this, &TrainingPanel::openInViewer);
    connect(m_addCompare, &QPushButton::clicked, this, &TrainingPanel::addToComparison);
    connect(m_xAxis, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_charts->setXAxis(i == 0 ? TrainingCharts::XAxis::Step : TrainingCharts::XAxis::Epoch);
    });
    connect(m_smoothing, &QDoubleSpinBox::valueChanged, this, [this](double v) { m_charts->setSmoothing(v); });

    auto* prog = new QHBoxLayout();
    m_epochBar = new QProgressBar(right);
    m_epochBar->setMaximumWidth(220);
    m_epochBar->setFormat(tr("epoch %p%"));
    m_progressLabel = new QLabel(right);
    m_progressLabel->setObjectName("progress");
    m_progressLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    prog->addWidget(m_epochBar);
    prog->addWidget(m_progressLabel, 1);
    rl->addLayout(prog);

    m_collapse = new QLabel(right);
    m_collapse->setObjectName("collapseWarning");
    m_collapse->setWordWrap(true);
    m_collapse->setStyleSheet("QLabel { background: #b00020; color: white; font-weight: bold; padding: 6px; "
                              "border-radius: 3px; }");
    m_collapse->hide();
    rl->addWidget(m_collapse);

    m_message = new QLabel(right);
    m_message->setObjectName("message");
    m_message->setWordWrap(true);
    m_message->hide();
    rl->addWidget(m_message);

    // This run's charts, and every listed run's validation curves overlaid.
    m_chartTabs = new QTabWidget(right);
    m_charts = new TrainingCharts(m_chartTabs);
    m_runsChart = new RunsChart(m_chartTabs);
    m_chartTabs->addTab(m_charts, tr("This run"));
    m_chartTabs->addTab(m_runsChart, tr("All runs (validation)"));
    rl->addWidget(m_chartTabs, 1);
    connect(m_runs, &RunList::scanned, m_runsChart, &RunsChart::setRuns);

    m_log = new QPlainTextEdit(right);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setFixedHeight(90);
    m_log->setPlaceholderText(tr("Trainer output"));
    rl->addWidget(m_log);

    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({440, 1160});
}

bool TrainingPanel::attachRun(const QString& runDir, QString* error)
{
    // A folder of runs (the three-mode queue's OUTPUT/{ema,fixed,learnable}):
    // list them, follow the newest.
    if (!RunMonitor::isRunFolder(runDir) && QFileInfo(runDir).isDir()) {
        m_runs->scan(runDir);
        QStringList runs = m_runs->runs();
        runs.removeAll(QFileInfo(runDir).absoluteFilePath());
        if (!runs.isEmpty()) {
            std::sort(runs.begin(), runs.end(), [](const QString& a, const QString& b) {
                return QFileInfo(QDir(a).filePath("metrics.jsonl")).lastModified()
                       > QFileInfo(QDir(b).filePath("metrics.jsonl")).lastModified();
            });
            if (!attachRun(runs.front(), error))
                return false;
            setMessage(tr("%1 holds %2 runs: following %3, the newest (the others are under Past runs)")
                           .arg(QDir::toNativeSeparators(runDir))
                           .arg(runs.size())
                           .arg(QFileInfo(runs.front()).fileName()),
                       false);
            return true;
        }
    }
    if (!m_monitor->attach(runDir)) {
        setMessage(m_monitor->error(), true);
        if (error)
            *error = m_monitor->error();
        updateButtons();
        return false;
    }
    m_externalPaused = false;
    m_runLabel->setText(QDir::toNativeSeparators(m_monitor->runDir()));
    // Show the run's own configuration (a start from here reuses it; the
    // output folder stays as typed so a new run never overwrites this one).
    const QString cfg = QDir(m_monitor->runDir()).filePath("config.yaml");
    const QString out = m_form->outputFolder();
    if (QFileInfo::exists(cfg) && m_form->loadYamlFile(cfg))
        m_form->setOutputFolder(out);
    const bool own = m_runner->runDir() == m_monitor->runDir();
    m_log->setPlaceholderText(own ? tr("Trainer output")
                                  : tr("Attached to a run folder: the charts follow its logs; the trainer's console "
                                       "output is where it was started."));
    const QString root = QFileInfo(m_monitor->runDir()).absolutePath();
    if (m_runs->root() != root)
        m_runs->scan(root);
    updateStatus();
    updateButtons();
    return true;
}

void TrainingPanel::attachDialog()
{
    const QString d = QFileDialog::getExistingDirectory(this, tr("Attach to a run folder"), m_runs->root());
    if (!d.isEmpty())
        attachRun(d);
}

bool TrainingPanel::startTraining()
{
    const QStringList errors = m_form->validate();
    if (!errors.isEmpty()) {
        setMessage(tr("Cannot start: %1").arg(errors.join("; ")), true);
        return false;
    }
    const QString out = QFileInfo(m_form->outputFolder()).absoluteFilePath();
    m_runs->scan(QFileInfo(out).absolutePath());
    m_runner->start(out, m_form->yaml());
    updateButtons();
    return true;
}

bool TrainingPanel::trainAllModes()
{
    QStringList errors = m_form->validate();
    // validate() rejected OUTPUT only if OUTPUT itself is a run; the three sub-runs must be new too.
    const QString out = QFileInfo(m_form->outputFolder()).absoluteFilePath();
    for (const char* mode : {"ema", "fixed", "learnable"})
        if (QFileInfo::exists(QDir(out).filePath(QString(mode) + "/metrics.jsonl")))
            errors << tr("%1/%2 already holds a run").arg(out, mode);
    if (!errors.isEmpty()) {
        setMessage(tr("Cannot start: %1").arg(errors.join("; ")), true);
        return false;
    }
    const QString keep = m_form->field("model.prototype_mode");
    QList<TrainingRunner::Job> jobs;
    for (const char* mode : {"ema", "fixed", "learnable"}) {
        m_form->setField("model.prototype_mode", mode);
        jobs.append({QDir(out).filePath(mode), m_form->yaml()});
    }
    m_form->setField("model.prototype_mode", keep);
    QDir().mkpath(out);
    m_runs->scan(out);
    m_runner->enqueue(jobs);
    setMessage(tr("queued three runs (ema, fixed, learnable) into %1").arg(out), false);
    updateButtons();
    return true;
}

bool TrainingPanel::ownRunActive() const
{
    return m_runner->isActive() && m_runner->runDir() == m_monitor->runDir();
}

bool TrainingPanel::attachedRunFinished() const
{
    const auto& ep = m_monitor->epochs();
    if (ep.isEmpty())
        return false;
    const EpochRecord& last = ep.last();
    const RunInfo& info = m_monitor->info();
    return (info.numEpochs > 0 && last.epoch >= info.numEpochs) || (info.patience > 0 && last.badEpochs >= info.patience);
}

void TrainingPanel::pauseRun()
{
    try {
        if (ownRunActive()) {
            m_runner->pause();
        } else if (!m_monitor->runDir().isEmpty()) {
            core::writeRunCommand(m_monitor->runDir().toStdString(), core::RunCommand::Pause);
            m_externalPaused = true;
        }
        setMessage(tr("pause requested: the trainer waits after the current step"), false);
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()), true);
    }
    updateButtons();
    updateStatus();
}

void TrainingPanel::continueRun()
{
    try {
        if (ownRunActive()) {
            m_runner->resume();
        } else if (!m_monitor->runDir().isEmpty()) {
            core::writeRunCommand(m_monitor->runDir().toStdString(), core::RunCommand::Run);
            m_externalPaused = false;
        }
        setMessage(tr("continuing"), false);
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()), true);
    }
    updateButtons();
    updateStatus();
}

void TrainingPanel::stopRun()
{
    try {
        if (ownRunActive() || m_runner->isActive())
            m_runner->stop();
        else if (!m_monitor->runDir().isEmpty())
            core::writeRunCommand(m_monitor->runDir().toStdString(), core::RunCommand::Stop);
        setMessage(tr("stop requested: the trainer finishes the current step and keeps its checkpoints"), false);
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()), true);
    }
    updateButtons();
}

void TrainingPanel::resumeFromFolder()
{
    const QString dir = m_monitor->runDir();
    if (dir.isEmpty() || m_runner->isActive())
        return;
    if (!m_monitor->hasLast()) {
        setMessage(tr("%1 has no last.pth: nothing to resume (the first epoch did not finish)").arg(dir), true);
        return;
    }
    m_runner->resumeRun(dir);
    updateButtons();
}

void TrainingPanel::openInViewer()
{
    if (!m_monitor->hasBest())
        return;
    Q_EMIT openInViewerRequested(QDir(m_monitor->runDir()).filePath("best.pth"), m_monitor->info().detector);
}

void TrainingPanel::addToComparison()
{
    if (!m_monitor->hasBest())
        return;
    QString mode = m_monitor->info().prototypeMode;
    if (mode.isEmpty() && !m_monitor->epochs().isEmpty())
        mode = m_monitor->epochs().last().prototypeMode;
    const QString label = QStringLiteral("%1 (%2)").arg(mode, QFileInfo(m_monitor->runDir()).fileName());
    Q_EMIT addToComparisonRequested(QDir(m_monitor->runDir()).filePath("best.pth"), label);
}

void TrainingPanel::setMessage(const QString& text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? "color: #b00020; font-weight: bold;" : "color: #303030;");
    m_message->setVisible(!text.isEmpty());
}

QString TrainingPanel::statusText() const
{
    return m_stateLabel->text() + " | " + m_message->text();
}

QString TrainingPanel::collapseWarning() const
{
    return m_collapse->isHidden() ? QString() : m_collapse->text();
}

bool TrainingPanel::resumeOffered() const
{
    return m_resume->isEnabled();
}

QString TrainingPanel::progressText() const
{
    return m_progressLabel->text();
}

void TrainingPanel::updateButtons()
{
    const bool attached = !m_monitor->runDir().isEmpty();
    const bool own = ownRunActive();
    const bool busy = m_runner->isActive();
    const bool finished = attached && attachedRunFinished();
    const bool externalLive = attached && !own && !finished && !busy;
    const auto st = m_runner->state();
    m_start->setEnabled(!busy);
    m_startAll->setEnabled(!busy);
    m_pause->setEnabled((own && st == TrainingRunner::State::Running) || (externalLive && !m_externalPaused));
    m_continue->setEnabled((own && (st == TrainingRunner::State::Paused || st == TrainingRunner::State::Pausing))
                           || (externalLive && m_externalPaused));
    m_stop->setEnabled(own ? st != TrainingRunner::State::Stopping : externalLive);
    m_resume->setEnabled(attached && !busy && !finished && m_monitor->hasLast());
    m_openViewer->setEnabled(attached && m_monitor->hasBest());
    m_addCompare->setEnabled(attached && m_monitor->hasBest());
}

void TrainingPanel::updateStatus()
{
    const auto& steps = m_monitor->steps();
    const auto& epochs = m_monitor->epochs();
    const RunInfo& info = m_monitor->info();

    // State
    QString state;
    if (m_monitor->runDir().isEmpty())
        state = tr("no run");
    else if (ownRunActive())
        state = TrainingRunner::stateName(m_runner->state());
    else if (attachedRunFinished())
        state = tr("finished");
    else if (m_runner->runDir() == m_monitor->runDir() && m_runner->state() != TrainingRunner::State::Idle)
        state = TrainingRunner::stateName(m_runner->state());
    else {
        // Another process (CLI, another machine syncing here): judge by the age of the logs.
        QDateTime last;
        for (const char* f : {"steps.jsonl", "metrics.jsonl"}) {
            const QFileInfo fi(QDir(m_monitor->runDir()).filePath(QString::fromLatin1(f)));
            if (fi.exists() && (!last.isValid() || fi.lastModified() > last))
                last = fi.lastModified();
        }
        const qint64 age = last.isValid() ? last.secsTo(QDateTime::currentDateTime()) : -1;
        state = age >= 0 && age < 60 ? tr("attached, training elsewhere (updated %1 s ago)").arg(age)
                                     : tr("attached, not running (stopped or killed: Resume run continues it)");
    }
    if (m_runner->queued() > 0)
        state += tr(" | %1 queued").arg(m_runner->queued());
    m_stateLabel->setText(tr("State: %1").arg(state));

    // Progress
    QStringList parts;
    const qint64 numEpochs = info.numEpochs;
    qint64 epoch = epochs.isEmpty() ? 0 : epochs.last().epoch;
    double secPerStep = -1;
    qint64 batch = 0, batches = 0;
    if (!steps.isEmpty()) {
        const StepRecord& s = steps.last();
        batches = s.batches;
        if (s.epoch > epoch) {
            batch = s.batch;
            epoch = s.epoch;  // an epoch in progress
        } else {
            batch = s.batches;
        }
        if (s.batch > 0 && s.seconds > 0)
            secPerStep = s.seconds / double(s.batch);
        parts << tr("step %1 (batch %2/%3)").arg(s.step).arg(batch).arg(batches);
    }
    parts.prepend(numEpochs > 0 ? tr("epoch %1/%2").arg(epoch).arg(numEpochs) : tr("epoch %1").arg(epoch));
    if (numEpochs > 0) {
        const bool inProgress = !steps.isEmpty() && steps.last().epoch > (epochs.isEmpty() ? 0 : epochs.last().epoch);
        double epochSeconds = 0;
        for (const auto& e : epochs)
            epochSeconds += e.seconds;
        epochSeconds = epochs.isEmpty() ? (secPerStep > 0 ? secPerStep * double(batches) : -1)
                                        : epochSeconds / double(epochs.size());
        const qint64 doneEpochs = epochs.isEmpty() ? 0 : epochs.last().epoch;
        double eta = -1;
        if (epochSeconds > 0) {
            eta = double(numEpochs - doneEpochs) * epochSeconds;
            if (inProgress && secPerStep > 0)
                eta -= double(batch) * secPerStep;
        }
        const bool ended = attachedRunFinished();
        parts << (ended ? tr("done") : tr("ETA %1").arg(duration(std::max(0.0, eta))));
        m_epochBar->setRange(0, int(batches > 0 ? batches : 1));
        m_epochBar->setValue(int(inProgress ? batch : (batches > 0 ? batches : 0)));
    }
    if (secPerStep > 0) {
        const double sps = 1.0 / secPerStep;
        parts << (info.batchSize > 0 ? tr("%1 steps/s (%2 utt/s)").arg(sps, 0, 'f', 2).arg(sps * double(info.batchSize), 0, 'f', 1)
                                     : tr("%1 steps/s").arg(sps, 0, 'f', 2));
    }
    QString device = steps.isEmpty() ? QString() : steps.last().device;
    if (device.isEmpty())
        device = info.device;
    if (!device.isEmpty())
        parts << tr("device %1").arg(device);
    if (!steps.isEmpty() && steps.last().featuresCached >= 0)
        parts << tr("features: %1 from cache, %2 recomputed")
                     .arg(steps.last().featuresCached)
                     .arg(steps.last().featuresComputed);
    if (!epochs.isEmpty())
        parts << tr("best val loss %1 (epoch %2)").arg(epochs.last().bestValLoss, 0, 'f', 4).arg(epochs.last().bestEpoch);
    core::TrainProgress report;
    if (ownRunActive() && m_runner->lastProgressReport(&report)
        && report.phase == core::TrainProgress::Phase::PreparingFeatures)
        parts << m_runner->lastProgress();
    if (m_monitor->malformedLines() > 0)
        parts << tr("%1 malformed log line(s) skipped").arg(m_monitor->malformedLines());
    if (!m_monitor->configError().isEmpty())
        parts << tr("config.yaml: %1").arg(m_monitor->configError());
    m_progressLabel->setText(parts.join(QStringLiteral("   \u00b7   ")));

    // Collapse: shown prominently, never hidden while the last epoch is flagged.
    QStringList warn;
    if (!epochs.isEmpty()) {
        const EpochRecord& e = epochs.last();
        if (e.collapseMean)
            warn << tr("COLLAPSE (epoch %1): importance collapsed to ~0 everywhere (mean w = %2 < %3). "
                       "This is the seed objective's trivial minimum: every term shrinks as w \u2192 0, so "
                       "w = 0 minimises the loss (see docs/stage2.md §5). Explanations from this checkpoint are "
                       "meaningless.")
                        .arg(e.epoch)
                        .arg(e.importanceMean, 0, 'g', 3)
                        .arg(e.meanThreshold, 0, 'g', 3);
        if (e.collapseSpread)
            warn << tr("COLLAPSE (epoch %1): importance is flat across frames (spread = %2 < %3): w no longer "
                       "singles out any region (\"all 0 or all 1\"), so the importance track will show nothing.")
                        .arg(e.epoch)
                        .arg(e.importanceSpread, 0, 'g', 3)
                        .arg(e.spreadThreshold, 0, 'g', 3);
        if (e.saturated)
            warn << tr("SATURATED (epoch %1): importance is ~1 everywhere (mean w = %2 > %3): every frame is "
                       "marked important, so w singles out no region (see docs/stage2-objective.md).")
                        .arg(e.epoch)
                        .arg(e.importanceMean, 0, 'g', 3)
                        .arg(e.saturationThreshold, 0, 'g', 3);
    }
    m_collapse->setText(warn.join("\n"));
    m_collapse->setVisible(!warn.isEmpty());
    updateButtons();
}

} // namespace spooflens::ui
