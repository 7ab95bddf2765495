#pragma once
// Runs `spooflens train` as a separate process (a crash or out-of-memory in
// training cannot take the viewer down) and controls it through the run
// folder's control file (core/training/RunControl.h): pause between steps,
// resume, stop (finish the step, keep the checkpoints). Queues runs, e.g. the
// three prototype modes on the same data. GUI thread only.
#include "core/training/RunRecords.h"

#include <QObject>
#include <QProcess>
#include <QQueue>
#include <QString>
#include <QStringList>

namespace spooflens::ui {

class TrainingRunner : public QObject {
    Q_OBJECT
public:
    /// Pausing: asked, not yet acknowledged; Paused: the trainer reported the paused phase at step N.
    enum class State { Idle, Running, Pausing, Paused, Stopping, Finished, Stopped, Failed };
    Q_ENUM(State)

    struct Job {
        QString runDir;
        QString configYaml;  ///< empty: resume runDir
    };

    explicit TrainingRunner(QObject* parent = nullptr);
    /// Asks a running trainer to stop (its checkpoints stay; resumable) and waits briefly.
    ~TrainingRunner() override;

    /// The CLI binary: $SPOOFLENS_CLI, else `spooflens` next to the GUI binary.
    static QString cliPath();

    /// Starts (or queues, if one is running) a fresh run of `configYaml` into `runDir`.
    void start(const QString& runDir, const QString& configYaml);
    /// Continues a stopped or killed run (`spooflens train --resume runDir`).
    void resumeRun(const QString& runDir);
    /// Queues several runs; they start one after the other.
    void enqueue(const QList<Job>& jobs);

    void pause();
    void resume();
    void stop();
    /// Drops the queued (not yet started) jobs.
    void clearQueue();

    State state() const { return m_state; }
    QString runDir() const { return m_runDir; }
    bool isActive() const { return m_process.state() != QProcess::NotRunning; }
    int queued() const { return m_queue.size(); }
    /// The trainer's output so far (progress reports excluded).
    QStringList log() const { return m_log; }
    QString lastProgress() const { return m_progress; }
    /// The trainer's last progress report (`spooflens train --progress json`); false before the first.
    bool lastProgressReport(core::TrainProgress* out) const
    {
        if (m_hasReport && out)
            *out = m_report;
        return m_hasReport;
    }
    /// The report as one line of text for the panel.
    static QString progressText(const core::TrainProgress& p);
    QString lastError() const { return m_error; }
    /// The step after which the trainer acknowledged the pause (-1 unless Paused).
    qint64 pausedAtStep() const { return m_pausedStep; }
    /// The running trainer process (tests kill it to simulate a crash).
    QProcess* process() { return &m_process; }

    static QString stateName(State s);

Q_SIGNALS:
    void stateChanged(spooflens::ui::TrainingRunner::State state);
    /// A new run folder is being trained (fresh, resumed or from the queue).
    void runStarted(const QString& runDir);
    void logLine(const QString& line);
    void progress(const QString& line);
    /// The trainer ended; `message` says how (finished, stopped, crashed ...).
    void runEnded(const QString& runDir, spooflens::ui::TrainingRunner::State state, const QString& message);

private:
    void launch(const Job& job);
    void setState(State s);
    void readOutput();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);
    void writeCommand(int command);

    QProcess m_process;
    QQueue<Job> m_queue;
    QString m_runDir;
    State m_state = State::Idle;
    bool m_stopRequested = false;
    bool m_launchFailed = false;
    qint64 m_pausedStep = -1;
    QByteArray m_pending;
    QStringList m_log;
    QString m_progress, m_error;
    core::TrainProgress m_report;
    bool m_hasReport = false;
};

} // namespace spooflens::ui
