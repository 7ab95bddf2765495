// Long files: planWindows tiles the frames exactly, and Detector::run with a
// lowered single-pass limit (3 s on the tiny model, 7.04 s bona fide file)
// stitches SSL features from window centres and scores every window.
// ctest-labels: fast
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks torch headers

#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "tests/support/TestData.h"

#include <QtTest>

#include <cmath>

using namespace spooflens::core;
using spooflens::test::dataPath;

class TestDetectorWindows : public QObject {
    Q_OBJECT
private:
    std::vector<float> m_bonafide;

    static DetectorOptions options(double limitSeconds)
    {
        DetectorOptions o;
        o.checkpointPath = dataPath("fixtures/detector_tiny.pth");
        o.device = "cpu";
        o.threads = 2;
        o.singlePassLimitSeconds = limitSeconds;
        return o;
    }

    static torch::Tensor rows(const std::vector<float>& v, int64_t d)
    {
        return torch::from_blob(const_cast<float*>(v.data()), {int64_t(v.size()) / d, d}).clone();
    }

private slots:
    void initTestCase() { m_bonafide = loadAudio(dataPath("asvspoof_bonafide_sample.flac")).samples; }

    void planTilesAllFrames()
    {
        for (int64_t window : {16000, 48000, 48123, 960000}) {
            for (int64_t n : {int64_t(400), window - 1, window, window + 1, window + 319, 3 * window + 77,
                              int64_t(112640), int64_t(57600000)}) {
                if (n < 400)
                    continue;
                const auto plan = planWindows(n, window);
                QVERIFY(!plan.empty());
                int64_t next = 0;
                for (const auto& p : plan) {
                    QCOMPARE(p.startSample % FrameGrid::xlsr().hop, int64_t(0));
                    QCOMPARE(p.firstFrame * FrameGrid::xlsr().hop, p.startSample);
                    QVERIFY(p.endSample - p.startSample <= std::max<int64_t>(window, 8 * FrameGrid::xlsr().hop));
                    QVERIFY(p.endSample - p.startSample >= FrameGrid::xlsr().window);
                    QCOMPARE(p.keepFrom, next);
                    QVERIFY(p.keepTo > p.keepFrom);
                    QVERIFY(p.keepFrom >= p.firstFrame);
                    QVERIFY(p.keepTo <= p.firstFrame + FrameGrid::xlsr().count(p.endSample - p.startSample));
                    next = p.keepTo;
                }
                QCOMPARE(next, FrameGrid::xlsr().count(n));
                QCOMPARE(plan.back().endSample, n);
                if (n <= window / FrameGrid::xlsr().hop * FrameGrid::xlsr().hop)
                    QCOMPARE(plan.size(), size_t(1));
            }
        }
        // one hour at the default 60 s limit: bounded windows, 25% overlap
        const auto hour = planWindows(3600LL * 16000, 60 * 16000);
        QVERIFY(hour.size() > 70 && hour.size() < 90);
    }

    void windowedRunStitchesCentres()
    {
        Detector windowed(options(3.0));
        Detector single(options(60.0));
        DetectorRequest req;
        req.wantLayerOutputs = true;
        const DetectorResult w = windowed.run(m_bonafide, req);
        const DetectorResult s = single.run(m_bonafide, req);
        QVERIFY(!s.windowed && s.windows.empty());
        QVERIFY(w.windowed);
        QVERIFY(w.windows.size() >= 2);
        QCOMPARE(w.frames, FrameGrid::xlsr().count(int64_t(m_bonafide.size())));
        QCOMPARE(int64_t(w.ssl.size()), w.frames * w.dim);
        QCOMPARE(w.layerOutputs.size(), size_t(2));
        QVERIFY(w.attention.empty());

        // each window's score is the detector's score of exactly that slice,
        // and the stitched rows are that slice's features
        const auto plan = planWindows(int64_t(m_bonafide.size()), 48000);
        QCOMPARE(plan.size(), w.windows.size());
        double sum1 = 0;
        const torch::Tensor stitched = rows(w.ssl, w.dim);
        for (size_t k = 0; k < plan.size(); ++k) {
            const auto& p = plan[k];
            QCOMPARE(w.windows[k].startSample, p.startSample);
            QCOMPARE(w.windows[k].endSample, p.endSample);
            const std::vector<float> slice(m_bonafide.begin() + p.startSample, m_bonafide.begin() + p.endSample);
            const DetectorResult part = single.run(slice);
            QCOMPARE(w.windows[k].logits[1], part.logits[1]);
            QCOMPARE(w.windows[k].score, part.score);
            const torch::Tensor own = rows(part.ssl, part.dim).narrow(0, p.keepFrom - p.firstFrame, p.keepTo - p.keepFrom);
            QVERIFY(torch::equal(stitched.narrow(0, p.keepFrom, p.keepTo - p.keepFrom), own));
            sum1 += part.logits[1];
        }
        QVERIFY(std::abs(w.score - sum1 / double(plan.size())) < 1e-6);

        // stitched features stay close to the single pass (attention is
        // global, so not identical): report and bound the difference
        const torch::Tensor full = rows(s.ssl, s.dim);
        const double maxDiff = (stitched - full).abs().max().item<double>();
        const double rel = ((stitched - full).norm() / full.norm()).item<double>();
        const double cosMin = torch::cosine_similarity(stitched, full, 1).min().item<double>();
        qInfo("windowed (3 s) vs single pass: max abs %.3g, relative L2 %.3g, min frame cosine %.5f", maxDiff, rel, cosMin);
        QVERIFY(rel < 0.05);
        QVERIFY(cosMin > 0.99);
    }
};

QTEST_GUILESS_MAIN(TestDetectorWindows)
#include "TestDetectorWindows.moc"
