// Explainers on AASIST-L (docs/aasist.md): every method gives one finite,
// non-constant value per e_T frame on the real detector; `window` is the
// detector's own margin on each window (a window as long as the file gives the
// file's margin everywhere, a window over one segment only that segment's);
// the explanation carries AASIST's frame grid into JSON and ground-truth framing.
// ctest-labels: fast
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/PartialSplice.h"
#include "core/explain/Explainer.h"
#include "core/explain/ExplanationIO.h"
#include "core/explain/GroundTruth.h"
#include "core/explain/Metrics.h"
#include "tests/support/TestData.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

std::string aasistL()
{
    return std::string(SPOOFLENS_SOURCE_DIR) + "/resources/detectors/aasist/AASIST-L.pth";
}

} // namespace

class TestAasistExplainers : public QObject {
    Q_OBJECT
private:
    AudioData m_partial;
    std::vector<uint8_t> m_labels;
    UtteranceLabels m_truth;

private slots:
    void initTestCase()
    {
        const AudioData bona = loadAudio(dataPath("asvspoof_bonafide_sample.flac"));
        const AudioData spoof = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        PartialSpliceOptions o;
        o.minSegments = o.maxSegments = 1;
        o.minSeconds = o.maxSeconds = 2.0;
        o.seed = 7;
        const SplicedUtterance u = splicePartial(bona.samples, {spoof.samples}, o, 0);
        QCOMPARE(u.segments.size(), size_t(1));
        m_partial.path = "partial.wav";
        m_partial.samples = u.samples;
        LabelSegment seg;
        seg.start = u.segments[0].startSeconds();
        seg.end = u.segments[0].endSeconds();
        m_truth.segments.push_back(seg);
        m_labels = frameLabels(m_truth, int64_t(u.samples.size()), FrameGrid::aasist());
    }

    void everyMethodGivesOneValuePerFrame()
    {
        DetectorOptions d;
        d.checkpointPath = aasistL();
        Explainer ex(d);
        ExplainRequest req;
        for (AttributionMethod m : allMethods())
            if (!methodNeedsStage2(m))
                req.methods.push_back(m);
        req.options.igSteps = 8;
        req.options.windowHopSamples = 4 * 2187;
        req.options.waveOcclusionSamples = 4 * 2187;
        AudioData shortPartial = m_partial;  // 3 s: 21 frames, a few whole-detector passes per method
        shortPartial.samples.resize(48000);
        const Explanation e = ex.explain(shortPartial, req);
        QVERIFY(e.grid == FrameGrid::aasist());
        QCOMPARE(e.detectorFamily, std::string("aasist"));
        QCOMPARE(e.frames, FrameGrid::aasist().count(48000));
        QCOMPARE(e.attributions.size(), req.methods.size());
        for (const Attribution& a : e.attributions) {
            QCOMPARE(int64_t(a.values.size()), e.frames);
            for (float v : a.values)
                QVERIFY2(std::isfinite(v), a.method.c_str());
            double spread = 0;
            for (float v : a.values)
                spread = std::max(spread, std::abs(double(v) - double(a.values[0])));
            QVERIFY2(spread > 0, a.method.c_str());  // not a constant map
        }
        // ig's completeness on e_T (spectral nodes fixed): within 10 % at 8 steps.
        for (const Attribution& a : e.attributions)
            if (a.method == "ig")
                QVERIFY2(a.completenessGap <= 0.1 * std::abs(a.targetDelta) + 1e-3,
                         (std::to_string(a.completenessGap) + " of " + std::to_string(a.targetDelta)).c_str());
    }

    void windowIsTheDetectorsMarginPerWindow()
    {
        DetectorOptions d;
        d.checkpointPath = aasistL();
        Explainer ex(d);
        AudioData clip = m_partial;
        clip.samples.resize(40000);  // 2.5 s
        DetectorOptions single = d;
        const Detector det(single);
        const DetectorResult whole = det.run(clip.samples);
        const float m0 = whole.logits[0] - whole.logits[1];
        ExplainRequest req;
        req.methods = {AttributionMethod::Window};
        // One window as long as the file: every frame gets the file's margin.
        req.options.windowSeconds = 10.0;
        Explanation e = ex.explain(clip, req);
        for (float v : e.attributions[0].values)
            QVERIFY2(std::abs(v - m0) < 1e-4, (std::to_string(v) + " vs " + std::to_string(m0)).c_str());
        // Two windows of 1.25 s, no overlap: each frame the margin of its window(s).
        req.options.windowSeconds = 1.25;
        req.options.windowHopSamples = 20000;
        e = ex.explain(clip, req);
        const std::vector<float> a(clip.samples.begin(), clip.samples.begin() + 20000), b(clip.samples.begin() + 20000, clip.samples.end());
        const DetectorResult ra = det.run(a), rb = det.run(b);
        const float ma = ra.logits[0] - ra.logits[1], mb = rb.logits[0] - rb.logits[1];
        const std::vector<float>& v = e.attributions[0].values;
        QVERIFY(std::abs(v.front() - ma) < 1e-4);
        QVERIFY(std::abs(v.back() - mb) < 1e-4);
        // A frame whose window straddles the boundary gets the mean of both.
        const int64_t t = 20000 / 2187;  // frame 9 covers [19683, 21998)
        QVERIFY(std::abs(v[size_t(t)] - (ma + mb) / 2) < 1e-4);
        QVERIFY(e.attributions[0].backendPasses == 2);
    }

    void jsonStatesTheFrameGrid()
    {
        DetectorOptions d;
        d.checkpointPath = aasistL();
        Explainer ex(d);
        const Explanation e = ex.explain(m_partial);
        const nlohmann::json j = nlohmann::json::parse(explanationToJson(e));
        QCOMPARE(j["hop_samples"].get<int64_t>(), int64_t(2187));
        QCOMPARE(j["window_samples"].get<int64_t>(), int64_t(2315));
        QCOMPARE(j["offset_samples"].get<int64_t>(), int64_t(0));
        QCOMPARE(j["detector_family"].get<std::string>(), std::string("aasist"));
        QCOMPARE(j["time_s"][1].get<double>(), FrameGrid::aasist().centreSeconds(1));
    }

    void groundTruthIsFramedOnTheDetectorsGrid()
    {
        // More than half of a frame's 2 315-sample window in the segment.
        const FrameGrid g = FrameGrid::aasist();
        const int64_t a = std::llround(m_truth.segments[0].start * 16000), b = std::llround(m_truth.segments[0].end * 16000);
        for (int64_t t = 0; t < int64_t(m_labels.size()); ++t) {
            const int64_t lo = g.startSample(t), hi = lo + g.window;
            const int64_t inside = std::max<int64_t>(0, std::min(hi, b) - std::max(lo, a));
            QCOMPARE(int(m_labels[size_t(t)]), inside * 2 > g.window ? 1 : 0);
        }
        int spoof = 0;
        for (uint8_t v : m_labels)
            spoof += v;
        QVERIFY(spoof >= 12 && spoof <= 15);  // 2 s = 14.6 hops
    }
};

QTEST_GUILESS_MAIN(TestAasistExplainers)
#include "TestAasistExplainers.moc"
