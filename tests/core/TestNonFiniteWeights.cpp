// ctest-labels: fast
// NaN is not an answer (docs/reliability.md): a detector or Stage 2 file with
// one NaN or infinite weight is refused at load with an error naming the file
// and the tensor, instead of producing NaN scores or a "spoof" verdict; finite
// but extreme weights that overflow give an error, not a NaN score.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Detector.h"
#include "core/detector/DetectorModel.h"
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
        // The overflow must reach the logits on every BLAS. Huge weights early
        // in the network do not guarantee it: SELU maps -inf to a finite value,
        // and whether a frame's overflowing sum ends +inf, -inf or NaN depends
        // on the library's summation order (LibTorch 2.6 with OpenBLAS 0.3.29
        // gives -inf in every frame of `LL`, so the score stays finite and
        // correct). So the classifier itself, whose output nothing follows:
        // weights of 3e38 with the sign of the class embedding e make each
        // logit 3e38 * sum|e_j| + b; with sum|e_j| > 2 the exact value is past
        // FLT_MAX, and no summation order gives a finite float.
        const std::string clean = spooflens::test::dataPath("fixtures/detector_tiny.pth");
        const std::string flac = spooflens::test::dataPath("asvspoof_bonafide_sample.flac");
        const std::vector<float> wave = loadAudio(flac).samples;
        torch::Tensor embedding;
        {
            DetectorOptions c;
            c.checkpointPath = clean;
            c.device = "cpu";
            const auto model = DetectorModel::load(c);
            const DetectorForward f = model->forward(
                torch::from_blob(const_cast<float*>(wave.data()), {1, static_cast<int64_t>(wave.size())}), false, false, true);
            for (const auto& [name, value] : f.intermediates)
                if (name == "cls_emb")
                    embedding = value[0].clone();
        }
        QVERIFY(embedding.defined());
        const double mass = embedding.abs().sum().item<double>();
        QVERIFY2(mass > 2, qPrintable(QString("class embedding's sum |e| = %1: too small to overflow").arg(mass)));
        TensorList t = readStateDict(clean);
        int changed = 0;
        for (auto& [name, tensor] : t)
            if (name.size() >= 10 && name.compare(name.size() - 10, 10, "fc5.weight") == 0) {
                QCOMPARE(tensor.size(1), embedding.size(0));
                tensor = (embedding.sign() * 3e38f).unsqueeze(0).expand_as(tensor).contiguous();
                ++changed;
            }
        QCOMPARE(changed, 1);
        const std::string path = tmp("detector_huge.pth");
        writeStateDict(path, t);
        DetectorOptions o;
        o.checkpointPath = path;
        o.device = "cpu";
        o.threads = 1;
        const Detector d(o);  // every weight is finite: it loads
        try {
            const DetectorResult r = d.run(wave);
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
