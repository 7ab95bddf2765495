#pragma once
// Live charts of a training run (QCustomPlot): every loss term for training
// and validation, validation accuracy, mean total importance bona fide vs
// spoof, importance spread/mean with the collapse thresholds, learning rate.
// Fed by a RunMonitor; step points arrive while the epoch runs.
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPGraph;
class QTimer;

namespace spooflens::ui {

class RunMonitor;

class TrainingCharts : public QWidget {
    Q_OBJECT
public:
    enum class XAxis { Step, Epoch };

    explicit TrainingCharts(QWidget* parent = nullptr);

    /// Follows `monitor` (may be null). The monitor must outlive the charts or be reset.
    void setMonitor(RunMonitor* monitor);

    void setXAxis(XAxis axis);
    XAxis xAxis() const { return m_xAxis; }
    /// Exponential smoothing of the per-step curves: 0 = off, up to 0.99.
    void setSmoothing(double factor);
    /// The loss-term chart's legend (train curves), slot order of metrics.jsonl.
    QStringList lossTermLegend() const;
    double smoothing() const { return m_smoothing; }

    /// Data points currently plotted per-step (train loss) and per-epoch (val loss).
    int stepPointCount() const;
    int epochPointCount() const;

    /// Replots now (otherwise replots are throttled to ~10 Hz).
    void replotNow();

Q_SIGNALS:
    /// Emitted after new points were put on the charts (before the throttled replot).
    void pointsAdded(int stepPoints, int epochPoints);

private:
    void rebuild();
    /// Legend of the loss-term chart for the monitored run's objective.
    void nameLossTerms();
    void addSteps(int first);
    void addEpochs(int first);
    double stepX(qint64 step, qint64 epoch, qint64 batch, qint64 batches) const;
    double epochX(qint64 epoch) const;
    QCustomPlot* makePlot(const QString& title, const QString& yLabel);
    void scheduleReplot();

    RunMonitor* m_monitor = nullptr;
    XAxis m_xAxis = XAxis::Step;
    double m_smoothing = 0.0;
    double m_smoothState = 0.0;
    bool m_smoothInit = false;
    std::vector<double> m_termSmooth;
    std::vector<bool> m_termSmoothInit;

    std::vector<QCustomPlot*> m_plots;
    QCPGraph* m_stepTotal = nullptr;
    QCPGraph* m_trainTotal = nullptr;
    QCPGraph* m_valTotal = nullptr;
    std::vector<QCPGraph*> m_stepTerms, m_trainTerms, m_valTerms;
    QCPGraph* m_valAcc = nullptr;
    QCPGraph* m_impBona = nullptr;
    QCPGraph* m_impSpoof = nullptr;
    QCPGraph* m_spread = nullptr;
    QCPGraph* m_meanW = nullptr;
    QCPGraph* m_spreadThreshold = nullptr;
    QCPGraph* m_lr = nullptr;
    QTimer* m_replot = nullptr;
};

} // namespace spooflens::ui
