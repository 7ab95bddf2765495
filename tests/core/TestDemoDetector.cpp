// ctest-labels: fast
// The demo detector's training (docs/demo.md, "The demo detector"): with the
// SSL trained too, the written checkpoint holds the trained SSL and back-end
// tensors under the source's keys, in its order, with its dtypes; the
// positional conv and every BatchNorm statistic are unchanged; and the product's
// own loader computes from it the features the trainer optimised (not the
// source's). Real ASVspoof audio cut into short files, the tiny fixture.
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Detector.h"
#include "core/training/Demo.h"
#include "core/training/DemoDetector.h"
#include "tests/support/TestData.h"

#include <torch/types.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

// Max |a - b| of one tensor of two state dicts (-1 when missing or of another shape).
double maxAbsDiff(const TensorList& a, const TensorList& b, const std::string& key)
{
    const auto find = [&](const TensorList& l) -> const torch::Tensor* {
        for (const auto& [k, t] : l)
            if (k == key)
                return &t;
        return nullptr;
    };
    const torch::Tensor* x = find(a);
    const torch::Tensor* y = find(b);
    if (!x || !y || !x->sizes().equals(y->sizes()))
        return -1;
    return (x->to(torch::kDouble) - y->to(torch::kDouble)).abs().max().item<double>();
}

} // namespace

class TestDemoDetector : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string cut(const std::string& src, size_t start, size_t length, const QString& name)
    {
        const AudioData a = loadAudio(dataPath(src));
        const std::vector<float> part(a.samples.begin() + long(start), a.samples.begin() + long(start + length));
        const std::string path = m_dir.filePath(name).toStdString();
        writeWav16k(path, part);
        return path;
    }

private slots:
    void trainedSslIsWrittenAndLoaded()
    {
        QVERIFY(m_dir.isValid());
        DemoDetectorOptions o;
        o.sourceCheckpoint = dataPath("fixtures/detector_tiny.pth");
        o.outCheckpoint = m_dir.filePath("trained.pth").toStdString();
        for (int i = 0; i < 2; ++i) {
            o.trainFiles.push_back(cut("asvspoof_bonafide_sample.flac", size_t(i) * 40000, 36000, QString("b%1.wav").arg(i)));
            o.trainSpoof.push_back(false);
            o.trainFiles.push_back(cut("asvspoof_spoof_sample.flac", size_t(i) * 40000, 36000, QString("s%1.wav").arg(i)));
            o.trainSpoof.push_back(true);
        }
        o.steps = 3;
        o.batch = 4;
        o.cropFrames = 50;
        o.augmentCopies = 0;
        o.trainSsl = true;
        o.learningRate = o.sslLearningRate = 1e-2;  // large, so three steps move every tensor visibly
        o.log = [](const std::string&) {};
        const DemoDetectorReport r = trainDemoDetector(o);
        QVERIFY(r.sslTrained);
        QCOMPARE(r.steps, int64_t(3));

        TensorList src = readStateDict(o.sourceCheckpoint);
        stripModulePrefix(src, o.sourceCheckpoint);
        const TensorList out = readStateDict(o.outCheckpoint);
        QCOMPARE(out.size(), src.size());
        for (size_t i = 0; i < src.size(); ++i) {
            QCOMPARE(QString::fromStdString(out[i].first), QString::fromStdString(src[i].first));
            QVERIFY(out[i].second.sizes().equals(src[i].second.sizes()));
            QCOMPARE(out[i].second.scalar_type(), src[i].second.scalar_type());
        }
        // Trained: conv (a view of the GEMM buffer), q/k/v (views of the stacked projection), fc, norms, back-end.
        for (const char* key : {"ssl_model.model.feature_extractor.conv_layers.1.0.weight",
                                "ssl_model.model.feature_extractor.conv_layers.0.2.1.weight",
                                "ssl_model.model.encoder.layers.0.self_attn.q_proj.weight",
                                "ssl_model.model.encoder.layers.1.self_attn.v_proj.bias",
                                "ssl_model.model.encoder.layers.1.fc2.weight",
                                "ssl_model.model.post_extract_proj.weight", "LL.weight", "conformer.fc5.weight"})
            QVERIFY2(maxAbsDiff(src, out, key) > 1e-4, key);
        // Frozen: the weight-normed positional conv and the batch-norm statistics.
        for (const char* key : {"ssl_model.model.encoder.pos_conv.0.weight_v", "ssl_model.model.encoder.pos_conv.0.weight_g",
                                "first_bn.running_mean", "first_bn.running_var"})
            QCOMPARE(maxAbsDiff(src, out, key), 0.0);

        // The product's loader on the written file gives other features than the source's.
        DetectorOptions d;
        d.device = "cpu";
        d.checkpointPath = o.sourceCheckpoint;
        const Detector before(d);
        d.checkpointPath = o.outCheckpoint;
        const Detector after(d);
        const AudioData clip = loadAudio(o.trainFiles[0]);
        const DetectorResult a = before.run(clip.samples), b = after.run(clip.samples);
        QCOMPARE(a.frames, b.frames);
        double diff = 0;
        for (size_t i = 0; i < a.ssl.size(); ++i)
            diff = std::max(diff, std::fabs(double(a.ssl[i]) - double(b.ssl[i])));
        QVERIFY2(diff > 1e-3, qPrintable(QString::number(diff)));
    }
};

QTEST_GUILESS_MAIN(TestDemoDetector)
#include "TestDemoDetector.moc"
