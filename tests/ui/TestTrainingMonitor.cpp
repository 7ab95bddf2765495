// RunMonitor / TrainingCharts / TrainConfigForm without a trainer process:
// tail-following of a run folder whose logs this test appends to line by line
// (the lines use the trainer's metrics.jsonl / steps.jsonl layout; the values
// are test data, not results), torn last lines, logs that shrink (resume),
// form <-> YAML sync and validation messages next to the field at fault.
// The end-to-end tests with the real trainer are in TestTrainingPanel.cpp.
// ctest-labels: fast gui
#include "ui/training/RunList.h"
#include "ui/training/RunMonitor.h"
#include "ui/training/TrainConfigForm.h"
#include "ui/training/TrainingCharts.h"
#include "ui/training/TrainingPanel.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

#include <sys/stat.h>

using namespace spooflens::ui;

namespace {

QByteArray stepLine(int step, int epoch, int batch, int batches, double loss)
{
    return QStringLiteral("{\"batch\":%3,\"batches\":%4,\"epoch\":%2,\"loss_bonafide_reg\":0.1,"
                          "\"loss_contrastive\":%5,\"loss_smooth\":0.01,\"loss_sparsity\":0.02,"
                          "\"loss_total\":%5,\"seconds\":%6,\"step\":%1}\n")
        .arg(step)
        .arg(epoch)
        .arg(batch)
        .arg(batches)
        .arg(loss)
        .arg(0.5 * batch)
        .toUtf8();
}

QByteArray epochLine(int epoch, double val, bool collapse)
{
    return QStringLiteral("{\"epoch\":%1,\"train\":{\"loss_total\":%2,\"loss_contrastive\":%2,"
                          "\"loss_bonafide_reg\":0.1,\"loss_smooth\":0.01,\"loss_sparsity\":0.02},"
                          "\"val\":{\"loss_total\":%3,\"loss_contrastive\":%3,\"loss_bonafide_reg\":0.1,"
                          "\"loss_smooth\":0.01,\"loss_sparsity\":0.02,\"accuracy\":0.75},"
                          "\"mean_total_importance\":{\"bonafide\":40.0,\"spoof\":25.0},"
                          "\"importance_mean\":%4,\"importance_spread\":0.2,"
                          "\"collapse\":{\"mean_below_threshold\":%5,\"spread_below_threshold\":false,"
                          "\"collapsed\":%5,\"mean_threshold\":0.001,\"spread_threshold\":0.001},"
                          "\"lr\":0.0001,\"seconds\":2.0,\"best\":true,\"best_epoch\":%1,"
                          "\"best_val_loss\":%3,\"bad_epochs\":0,\"prototype_mode\":\"ema\"}\n")
        .arg(epoch)
        .arg(val + 0.1)
        .arg(val)
        .arg(collapse ? 0.0001 : 0.3)
        .arg(collapse ? "true" : "false")
        .toUtf8();
}

void append(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    QCOMPARE(f.write(bytes), qint64(bytes.size()));
}

void writeConfig(const QString& dir)
{
    QFile f(QDir(dir).filePath("config.yaml"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("model:\n  prototype_mode: ema\ntraining:\n  batch_size: 4\n  num_epochs: 3\n  patience: 10\n"
            "  device: cpu\n");
}

} // namespace

class TestTrainingMonitor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void notARunFolder()
    {
        QTemporaryDir tmp;
        RunMonitor m;
        QVERIFY(!m.attach(tmp.path()));
        QVERIFY(m.error().contains("not a training run folder"));
        QVERIFY(!m.attach(tmp.filePath("missing")));
        QVERIFY(m.error().contains("not a folder"));
    }

    // Issue 27: a run folder whose metrics.jsonl is a FIFO hung the viewer
    // (--attach, and the run list scanning a sibling). It is refused, by name.
    void fifoLogsAreRefusedNotOpened()
    {
        QTemporaryDir tmp;
        QVERIFY(QDir(tmp.path()).mkpath("runs/fifo"));
        QVERIFY(QDir(tmp.path()).mkpath("runs/good"));
        const QString fifo = tmp.filePath("runs/fifo/metrics.jsonl");
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QFile good(tmp.filePath("runs/good/metrics.jsonl"));
        QVERIFY(good.open(QIODevice::WriteOnly));
        good.close();
        RunMonitor m;
        QVERIFY(!m.attach(tmp.filePath("runs/fifo")));
        QVERIFY2(m.error().contains("metrics.jsonl") && m.error().contains("not a regular file"), qPrintable(m.error()));
        // The sibling scan returns (it used to block on the FIFO) and lists only the good run.
        RunList list;
        list.scan(tmp.filePath("runs"));
        QCOMPARE(list.runs(), QStringList{QFileInfo(tmp.filePath("runs/good")).absoluteFilePath()});
    }

    void tornLinesAndShrink()
    {
        QTemporaryDir tmp;
        writeConfig(tmp.path());
        const QString steps = tmp.filePath("steps.jsonl");
        RunMonitor m;
        QVERIFY(m.attach(tmp.path()));
        QCOMPARE(m.info().numEpochs, 3);
        QCOMPARE(m.info().batchSize, 4);
        QSignalSpy appended(&m, &RunMonitor::stepsAppended);
        const QByteArray l1 = stepLine(1, 1, 1, 2, 0.9);
        // Half a line: nothing yet.
        append(steps, l1.left(30));
        m.refresh();
        QCOMPARE(m.steps().size(), 0);
        append(steps, l1.mid(30));
        QTRY_COMPARE(m.steps().size(), 1);
        QCOMPARE(m.steps()[0].loss.at("total"), 0.9);
        QCOMPARE(m.steps()[0].loss.at("sparsity"), 0.02);
        append(steps, stepLine(2, 1, 2, 2, 0.8) + stepLine(3, 2, 1, 2, 0.7));
        QTRY_COMPARE(m.steps().size(), 3);
        QVERIFY(appended.size() >= 2);

        // A resumed run trims its logs: the monitor starts over.
        QSignalSpy reset(&m, &RunMonitor::reset);
        QFile f(steps);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(stepLine(1, 1, 1, 2, 0.9));
        f.close();
        QTRY_VERIFY(reset.size() >= 1);
        QTRY_COMPARE(m.steps().size(), 1);
    }

    // Time from a line appended to steps.jsonl to the chart holding its point.
    void chartLatency()
    {
        QTemporaryDir tmp;
        writeConfig(tmp.path());
        const QString steps = tmp.filePath("steps.jsonl");
        append(steps, stepLine(1, 1, 1, 50, 1.0));
        RunMonitor m;
        TrainingCharts charts;
        charts.resize(900, 500);
        charts.show();
        QVERIFY(m.attach(tmp.path()));
        charts.setMonitor(&m);
        QCOMPARE(charts.stepPointCount(), 1);
        QList<double> ms;
        QElapsedTimer t;
        int want = 0;
        qint64 arrivedNs = -1;
        // Timestamp taken when the chart holds the point, not when QTRY next looks.
        connect(&charts, &TrainingCharts::pointsAdded, this, [&](int stepPoints, int) {
            if (stepPoints >= want && arrivedNs < 0)
                arrivedNs = t.nsecsElapsed();
        });
        for (int i = 2; i <= 31; ++i) {
            want = i;
            arrivedNs = -1;
            t.start();
            append(steps, stepLine(i, 1, i, 50, 1.0 / i));
            QTRY_COMPARE_WITH_TIMEOUT(charts.stepPointCount(), i, 3000);
            QVERIFY(arrivedNs >= 0);
            ms.append(double(arrivedNs) / 1e6);
        }
        std::sort(ms.begin(), ms.end());
        qInfo("chart update latency (append -> point on chart): median %.2f ms, max %.2f ms over %d lines",
              ms[ms.size() / 2], ms.last(), int(ms.size()));
        // Epoch points, and the x axis switch keeps every point.
        append(tmp.filePath("metrics.jsonl"), epochLine(1, 0.5, false));
        QTRY_COMPARE(charts.epochPointCount(), 1);
        charts.setXAxis(TrainingCharts::XAxis::Epoch);
        QCOMPARE(charts.stepPointCount(), 31);
        QCOMPARE(charts.epochPointCount(), 1);
        charts.setSmoothing(0.9);
        QCOMPARE(charts.stepPointCount(), 31);
    }

    void collapseWarningShown()
    {
        QTemporaryDir tmp;
        writeConfig(tmp.path());
        append(tmp.filePath("steps.jsonl"), stepLine(1, 1, 1, 1, 0.5));
        append(tmp.filePath("metrics.jsonl"), epochLine(1, 0.5, false));
        TrainingPanel panel;
        QVERIFY(panel.attachRun(tmp.path()));
        QVERIFY(panel.collapseWarning().isEmpty());
        append(tmp.filePath("steps.jsonl"), stepLine(2, 2, 1, 1, 0.4));
        append(tmp.filePath("metrics.jsonl"), epochLine(2, 0.4, true));
        QTRY_VERIFY(panel.collapseWarning().contains("collapsed to ~0 everywhere"));
        QVERIFY(panel.collapseWarning().contains("trivial minimum"));
        QVERIFY(panel.progressText().contains("epoch 2/3"));
        // Saturation (w ≈ 1 everywhere) is flagged as well.
        QByteArray saturated = epochLine(3, 0.3, false);
        saturated.replace("\"importance_mean\":0.3", "\"importance_mean\":0.998");
        saturated.replace("\"collapsed\":false", "\"saturated\":true,\"collapsed\":true,\"saturation_threshold\":0.99");
        append(tmp.filePath("metrics.jsonl"), saturated);
        QTRY_VERIFY(panel.collapseWarning().contains("SATURATED (epoch 3)"));
        QVERIFY(panel.collapseWarning().contains("~1 everywhere"));
        QVERIFY(!panel.collapseWarning().contains("collapsed to ~0"));
    }

    void formYamlSyncAndValidation()
    {
        QTemporaryDir tmp;
        TrainConfigForm form;
        // Form -> YAML
        QVERIFY(form.setField("model.temperature", "0.2"));
        QVERIFY(form.yaml().contains("temperature: 0.2"));
        QVERIFY(form.yamlEditor()->toPlainText().contains("temperature: 0.2"));
        // YAML -> form
        QString yaml = form.yaml();
        yaml.replace("prototype_mode: ema", "prototype_mode: learnable");
        QVERIFY(form.setYaml(yaml));
        QCOMPARE(form.field("model.prototype_mode"), QString("learnable"));
        // A mistyped key in the YAML view is refused with its line.
        QString err;
        QVERIFY(!form.setYaml(yaml + "training:\n  batch_sise: 3\n", &err));
        QVERIFY2(!err.isEmpty(), qPrintable(err));

        // Validation: missing files and bad values name the field at fault.
        form.setField("model.pretrained_checkpoint", tmp.filePath("nope.pth"));
        form.setField("data.protocol_path", "");
        form.setField("data.database_path", tmp.path());
        form.setField("training.batch_size", "many");
        form.setOutputFolder(tmp.filePath("run"));
        QStringList errors = form.validate();
        QVERIFY(!errors.isEmpty());
        QVERIFY(form.fieldError("model.pretrained_checkpoint").contains("file not found"));
        QVERIFY(form.fieldError("data.protocol_path").contains("required"));
        QVERIFY(form.fieldError("training.batch_size").contains("not a whole number"));
        QVERIFY(form.fieldError("data.database_path").isEmpty());
        form.setField("training.batch_size", "0");
        form.setField("model.temperature", "-1");
        errors = form.validate();
        QVERIFY2(!form.fieldError("training.batch_size").isEmpty() || !form.fieldError("model.temperature").isEmpty(),
                 qPrintable(errors.join('\n')));
    }
};

QTEST_MAIN(TestTrainingMonitor)
#include "TestTrainingMonitor.moc"
