// Training configuration (seed keys, errors with key and line, --set) and the
// RawBoost building blocks.
// ctest-labels: fast
#include "core/Error.h"
#include "core/training/RawBoost.h"
#include "core/training/TrainConfig.h"
#include "tests/support/TestData.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <numeric>

using namespace spooflens::core;

namespace {
std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<no ConfigError>";
}
} // namespace

class TestTrainConfig : public QObject {
    Q_OBJECT
private slots:
    void shippedConfigLoads()
    {
        const TrainConfig c = TrainConfig::load(std::string(SPOOFLENS_SOURCE_DIR) + "/configs/xai_stage2.yaml");
        QCOMPARE(QString::fromStdString(c.prototypeMode), QString("ema"));
        QCOMPARE(c.importanceHiddenDim, int64_t(256));
        QCOMPARE(c.batchSize, int64_t(24));
        QCOMPARE(c.numEpochs, int64_t(50));
        QCOMPARE(c.patience, int64_t(10));
        QCOMPARE(c.learningRate, 1e-4);
        QCOMPARE(c.weightDecay, 1e-4);
        QCOMPARE(c.temperature, 0.07);
        QCOMPARE(c.embSize, int64_t(144));
        QCOMPARE(c.numEncoders, int64_t(4));
        QCOMPARE(c.seed, uint64_t(1234));
        QCOMPARE(c.crop, int64_t(64600));
        QCOMPARE(c.rawboostAlgo, 0);
        const TrainConfig d = TrainConfig::load(std::string(SPOOFLENS_SOURCE_DIR) + "/configs/demo.yaml");
        QCOMPARE(d.batchSize, int64_t(8));
    }

    void defaultsAreReference()
    {
        const TrainConfig c = TrainConfig::fromOverrides({});
        QCOMPARE(c.lambdaBonafideReg, 0.1);
        QCOMPARE(c.lambdaTemporalSmooth, 0.1);
        QCOMPARE(c.lambdaSparsity, 0.01);
        QCOMPARE(c.emaMomentum, 0.99);
        QCOMPARE(c.batchSize, int64_t(24));
    }

    void unknownAndMistypedKeys()
    {
        const std::string yaml = "model:\n  prototype_mode: ema\n  lambda_sparsty: 0.1\n";
        const std::string e1 = errorOf([&] { TrainConfig::parse(yaml, "x.yaml"); });
        QVERIFY2(e1.find("x.yaml:3") != std::string::npos && e1.find("model.lambda_sparsty") != std::string::npos, e1.c_str());
        const std::string e2 = errorOf([&] { TrainConfig::parse("training:\n  batch_size: many\n", "y.yaml"); });
        QVERIFY2(e2.find("y.yaml:2") != std::string::npos && e2.find("training.batch_size") != std::string::npos, e2.c_str());
        const std::string e3 = errorOf([&] { TrainConfig::parse("modle:\n  name: x\n", "z.yaml"); });
        QVERIFY2(e3.find("z.yaml:1") != std::string::npos && e3.find("modle") != std::string::npos, e3.c_str());
        const std::string e4 = errorOf([&] { TrainConfig::parse("model:\n  prototype_mode: emma\n", "m.yaml"); });
        QVERIFY2(e4.find("emma") != std::string::npos, e4.c_str());
        const std::string e5 = errorOf([&] { TrainConfig::parse("model: [1, 2\n", "s.yaml"); });
        QVERIFY2(e5.find("s.yaml:") != std::string::npos, e5.c_str());
        const std::string e6 = errorOf([&] { TrainConfig::parse("data:\n  crop: 48000\n", "c.yaml"); });
        QVERIFY2(e6.find("data.crop") != std::string::npos, e6.c_str());
    }

    void overrides()
    {
        const TrainConfig c = TrainConfig::parse("model:\n  prototype_mode: ema\n", "o.yaml",
                                                 {"model.prototype_mode=learnable", "training.batch_size=4",
                                                  "data.database_path=/tmp/db", "cache.enabled=false"});
        QCOMPARE(QString::fromStdString(c.prototypeMode), QString("learnable"));
        QCOMPARE(c.batchSize, int64_t(4));
        QCOMPARE(QString::fromStdString(c.databasePath), QString("/tmp/db"));
        QVERIFY(!c.cacheEnabled);
        QVERIFY(errorOf([] { TrainConfig::fromOverrides({"training.batchsize=4"}); }).find("training.batchsize") != std::string::npos);
        QVERIFY(errorOf([] { TrainConfig::fromOverrides({"noequals"}); }).find("noequals") != std::string::npos);
        QVERIFY(errorOf([] { TrainConfig::fromOverrides({"training.batch_size=x"}); }).find("training.batch_size") != std::string::npos);
    }

    void resolvedYamlRoundTrip()
    {
        const TrainConfig c = TrainConfig::fromOverrides({"model.temperature=0.05", "training.seed=7", "augmentation.rawboost_algo=3"});
        const TrainConfig d = TrainConfig::parse(c.toYaml(), "resolved");
        QCOMPARE(d.temperature, 0.05);
        QCOMPARE(d.seed, uint64_t(7));
        QCOMPARE(d.rawboostAlgo, 3);
        QCOMPARE(QString::fromStdString(d.toYaml()), QString::fromStdString(c.toYaml()));
    }

    void rawBoostFilters()
    {
        // Band-stop FIR: unit DC gain, ~0 gain in the middle of the stop band, symmetric taps.
        const auto h = firBandStop(51, 2000, 4000, 16000);
        QCOMPARE(int(h.size()), 51);
        QVERIFY(std::abs(std::accumulate(h.begin(), h.end(), 0.0) - 1.0) < 1e-12);
        for (size_t i = 0; i < h.size(); ++i)
            QVERIFY(std::abs(h[i] - h[h.size() - 1 - i]) < 1e-12);
        auto gainAt = [&](double f) {
            double re = 0, im = 0;
            for (size_t n = 0; n < h.size(); ++n) {
                re += h[n] * std::cos(2 * M_PI * f / 16000 * double(n));
                im -= h[n] * std::sin(2 * M_PI * f / 16000 * double(n));
            }
            return std::hypot(re, im);
        };
        QVERIFY(gainAt(3000) < 0.05);
        QVERIFY(std::abs(gainAt(6500) - 1.0) < 0.05);
        // Against scipy when available.
        QProcess py;
        py.start("/usr/bin/python3", {"-c", "from scipy import signal; print(' '.join(repr(v) for v in signal.firwin(51, [2000.0, 4000.0], window='hamming', fs=16000)))"});
        if (py.waitForFinished(60000) && py.exitCode() == 0) {
            const QStringList vals = QString::fromUtf8(py.readAllStandardOutput()).split(' ', Qt::SkipEmptyParts);
            QCOMPARE(vals.size(), 51);
            for (int i = 0; i < 51; ++i)
                QVERIFY(std::abs(vals[i].toDouble() - h[size_t(i)]) < 1e-12);
        }
    }

    void rawBoostAlgorithms()
    {
        std::mt19937_64 gen(1);
        std::vector<float> x(16000);
        for (size_t i = 0; i < x.size(); ++i)
            x[i] = 0.5f * float(std::sin(2 * M_PI * 440 * double(i) / 16000));
        for (int algo = 0; algo <= 8; ++algo) {
            std::mt19937_64 rng(42);
            const auto y = rawBoost(x, algo, rng);
            QCOMPARE(y.size(), x.size());
            double diff = 0, peak = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                QVERIFY(std::isfinite(y[i]));
                diff += std::abs(double(y[i]) - double(x[i]));
                peak = std::max(peak, double(std::abs(y[i])));
            }
            if (algo == 0)
                QCOMPARE(diff, 0.0);
            else
                QVERIFY2(diff > 1e-3, qPrintable(QString("algo %1 changed nothing").arg(algo)));
            if (algo != 3 && algo != 4 && algo != 6 && algo != 7)
                QVERIFY(peak <= 1.0 + 1e-6);  // normalised unless the last step adds noise
            // Deterministic for a given RNG state.
            std::mt19937_64 rng2(42);
            QVERIFY(rawBoost(x, algo, rng2) == y);
        }
        // SSI: SNR within [10, 40] dB.
        std::mt19937_64 rng(3);
        const auto y = rawBoost(x, 3, rng);
        double sx = 0, sn = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            sx += double(x[i]) * x[i];
            sn += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
        }
        const double snr = 10 * std::log10(sx / sn);
        QVERIFY2(snr >= 10 - 1e-3 && snr <= 40 + 1e-3, qPrintable(QString::number(snr)));
        QVERIFY(errorOf([&] { std::mt19937_64 r(1); rawBoost(x, 9, r); }).find("0..8") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestTrainConfig)
#include "TestTrainConfig.moc"
