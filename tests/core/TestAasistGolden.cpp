// Conformance of SpoofLens' AASIST / AASIST-L against the authors' own code:
// tests/data/fixtures/aasist/ref_aasist.npz (clovaai/aasist a04c986 under
// PyTorch 1.13, see the README there). Both models, the two shared ASVspoof
// utterances, the authors' evaluation input (`cut`: 64 600 samples) and the
// whole file (`full`): front end, encoder output, e_T, e_S, last hidden,
// logits and the input gradient of the spoof margin. Plus family detection,
// the frame grid and the facade on real audio.
// ctest-labels: medium
#include <torch/torch.h>  // before Qt: Qt's `slots` macro breaks torch headers
#include <torch/version.h>

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Npy.h"
#include "core/detector/Aasist.h"
#include "core/format/Npy.h"
#include "core/detector/Detector.h"
#include "core/detector/DetectorModel.h"
#include "tests/support/TestData.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

std::string aasistPath(const std::string& model)
{
    return std::string(SPOOFLENS_SOURCE_DIR) + "/resources/detectors/aasist/" + model + ".pth";
}

torch::Tensor toTensor(const NpyArray& a)
{
    return torch::from_blob(const_cast<float*>(a.f32()), a.shape, torch::kFloat32).clone();
}

/// max |a - b| / max |b|
double relErr(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

} // namespace

class TestAasistGolden : public QObject {
    Q_OBJECT
private:
    std::map<std::string, NpyArray> m_ref;

    torch::Tensor ref(const std::string& key)
    {
        const auto it = m_ref.find(key);
        if (it == m_ref.end())
            throw std::runtime_error("ref_aasist.npz has no array '" + key + "'");
        return toTensor(it->second);
    }

private slots:
    void initTestCase()
    {
        torch::set_num_threads(1);
        m_ref = readNpz(dataPath("fixtures/aasist/ref_aasist.npz"));
        QVERIFY(m_ref.size() >= 64);
    }

    void conformance_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("kind");
        for (const char* m : {"AASIST", "AASIST-L"})
            for (const char* f : {"asvspoof_bonafide_sample", "asvspoof_spoof_sample"})
                for (const char* k : {"cut", "full"})
                    QTest::newRow((std::string(m) + "/" + f + "/" + k).c_str()) << m << f << k;
    }

    void conformance()
    {
        QFETCH(QString, model);
        QFETCH(QString, file);
        QFETCH(QString, kind);
        const std::string key = model.toStdString() + "/" + file.toStdString() + "/" + kind.toStdString() + "/";
        DetectorOptions o;
        o.checkpointPath = aasistPath(model.toStdString());
        o.device = "cpu";
        o.threads = 1;
        const auto net = DetectorModel::load(o);
        QCOMPARE(QString::fromStdString(net->info().family), QStringLiteral("aasist"));
        QCOMPARE(QString::fromStdString(net->info().preset), model);

        // The input is the authors' waveform; our own decoding of the FLAC is checked in facadeOnRealAudio.
        const torch::Tensor input = ref(key + "input").unsqueeze(0);
        const DetectorForward f = net->forward(input, false, false, true);
        std::map<std::string, torch::Tensor> got(f.intermediates.begin(), f.intermediates.end());

        const double logitErr = (f.logits[0] - ref(key + "logits")).abs().max().item<double>();
        QVERIFY2(logitErr <= 1e-4, ("logits differ by " + std::to_string(logitErr)).c_str());
        const torch::Tensor frontRef = ref(key + "front_head");
        const double frontErr = relErr(got["front_head"][0].narrow(1, 0, frontRef.size(1)), frontRef);
        QVERIFY2(frontErr <= 1e-4, ("front_head rel " + std::to_string(frontErr)).c_str());
        for (const char* name : {"enc", "e_T", "e_S"}) {
            const torch::Tensor want = ref(key + name);
            QCOMPARE(got[name][0].sizes(), want.sizes());
            const double e = relErr(got[name][0], want);
            QVERIFY2(e <= 1e-4, (std::string(name) + " rel " + std::to_string(e)).c_str());
        }
        const double hidErr = relErr(got["last_hidden"][0], ref(key + "last_hidden"));
        QVERIFY2(hidErr <= 1e-4, ("last_hidden rel " + std::to_string(hidErr)).c_str());
        // e_T is the detector's frame embedding (DetectorForward::ssl), T' = floor((N - 128) / 2187).
        QCOMPARE(f.ssl.size(1), net->info().grid.count(input.size(1)));
        QCOMPARE(f.ssl.size(1), (input.size(1) - 128) / 2187);

        // Input gradient of the spoof margin logits[0] - logits[1].
        torch::AutoGradMode grad(true);
        const torch::Tensor x = input.clone().requires_grad_(true);
        const torch::Tensor l = net->logitsWithGrad(x);
        const torch::Tensor g = torch::autograd::grad({(l.select(1, 0) - l.select(1, 1)).sum()}, {x})[0];
        // The gradient passes seven max-poolings and four top-k poolings: it is
        // discontinuous wherever two candidates tie. SpoofLens computes the sinc
        // filters with a correctly rounded sinf; the authors' NumPy float32 sin is
        // off by one ulp in ~15 % of the taps, which moves a handful of near-ties
        // (docs/aasist.md, "Conformance"). Most samples agree to 1e-4, a few
        // spans of a max-pool window differ.
        const torch::Tensor want = ref(key + "grad");
        const torch::Tensor d = (g[0] - want).abs() / want.abs().max();
        const double gErr = d.max().item<double>();
        const double over = (d > 1e-3).to(torch::kDouble).mean().item<double>();
        qInfo("input gradient: max rel %.2e, samples over 1e-3: %.4f %%", gErr, 100 * over);
        QVERIFY2(over <= 0.005 && gErr <= 1e-2, ("grad rel " + std::to_string(gErr) + ", over 1e-3: " + std::to_string(over)).c_str());
    }

    void gradientWithNumpysFilterRoundingIsExact()
    {
        // With the filter bank rounded as NumPy's float32 arithmetic rounds the
        // same formula (computed here by python3-numpy from the formula in
        // docs/aasist.md), the input gradient meets the fixture's 1e-3 everywhere
        // on LibTorch 1.x, whose float32 kernels made the fixture.
        //
        // LibTorch 2.x rounds its convolutions differently, and the gradient
        // goes through seven max-poolings whose near-ties flip with the last
        // bit. The authors' own code (clovaai/aasist a04c986) under Debian 13's
        // PyTorch 2.6 deviates from its 1.13 output by up to 1.81e-2 of the
        // gradient's max-abs, with up to 0.36 % of samples over 1e-3 (per file:
        // docs/aasist.md). There the test asks what that code achieves.
        const bool sameKernels = TORCH_VERSION_MAJOR < 2;
        const QString py = spooflens::test::pythonWithTorch();
        if (py.isEmpty())
            QFAIL("python3 with numpy is needed (tools/install-deps.sh installs it)");
        QTemporaryDir dir;
        const QString out = dir.filePath("bank.npy");
        const char* script = R"PY(
import sys, numpy as np
F, K, SR = 70, 129, 16000
mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)
hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
edges = hz(np.linspace(mel(0.0), mel(SR / 2), F + 1))
n = np.arange(-(K - 1) // 2, (K - 1) // 2 + 1).astype(np.float32)
win = np.hamming(K).astype(np.float32)
bank = np.zeros((F, K), np.float32)
for i in range(F):
    band = lambda f: np.float32(2 * f / SR) * np.sinc(np.float32(2 * f) * n / np.float32(SR))
    bank[i] = win * (band(edges[i + 1]) - band(edges[i])).astype(np.float32)
np.save(sys.argv[1], bank)
)PY";
        QProcess p;
        p.start(py, {"-c", QString::fromUtf8(script), out});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const NpyArray bank = readNpy(out.toStdString());
        const torch::Tensor numpyBank = toTensor(bank);
        for (const char* model : {"AASIST", "AASIST-L"}) {
            DetectorOptions o;
            o.checkpointPath = aasistPath(model);
            o.threads = 1;
            const auto net = DetectorModel::load(o);
            // Ours and NumPy's differ by rounding only (an ulp of the largest tap is 1.5e-8).
            const double bankErr = (net->aasistNetwork()->sincFilters().view({70, 129}) - numpyBank).abs().max().item<double>();
            QVERIFY2(bankErr < 6e-8, QByteArray::number(bankErr, 'g', 3).constData());
            net->aasistNetwork()->setSincFilters(numpyBank);
            for (const char* file : {"asvspoof_bonafide_sample", "asvspoof_spoof_sample"})
                for (const char* kind : {"cut", "full"}) {
                    const std::string key = std::string(model) + "/" + file + "/" + kind + "/";
                    torch::AutoGradMode grad(true);
                    const torch::Tensor x = ref(key + "input").unsqueeze(0).requires_grad_(true);
                    const torch::Tensor l = net->logitsWithGrad(x);
                    const torch::Tensor g = torch::autograd::grad({(l.select(1, 0) - l.select(1, 1)).sum()}, {x})[0];
                    const torch::Tensor want = ref(key + "grad");
                    const double e = relErr(g[0], want);
                    const double over = ((g[0] - want).abs() / want.abs().max() > 1e-3).to(torch::kDouble).mean().item<double>();
                    qInfo("%s: input gradient max rel %.2e, samples over 1e-3: %.4f %%", key.c_str(), e, 100 * over);
                    const std::string why = key + "grad rel " + std::to_string(e) + ", over 1e-3: " + std::to_string(over);
                    if (sameKernels)
                        QVERIFY2(e <= 1e-3, why.c_str());
                    else
                        QVERIFY2(e <= 2e-2 && over <= 0.004, why.c_str());
                }
        }
    }

    void backendFromNodesMatchesForward()
    {
        // The feature-space explainers vary e_T with the spectral nodes fixed:
        // the back-end on the forward's own nodes must give its logits.
        DetectorOptions o;
        o.checkpointPath = aasistPath("AASIST-L");
        o.device = "cpu";
        const auto net = DetectorModel::load(o);
        const torch::Tensor input = ref("AASIST-L/asvspoof_spoof_sample/cut/input").unsqueeze(0);
        const DetectorForward f = net->forward(input);
        QVERIFY(f.spectral.defined());
        const torch::Tensor l = net->backendForward(f.ssl, nullptr, f.spectral);
        QVERIFY((l - f.logits).abs().max().item<double>() < 1e-6);
        // Without them it is an error, not a guess.
        QVERIFY_EXCEPTION_THROWN(net->backendForward(f.ssl), Error);
        // Batched rows with the spectral nodes broadcast.
        const torch::Tensor l2 = net->backendForward(f.ssl.repeat({3, 1, 1}), nullptr, f.spectral);
        QVERIFY((l2 - f.logits.repeat({3, 1})).abs().max().item<double>() < 1e-5);
    }

    void inferencePathMatchesTheAutogradPath()
    {
        // Without autograd on the CPU the encoder blocks run a faster path (batch norm
        // folded into conv1, channels-last convolutions, a direct loop for the
        // one-channel first block; docs/aasist.md, "Speed"); with autograd the
        // reference path runs. Both must give the same numbers up to float32
        // rounding, for every model, length and batch size.
        for (const char* model : {"AASIST", "AASIST-L"}) {
            DetectorOptions o;
            o.checkpointPath = aasistPath(model);
            o.threads = 2;
            const auto net = DetectorModel::load(o);
            AasistModelImpl* aasist = net->aasistNetwork();
            const torch::Tensor bona = ref(std::string(model) + "/asvspoof_bonafide_sample/full/input");
            const torch::Tensor spoof = ref(std::string(model) + "/asvspoof_spoof_sample/full/input");
            const int64_t n = std::min(bona.size(0), spoof.size(0));
            for (const torch::Tensor& waves :
                 {bona.unsqueeze(0), bona.narrow(0, 0, 9000).unsqueeze(0),
                  torch::stack({bona.narrow(0, 0, n), spoof.narrow(0, 0, n), 0.25 * spoof.narrow(0, 0, n)})}) {
                AasistOutputs fast, reference;
                {
                    torch::NoGradGuard noGrad;
                    fast = aasist->forward(waves, true);
                }
                {
                    torch::AutoGradMode grad(true);
                    reference = aasist->forward(waves, true);
                }
                const double encErr = relErr(fast.encoder, reference.encoder.detach());
                const double logitErr = (fast.logits - reference.logits.detach()).abs().max().item<double>();
                qInfo("%s, %s samples x %s: encoder rel %.2e, logits abs %.2e", model,
                      std::to_string(waves.size(1)).c_str(), std::to_string(waves.size(0)).c_str(), encErr, logitErr);
                QCOMPARE(fast.encoder.sizes(), reference.encoder.sizes());
                QVERIFY2(encErr <= 1e-5, std::to_string(encErr).c_str());
                QVERIFY2(logitErr <= 1e-5, std::to_string(logitErr).c_str());
            }
        }
    }

    void facadeOnRealAudio()
    {
        DetectorOptions o;
        o.checkpointPath = aasistPath("AASIST");
        const Detector d(o);
        QCOMPARE(QString::fromStdString(d.info().family), QStringLiteral("aasist"));
        QVERIFY(d.info().grid == FrameGrid::aasist());
        QCOMPARE(d.info().embedDim, int64_t(64));
        QVERIFY(d.info().thresholdSource.find("none published") != std::string::npos);
        const AudioData a = loadAudio(dataPath("asvspoof_spoof_sample.flac"));
        // Our FLAC decoding gives the authors' input (libsndfile's float scaling).
        const torch::Tensor want = ref("AASIST/asvspoof_spoof_sample/full/input");
        QCOMPARE(int64_t(a.samples.size()), want.size(0));
        const torch::Tensor mine = torch::from_blob(const_cast<float*>(a.samples.data()), {want.size(0)}, torch::kFloat32);
        QVERIFY((mine - want).abs().max().item<double>() < 1e-6);
        DetectorRequest req;
        req.cut = CutMode::Cut64600;
        const DetectorResult r = d.run(a.samples, req);
        const torch::Tensor l = ref("AASIST/asvspoof_spoof_sample/cut/logits");
        QVERIFY(std::abs(r.logits[0] - l[0].item<float>()) < 1e-4);
        QVERIFY(std::abs(r.logits[1] - l[1].item<float>()) < 1e-4);
        QCOMPARE(r.score, r.logits[1]);
        QCOMPARE(r.frames, int64_t(29));
        QCOMPARE(r.dim, int64_t(64));
        QCOMPARE(r.spectralRows, int64_t(23));
        QCOMPARE(r.spectral.size(), size_t(23 * 64));
        // The spoofed utterance is called spoof, the bona fide one bona fide.
        QVERIFY(r.logits[0] > r.logits[1]);
        DetectorRequest full;
        const DetectorResult b = d.run(loadAudio(dataPath("asvspoof_bonafide_sample.flac")).samples, full);
        QVERIFY(b.logits[1] > b.logits[0]);
    }

    void longInputRunsInWindows()
    {
        DetectorOptions o;
        o.checkpointPath = aasistPath("AASIST-L");
        o.singlePassLimitSeconds = 3.0;
        const Detector d(o);
        const std::vector<float> x = loadAudio(dataPath("asvspoof_bonafide_sample.flac")).samples;  // 7.04 s
        const DetectorResult r = d.run(x);
        QVERIFY(r.windowed);
        QVERIFY(r.windows.size() >= 3);
        QCOMPARE(r.frames, FrameGrid::aasist().count(int64_t(x.size())));
        QCOMPARE(int64_t(r.ssl.size()), r.frames * r.dim);
        QCOMPARE(r.spectralRows, int64_t(23));
    }

    void sincFiltersAreTheAuthors()
    {
        const torch::Tensor f = aasistSincFilters(70, 129);
        QCOMPARE(f.sizes(), (std::vector<int64_t>{70, 129}));
        // Symmetric (linear phase); Hamming-windowed, so the end taps are 0.08 of the ideal response.
        QVERIFY((f - f.flip(1)).abs().max().item<double>() < 1e-7);
        // Band 0 is a low-pass from 0 Hz: its centre tap is 2 f_1 / 16000 (f_1 its upper edge).
        const double f1 = 700.0 * (std::pow(10.0, (2595.0 * std::log10(1.0 + 8000.0 / 700.0) / 70.0) / 2595.0) - 1.0);
        QVERIFY(std::abs(f[0][64].item<double>() - 2.0 * f1 / 16000.0) < 1e-6);
    }

    void unknownLayoutNamesBothFamilies()
    {
        // A Stage 2 module is not a detector: the message says what each family needs.
        DetectorOptions o;
        o.checkpointPath = dataPath("fixtures/xai_tiny.pth");
        try {
            DetectorModel::load(o);
            QFAIL("a Stage 2 module loaded as a detector");
        } catch (const CheckpointError& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("pos_S") != std::string::npos && m.find("LL.weight") != std::string::npos, m.c_str());
        }
    }

    void authorsConfigIsRead()
    {
        DetectorOptions o;
        o.checkpointPath = aasistPath("AASIST-L");
        o.configPath = std::string(SPOOFLENS_SOURCE_DIR) + "/resources/detectors/aasist/AASIST-L.conf";
        const Detector d(o);
        QCOMPARE(QString::fromStdString(d.info().preset), QStringLiteral("AASIST-L"));
        // An XLS-R setting for an AASIST detector is refused.
        QTemporaryDir dir;
        const QString yaml = dir.filePath("heads.yaml");
        QFile out(yaml);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("ssl:\n  attention_heads: 16\n");
        out.close();
        o.configPath = yaml.toStdString();
        QVERIFY_EXCEPTION_THROWN(Detector{o}, ConfigError);
    }
};

QTEST_GUILESS_MAIN(TestAasistGolden)
#include "TestAasistGolden.moc"
