// ctest-labels: medium
// The CLI contract of `spooflens explain` with explainers (issue 10): repeatable
// optional --xai, repeatable --method, the attribution keys and columns, and
// usage errors. Built binary, tiny fixture detector, real ASVspoof FLAC.
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using spooflens::test::cliPath;
using spooflens::test::CliRun;
using spooflens::test::runCli;
using spooflens::test::dataPath;

namespace {

QString data(const std::string& rel)
{
    return QString::fromStdString(dataPath(rel));
}

QStringList base()
{
    return {"explain", "--detector", data("fixtures/detector_tiny.pth"), "--device", "cpu", "--threads", "2"};
}

const int kFrames = (101520 - 400) / 320 + 1;  // asvspoof_spoof_sample.flac

} // namespace

class TestExplainCli : public QObject {
    Q_OBJECT
private slots:
    void jsonKeysAndAttributions()
    {
        const QString xai = data("fixtures/xai_tiny.pth");
        const CliRun r = runCli(base() << "--xai" << xai << "--xai" << xai << "--method" << "stage2" << "--method"
                                    << "ig" << "--ig-steps" << "8" << "--method" << "random" << "--faithfulness"
                                    << "--json" << data("asvspoof_spoof_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        // Every key of the explain JSON before attributions existed.
        for (const char* k : {"path", "time_s", "importance", "sim_spoof", "sim_bonafide", "utterance_sim", "detector",
                              "cut", "frames", "xai"})
            QVERIFY2(j.contains(k), k);
        QCOMPARE(j["frames"].toInt(), kFrames);
        QCOMPARE(j["xai"].toObject()["path"].toString(), xai);
        // stage2 once per module, then ig and random from the detector.
        const QJsonArray a = j["attributions"].toArray();
        QCOMPARE(a.size(), 4);
        const QStringList methods = {"stage2", "stage2", "ig", "random"};
        for (int i = 0; i < a.size(); ++i) {
            const QJsonObject o = a[i].toObject();
            QCOMPARE(o["method"].toString(), methods[i]);
            QCOMPARE(o["source"].toString(), i < 2 ? xai : QString("detector"));
            QCOMPARE(o["values"].toArray().size(), kFrames);
            QVERIFY(o.contains("backend_passes") && o.contains("seconds"));
            QCOMPARE(o.contains("completeness_gap"), methods[i] == "ig");
        }
        QCOMPARE(a[2].toObject()["backend_passes"].toInt(), 2 * 8 + 2);
        QCOMPARE(a[0].toObject()["values"].toArray(), j["importance"].toArray());
        const QJsonArray f = j["faithfulness"].toArray();
        QCOMPARE(f.size(), 4);
        for (const auto& c : f) {
            QCOMPARE(c.toObject()["deletion"].toArray().size(), 21);
            QCOMPARE(c.toObject()["insertion"].toArray().size(), 21);
            QVERIFY(c.toObject().contains("deletion_auc") && c.toObject().contains("insertion_auc"));
        }
    }

    void csvColumns()
    {
        const QString xai = data("fixtures/xai_tiny.pth");
        const CliRun r = runCli(base() << "--xai" << xai << "--method" << "stage2-contrast" << "--method" << "rollout"
                                    << "--csv" << data("asvspoof_spoof_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), kFrames + 1);
        QCOMPARE(lines[0], QString("frame,time_s,start_s,end_s,importance:xai_tiny,sim_spoof:xai_tiny,sim_bonafide:xai_tiny,"
                                   "stage2-contrast:xai_tiny,rollout:detector,detector_score"));
        QCOMPARE(lines[1].split(',').size(), 10);
        // Without --xai: only the detector-side columns.
        const CliRun d = runCli(base() << "--method" << "occlusion" << "--occlusion-window" << "9" << "--csv"
                                    << data("asvspoof_spoof_sample.flac"));
        QVERIFY2(d.code == 0, qPrintable(d.err));
        QCOMPARE(d.out.split('\n', Qt::SkipEmptyParts).at(0),
                 QString("frame,time_s,start_s,end_s,occlusion:detector,detector_score"));
    }

    void usageErrors()
    {
        const QString audio = data("asvspoof_spoof_sample.flac");
        const CliRun unknown = runCli(base() << "--method" << "shap" << audio);
        QCOMPARE(unknown.code, 2);
        QVERIFY2(unknown.err.contains("shap") && unknown.err.contains("gradxinput") && unknown.err.contains("gatr"),
                 qPrintable(unknown.err));
        const CliRun noXai = runCli(base() << "--method" << "stage2" << audio);
        QCOMPARE(noXai.code, 2);
        QVERIFY2(noXai.err.contains("--xai"), qPrintable(noXai.err));
        const CliRun badBaseline = runCli(base() << "--method" << "ig" << "--ig-baseline" << "noise" << audio);
        QCOMPARE(badBaseline.code, 2);
        const CliRun badSteps = runCli(base() << "--method" << "ig" << "--ig-steps" << "0" << audio);
        QCOMPARE(badSteps.code, 2);
        // Unbounded before (issue 27): 2e9 IG steps never end, 100000 threads spawned a thousand.
        const CliRun manySteps = runCli(base() << "--method" << "ig" << "--ig-steps" << "2000000000" << audio);
        QCOMPARE(manySteps.code, 2);
        QVERIFY2(manySteps.err.contains("--ig-steps") && manySteps.err.contains("4096"), qPrintable(manySteps.err));
        const CliRun manyThreads = runCli(base() << "--method" << "random" << "--threads" << "100000" << audio);
        QCOMPARE(manyThreads.code, 2);
        QVERIFY2(manyThreads.err.contains("--threads") && manyThreads.err.contains("256"), qPrintable(manyThreads.err));
        const CliRun missing = runCli(base() << "--method" << "random" << data("no_such_file.flac"));
        QCOMPARE(missing.code, 1);
        QVERIFY2(missing.err.contains("no_such_file.flac"), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestExplainCli)
#include "TestExplainCli.moc"
