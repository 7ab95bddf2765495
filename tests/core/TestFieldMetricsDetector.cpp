// ctest-labels: medium
// The detector-side metrics of the field (docs/metrics.md) on the tiny fixture
// detector: ROAD's curves against a direct computation of the imputed feature
// maps, its seeded noise; the model-randomisation cascade (which layer groups,
// that the trained weights come back bit for bit, that a model-independent
// explainer keeps a correlation of 1 and a gradient explainer does not).
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Npy.h"
#include "core/detector/Detector.h"
#include "core/explain/BackendExplainer.h"
#include "core/explain/Explainer.h"

#include "tests/support/TestData.h"

#include <QtTest>

#include <cmath>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

DetectorOptions tinyDetector()
{
    DetectorOptions o;
    o.checkpointPath = dataPath("fixtures/detector_tiny.pth");
    o.device = "cpu";
    o.threads = 2;
    return o;
}

double spoofProbability(const std::array<float, 2>& l)
{
    const double a = l[0], b = l[1], mx = std::max(a, b);
    return std::exp(a - mx) / (std::exp(a - mx) + std::exp(b - mx));
}

} // namespace

class TestFieldMetricsDetector : public QObject {
    Q_OBJECT
    std::unique_ptr<Detector> m_detector;
    std::vector<float> m_h;  // ssl_rand64600 (201 x 64)
    int64_t m_t = 0, m_d = 0;

    // h with the frames `removed` replaced by ROAD's noiseless linear imputation, written out by hand.
    std::vector<float> imputed(const std::vector<uint8_t>& removed) const
    {
        std::vector<float> x = m_h;
        for (int64_t t = 0; t < m_t; ++t) {
            if (!removed[size_t(t)])
                continue;
            int64_t l = t - 1, r = t + 1;
            while (l >= 0 && removed[size_t(l)])
                --l;
            while (r < m_t && removed[size_t(r)])
                ++r;
            for (int64_t d = 0; d < m_d; ++d) {
                double v;
                if (l >= 0 && r < m_t)
                    v = m_h[size_t(l * m_d + d)] + double(t - l) / double(r - l) * (m_h[size_t(r * m_d + d)] - m_h[size_t(l * m_d + d)]);
                else
                    v = m_h[size_t((l >= 0 ? l : r) * m_d + d)];
                x[size_t(t * m_d + d)] = float(v);
            }
        }
        return x;
    }

private slots:
    void initTestCase()
    {
        m_detector = std::make_unique<Detector>(tinyDetector());
        const auto ref = readNpz(dataPath("fixtures/ref_tiny.npz"));
        const NpyArray& h = ref.at("ssl_rand64600");
        m_t = h.shape[0];
        m_d = h.shape[1];
        m_h.assign(h.f32(), h.f32() + h.numel());
    }

    void roadEqualsDirectComputation()
    {
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        const std::vector<float> a = b.run(AttributionMethod::GradXInput).values;
        const std::vector<int64_t> order = attributionOrder(a);
        int64_t passes = 0;
        const RoadCurves c = b.road(a, 7, 0.0, &passes);
        QCOMPARE(passes, int64_t(20));
        QCOMPARE(c.fractions, roadFractions());
        QCOMPARE(c.morf.size(), size_t(10));
        const double p0 = spoofProbability(b.logits(m_h).at(0));
        QVERIFY(std::abs(c.morf[0] - p0) < 1e-5);
        QVERIFY(std::abs(c.lerf[0] - p0) < 1e-5);
        for (size_t i : {size_t(3), size_t(9)}) {
            const auto k = int64_t(std::floor(roadFractions()[i] * double(m_t) + 1e-9));  // 60, 180 of 201
            std::vector<uint8_t> most(size_t(m_t), 0), least(size_t(m_t), 0);
            for (int64_t j = 0; j < k; ++j) {
                most[size_t(order[size_t(j)])] = 1;
                least[size_t(order[size_t(m_t - 1 - j)])] = 1;
            }
            QVERIFY2(std::abs(c.morf[i] - spoofProbability(b.logits(imputed(most)).at(0))) < 1e-5, qPrintable(QString::number(i)));
            QVERIFY2(std::abs(c.lerf[i] - spoofProbability(b.logits(imputed(least)).at(0))) < 1e-5, qPrintable(QString::number(i)));
        }
        QVERIFY(std::abs(c.morfAuc - trapezoidAuc(c.fractions, c.morf) / 0.9) < 1e-12);
        QVERIFY(std::abs(c.gap() - (c.lerfAuc - c.morfAuc)) < 1e-15);
        // With noise: seeded (same seed, same curves), and the noise reaches the detector.
        const RoadCurves n1 = b.road(a, 7), n2 = b.road(a, 7), n3 = b.road(a, 8);
        QCOMPARE(n1.morf, n2.morf);
        QCOMPARE(n1.lerf, n2.lerf);
        QVERIFY(n1.morf != n3.morf);
        QVERIFY(n1.morf != c.morf);
        QCOMPARE(n1.morf[0], c.morf[0]);  // nothing removed, nothing imputed
    }

    void randomisationCascade()
    {
        const std::vector<LayerCut> cuts = backendLayerCuts(*m_detector);
        QStringList names;
        for (const LayerCut& c : cuts)
            names << QString::fromStdString(c.name);
        QCOMPARE(names, (QStringList{"fc5", "block3", "block2", "block1", "block0", "input"}));
        BackendExplainer b(*m_detector, m_h, m_t, m_d);
        const auto trained = b.logits(m_h).at(0);
        {
            const RandomisedBackend top(*m_detector, 1, 1234);
            QCOMPARE(top.tensors(), size_t(2));  // conformer.fc5.weight, .bias
            const auto l = b.logits(m_h).at(0);
            QVERIFY(l[0] != trained[0] || l[1] != trained[1]);
        }
        {
            const RandomisedBackend all(*m_detector, cuts.size(), 1234);
            // fc5 (2) + 4 blocks x 36 float tensors + LL (2) + first_bn (4) + class token (1).
            QCOMPARE(all.tensors(), size_t(2 + 4 * 36 + 2 + 4 + 1));
        }
        const auto back = b.logits(m_h).at(0);
        QCOMPARE(back[0], trained[0]);  // bit for bit
        QCOMPARE(back[1], trained[1]);
        bool threw = false;
        try {
            RandomisedBackend tooMany(*m_detector, cuts.size() + 1, 1);
        } catch (const ConfigError&) {
            threw = true;
        }
        QVERIFY(threw);
        QCOMPARE(b.logits(m_h).at(0)[0], trained[0]);
    }

    // AASIST's back-end: its four groups, every float tensor of the graph back-end once, none of the encoder's.
    void randomisationOnAasist()
    {
        DetectorOptions o;
        o.checkpointPath = std::string(SPOOFLENS_SOURCE_DIR) + "/resources/detectors/aasist/AASIST-L.pth";
        o.device = "cpu";
        o.threads = 2;
        Explainer explainer(o);
        const Detector& d = explainer.detector();
        QStringList names;
        for (const LayerCut& c : backendLayerCuts(d))
            names << QString::fromStdString(c.name);
        QCOMPARE(names, (QStringList{"out_layer", "hs_gal2", "hs_gal1", "gat"}));
        // out_layer (2); ST12, ST22: 4 attention weights + 8 linear pairs + 4 batch-norm tensors = 24 each;
        // ST11, ST21 (24 each) + 4 pools (2 each) + 2 master nodes; GAT_layer_S/T: 1 + 3 x 2 + 4 = 11 each + 2 pools.
        const size_t sizes[] = {2, 2 + 48, 2 + 48 + 48 + 8 + 2, 2 + 48 + 48 + 8 + 2 + 22 + 4};
        for (size_t c = 0; c < 4; ++c) {
            const RandomisedBackend r(d, c + 1, 5);
            QCOMPARE(r.tensors(), sizes[c]);
        }
        const AudioData audio = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        ExplainRequest req;
        req.cut = CutMode::Cut64600;
        req.methods = {AttributionMethod::GradXInput};
        req.randomisation = true;
        const Explanation e = explainer.explain(audio, req);
        QCOMPARE(e.randomisation.at(0).size(), size_t(4));
        QVERIFY2(e.randomisation[0].back() < 0.9, qPrintable(QString::number(e.randomisation[0].back())));
        const Explanation again = explainer.explain(audio, req.cut);
        QCOMPARE(again.logits[0], e.logits[0]);
        QCOMPARE(again.logits[1], e.logits[1]);
    }

    void randomisationThroughTheFacade()
    {
        Explainer explainer(tinyDetector());
        explainer.addStage2(dataPath("fixtures/xai_tiny.pth"));
        const AudioData audio = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        ExplainRequest req;
        req.cut = CutMode::Cut64600;
        req.methods = {AttributionMethod::Stage2, AttributionMethod::GradXInput, AttributionMethod::Random};
        req.randomisation = true;
        req.road = true;
        const Explanation e = explainer.explain(audio, req);
        QCOMPARE(e.randomisationCuts.size(), size_t(6));
        QCOMPARE(e.randomisation.size(), size_t(3));
        QCOMPARE(e.road.size(), size_t(3));
        for (const auto& r : e.randomisation)
            QCOMPARE(r.size(), size_t(6));
        for (double v : e.randomisation[0])
            QCOMPARE(v, 1.0);  // Stage 2 reads the encoder's h: the back-end cascade cannot change it
        for (double v : e.randomisation[2])
            QCOMPARE(v, 1.0);  // `random` ignores the model: the check's negative example
        // gradxinput depends on the back-end's weights.
        QVERIFY2(e.randomisation[1].back() < 0.9, qPrintable(QString::number(e.randomisation[1].back())));
        for (double v : e.randomisation[1])
            QVERIFY(std::isfinite(v));
        // The explainer's detector is the trained one again afterwards.
        const Explanation again = explainer.explain(audio, req.cut);
        QCOMPARE(again.logits[0], e.logits[0]);
        QCOMPARE(again.logits[1], e.logits[1]);
    }
};

QTEST_GUILESS_MAIN(TestFieldMetricsDetector)
#include "TestFieldMetricsDetector.moc"
