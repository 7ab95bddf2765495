// ctest-labels: medium
// The explainers of docs/explainers.md on the tiny fixture detector and the
// real ASVspoof utterances: length, orientation, pass counts, occlusion against
// a direct computation, IG completeness, faithfulness end points, windowed
// files, cancellation, and rollout / gatr / gradxinput against an independent
// plain-PyTorch back-end (tests/support/tcm_reference.py, Debian's torch).
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Npy.h"
#include "core/detector/Detector.h"
#include "core/explain/BackendExplainer.h"
#include "core/explain/Explainer.h"

#include "tests/support/TestData.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace spooflens::core;
using spooflens::test::dataPath;
using spooflens::test::pythonWithTorch;

namespace {

DetectorOptions tinyDetector(double singlePassLimit = 60.0)
{
    DetectorOptions o;
    o.checkpointPath = dataPath("fixtures/detector_tiny.pth");
    o.device = "cpu";
    o.threads = 2;
    o.singlePassLimitSeconds = singlePassLimit;
    return o;
}

double spoofProbability(const std::array<float, 2>& l)
{
    const double a = l[0], b = l[1], mx = std::max(a, b);
    return std::exp(a - mx) / (std::exp(a - mx) + std::exp(b - mx));
}

double maxAbsDiff(const std::vector<float>& a, const float* b)
{
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i)
        d = std::max(d, std::abs(double(a[i]) - double(b[i])));
    return d;
}

double maxAbs(const float* v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; ++i)
        m = std::max(m, std::abs(double(v[i])));
    return m;
}

int64_t argMax(const std::vector<float>& v)
{
    return int64_t(std::max_element(v.begin(), v.end()) - v.begin());
}

} // namespace

class TestExplainers : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<Detector> m_detector;
    std::map<std::string, NpyArray> m_ref;
    std::vector<float> m_h;   // ssl_rand64600 (201 x 64)
    int64_t m_t = 0, m_d = 0;

private slots:
    void initTestCase()
    {
        m_detector = std::make_unique<Detector>(tinyDetector());
        m_ref = readNpz(dataPath("fixtures/ref_tiny.npz"));
        const NpyArray& h = m_ref.at("ssl_rand64600");
        m_t = h.shape[0];
        m_d = h.shape[1];
        m_h.assign(h.f32(), h.f32() + h.numel());
    }

    // Every method on a real ASVspoof utterance through the public facade:
    // one attribution per method (per module for Stage 2), length T, finite,
    // the pass counts of docs/explainers.md, and faithfulness end points.
    void everyMethodOnRealAudio()
    {
        Explainer explainer(tinyDetector());
        explainer.addStage2(dataPath("fixtures/xai_tiny.pth"));
        const AudioData audio = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        ExplainRequest req;
        req.cut = CutMode::Cut64600;  // T = 201 (4 s): keeps this test short
        req.methods = allMethods();
        req.options.occlusionStride = 4;
        req.options.igSteps = 8;
        std::vector<double> progress;
        const Explanation e = explainer.explain(audio, req, [&](double f) { progress.push_back(f); });
        const int64_t T = e.frames;
        QCOMPARE(T, int64_t(201));
        QCOMPARE(e.attributions.size(), allMethods().size());
        QVERIFY(e.faithfulness.empty());
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
        QCOMPARE(progress.back(), 1.0);
        const std::map<std::string, int64_t> passes = {
            {"stage2", 0}, {"stage2-contrast", 0}, {"occlusion", 1 + ((T - 5) / 4 + 1)}, {"gradxinput", 2},
            {"ig", 2 * 8 + 2}, {"rollout", 1}, {"gatr", 2}, {"random", 0},
            // whole-detector passes: 1 s windows every 1600 samples (31 + one flush with the end),
            // 320-sample spans zeroed (201 + one flush) plus the unoccluded pass, one forward + backward
            {"window", 32}, {"wave-occlusion", 203}, {"wave-gradxinput", 2}};
        for (size_t i = 0; i < e.attributions.size(); ++i) {
            const Attribution& a = e.attributions[i];
            QCOMPARE(a.method, methodName(allMethods()[i]));
            QCOMPARE(int64_t(a.values.size()), T);
            for (float v : a.values)
                QVERIFY2(std::isfinite(v), a.method.c_str());
            QCOMPARE(a.backendPasses, passes.at(a.method));
            QCOMPARE(a.source, methodNeedsStage2(allMethods()[i]) ? dataPath("fixtures/xai_tiny.pth")
                                                                  : std::string("detector"));
            QCOMPARE(std::isnan(a.completenessGap), a.method != "ig");
        }
        const Stage2Track& t = e.tracks.at(0);
        QCOMPARE(e.attributions[0].values, t.importance);
        for (int64_t i = 0; i < T; ++i)
            QCOMPARE(e.attributions[1].values[size_t(i)], t.simSpoof[size_t(i)] - t.simBonafide[size_t(i)]);
        // The old overload is unchanged: no attributions.
        const Explanation old = explainer.explain(audio, CutMode::Cut64600);
        QVERIFY(old.attributions.empty() && old.faithfulness.empty());
        QCOMPARE(old.tracks.at(0).importance, t.importance);

        // Faithfulness curves (two methods here: each costs 42 passes).
        req.methods = {AttributionMethod::Stage2, AttributionMethod::GradXInput};
        req.faithfulness = true;
        const Explanation f = explainer.explain(audio, req);
        QCOMPARE(f.faithfulness.size(), size_t(2));
        for (size_t i = 0; i < f.attributions.size(); ++i) {
            const Attribution& a = f.attributions[i];
            // f = 0 deletion and f = 1 insertion are the original utterance.
            const FaithfulnessCurves& c = f.faithfulness[i];
            QCOMPARE(c.deletion.size(), size_t(21));
            const double p = spoofProbability({f.logits[0], f.logits[1]});
            QVERIFY2(std::abs(c.deletion.front() - p) < 1e-5, a.method.c_str());
            QVERIFY2(std::abs(c.insertion.back() - p) < 1e-5, a.method.c_str());
            // f = 1 deletion and f = 0 insertion are the all-mean utterance.
            QVERIFY(std::abs(c.deletion.back() - c.insertion.front()) < 1e-6);
            QVERIFY(std::abs(c.deletionAuc - trapezoidAuc(c.fractions, c.deletion)) < 1e-12);
        }
    }

    void allMeanEndPointIsDirect()
    {
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        std::vector<float> mean(size_t(m_d), 0.0f), filled;
        for (int64_t t = 0; t < m_t; ++t)
            for (int64_t d = 0; d < m_d; ++d)
                mean[size_t(d)] += m_h[size_t(t * m_d + d)] / float(m_t);
        for (int64_t t = 0; t < m_t; ++t)
            filled.insert(filled.end(), mean.begin(), mean.end());
        const double pMean = spoofProbability(b.logits(filled).at(0));
        const FaithfulnessCurves c = b.faithfulness(b.run(AttributionMethod::Random).values);
        QVERIFY(std::abs(c.deletion.back() - pMean) < 1e-5);
        QVERIFY(std::abs(c.insertion.front() - pMean) < 1e-5);
    }

    // Occlusion equals the drop of m computed window by window.
    void occlusionEqualsDirectComputation()
    {
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        AttributionOptions o;
        o.occlusionWindow = 7;
        o.occlusionStride = 3;
        const Attribution a = b.run(AttributionMethod::Occlusion, o);
        const double m0 = b.margin();
        std::vector<float> mean(size_t(m_d), 0.0f);
        for (int64_t t = 0; t < m_t; ++t)
            for (int64_t d = 0; d < m_d; ++d)
                mean[size_t(d)] += m_h[size_t(t * m_d + d)] / float(m_t);
        std::vector<int64_t> starts;
        for (int64_t s = 0; s + 7 <= m_t; s += 3)
            starts.push_back(s);
        if (starts.back() + 7 < m_t)
            starts.push_back(m_t - 7);
        QCOMPARE(a.backendPasses, int64_t(1 + starts.size()));
        for (int64_t frame : {int64_t(0), int64_t(1), int64_t(100), m_t - 1}) {
            double sum = 0;
            int n = 0;
            for (int64_t s : starts) {
                if (frame < s || frame >= s + 7)
                    continue;
                std::vector<float> x = m_h;
                for (int64_t t = s; t < s + 7; ++t)
                    std::copy(mean.begin(), mean.end(), x.begin() + t * m_d);
                const auto l = b.logits(x).at(0);
                sum += m0 - (double(l[0]) - double(l[1]));
                ++n;
            }
            QVERIFY(n > 0);
            QVERIFY2(std::abs(a.values[size_t(frame)] - sum / n) < 1e-4,
                     qPrintable(QString("frame %1: %2 vs %3").arg(frame).arg(a.values[size_t(frame)]).arg(sum / n)));
        }
    }

    // A synthetic h that is zero except one frame t*: that frame alone moves
    // m by delta = m(x) - m(0). Orientation ("higher = more evidence of
    // spoof", docs/explainers.md) means: gradxinput and ig (zero baseline)
    // are exactly zero elsewhere and carry the sign of delta at t* (ig: all of
    // delta, completeness); occlusion is most extreme at t*, same sign. On the
    // tiny random back-end every single frame tried lowers m (the frame is
    // evidence for bona fide), so the sign is read from delta, never assumed:
    // a method that flipped its sign fails either way.
    void orientationOnSingleFrame()
    {
        const int64_t star = 77;
        BackendExplainer probe(*m_detector, std::vector<float>(size_t(m_t * m_d), 0.0f), m_t, m_d);
        const double mZero = probe.margin();
        // Candidates: real frames h(s) for 16 s, scaled by +-1, +-3, +-10, placed at t*;
        // keep the one that moves m most.
        const float scales[] = {1.0f, -1.0f, 3.0f, -3.0f, 10.0f, -10.0f};
        std::vector<float> candidates, x;
        for (int64_t s = 0; s < m_t; s += m_t / 16) {
            for (float scale : scales) {
                std::vector<float> c(size_t(m_t * m_d), 0.0f);
                for (int64_t d = 0; d < m_d; ++d)
                    c[size_t(star * m_d + d)] = scale * m_h[size_t(s * m_d + d)];
                candidates.insert(candidates.end(), c.begin(), c.end());
            }
        }
        const auto l = probe.logits(candidates);
        size_t best = 0;
        const auto moved = [&](size_t i) { return std::abs(double(l[i][0]) - l[i][1] - mZero); };
        for (size_t i = 1; i < l.size(); ++i)
            if (moved(i) > moved(best))
                best = i;
        x.assign(candidates.begin() + std::ptrdiff_t(best * size_t(m_t * m_d)),
                 candidates.begin() + std::ptrdiff_t((best + 1) * size_t(m_t * m_d)));
        BackendExplainer b(*m_detector, x, m_t, m_d);
        const double delta = b.margin() - mZero;
        qInfo("one frame at t* moves m by %.4g (of %zu candidates)", delta, l.size());
        QVERIFY2(std::abs(delta) > 1e-4, "no candidate frame moves m");
        const double sign = delta > 0 ? 1.0 : -1.0;
        const auto extreme = [sign](const std::vector<float>& v) {
            std::vector<float> oriented(v.size());
            for (size_t i = 0; i < v.size(); ++i)
                oriented[i] = float(sign * v[i]);
            return argMax(oriented);
        };
        AttributionOptions zero;
        zero.igZeroBaseline = true;
        for (AttributionMethod m : {AttributionMethod::GradXInput, AttributionMethod::IntegratedGradients}) {
            const Attribution a = b.run(m, zero);
            for (int64_t t = 0; t < m_t; ++t)
                if (t != star)
                    QCOMPARE(a.values[size_t(t)], 0.0f);
            QVERIFY(sign * a.values[size_t(star)] > 0);
            if (m == AttributionMethod::IntegratedGradients) {
                // Completeness: the one frame carries m(x) - m(0).
                QVERIFY(std::abs(a.targetDelta - delta) < 1e-5);
                QVERIFY2(std::abs(a.values[size_t(star)] - delta) < 0.05 * std::abs(delta) + 1e-6,
                         qPrintable(QString("%1 vs %2").arg(a.values[size_t(star)]).arg(delta)));
            } else {
                // gradxinput at t* = d/de m((1 + e) x) at e = 0 (central difference).
                std::vector<float> up = x, down = x;
                for (size_t i = 0; i < x.size(); ++i) {
                    up[i] *= 1.01f;
                    down[i] *= 0.99f;
                }
                const auto lu = probe.logits(up).at(0), ld = probe.logits(down).at(0);
                const double fd = ((double(lu[0]) - lu[1]) - (double(ld[0]) - ld[1])) / 0.02;
                QVERIFY2(std::abs(a.values[size_t(star)] - fd) < 1e-2 * std::abs(fd) + 1e-5,
                         qPrintable(QString("%1 vs %2").arg(a.values[size_t(star)]).arg(fd)));
            }
        }
        const Attribution occ = b.run(AttributionMethod::Occlusion);
        QCOMPARE(extreme(occ.values), star);
        QVERIFY(sign * occ.values[size_t(star)] > 0);
    }

    // |sum IG - (m(h) - m(baseline))| is small and shrinks with more steps.
    void igCompleteness()
    {
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        for (bool zeroBaseline : {false, true}) {
            AttributionOptions o;
            o.igZeroBaseline = zeroBaseline;
            o.igSteps = 4;
            const Attribution coarse = b.run(AttributionMethod::IntegratedGradients, o);
            o.igSteps = 32;
            const Attribution def = b.run(AttributionMethod::IntegratedGradients, o);
            o.igSteps = 64;
            const Attribution fine = b.run(AttributionMethod::IntegratedGradients, o);
            qInfo("ig %s baseline: m(h) - m(b) = %.5f, gap 4 steps %.3g, 32 steps %.3g, 64 steps %.3g",
                  zeroBaseline ? "zero" : "mean", def.targetDelta, coarse.completenessGap, def.completenessGap,
                  fine.completenessGap);
            QCOMPARE(def.backendPasses, int64_t(66));
            QVERIFY(std::abs(def.targetDelta) > 1e-3);
            // Stated tolerance (docs/explainers.md): gap <= 5 % of |m(h) - m(b)| at 32 steps
            // (measured on the tiny fixture: 0.4 % with the mean baseline, 3.9 % with zeros).
            QVERIFY(def.completenessGap <= 0.05 * std::abs(def.targetDelta));
            QVERIFY(fine.completenessGap < coarse.completenessGap);
        }
    }

    void randomIsSeededUniform()
    {
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        AttributionOptions o;
        const Attribution a = b.run(AttributionMethod::Random, o);
        QCOMPARE(b.run(AttributionMethod::Random, o).values, a.values);
        o.randomSeed = 99;
        QVERIFY(b.run(AttributionMethod::Random, o).values != a.values);
        double mean = 0;
        for (float v : a.values) {
            QVERIFY(v >= 0.0f && v < 1.0f);
            mean += v / double(a.values.size());
        }
        QVERIFY(std::abs(mean - 0.5) < 0.1);
        QCOMPARE(a.backendPasses, int64_t(0));
    }

    // rollout, gatr and gradxinput against tests/support/tcm_reference.py on the
    // real spoofed utterance's features (ssl_spoof of ref_tiny.npz).
    void againstPythonReference()
    {
        const QString python = pythonWithTorch();
        if (python.isEmpty())
            QSKIP("python3 with torch and numpy (Debian python3-torch) is not installed: reference comparison skipped");
        QTemporaryDir dir;
        QProcess p;
        p.start(python, {QStringLiteral(SPOOFLENS_SOURCE_DIR "/tests/support/tcm_reference.py"),
                         QString::fromStdString(dataPath("fixtures/detector_tiny.pth")),
                         QString::fromStdString(dataPath("fixtures/ref_tiny.npz")), "spoof", dir.path()});
        QVERIFY(p.waitForFinished(300000));
        const QByteArray log = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, log.constData());
        const NpyArray& h = m_ref.at("ssl_spoof");
        BackendExplainer b(*m_detector, std::vector<float>(h.f32(), h.f32() + h.numel()), h.shape[0], h.shape[1]);
        const NpyArray margin = readNpy(dir.filePath("margin.npy").toStdString());
        QVERIFY(std::abs(b.margin() - double(margin.f32()[0])) < 1e-4);
        const std::pair<AttributionMethod, const char*> cases[] = {
            {AttributionMethod::Rollout, "rollout"}, {AttributionMethod::Gatr, "gatr"},
            {AttributionMethod::GradXInput, "gradxinput"}};
        for (const auto& [method, file] : cases) {
            const NpyArray ref = readNpy(dir.filePath(QString(file) + ".npy").toStdString());
            const Attribution a = b.run(method);
            QCOMPARE(int64_t(a.values.size()), ref.numel());
            const double scale = maxAbs(ref.f32(), size_t(ref.numel())), diff = maxAbsDiff(a.values, ref.f32());
            qInfo("%s: max |C++ - Python| = %.3g (max |value| %.3g)", file, diff, scale);
            QVERIFY2(diff <= 1e-3 * scale + 1e-7, file);
        }
    }

    // A file past the single-pass limit: detector-side methods are refused with
    // a clear error; the Stage 2 methods and random still work.
    void windowedFiles()
    {
        Explainer explainer(tinyDetector(/*singlePassLimit=*/2.0));
        explainer.addStage2(dataPath("fixtures/xai_tiny.pth"));
        const AudioData audio = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        ExplainRequest req;
        req.methods = {AttributionMethod::Stage2, AttributionMethod::Stage2Contrast};
        const Explanation e = explainer.explain(audio, req);
        QVERIFY(e.windowed);
        QCOMPARE(e.attributions.size(), size_t(2));
        req.methods = {AttributionMethod::Occlusion};
        try {
            explainer.explain(audio, req);
            QFAIL("no error for a windowed file");
        } catch (const std::exception& err) {
            QVERIFY2(QString(err.what()).contains("single-pass limit"), err.what());
            QVERIFY2(QString(err.what()).contains("asvspoof_spoof_sample.flac"), err.what());
        }
    }

    void errorsAndCancellation()
    {
        Explainer explainer(tinyDetector());
        const AudioData audio = loadAudio(dataPath("asvspoof_bonafide_sample.flac"));
        ExplainRequest req;
        req.methods = {AttributionMethod::Stage2Contrast};
        QVERIFY_EXCEPTION_THROWN(explainer.explain(audio, req), ConfigError);
        // Cancel once the methods have started (progress past the detector share).
        req.methods = {AttributionMethod::IntegratedGradients, AttributionMethod::Occlusion};
        bool started = false;
        try {
            explainer.explain(audio, req, [&](double f) { started = started || f >= 0.3; },
                              [&] { return started; });
            QFAIL("not cancelled");
        } catch (const CancelledError&) {
        }
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        AttributionOptions o;
        o.occlusionWindow = 0;
        QVERIFY_EXCEPTION_THROWN(b.run(AttributionMethod::Occlusion, o), ConfigError);
        QVERIFY_EXCEPTION_THROWN(BackendExplainer(*m_detector, m_h, m_t, m_d + 1), Error);
    }
};

QTEST_GUILESS_MAIN(TestExplainers)
#include "TestExplainers.moc"
