// ctest-labels: fast
// Accuracy of the bf16 detector path against fp32 (docs/precision.md, issue 12):
// the tiny fixture detector on the two real ASVspoof FLACs, h(t) and logits
// within the stated tolerances, Stage 2 importance (fixture xai_tiny.pth) rank-
// correlated with its fp32 self, and the --precision flag of the CLI.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Agreement.h"
#include "core/explain/Explainer.h"
#include "tests/support/TestData.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

// The bounds of docs/precision.md for the tiny fixture (measured values there).
constexpr double kMaxRelSsl = 0.03;      // max |h_bf16 - h_fp32| / max |h_fp32|
constexpr double kMinCosine = 0.9995;    // min over frames of cos(h_bf16(t), h_fp32(t))
constexpr double kMaxLogitDiff = 0.01;   // max |logit_bf16 - logit_fp32|
constexpr double kMinSpearman = 0.995;   // Spearman rho of w(t), bf16 vs fp32 features

const char* kFiles[] = {"asvspoof_bonafide_sample.flac", "asvspoof_spoof_sample.flac"};

DetectorOptions tinyOptions(Precision p)
{
    DetectorOptions o;
    o.checkpointPath = dataPath("fixtures/detector_tiny.pth");
    o.device = "cpu";
    o.threads = 2;
    o.precision = p;
    return o;
}

struct Deviation {
    double maxAbs = 0, maxRef = 0, minCosine = 1;
};

Deviation compareFeatures(const DetectorResult& ref, const DetectorResult& got)
{
    Deviation d;
    for (int64_t t = 0; t < ref.frames; ++t) {
        double dot = 0, na = 0, nb = 0;
        for (int64_t k = 0; k < ref.dim; ++k) {
            const double a = ref.ssl[static_cast<size_t>(t * ref.dim + k)];
            const double b = got.ssl[static_cast<size_t>(t * ref.dim + k)];
            d.maxAbs = std::max(d.maxAbs, std::abs(a - b));
            d.maxRef = std::max(d.maxRef, std::abs(a));
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        d.minCosine = std::min(d.minCosine, dot / std::sqrt(na * nb));
    }
    return d;
}

} // namespace

class TestDetectorPrecision : public QObject {
    Q_OBJECT
private slots:
    void parseAndName()
    {
        QCOMPARE(parsePrecision("fp32"), Precision::Fp32);
        QCOMPARE(parsePrecision("bf16"), Precision::Bf16);
        QCOMPARE(QString::fromStdString(precisionName(Precision::Bf16)), QString("bf16"));
        try {
            parsePrecision("fp16");
            QFAIL("fp16 accepted");
        } catch (const ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("'fp16'") != std::string::npos, e.what());
        }
    }

    void featuresAndLogitsWithinTolerance()
    {
        const Detector fp32(tinyOptions(Precision::Fp32));
        const Detector bf16(tinyOptions(Precision::Bf16));
        QCOMPARE(QString::fromStdString(fp32.info().precision), QString("fp32"));
        QCOMPARE(QString::fromStdString(bf16.info().precision), QString("bf16"));
        for (const char* file : kFiles) {
            const AudioData audio = loadAudio(dataPath(file));
            const DetectorResult a = fp32.run(audio.samples);
            const DetectorResult b = bf16.run(audio.samples);
            QCOMPARE(b.frames, a.frames);
            QCOMPARE(b.dim, a.dim);
            const Deviation d = compareFeatures(a, b);
            const double logitDiff = std::max(std::abs(double(a.logits[0]) - b.logits[0]),
                                              std::abs(double(a.logits[1]) - b.logits[1]));
            qInfo("%s: h max abs %.4g (rel %.4g of max |h| %.3g), min cosine %.6f, logits max abs %.4g "
                  "(fp32 %.4f %.4f, bf16 %.4f %.4f)",
                  file, d.maxAbs, d.maxAbs / d.maxRef, d.maxRef, d.minCosine, logitDiff, double(a.logits[0]),
                  double(a.logits[1]), double(b.logits[0]), double(b.logits[1]));
            // The bf16 path really runs: its rounding shows up in h(t).
            QVERIFY2(d.maxAbs > 1e-6, "bf16 features are identical to fp32: the reduced path did not run");
            QVERIFY2(d.maxAbs / d.maxRef <= kMaxRelSsl, file);
            QVERIFY2(d.minCosine >= kMinCosine, file);
            QVERIFY2(logitDiff <= kMaxLogitDiff, file);
        }
    }

    void stage2ImportanceRanksAgree()
    {
        Explainer fp32(tinyOptions(Precision::Fp32));
        Explainer bf16(tinyOptions(Precision::Bf16));
        fp32.addStage2(dataPath("fixtures/xai_tiny.pth"));
        bf16.addStage2(dataPath("fixtures/xai_tiny.pth"));
        for (const char* file : kFiles) {
            const AudioData audio = loadAudio(dataPath(file));
            const Explanation a = fp32.explain(audio);
            const Explanation b = bf16.explain(audio);
            QCOMPARE(a.tracks.size(), size_t(1));
            QCOMPARE(b.tracks.size(), size_t(1));
            const auto& wa = a.tracks[0].importance;
            const auto& wb = b.tracks[0].importance;
            QCOMPARE(wb.size(), wa.size());
            QVERIFY(wa.size() > 100);
            const double rho = spearmanCorrelation(wa, wb);
            double maxDiff = 0;
            for (size_t t = 0; t < wa.size(); ++t)
                maxDiff = std::max(maxDiff, std::abs(double(wa[t]) - wb[t]));
            qInfo("%s: Spearman rho of w(t) fp32 vs bf16 %.5f, max |dw| %.4g", file, rho, maxDiff);
            QVERIFY2(rho >= kMinSpearman, file);
        }
    }

    void cliPrecisionFlag()
    {
        QProcess ok;
        ok.start(spooflens::test::cliPath(),
                 {"score", "--detector", QString::fromStdString(dataPath("fixtures/detector_tiny.pth")), "--device",
                  "cpu", "--precision", "bf16", "--json", QString::fromStdString(dataPath(kFiles[0]))});
        QVERIFY(ok.waitForFinished(120000));
        QCOMPARE(ok.exitCode(), 0);
        const QJsonObject j = QJsonDocument::fromJson(ok.readAllStandardOutput().trimmed()).object();
        QVERIFY2(j.contains("score"), "no score in the JSON line");

        QProcess bad;
        bad.start(spooflens::test::cliPath(),
                  {"score", "--detector", QString::fromStdString(dataPath("fixtures/detector_tiny.pth")),
                   "--precision", "fp16", QString::fromStdString(dataPath(kFiles[0]))});
        QVERIFY(bad.waitForFinished(120000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY2(bad.readAllStandardError().contains("--precision"), "the usage error does not name --precision");
    }
};

QTEST_GUILESS_MAIN(TestDetectorPrecision)
#include "TestDetectorPrecision.moc"
