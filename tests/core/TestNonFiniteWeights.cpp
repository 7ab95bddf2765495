// ctest-labels: fast
// NaN is not an answer (docs/reliability.md): a detector or Stage 2 file with
// one NaN or infinite weight is refused at load with an error naming the file
// and the tensor, instead of producing NaN scores or a "spoof" verdict; finite
// but extreme weights that overflow give an error, not a NaN score.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Detector.h"
#include "core/stage2/Stage2Checkpoint.h"
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace spooflens::core;

class TestNonFiniteWeights : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    std::string tmp(const std::string& name) const { return m_tmp.path().toStdString() + "/" + name; }

private slots:
    void detectorWithNanOrInf_data()
    {
        QTest::addColumn<float>("value");
        QTest::newRow("nan") << std::numeric_limits<float>::quiet_NaN();
        QTest::newRow("inf") << std::numeric_limits<float>::infinity();
        QTest::newRow("-inf") << -std::numeric_limits<float>::infinity();
    }
    void detectorWithNanOrInf()
    {
        QFETCH(float, value);
        TensorList t = readStateDict(spooflens::test::dataPath("fixtures/detector_tiny.pth"));
        // One value deep inside the back-end.
        std::string victim;
        for (auto& [name, tensor] : t)
            if (tensor.is_floating_point() && tensor.numel() > 10 && name.find("LL.weight") != std::string::npos) {
                tensor = tensor.clone();
                tensor.view(-1)[7] = value;
                victim = name;
            }
        QVERIFY(!victim.empty());
        const std::string path = tmp("detector_bad.pth");
        writeStateDict(path, t);
        DetectorOptions o;
        o.checkpointPath = path;
        o.device = "cpu";
        try {
            Detector d(o);
            QFAIL("a detector with a non-finite weight was loaded");
        } catch (const CheckpointError& e) {
            const QString m = e.what();
            QVERIFY2(m.contains(QString::fromStdString(path)) && m.contains("NaN or infinite")
                         && m.contains(QString::fromStdString(victim)),
                     e.what());
        }
        // The untouched fixture still loads.
        o.checkpointPath = spooflens::test::dataPath("fixtures/detector_tiny.pth");
        Detector ok(o);
        QVERIFY(ok.info().embedDim > 0);
    }

    // Finite weights (they load) whose products overflow float: an error naming the file, never "score nan".
    void hugeFiniteWeightsGiveNoScore()
    {
        TensorList t = readStateDict(spooflens::test::dataPath("fixtures/detector_tiny.pth"));
        int changed = 0;
        for (auto& [name, tensor] : t)
            if (tensor.is_floating_point() && name.find("LL.weight") != std::string::npos) {
                tensor = tensor.clone().fill_(3e38f);
                ++changed;
            }
        QVERIFY(changed > 0);
        const std::string path = tmp("detector_huge.pth");
        writeStateDict(path, t);
        DetectorOptions o;
        o.checkpointPath = path;
        o.device = "cpu";
        o.threads = 1;
        const Detector d(o);  // every weight is finite: it loads
        const std::string flac = spooflens::test::dataPath("asvspoof_bonafide_sample.flac");
        try {
            const DetectorResult r = d.run(loadAudio(flac).samples);
            QFAIL(qPrintable(QString("a non-finite output was returned as a result: score %1").arg(r.score)));
        } catch (const Error& e) {
            const QString m = e.what();
            QVERIFY2(m.contains(QString::fromStdString(path)) && m.contains("not finite") && m.contains("no score"), e.what());
        }
        const spooflens::test::CliRun r = spooflens::test::runCli(
            {"score", "--json", "--detector", QString::fromStdString(path), "--threads", "1", QString::fromStdString(flac)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.trimmed().isEmpty(), qPrintable(r.out));
        QVERIFY2(r.err.contains("not finite"), qPrintable(r.err));
    }

    void stage2WithNan()
    {
        const Stage2File good = readStage2File(spooflens::test::dataPath("fixtures/xai_tiny.pth"));
        for (const std::string key : {"importance_net.net.4.weight", "prototype_manager.prototypes"}) {
            TensorList t = good.xai;
            bool found = false;
            for (auto& [name, tensor] : t)
                if (name == key) {
                    tensor = tensor.clone();
                    tensor.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
                    found = true;
                }
            QVERIFY2(found, key.c_str());
            const std::string path = tmp("xai_bad.pth");
            writeStateDict(path, t);
            try {
                readStage2File(path);
                QFAIL("a Stage 2 file with NaN was read");
            } catch (const CheckpointError& e) {
                const QString m = e.what();
                QVERIFY2(m.contains(QString::fromStdString(path)) && m.contains("NaN")
                             && m.contains(QString::fromStdString(key)),
                         e.what());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestNonFiniteWeights)
#include "TestNonFiniteWeights.moc"
