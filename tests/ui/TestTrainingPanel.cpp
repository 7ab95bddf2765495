// The training panel end to end with the real trainer: the test writes its own
// small training set (the tiny fixture detector, the two real utterances of
// tests/data cut into 1 s labelled pieces, a small Stage 2 preset), the panel
// starts `spooflens train` as a process and follows its run folder.
// Pausing and stopping go through RUN_DIR/control (core/training/RunControl.h).
// ctest-labels: gui
#include "core/training/RunControl.h"
#include "tests/support/TrainingSet.h"
#include "ui/training/RunList.h"
#include "ui/training/RunMonitor.h"
#include "ui/training/RunsChart.h"
#include "ui/training/TrainConfigForm.h"
#include "ui/training/TrainingCharts.h"
#include "ui/training/TrainingPanel.h"
#include "ui/training/TrainingRunner.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QImage>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens::ui;

namespace {

constexpr int kTrainTimeoutMs = 120000;

} // namespace

class TestTrainingPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    QString m_config;
    QString m_finishedRun;

    /// A panel whose form holds the test's configuration with `epochs` epochs into `out`.
    void configure(TrainingPanel& panel, const QString& out, int epochs, int patience)
    {
        QString err;
        QVERIFY2(panel.form()->loadYamlFile(m_config, &err), qPrintable(err));
        panel.form()->setField("training.num_epochs", QString::number(epochs));
        panel.form()->setField("training.patience", QString::number(patience));
        panel.form()->setField("training.device", "cpu");
        panel.form()->setField("cache.enabled", "true");
        panel.form()->setField("cache.dir", m_tmp.filePath("cache"));
        panel.form()->setOutputFolder(out);
    }

    static int stepLines(const QString& runDir)
    {
        QFile f(QDir(runDir).filePath("steps.jsonl"));
        if (!f.open(QIODevice::ReadOnly))
            return 0;
        return int(f.readAll().count('\n'));
    }

private Q_SLOTS:
    // The training set (tests/support/TrainingSet.h): four 1 s pieces of
    // each class for train and two for dev (2 steps of 4 per epoch).
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_tmp.isValid());
        const auto set = spooflens::test::writeTrainingSet(m_tmp.filePath("set"));
        QVERIFY(!set.dataDir.isEmpty());
        m_config = set.config;
    }

    // Start from the panel, charts fill while the epoch runs; pause holds the
    // trainer between steps, continue goes on; stop keeps the checkpoints and
    // "Resume run" continues the same run folder.
    void startPauseStopResume()
    {
        TrainingPanel panel;
        panel.resize(1400, 850);
        panel.show();
        const QString run = m_tmp.filePath("runs/long");
        configure(panel, run, 400, 400);
        QSignalSpy points(panel.charts(), &TrainingCharts::pointsAdded);
        QVERIFY2(panel.startTraining(), qPrintable(panel.statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, kTrainTimeoutMs);
        QVERIFY(points.size() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->epochPointCount() >= 1, kTrainTimeoutMs);
        QVERIFY(panel.progressText().contains("epoch"));

        // Pause: "pausing..." until the trainer acknowledges it ("paused at
        // step N", also in RUN_DIR/paused); from then on it logs nothing, so
        // step N is the last line of steps.jsonl (no waiting windows needed).
        panel.pauseRun();
        QVERIFY(panel.runner()->state() == TrainingRunner::State::Pausing
                || panel.runner()->state() == TrainingRunner::State::Paused);
        QCOMPARE(spooflens::ui::RunMonitor::isRunFolder(run), true);
        QTRY_COMPARE_WITH_TIMEOUT(panel.runner()->state(), TrainingRunner::State::Paused, kTrainTimeoutMs);
        const qint64 atPause = panel.runner()->pausedAtStep();
        QVERIFY(atPause >= 1);
        QCOMPARE(qint64(spooflens::core::readPausedStep(run.toStdString())), atPause);
        QCOMPARE(qint64(stepLines(run)), atPause);
        QVERIFY(panel.statusText().contains("paused"));

        panel.continueRun();
        QTRY_VERIFY_WITH_TIMEOUT(stepLines(run) > atPause, kTrainTimeoutMs);
        QCOMPARE(spooflens::core::readPausedStep(run.toStdString()), -1LL);

        // Stop: the process exits by itself, checkpoints stay, resume is offered.
        QSignalSpy ended(panel.runner(), &TrainingRunner::runEnded);
        panel.stopRun();
        QTRY_VERIFY_WITH_TIMEOUT(ended.size() == 1, kTrainTimeoutMs);
        QCOMPARE(panel.runner()->state(), TrainingRunner::State::Stopped);
        QVERIFY(QFileInfo::exists(QDir(run).filePath("last.pth")));
        QVERIFY(QFileInfo::exists(QDir(run).filePath("best.pth")));
        QVERIFY(panel.resumeOffered());
        const int epochsBefore = panel.monitor()->epochs().size();
        QVERIFY(epochsBefore >= 1);

        panel.resumeFromFolder();
        QCOMPARE(panel.runner()->state(), TrainingRunner::State::Running);
        QTRY_VERIFY_WITH_TIMEOUT(panel.monitor()->epochs().size() > epochsBefore, kTrainTimeoutMs);
        // The resumed run continues the epoch count: nothing repeated.
        const auto& ep = panel.monitor()->epochs();
        for (int i = 0; i < ep.size(); ++i)
            QCOMPARE(ep[i].epoch, qint64(i + 1));
        panel.stopRun();
        QTRY_VERIFY_WITH_TIMEOUT(ended.size() == 2, kTrainTimeoutMs);
    }

    // A trainer that dies (killed, OOM) is reported and resumable.
    void killedRunIsReportedAndResumable()
    {
        TrainingPanel panel;
        const QString run = m_tmp.filePath("runs/killed");
        configure(panel, run, 400, 400);
        QVERIFY(panel.startTraining());
        QTRY_VERIFY_WITH_TIMEOUT(panel.monitor()->epochs().size() >= 1, kTrainTimeoutMs);
        QSignalSpy ended(panel.runner(), &TrainingRunner::runEnded);
        panel.runner()->process()->kill();
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), 1, 10000);
        QCOMPARE(panel.runner()->state(), TrainingRunner::State::Failed);
        QVERIFY2(panel.statusText().contains("killed or crashed"), qPrintable(panel.statusText()));
        QVERIFY(panel.resumeOffered());
        const int before = panel.monitor()->epochs().size();
        panel.resumeFromFolder();
        QTRY_VERIFY_WITH_TIMEOUT(panel.monitor()->epochs().size() > before, kTrainTimeoutMs);
        panel.stopRun();
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), 2, kTrainTimeoutMs);
    }

    // A finished run: attach from another panel, charts filled, viewer hand-over.
    void attachToFinishedRun()
    {
        const QString run = m_tmp.filePath("runs/finished");
        {
            TrainingPanel trainer;
            configure(trainer, run, 3, 10);
            QSignalSpy ended(trainer.runner(), &TrainingRunner::runEnded);
            QVERIFY(trainer.startTraining());
            QTRY_COMPARE_WITH_TIMEOUT(ended.size(), 1, kTrainTimeoutMs);
            QCOMPARE(trainer.runner()->state(), TrainingRunner::State::Finished);
        }
        m_finishedRun = run;
        TrainingPanel panel;
        QVERIFY(panel.attachRun(run));
        QCOMPARE(panel.charts()->epochPointCount(), 3);
        QVERIFY(panel.charts()->stepPointCount() >= 3);
        // The legend says what the slots hold under the run's (default) objective.
        QCOMPARE(panel.monitor()->info().objective, QStringLiteral("weak_frame"));
        QCOMPARE(panel.charts()->lossTermLegend(),
                 QStringList({"gated contrastive", "bona fide w vs prior", "smoothness", "spoof w vs target q"}));
        QVERIFY(panel.statusText().contains("finished"));
        QVERIFY(!panel.resumeOffered());
        QVERIFY(panel.runList()->runs().contains(QFileInfo(run).absoluteFilePath()));
        QSignalSpy open(&panel, &TrainingPanel::openInViewerRequested);
        QSignalSpy compare(&panel, &TrainingPanel::addToComparisonRequested);
        panel.openInViewer();
        panel.addToComparison();
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().first().toString(), QDir(panel.monitor()->runDir()).filePath("best.pth"));
        QVERIFY(open.first().at(1).toString().endsWith("detector_tiny.pth"));
        QCOMPARE(compare.size(), 1);
        QVERIFY(compare.first().at(1).toString().startsWith("ema"));
    }

    // The form greys the loss keys the chosen objective does not read (issue 26:
    // under weak_frame the seed-only lambdas looked active).
    void objectiveGreysKeysItDoesNotRead()
    {
        TrainConfigForm form;
        QString err;
        QVERIFY2(form.loadYamlFile(m_config, &err), qPrintable(err));
        auto enabled = [&form](const char* key) {
            auto* w = form.findChild<QWidget*>(QString::fromLatin1(key));
            return w && w->isEnabled();
        };
        QVERIFY(form.setField("model.objective", "weak_frame"));
        QVERIFY(!enabled("model.lambda_sparsity") && !enabled("model.lambda_bonafide_reg"));
        QVERIFY(enabled("model.lambda_prior") && enabled("model.importance_prior_bonafide"));
        QVERIFY(!enabled("model.importance_budget_spoof"));
        QVERIFY(enabled("model.lambda_temporal_smooth") && enabled("model.temperature"));
        QVERIFY(form.setField("model.objective", "seed"));
        QVERIFY(enabled("model.lambda_sparsity") && enabled("model.lambda_bonafide_reg"));
        QVERIFY(!enabled("model.lambda_prior") && !enabled("model.importance_budget_spoof"));
        QVERIFY(form.setField("model.objective", "attention_mil"));
        QVERIFY(enabled("model.importance_budget_spoof") && enabled("model.lambda_prior"));
        // The choices are core's names, the default objective first.
        auto* objective = form.findChild<QComboBox*>(QStringLiteral("model.objective"));
        QVERIFY(objective);
        QCOMPARE(objective->itemData(0).toString(), QStringLiteral("weak_frame"));
        QCOMPARE(objective->count(), 3);
    }

    // The queue's parent folder (OUTPUT/{ema,fixed,learnable}) can be
    // attached: its runs are listed and the newest is followed.
    void attachAFolderOfRuns()
    {
        QVERIFY2(!m_finishedRun.isEmpty(), "attachToFinishedRun runs first");
        TrainingPanel panel;
        QVERIFY(panel.attachRun(QFileInfo(m_finishedRun).absolutePath()));
        QVERIFY(panel.runList()->runs().contains(QFileInfo(m_finishedRun).absoluteFilePath()));
        QVERIFY(!panel.monitor()->runDir().isEmpty());
        QVERIFY(RunMonitor::isRunFolder(panel.monitor()->runDir()));
        // An empty folder is still refused, with the monitor's reason.
        QTemporaryDir empty;
        QString err;
        TrainingPanel other;
        QVERIFY(!other.attachRun(empty.path(), &err));
        QVERIFY(!err.isEmpty());
    }

    // Issue 26: every listed run's validation loss and accuracy overlaid, one
    // curve per run (the tests' demo trains ema, fixed, learnable and seed runs).
    void runsOverlaidOnOneChart()
    {
        const QString runs = qEnvironmentVariable("SPOOFLENS_DEMO_DIR") + QStringLiteral("/runs");
        QVERIFY2(QFileInfo(runs).isDir(), qPrintable(runs));
        TrainingPanel panel;
        QVERIFY(panel.attachRun(runs));
        const QStringList listed = panel.runList()->runs();
        QVERIFY(listed.size() >= 3);
        QCOMPARE(panel.runsChart()->runs(), listed);
        QCOMPARE(panel.runsChart()->lossPlot()->graphCount(), int(listed.size()));
        QCOMPARE(panel.runsChart()->accuracyPlot()->graphCount(), int(listed.size()));
        for (int i = 0; i < listed.size(); ++i) {
            RunMonitor m;
            QVERIFY(m.attach(listed[i]));
            int withLoss = 0;
            for (const EpochRecord& e : m.epochs())
                withLoss += e.val.count(QStringLiteral("total")) ? 1 : 0;
            QVERIFY(withLoss > 0);
            QCOMPARE(panel.runsChart()->pointCount(i), withLoss);
            QCOMPARE(panel.runsChart()->lossPlot()->graph(i)->name(), QFileInfo(listed[i]).fileName());
            // The last point is the run's last validation loss.
            const EpochRecord& last = m.epochs().last();
            QCOMPARE(panel.runsChart()->lossPlot()->graph(i)->data()->at(withLoss - 1)->value, last.val.at(QStringLiteral("total")));
        }
    }

    // One click queues the three prototype modes on the same data.
    void threeModesQueued()
    {
        TrainingPanel panel;
        const QString out = m_tmp.filePath("runs/modes");
        configure(panel, out, 1, 10);
        QVERIFY(panel.trainAllModes());
        for (const char* mode : {"ema", "fixed", "learnable"}) {
            const QString dir = QDir(out).filePath(mode);
            QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(QDir(dir).filePath("best.pth")), kTrainTimeoutMs);
            RunMonitor m;
            QVERIFY(m.attach(dir));
            QTRY_COMPARE_WITH_TIMEOUT(m.epochs().size(), 1, kTrainTimeoutMs);
            QCOMPARE(m.epochs().first().prototypeMode, QString(mode));
        }
        QTRY_COMPARE_WITH_TIMEOUT(panel.runner()->state(), TrainingRunner::State::Finished, kTrainTimeoutMs);
        QCOMPARE(panel.runner()->queued(), 0);
    }

    void screenshotAttach()
    {
        QVERIFY2(!m_finishedRun.isEmpty(), "attachToFinishedRun must run first");
        const QString gui = qEnvironmentVariable("SPOOFLENS_GUI");
        if (gui.isEmpty())
            QSKIP("SPOOFLENS_GUI not set (GUI not built)");
        const QString png = m_tmp.filePath("panel.png");
        QProcess p;
        p.start(gui, {"--screenshot", png, "--attach", m_finishedRun});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QImage img(png);
        QVERIFY(!img.isNull());
        QVERIFY(img.width() > 800 && img.height() > 500);

        QVERIFY(QDir().mkpath(m_tmp.filePath("notarun")));
        QProcess bad;
        bad.start(gui, {"--screenshot", m_tmp.filePath("bad.png"), "--attach", m_tmp.filePath("notarun")});
        QVERIFY(bad.waitForFinished(60000));
        QVERIFY(bad.exitCode() != 0);
        QVERIFY(bad.readAllStandardError().contains("not a training run folder"));
        QVERIFY(!QFileInfo::exists(m_tmp.filePath("bad.png")));
    }
};

QTEST_MAIN(TestTrainingPanel)
#include "TestTrainingPanel.moc"
