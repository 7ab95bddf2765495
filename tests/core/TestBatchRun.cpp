// ctest-labels: fast
// Batched corpus throughput (docs/speed.md): runDetectorBatched on the tiny
// fixture detector gives the same h(t) and logits as Detector::run one
// utterance at a time, in input order, with errors at their index; and
// `spooflens cache` filled with --batch 3 writes the entries of a --batch 1 fill.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/BatchRun.h"
#include "core/detector/Detector.h"
#include "core/training/CacheFill.h"
#include "core/training/Demo.h"
#include "core/training/FeatureCache.h"
#include "core/training/TrainConfig.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace spooflens::core;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-5;  // docs/speed.md

double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return INFINITY;
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i)
        d = std::max(d, double(std::abs(a[i] - b[i])));
    return d;
}

} // namespace

class TestBatchRun : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::vector<float> m_bona, m_spoof;

    std::string tmp(const std::string& name) const { return (fs::path(m_dir.path().toStdString()) / name).string(); }

    static DetectorOptions tiny()
    {
        DetectorOptions o;
        o.checkpointPath = spooflens::test::dataPath("fixtures/detector_tiny.pth");
        o.device = "cpu";
        o.threads = 2;
        return o;
    }

    /// Distinct utterances of `n` samples cut from the two real recordings.
    std::vector<float> clip(int k, int64_t n) const
    {
        const std::vector<float>& src = k % 2 ? m_spoof : m_bona;
        const int64_t offset = int64_t(k / 2) * 1600;
        std::vector<float> out(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            out[size_t(i)] = src[size_t((offset + i) % int64_t(src.size()))];
        return out;
    }

private slots:
    void initTestCase()
    {
        m_bona = loadAudio(spooflens::test::dataPath("asvspoof_bonafide_sample.flac")).samples;
        m_spoof = loadAudio(spooflens::test::dataPath("asvspoof_spoof_sample.flac")).samples;
        QVERIFY(m_bona.size() > 20000 && m_spoof.size() > 20000);
    }

    void batchedEqualsSingle()
    {
        const Detector det(tiny());
        // Lengths: a run of 5 equal (two batches of at most 3), a different
        // one, two equal again, a too-short input (error at its index), one more.
        const std::vector<int64_t> lengths{64600, 64600, 64600, 64600, 64600, 48000, 32000, 32000, 300, 64600};
        std::vector<std::vector<float>> waves;
        for (size_t i = 0; i < lengths.size(); ++i)
            waves.push_back(clip(int(i), lengths[i]));
        std::vector<size_t> order;
        std::vector<DetectorResult> got(waves.size());
        std::vector<std::string> errors(waves.size());
        BatchRunOptions o;
        o.batch = 3;
        const BatchRunStats s = runDetectorBatched(
            det, waves.size(), [&](size_t i) { return waves[i]; },
            [&](size_t i, DetectorResult&& r) {
                order.push_back(i);
                got[i] = std::move(r);
            },
            [&](size_t i, std::exception_ptr e) {
                order.push_back(i);
                try {
                    std::rethrow_exception(e);
                } catch (const AudioError& a) {
                    errors[i] = a.what();
                }
            },
            o);
        QCOMPARE(order.size(), waves.size());
        for (size_t i = 0; i < order.size(); ++i)
            QCOMPARE(order[i], i);
        QCOMPARE(s.utterances, int64_t(9));
        QCOMPARE(s.failed, int64_t(1));
        QVERIFY2(errors[8].find("300 samples") != std::string::npos, errors[8].c_str());
        // [0,1,2] [3,4] [5] [6,7] [9]: 7 utterances shared a pass.
        QCOMPARE(s.batchedUtterances, int64_t(7));
        QCOMPARE(s.passes, int64_t(6));  // 5 groups + the failed single
        double worstH = 0, worstLogit = 0, maxH = 0;
        for (size_t i = 0; i < waves.size(); ++i) {
            if (i == 8)
                continue;
            const DetectorResult ref = det.run(waves[i]);
            QCOMPARE(got[i].frames, ref.frames);
            QCOMPARE(got[i].dim, ref.dim);
            QCOMPARE(got[i].samples, ref.samples);
            worstH = std::max(worstH, maxAbsDiff(got[i].ssl, ref.ssl));
            for (float v : ref.ssl)
                maxH = std::max(maxH, double(std::abs(v)));
            for (int c = 0; c < 2; ++c)
                worstLogit = std::max(worstLogit, double(std::abs(got[i].logits[c] - ref.logits[c])));
            QCOMPARE(got[i].score, got[i].logits[1]);
        }
        qInfo("batched vs single: h max abs %.3g (max |h| %.3g), logits max abs %.3g", worstH, maxH, worstLogit);
        QVERIFY2(worstH <= kTolerance, qPrintable(QString::number(worstH)));
        QVERIFY2(worstLogit <= kTolerance, qPrintable(QString::number(worstLogit)));
        // The results are not all the same (each utterance got its own row).
        QVERIFY(maxAbsDiff(got[0].ssl, got[1].ssl) > 1e-3);
    }

    void cutIsAppliedAndLoaderErrorsArriveInOrder()
    {
        const Detector det(tiny());
        BatchRunOptions o;
        o.batch = 4;
        o.cut = CutMode::Cut64600;
        std::vector<DetectorResult> got(4);
        std::vector<int> failedAt;
        runDetectorBatched(
            det, 4,
            [&](size_t i) -> std::vector<float> {
                if (i == 2)
                    throw AudioError("input 2 is unreadable");
                return clip(int(i), 20000 + int64_t(i) * 7000);
            },
            [&](size_t i, DetectorResult&& r) { got[i] = std::move(r); },
            [&](size_t i, std::exception_ptr) { failedAt.push_back(int(i)); }, o);
        QCOMPARE(failedAt, std::vector<int>{2});
        for (size_t i : {size_t(0), size_t(1), size_t(3)}) {
            DetectorRequest req;
            req.cut = CutMode::Cut64600;
            const DetectorResult ref = det.run(clip(int(i), 20000 + int64_t(i) * 7000), req);
            QCOMPARE(got[i].samples, int64_t(64600));
            QVERIFY(got[i].cut == CutMode::Cut64600);
            QVERIFY(maxAbsDiff(got[i].ssl, ref.ssl) <= kTolerance);
        }
        // An exception from the consumer stops the run and propagates.
        QVERIFY_EXCEPTION_THROWN(runDetectorBatched(
                                     det, 6, [&](size_t i) { return clip(int(i), 64600); },
                                     [&](size_t i, DetectorResult&&) {
                                         if (i == 1)
                                             throw Error("stop");
                                     },
                                     [](size_t, std::exception_ptr) {}, o),
                                 Error);
    }

    void cacheBatchedEqualsBatchOne()
    {
        const fs::path db = tmp("db");
        fs::create_directories(db);
        std::ofstream proto(db / "proto.txt");
        const int n = 7;
        for (int i = 0; i < n; ++i) {
            // unequal lengths: all are cropped / repeat-padded to 64600
            writeWav16k((db / ("u" + std::to_string(i) + ".wav")).string(), clip(i, 40000 + 5000 * i));
            proto << "u" << i << ".wav train " << (i % 2 ? "spoof" : "bonafide") << "\n";
        }
        proto.close();
        const auto cfg = [&](const std::string& dir) {
            return TrainConfig::fromOverrides(
                {"model.pretrained_checkpoint=" + spooflens::test::dataPath("fixtures/detector_tiny.pth"),
                 "data.database_path=" + db.string(), "data.protocol_path=" + (db / "proto.txt").string(),
                 "cache.dir=" + dir, "cache.dtype=float32", "training.device=cpu"});
        };
        CacheFillOptions one;
        one.quiet = true;
        one.batch = 1;
        one.log = [](const std::string&) {};
        CacheFillOptions three = one;
        three.batch = 3;
        const CacheFillReport a = fillFeatureCache(cfg(tmp("c1")), one);
        const CacheFillReport b = fillFeatureCache(cfg(tmp("c3")), three);
        QCOMPARE(a.computed, int64_t(n));
        QCOMPARE(b.computed, int64_t(n));
        const Detector det(tiny());
        const FeatureCache c1(tmp("c1"), det.info().sha256, "float32"), c3(tmp("c3"), det.info().sha256, "float32");
        double worst = 0;
        for (int i = 0; i < n; ++i) {
            const std::string audio = (db / ("u" + std::to_string(i) + ".wav")).string();
            const CachedFeatures x = c1.load(c1.key(audio, "start:64600:repeat"));
            const CachedFeatures y = c3.load(c3.key(audio, "start:64600:repeat"));
            QCOMPARE(x.frames, int64_t(201));
            QCOMPARE(y.frames, x.frames);
            worst = std::max(worst, maxAbsDiff(x.values, y.values));
        }
        qInfo("cache --batch 3 vs --batch 1: max abs %.3g", worst);
        QVERIFY(worst <= kTolerance);
        // A second fill reuses everything.
        const CacheFillReport again = fillFeatureCache(cfg(tmp("c3")), three);
        QCOMPARE(again.reused, int64_t(n));
        QCOMPARE(again.computed, int64_t(0));
        three.batch = 0;
        QVERIFY_EXCEPTION_THROWN(fillFeatureCache(cfg(tmp("c3")), three), ConfigError);
    }
};

QTEST_GUILESS_MAIN(TestBatchRun)
#include "TestBatchRun.moc"
