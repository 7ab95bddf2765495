#pragma once
// Runs overlaid (issue 26, TensorBoard's habit): the validation loss and the
// validation accuracy per epoch of every run in the run list, one colour per
// run, on two charts with a shared legend. Each run is followed by its own
// RunMonitor, so runs still training grow as their epochs end. GUI thread.
#include <QStringList>
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace spooflens::ui {

class RunMonitor;

class RunsChart : public QWidget {
    Q_OBJECT
public:
    explicit RunsChart(QWidget* parent = nullptr);

    /// Follows these run folders (those that cannot be read are left out).
    void setRuns(const QStringList& runDirs);
    QStringList runs() const { return m_dirs; }
    /// Epoch points plotted for run `i` (loss chart).
    int pointCount(int i) const;
    QCustomPlot* lossPlot() const { return m_loss; }
    QCustomPlot* accuracyPlot() const { return m_accuracy; }

private:
    void redraw();

    QCustomPlot* m_loss = nullptr;
    QCustomPlot* m_accuracy = nullptr;
    QStringList m_dirs;
    std::vector<RunMonitor*> m_monitors;
};

} // namespace spooflens::ui
