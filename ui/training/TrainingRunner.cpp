#include "ui/training/TrainingRunner.h"

#include "core/training/RunControl.h"
#include "core/util/Eta.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace spooflens::ui {

TrainingRunner::TrainingRunner(QObject* parent) : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyRead, this, &TrainingRunner::readOutput);
    connect(&m_process, &QProcess::finished, this, &TrainingRunner::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, &TrainingRunner::onError);
}

TrainingRunner::~TrainingRunner()
{
    m_queue.clear();
    if (m_process.state() != QProcess::NotRunning) {
        // Leave the run resumable rather than killing it mid-write.
        writeCommand(int(core::RunCommand::Stop));
        if (!m_process.waitForFinished(15000))
            m_process.kill();
        m_process.waitForFinished(2000);
    }
    disconnect(&m_process, nullptr, this, nullptr);
}

QString TrainingRunner::cliPath()
{
    const QByteArray env = qgetenv("SPOOFLENS_CLI");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QDir(QCoreApplication::applicationDirPath()).filePath("spooflens");
}

QString TrainingRunner::stateName(State s)
{
    switch (s) {
    case State::Idle: return tr("idle");
    case State::Running: return tr("running");
    case State::Pausing: return tr("pausing\u2026");
    case State::Paused: return tr("paused");
    case State::Stopping: return tr("stopping after this step");
    case State::Finished: return tr("finished");
    case State::Stopped: return tr("stopped (resumable)");
    case State::Failed: return tr("failed");
    }
    return {};
}

void TrainingRunner::setState(State s)
{
    if (s == m_state)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void TrainingRunner::start(const QString& runDir, const QString& configYaml)
{
    enqueue({Job{runDir, configYaml}});
}

void TrainingRunner::resumeRun(const QString& runDir)
{
    enqueue({Job{runDir, QString()}});
}

void TrainingRunner::enqueue(const QList<Job>& jobs)
{
    for (const Job& j : jobs)
        m_queue.enqueue(j);
    if (m_process.state() == QProcess::NotRunning && !m_queue.isEmpty())
        launch(m_queue.dequeue());
}

void TrainingRunner::clearQueue()
{
    m_queue.clear();
}

void TrainingRunner::launch(const Job& job)
{
    m_runDir = QFileInfo(job.runDir).absoluteFilePath();
    m_stopRequested = false;
    m_launchFailed = false;
    m_pausedStep = -1;
    m_error.clear();
    m_progress.clear();
    m_pending.clear();
    QDir().mkpath(m_runDir);
    // A stale "stop"/"pause" from an earlier session must not apply to this one.
    QFile::remove(QDir(m_runDir).filePath(QString::fromLatin1(core::kRunControlFile)));
    m_report = core::TrainProgress{};
    m_hasReport = false;
    // Machine-readable progress (one JSON object per line, core/training/RunRecords.h):
    // the runner never parses the human progress text.
    QStringList args{"train", "--progress", "json"};
    if (job.configYaml.isEmpty()) {
        args << "--resume" << m_runDir;
    } else {
        // The trainer rewrites config.yaml with the resolved configuration.
        const QString cfgPath = QDir(m_runDir).filePath("config.yaml");
        QFile f(cfgPath);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            m_error = tr("cannot write %1").arg(cfgPath);
            setState(State::Failed);
            Q_EMIT runEnded(m_runDir, State::Failed, m_error);
            return;
        }
        f.write(job.configYaml.toUtf8());
        f.close();
        args << "--config" << cfgPath << "--out" << m_runDir;
    }
    const QString line = QStringLiteral("$ %1 %2").arg(cliPath(), args.join(' '));
    m_log.append(line);
    Q_EMIT logLine(line);
    m_process.setWorkingDirectory(QFileInfo(m_runDir).absolutePath());
    m_process.start(cliPath(), args);
    setState(State::Running);
    Q_EMIT runStarted(m_runDir);
}

void TrainingRunner::writeCommand(int command)
{
    if (m_runDir.isEmpty())
        return;
    try {
        core::writeRunCommand(m_runDir.toStdString(), core::RunCommand(command));
    } catch (const std::exception& e) {
        m_error = QString::fromStdString(e.what());
        Q_EMIT logLine(m_error);
    }
}

void TrainingRunner::pause()
{
    if (!isActive())
        return;
    writeCommand(int(core::RunCommand::Pause));
    // Paused only once the trainer says so ("paused at step N", readOutput).
    setState(State::Pausing);
}

void TrainingRunner::resume()
{
    if (!isActive())
        return;
    writeCommand(int(core::RunCommand::Run));
    m_pausedStep = -1;
    setState(State::Running);
}

void TrainingRunner::stop()
{
    m_queue.clear();
    if (!isActive())
        return;
    m_stopRequested = true;
    writeCommand(int(core::RunCommand::Stop));
    setState(State::Stopping);
}

QString TrainingRunner::progressText(const core::TrainProgress& p)
{
    using Phase = core::TrainProgress::Phase;
    const QString eta = QString::fromStdString(core::formatDuration(p.etaSeconds));
    switch (p.phase) {
    case Phase::PreparingFeatures: return tr("preparing features %1/%2  ETA %3").arg(p.done).arg(p.total).arg(eta);
    case Phase::Training:
        return tr("epoch %1/%2  batch %3/%4  loss %5  ETA %6")
            .arg(p.epoch)
            .arg(p.epochs)
            .arg(p.batch)
            .arg(p.batches)
            .arg(p.loss, 0, 'g', 5)
            .arg(eta);
    case Phase::Validating: return tr("epoch %1/%2  validating").arg(p.epoch).arg(p.epochs);
    case Phase::Paused: return tr("paused at step %1").arg(p.step);
    case Phase::Cancelled: return tr("stopped at step %1").arg(p.step);
    case Phase::Finished: return tr("finished at step %1").arg(p.step);
    }
    return {};
}

void TrainingRunner::readOutput()
{
    m_pending += m_process.readAll();
    for (;;) {
        const qsizetype cut = m_pending.indexOf('\n');
        if (cut < 0)
            break;
        const QByteArray raw = m_pending.left(cut).trimmed();
        m_pending.remove(0, cut + 1);
        if (raw.isEmpty())
            continue;
        core::TrainProgress p;
        if (core::parseTrainProgress(raw.toStdString(), p)) {
            m_report = p;
            m_hasReport = true;
            // The trainer's acknowledgement of a pause comes after it wrote
            // RUN_DIR/paused (core/training/RunControl.h).
            if (p.phase == core::TrainProgress::Phase::Paused && m_state == State::Pausing) {
                m_pausedStep = p.step;
                setState(State::Paused);
            }
            m_progress = progressText(p);
            Q_EMIT progress(m_progress);
            continue;
        }
        const QString text = QString::fromUtf8(raw);
        m_log.append(text);
        Q_EMIT logLine(text);
    }
}

void TrainingRunner::onError(QProcess::ProcessError error)
{
    if (error == QProcess::FailedToStart) {
        m_launchFailed = true;
        m_error = tr("cannot start the trainer '%1': %2").arg(cliPath(), m_process.errorString());
        m_log.append(m_error);
        Q_EMIT logLine(m_error);
        m_queue.clear();
        setState(State::Failed);
        Q_EMIT runEnded(m_runDir, State::Failed, m_error);
    }
}

void TrainingRunner::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readOutput();
    if (!m_pending.trimmed().isEmpty()) {
        m_log.append(QString::fromUtf8(m_pending).trimmed());
        m_pending.clear();
    }
    State s;
    QString msg;
    if (status == QProcess::CrashExit) {
        s = State::Failed;
        msg = tr("the trainer was killed or crashed; the last completed epoch is kept: "
                 "Resume continues from last.pth");
    } else if (exitCode != 0) {
        s = State::Failed;
        QString last = m_log.isEmpty() ? QString() : m_log.last();
        msg = tr("the trainer failed (exit code %1): %2").arg(exitCode).arg(last);
    } else if (m_stopRequested) {
        s = State::Stopped;
        msg = tr("stopped; last.pth and best.pth are kept: Resume continues the run");
    } else {
        s = State::Finished;
        msg = tr("training finished");
    }
    m_error = s == State::Failed ? msg : QString();
    m_log.append(msg);
    Q_EMIT logLine(msg);
    setState(s);
    const QString dir = m_runDir;
    Q_EMIT runEnded(dir, s, msg);
    // The queue goes on after a finished run (a failure stops it: same data, same fate).
    if (s == State::Finished && !m_queue.isEmpty())
        launch(m_queue.dequeue());
    else if (s != State::Finished)
        m_queue.clear();
}

} // namespace spooflens::ui
