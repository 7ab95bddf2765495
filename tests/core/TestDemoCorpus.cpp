// ctest-labels: fast
// The demo corpus' conditioning chain, splicer, frame labels and the demo
// metrics (docs/demo.md), on synthetic signals whose answers follow from the
// definitions.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/training/DemoCorpus.h"
#include "core/training/DemoMetrics.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace spooflens::core;

namespace {

constexpr double kPi = 3.14159265358979323846;

// 0.5 s digital silence, 1 s of a 440 Hz tone at amplitude `amp`, 0.5 s silence.
std::vector<float> toneInSilence(double amp)
{
    std::vector<float> x(size_t(2 * kSampleRate), 0.0f);
    for (int64_t i = kSampleRate / 2; i < kSampleRate * 3 / 2; ++i)
        x[size_t(i)] = float(amp * std::sin(2 * kPi * 440.0 * double(i) / kSampleRate));
    return x;
}

double bandEnergy(const std::vector<float>& x, double f0, double f1)
{
    // Goertzel-free brute-force DFT on a 2048-sample block, bins in [f0, f1).
    const int n = 2048;
    double e = 0;
    for (int k = int(f0 * n / kSampleRate); k < int(f1 * n / kSampleRate); ++k) {
        double re = 0, im = 0;
        for (int i = 0; i < n; ++i) {
            re += x[size_t(4000 + i)] * std::cos(2 * kPi * k * i / n);
            im -= x[size_t(4000 + i)] * std::sin(2 * kPi * k * i / n);
        }
        e += re * re + im * im;
    }
    return e;
}

} // namespace

class TestDemoCorpus : public QObject {
    Q_OBJECT
private slots:
    void conditioningRemovesLevelSilenceCues()
    {
        for (double amp : {0.02, 0.5}) {
            const std::vector<float> y = conditionSpeech(toneInSilence(amp), false, 7);
            // Trimmed to the tone plus the 0.12 s margins (20 ms frame grid).
            QVERIFY(std::abs(double(y.size()) / kSampleRate - 1.24) < 0.05);
            // Active level at the target whatever the input level.
            QVERIFY2(std::abs(20 * std::log10(activeRms(y)) + 26.0) < 0.2, qPrintable(QString::number(amp)));
            // No digital silence left in the margins.
            int zeros = 0;
            for (size_t i = 0; i < 1000; ++i)
                zeros += y[i] == 0.0f ? 1 : 0;
            QVERIFY(zeros < 10);
        }
        // Seeded: the same seed gives the same noise, another seed another.
        QVERIFY(conditionSpeech(toneInSilence(0.1), false, 3) == conditionSpeech(toneInSilence(0.1), false, 3));
        QVERIFY(conditionSpeech(toneInSilence(0.1), false, 3) != conditionSpeech(toneInSilence(0.1), false, 4));
    }

    void narrowbandChannelRemovesHighBand()
    {
        std::mt19937_64 rng(1);
        std::normal_distribution<float> g(0.0f, 0.1f);
        std::vector<float> x(static_cast<size_t>(kSampleRate));
        for (float& v : x)
            v = g(rng);
        const std::vector<float> y = narrowbandChannel(x);
        QCOMPARE(y.size(), x.size());
        QVERIFY(bandEnergy(y, 4500, 7500) < 1e-3 * bandEnergy(x, 4500, 7500));
        QVERIFY(bandEnergy(y, 500, 3000) > 0.8 * bandEnergy(x, 500, 3000));
    }

    void spliceReplacesOnlyTheSegments()
    {
        std::vector<float> host(size_t(3 * kSampleRate));
        for (size_t i = 0; i < host.size(); ++i)
            host[i] = float(0.1 * std::sin(0.01 * double(i)));
        const std::vector<std::vector<float>> ins = {std::vector<float>(8000, 0.3f), std::vector<float>(4800, -0.2f)};
        std::vector<std::pair<double, double>> seg;
        const std::vector<float> y = spliceSegments(host, ins, {24000, 4000}, 0.01, &seg);
        QCOMPARE(y.size(), host.size());
        QCOMPARE(seg.size(), size_t(2));
        QCOMPARE(seg[0].first, 0.25);     // sorted by position
        QCOMPARE(seg[0].second, 0.55);
        QCOMPARE(seg[1].first, 1.5);
        QCOMPARE(seg[1].second, 2.0);
        for (size_t i : {size_t(0), size_t(3999), size_t(8800), size_t(23999), size_t(32000), host.size() - 1})
            QCOMPARE(y[i], host[i]);
        // Mid-segment samples are the (level-matched) insert: constant across the segment.
        QCOMPARE(y[28000], y[29000]);
        QVERIFY(std::abs(y[28000] - host[28000]) > 0.01f);
        // Crossfade: the first samples of a segment are mixed, not switched.
        QVERIFY(std::abs(y[24001] - host[24001]) < std::abs(y[28000] - host[24001]));
        QVERIFY_THROWS_EXCEPTION(ConfigError, spliceSegments(host, ins, {24000, 30000}, 0.01, &seg));
        QVERIFY_THROWS_EXCEPTION(ConfigError, spliceSegments(host, ins, {47000, 0}, 0.01, &seg));
    }

    void frameLabelsFollowTheHalfFrameRule()
    {
        // Segment [0.1, 0.2) s = samples [1600, 3200).
        const auto lab = demoFrameLabels({{0.1, 0.2}}, 16000, FrameGrid::xlsr());
        QCOMPARE(int64_t(lab.size()), FrameGrid::xlsr().count(16000));
        for (int64_t t = 0; t < int64_t(lab.size()); ++t) {
            const int64_t a = 320 * t, b = a + 400;
            const int64_t inside = std::max<int64_t>(0, std::min<int64_t>(b, 3200) - std::max<int64_t>(a, 1600));
            QCOMPARE(int(lab[size_t(t)]), inside > 200 ? 1 : 0);
        }
        QCOMPARE(int(lab[5]), 1);   // [1600, 2000): fully inside
        QCOMPARE(int(lab[4]), 0);   // [1280, 1680): 80 samples inside
    }

    void rawPcmReader()
    {
        QTemporaryDir tmp;
        const QString p = tmp.filePath(QStringLiteral("x.raw"));
        QFile f(p);
        QVERIFY(f.open(QIODevice::WriteOnly));
        std::vector<int16_t> v(1000);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = int16_t(int(i) * 31 - 16000);
        f.write(reinterpret_cast<const char*>(v.data()), qint64(v.size() * 2));
        f.close();
        const auto x = readRawPcm16(p.toStdString(), 16000);
        QCOMPARE(x.size(), v.size());
        QCOMPARE(x[7], float(v[7]) / 32768.0f);
        QCOMPARE(readRawPcm16(p.toStdString(), 8000).size(), size_t(2000));
        QVERIFY_THROWS_EXCEPTION(AudioError, readRawPcm16(tmp.filePath(QStringLiteral("none.raw")).toStdString(), 16000));
    }

    void missingPackagesAreNamed()
    {
        QTemporaryDir tmp;
        DemoCorpusOptions o;
        o.outDir = tmp.filePath(QStringLiteral("c")).toStdString();
        o.pocketsphinxDir = tmp.filePath(QStringLiteral("nowhere")).toStdString();
        try {
            buildDemoCorpus(o);
            QFAIL("no error for a missing recording folder");
        } catch (const ConfigError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("pocketsphinx-testdata")), e.what());
        }
        o.pocketsphinxDir = tmp.path().toStdString();
        // Neither codec2-examples (Debian 12) nor its Debian 13 replacement: both are named.
        o.codec2Dir = tmp.filePath(QStringLiteral("no-codec2")).toStdString();
        o.asteriskDir = tmp.filePath(QStringLiteral("no-asterisk")).toStdString();
        try {
            buildDemoCorpus(o);
            QFAIL("no error without codec2-examples and asterisk-core-sounds-en-wav");
        } catch (const ConfigError& e) {
            for (const char* pkg : {"codec2-examples", "asterisk-core-sounds-en-wav"})
                QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String(pkg)), e.what());
        }
        o.codec2Dir = tmp.path().toStdString();
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", tmp.path().toLocal8Bit());  // no espeak-ng, flite or text2wave here
        try {
            buildDemoCorpus(o);
            qputenv("PATH", path);
            QFAIL("no error without the synthesisers");
        } catch (const ConfigError& e) {
            qputenv("PATH", path);
            for (const char* pkg : {"espeak-ng", "flite", "festival"})
                QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String(pkg)), e.what());
        }
    }

    void metricsAgreeWithTheirDefinitions()
    {
        std::mt19937_64 rng(5);
        std::uniform_int_distribution<int> level(0, 9);  // many ties
        std::vector<double> s;
        std::vector<uint8_t> y;
        for (int i = 0; i < 300; ++i) {
            const uint8_t lab = uint8_t(i % 3 == 0);
            y.push_back(lab);
            s.push_back(level(rng) + (lab ? 2 : 0));
        }
        // AUC: P(score_pos > score_neg) + 1/2 P(equal), by brute force.
        double wins = 0, pairs = 0;
        for (size_t i = 0; i < s.size(); ++i)
            for (size_t j = 0; j < s.size(); ++j)
                if (y[i] && !y[j]) {
                    wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
                    pairs += 1;
                }
        QVERIFY(std::abs(rocAuc(s, y) - wins / pairs) < 1e-12);
        QCOMPARE(rocAuc(std::vector<double>(4, 1.0), {1, 0, 1, 0}), 0.5);
        QVERIFY(std::isnan(rocAuc({1, 2}, {1, 1})));
        // AP: the mean over positives of the precision at their rank (no ties here).
        QCOMPARE(averagePrecision({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0}), (1.0 + 2.0 / 3.0) / 2.0);
        QCOMPARE(averagePrecision({0.1, 0.2, 0.3}, {0, 0, 1}), 1.0);
        // EER: separable -> 0, reversed -> 1, and a case with FAR = FRR = 1/4 at one threshold.
        QCOMPARE(utteranceEer({3, 4, 1, 2}, {true, true, false, false}), 0.0);
        QCOMPARE(utteranceEer({1, 2, 3, 4}, {true, true, false, false}), 1.0);
        QCOMPARE(utteranceEer({8, 7, 6, 3, 5, 4, 2, 1}, {true, true, true, true, false, false, false, false}), 0.25);
        QVERIFY(std::isnan(utteranceEer({1, 2}, {true, true})));
    }
};

QTEST_GUILESS_MAIN(TestDemoCorpus)
#include "TestDemoCorpus.moc"
