#pragma once
// The training panel: a config form (+ YAML view), Start / "train the three
// prototype modes", live monitoring of a run folder (own run, or one attached
// from the CLI / another machine), pause / resume / stop / resume-from-folder,
// and hand-over of the result to the viewer. The trainer runs as a separate
// process (TrainingRunner); the panel only reads the run folder (RunMonitor).
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QComboBox;
class QDoubleSpinBox;
class QTabWidget;

namespace spooflens::ui {

class RunList;
class RunMonitor;
class TrainConfigForm;
class TrainingCharts;
class RunsChart;
class TrainingRunner;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget* parent = nullptr);
    ~TrainingPanel() override;

    /// Monitors `runDir` (finished or running). False + message (shown and in `error`) for a non-run folder.
    bool attachRun(const QString& runDir, QString* error = nullptr);
    /// Validates the form and starts a run into the output folder. False if validation failed.
    bool startTraining();
    /// Queues three runs, prototype modes ema, fixed and learnable on the same data, into
    /// OUTPUT/ema, OUTPUT/fixed and OUTPUT/learnable.
    bool trainAllModes();

    TrainConfigForm* form() const { return m_form; }
    TrainingRunner* runner() const { return m_runner; }
    RunMonitor* monitor() const { return m_monitor; }
    TrainingCharts* charts() const { return m_charts; }
    /// The listed runs' validation curves overlaid (tab "All runs").
    RunsChart* runsChart() const { return m_runsChart; }
    RunList* runList() const { return m_runs; }

    /// What the status line says (state and last message).
    QString statusText() const;
    /// The collapse warning shown (empty when none).
    QString collapseWarning() const;
    /// True when "Resume run" is offered for the attached folder.
    bool resumeOffered() const;
    /// Progress summary ("epoch 2/3, step 5/8, ETA ..., ... ").
    QString progressText() const;

public Q_SLOTS:
    void attachDialog();
    void pauseRun();
    void continueRun();
    void stopRun();
    void resumeFromFolder();
    void openInViewer();
    void addToComparison();

Q_SIGNALS:
    /// Load this Stage 2 checkpoint (a run's best.pth) into the viewer, with the
    /// detector it was trained on (the run's model.pretrained_checkpoint).
    void openInViewerRequested(const QString& checkpoint, const QString& detector);
    /// Put this Stage 2 checkpoint beside the other modes in the comparison; `label` names it.
    void addToComparisonRequested(const QString& checkpoint, const QString& label);

private:
    void buildUi();
    void updateStatus();
    void updateButtons();
    void setMessage(const QString& text, bool error);
    bool attachedRunFinished() const;
    bool ownRunActive() const;

    TrainConfigForm* m_form = nullptr;
    TrainingRunner* m_runner = nullptr;
    RunMonitor* m_monitor = nullptr;
    TrainingCharts* m_charts = nullptr;
    RunsChart* m_runsChart = nullptr;
    QTabWidget* m_chartTabs = nullptr;
    RunList* m_runs = nullptr;
    QLabel* m_runLabel = nullptr;
    QLabel* m_stateLabel = nullptr;
    QLabel* m_progressLabel = nullptr;
    QLabel* m_collapse = nullptr;
    QLabel* m_message = nullptr;
    QProgressBar* m_epochBar = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_startAll = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_continue = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_openViewer = nullptr;
    QPushButton* m_addCompare = nullptr;
    QComboBox* m_xAxis = nullptr;
    QDoubleSpinBox* m_smoothing = nullptr;
    bool m_externalPaused = false;
};

} // namespace spooflens::ui
