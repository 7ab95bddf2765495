// ctest-labels: fast gui
// The GUI reads a run folder through core's parsers (core/training/RunRecords.h,
// core::TrainConfig::parse): lines written by core's writers are read back
// field for field, and a metrics.jsonl with a torn line and a garbage line
// (what a crash or a bad sync leaves) is not plotted as zeros: the two lines
// are skipped and their count is shown, as `spooflens-gui --attach RUN_DIR`
// shows it (TrainingPanel::attachRun). Also: the training runner turns the
// trainer's JSON progress lines into its state, never parsing human text.
#include "core/training/RunRecords.h"
#include "core/training/TrainConfig.h"
#include "ui/training/RunMonitor.h"
#include "ui/training/TrainingPanel.h"
#include "ui/training/TrainingRunner.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens::ui;
namespace core = spooflens::core;

namespace {

core::EpochMetrics epoch(int64_t n, double valLoss)
{
    core::EpochMetrics m;
    m.epoch = n;
    m.train.total = valLoss + 0.25;
    m.val.total = valLoss;
    m.val.sparsity = valLoss / 8;
    m.valAccuracy = 0.5 + 0.1 * double(n);
    m.importanceMean = 0.3;
    m.importanceSpread = 0.1;
    m.meanThreshold = 1e-3;
    m.spreadThreshold = 1e-3;
    m.saturationThreshold = 0.99;
    m.best = true;
    m.bestEpoch = n;
    m.bestValLoss = valLoss;
    m.prototypeMode = "fixed";
    return m;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), qint64(bytes.size()));
}

void writeRunFolder(const QString& dir, const QByteArray& metrics)
{
    core::TrainConfig c;
    c.numEpochs = 7;
    c.batchSize = 3;
    c.prototypeMode = "fixed";
    writeFile(QDir(dir).filePath("config.yaml"), QByteArray::fromStdString(c.toYaml()));
    writeFile(QDir(dir).filePath("metrics.jsonl"), metrics);
}

} // namespace

class TestRunSchema : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void malformedLinesSkippedAndCounted()
    {
        QTemporaryDir tmp;
        const std::string e1 = core::epochMetricsJson(epoch(1, 0.8));
        const std::string e2 = core::epochMetricsJson(epoch(2, 0.6));
        const std::string e3 = core::epochMetricsJson(epoch(3, 0.4));
        QByteArray metrics = QByteArray::fromStdString(e1) + "\n";
        metrics += QByteArray::fromStdString(e2.substr(0, e2.size() / 2)) + "\n";  // torn by a crash
        metrics += "%%% not json at all %%%\n";
        metrics += QByteArray::fromStdString(e3) + "\n";
        writeRunFolder(tmp.path(), metrics);

        RunMonitor m;
        QVERIFY(m.attach(tmp.path()));
        QCOMPARE(m.epochs().size(), 2);
        QCOMPARE(m.epochs()[0].epoch, qint64(1));
        QCOMPARE(m.epochs()[1].epoch, qint64(3));
        QCOMPARE(m.epochs()[1].val.at("total"), 0.4);
        QCOMPARE(m.epochs()[1].val.at("sparsity"), 0.4 / 8);
        QCOMPARE(m.epochs()[1].valAccuracy, 0.5 + 0.1 * 3);
        QCOMPARE(m.epochs()[1].prototypeMode, QString("fixed"));
        QCOMPARE(m.malformedLines(), 2);
        // config.yaml through core::TrainConfig::parse.
        QVERIFY(m.configError().isEmpty());
        QCOMPARE(m.info().numEpochs, qint64(7));
        QCOMPARE(m.info().batchSize, qint64(3));
        QCOMPARE(m.info().prototypeMode, QString("fixed"));

        // One more garbage line later: counted on arrival.
        QSignalSpy counted(&m, &RunMonitor::malformedLinesChanged);
        QFile f(tmp.filePath("metrics.jsonl"));
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"epoch\": \"four\"}\n");
        f.close();
        m.refresh();
        QCOMPARE(m.malformedLines(), 3);
        QCOMPARE(counted.size(), 1);
        QCOMPARE(m.epochs().size(), 2);
    }

    void panelShowsTheCount()
    {
        QTemporaryDir tmp;
        const std::string e1 = core::epochMetricsJson(epoch(1, 0.8));
        const std::string e2 = core::epochMetricsJson(epoch(2, 0.6));
        writeRunFolder(tmp.path(), QByteArray::fromStdString(e1) + "\n"
                                       + QByteArray::fromStdString(e2.substr(0, 40)) + "\ngarbage\n");
        TrainingPanel panel;
        QVERIFY(panel.attachRun(tmp.path()));
        QVERIFY(panel.progressText().contains("2 malformed log line(s) skipped"));
        QVERIFY(panel.progressText().contains("epoch 1/7"));
    }

    void badConfigNamed()
    {
        QTemporaryDir tmp;
        writeFile(tmp.filePath("config.yaml"), "training:\n  num_epochs: many\n");
        RunMonitor m;
        QVERIFY(m.attach(tmp.path()));
        QVERIFY(m.configError().contains("num_epochs"));
        QCOMPARE(m.info().numEpochs, qint64(0));
    }

    void progressTextFromReports()
    {
        // A line as `spooflens train --progress json` writes it.
        core::TrainProgress p;
        QVERIFY(core::parseTrainProgress(
            R"({"progress":"training","epoch":2,"epochs":5,"batch":3,"batches":9,"step":12,"loss":0.5,"eta_s":65})", p));
        const QString t = TrainingRunner::progressText(p);
        QVERIFY(t.contains("epoch 2/5"));
        QVERIFY(t.contains("batch 3/9"));
        QVERIFY(t.contains("ETA 1:05"));
        p.phase = core::TrainProgress::Phase::PreparingFeatures;
        p.done = 4;
        p.total = 10;
        QVERIFY(TrainingRunner::progressText(p).contains("4/10"));
    }
};

QTEST_MAIN(TestRunSchema)
#include "TestRunSchema.moc"
