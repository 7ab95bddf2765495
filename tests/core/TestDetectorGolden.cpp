// Golden tests of the frozen detector against tests/data/fixtures/ref_tiny.npz
// (an independent PyTorch implementation; see the fixtures README): every
// array of the file is compared (intermediates, SSL features, logits, scores,
// attention maps), plus repeat padding, the real FLACs through the whole
// chain, the DataParallel variant, batch vs single and determinism.
// ctest-labels: fast
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks torch headers

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Npy.h"
#include "core/detector/Detector.h"
#include "core/detector/DetectorModel.h"
#include "tests/support/TestData.h"

#include <QtTest>

#include <map>
#include <set>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

constexpr double kTol = 1e-4;      // ssl_*, int_*, logits_*, score_*
constexpr double kAttnTol = 1e-5;  // attn_*

torch::Tensor toTensor(const NpyArray& a)
{
    return torch::from_blob(const_cast<float*>(a.f32()), a.shape, torch::kFloat32).clone();
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kCPU) - b.to(torch::kCPU)).abs().max().item<double>();
}

std::string shapeOf(const torch::Tensor& t)
{
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

} // namespace

class TestDetectorGolden : public QObject {
    Q_OBJECT
private:
    std::map<std::string, NpyArray> m_ref;
    std::shared_ptr<DetectorModel> m_model;
    std::set<std::string> m_checked;  // ref arrays compared so far

    torch::Tensor ref(const std::string& name)
    {
        auto it = m_ref.find(name);
        if (it == m_ref.end())
            throw std::runtime_error("ref_tiny.npz has no array '" + name + "'");
        return toTensor(it->second);
    }

    // Compares and records `name`; returns false (with a message) on failure.
    bool compare(const std::string& name, const torch::Tensor& got, double tol, std::string& msg)
    {
        const torch::Tensor want = ref(name);
        m_checked.insert(name);
        if (got.sizes() != want.sizes()) {
            msg = name + ": shape " + shapeOf(got) + " vs reference " + shapeOf(want);
            return false;
        }
        const double d = maxAbs(got, want);
        if (!(d <= tol)) {
            msg = name + ": max abs diff " + std::to_string(d) + " > " + std::to_string(tol);
            return false;
        }
        return true;
    }

#define COMPARE_REF(name, got, tol)                                                                                \
    do {                                                                                                           \
        std::string msg_;                                                                                          \
        QVERIFY2(compare((name), (got), (tol), msg_), msg_.c_str());                                               \
    } while (0)

    DetectorOptions tinyOptions(const std::string& file = "fixtures/detector_tiny.pth")
    {
        DetectorOptions o;
        o.checkpointPath = dataPath(file);
        o.device = "cpu";
        o.threads = 2;
        return o;
    }

private slots:
    void initTestCase()
    {
        m_ref = readNpz(dataPath("fixtures/ref_tiny.npz"));
        m_model = DetectorModel::load(tinyOptions());
        QCOMPARE(QString::fromStdString(m_model->info().preset), QString("tiny"));
        QCOMPARE(m_model->info().keysUsed, int64_t(228));
        QCOMPARE(m_model->info().keysIgnored, int64_t(8));
        QCOMPARE(m_model->info().sslHeads, int64_t(4));
        QCOMPARE(m_model->info().embedDim, int64_t(64));
        QCOMPARE(m_model->info().sslLayers, int64_t(2));
        QCOMPARE(m_model->info().backendBlocks, int64_t(4));
        QCOMPARE(QString::fromStdString(m_model->info().sha256),
                 QString("5143fe419862266f9009417a22ed61053d2a3d355dd198baba99b80aae19b732"));
    }

    void intermediatesAndAttention()
    {
        const torch::Tensor wave = ref("wave_rand64600").unsqueeze(0);
        m_checked.insert("wave_rand64600");
        const DetectorForward f = m_model->forward(wave, /*attention=*/true, /*layers=*/true, /*intermediates=*/true);
        std::map<std::string, torch::Tensor> inter;
        for (const auto& kv : f.intermediates)
            inter[kv.first] = kv.second;
        int compared = 0;
        for (const auto& kv : m_ref) {
            const std::string prefix = "int_rand64600_";
            if (kv.first.compare(0, prefix.size(), prefix) != 0)
                continue;
            const std::string name = kv.first.substr(prefix.size());
            QVERIFY2(inter.count(name), ("forward gives no intermediate '" + name + "'").c_str());
            COMPARE_REF(kv.first, inter[name][0], kTol);
            ++compared;
        }
        QCOMPARE(compared, 14);  // cnn, proj, posconv, 2 layers, final, ll, bn_selu, conformer_in, 4 blocks, cls
        // per-layer outputs are the layer intermediates
        QCOMPARE(f.layers.size(), size_t(2));
        QVERIFY(torch::equal(f.layers[1], inter["ssl_layer1"]));
        QCOMPARE(f.attention.size(), size_t(4));
        for (int b = 0; b < 4; ++b) {
            COMPARE_REF("attn_rand64600_block" + std::to_string(b), f.attention[b][0], kAttnTol);
            // rows are softmax distributions
            QVERIFY(maxAbs(f.attention[b].sum(-1), torch::ones({1, 4, 206})) < 1e-5);
        }
        COMPARE_REF("ssl_rand64600", f.ssl[0], kTol);
        COMPARE_REF("logits_rand64600", f.logits[0], kTol);
        COMPARE_REF("score_rand64600", f.logits[0][1], kTol);
    }

    void singleInputs_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* n : {"rand1p3s", "rand1p3s_pad66800", "bonafide", "spoof", "bonafide_pad66800"})
            QTest::newRow(n) << QString(n);
    }
    void singleInputs()
    {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        const torch::Tensor wave = ref("wave_" + n);
        m_checked.insert("wave_" + n);
        const DetectorForward f = m_model->forward(wave.unsqueeze(0));
        QCOMPARE(f.ssl.size(1), FrameGrid::xlsr().count(wave.size(0)));
        COMPARE_REF("ssl_" + n, f.ssl[0], kTol);
        COMPARE_REF("logits_" + n, f.logits[0], kTol);
        COMPARE_REF("score_" + n, f.logits[0][1], kTol);
    }

    void batch3AndBatchVsSingle()
    {
        const torch::Tensor waves = ref("wave_batch3");
        m_checked.insert("wave_batch3");
        // the batch rows are bit-exact slices of the single inputs
        QVERIFY(torch::equal(waves[0], ref("wave_rand64600")));
        QVERIFY(torch::equal(waves[1], ref("wave_bonafide").narrow(0, 0, 64600)));
        QVERIFY(torch::equal(waves[2], ref("wave_spoof").narrow(0, 0, 64600)));
        const DetectorForward f = m_model->forward(waves);
        COMPARE_REF("ssl_batch3", f.ssl, kTol);
        COMPARE_REF("logits_batch3", f.logits, kTol);
        COMPARE_REF("score_batch3", f.logits.select(1, 1), kTol);
        for (int64_t i = 0; i < 3; ++i) {
            const DetectorForward s = m_model->forward(waves[i].unsqueeze(0));
            QVERIFY2(maxAbs(s.logits[0], f.logits[i]) < 1e-5, "batch row differs from single run");
            QVERIFY2(maxAbs(s.ssl[0], f.ssl[i]) < 1e-5, "batch row SSL differs from single run");
        }
    }

    void repeatPaddingBitExact()
    {
        const auto asVec = [](const torch::Tensor& t) {
            return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        };
        const std::vector<float> short13 = asVec(ref("wave_rand1p3s"));
        QVERIFY(asVec(ref("wave_rand1p3s_pad66800")) == repeatPad(short13, 66800));
        QVERIFY(asVec(ref("wave_bonafide_pad66800")) == repeatPad(asVec(ref("wave_bonafide")), 66800));
        // and through the facade's cut mode
        Detector det(tinyOptions());
        DetectorRequest req;
        req.cut = CutMode::Cut66800;
        const DetectorResult r = det.run(short13, req);
        QCOMPARE(r.samples, int64_t(66800));
        QCOMPARE(r.frames, int64_t(208));
        QVERIFY(std::abs(r.score - ref("score_rand1p3s_pad66800").item<float>()) <= kTol);
        req.cut = CutMode::Cut64600;
        const DetectorResult r2 = det.run(short13, req);
        QCOMPARE(r2.frames, int64_t(201));
    }

    void realFlacThroughWholeChain_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("bonafide") << "bonafide";
        QTest::newRow("spoof") << "spoof";
    }
    void realFlacThroughWholeChain()
    {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        const AudioData audio = loadAudio(dataPath("asvspoof_" + n + "_sample.flac"));
        const torch::Tensor wave = ref("wave_" + n);
        QCOMPARE(int64_t(audio.samples.size()), wave.size(0));
        QVERIFY2(std::memcmp(audio.samples.data(), wave.data_ptr<float>(), audio.samples.size() * sizeof(float)) == 0,
                 "decoded FLAC is not bit-exact with the reference waveform");
        Detector det(tinyOptions());
        DetectorRequest req;
        req.wantAttention = true;
        const DetectorResult r = det.run(audio.samples, req);
        QVERIFY(!r.windowed);
        QCOMPARE(r.frames, FrameGrid::xlsr().count(wave.size(0)));
        QCOMPARE(r.dim, int64_t(64));
        const torch::Tensor ssl = torch::from_blob(const_cast<float*>(r.ssl.data()), {r.frames, r.dim}).clone();
        std::string msg;
        QVERIFY2(compare("ssl_" + n, ssl, kTol, msg), msg.c_str());
        QVERIFY(std::abs(r.logits[0] - ref("logits_" + n)[0].item<float>()) <= kTol);
        QVERIFY(std::abs(r.logits[1] - ref("logits_" + n)[1].item<float>()) <= kTol);
        QCOMPARE(r.score, r.logits[1]);
        QCOMPARE(r.attention.size(), size_t(4));
        QCOMPARE(r.attentionHeads, int64_t(4));
        QCOMPARE(int64_t(r.attention[0].size()), 4 * (r.frames + 5) * (r.frames + 5));
    }

    void dataParallelVariantIdentical()
    {
        auto dp = DetectorModel::load(tinyOptions("fixtures/detector_tiny_dataparallel.pth"));
        const auto a = m_model->namedTensors();
        const auto b = dp->namedTensors();
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(QString::fromStdString(a[i].first), QString::fromStdString(b[i].first));
            QVERIFY2(torch::equal(a[i].second, b[i].second), a[i].first.c_str());
        }
        QVERIFY(!dp->info().notes.empty());
        const torch::Tensor wave = ref("wave_spoof").unsqueeze(0);
        QVERIFY(torch::equal(m_model->forward(wave).logits, dp->forward(wave).logits));
    }

    void deterministic()
    {
        const torch::Tensor wave = ref("wave_bonafide").unsqueeze(0);
        const DetectorForward a = m_model->forward(wave, true);
        const DetectorForward b = m_model->forward(wave, true);
        QVERIFY(torch::equal(a.ssl, b.ssl));
        QVERIFY(torch::equal(a.logits, b.logits));
        for (size_t i = 0; i < a.attention.size(); ++i)
            QVERIFY(torch::equal(a.attention[i], b.attention[i]));
    }

    void tooShortInputRejected()
    {
        QVERIFY_THROWS_EXCEPTION(AudioError, m_model->forward(torch::zeros({1, 399})));
        Detector det(tinyOptions());
        QVERIFY_THROWS_EXCEPTION(AudioError, det.run(std::vector<float>(399, 0.1f)));
        QCOMPARE(det.run(std::vector<float>(400, 0.1f)).frames, int64_t(1));
    }

    void everyReferenceArrayWasCompared()
    {
        QStringList missing;
        for (const auto& kv : m_ref)
            if (!m_checked.count(kv.first))
                missing << QString::fromStdString(kv.first);
        QVERIFY2(missing.isEmpty(), qPrintable("not compared: " + missing.join(", ")));
    }
};

QTEST_GUILESS_MAIN(TestDetectorGolden)
#include "TestDetectorGolden.moc"
