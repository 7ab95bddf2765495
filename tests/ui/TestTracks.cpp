// Track classes on real data: the waveform summary against the samples of
// a real ASVspoof file, the spectrogram against a sine of known frequency
// and level, and the frame tracks against an Explanation computed by the
// real Explainer (tiny fixture detector + Stage 2 fixture).
// ctest-labels: gui
#include "core/audio/AudioFile.h"
#include "core/explain/Explainer.h"
#include "tests/support/TestData.h"
#include "ui/tracks/FrameRegions.h"
#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/ScoreTrack.h"
#include "ui/tracks/SimilarityTrack.h"
#include "ui/tracks/Spectrogram.h"
#include "ui/tracks/SpectrogramTrack.h"
#include "ui/tracks/WaveformSummary.h"
#include "ui/tracks/WaveformTrack.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

using namespace spooflens;
using spooflens::test::dataPath;

class TestTracks : public QObject {
    Q_OBJECT

    std::shared_ptr<core::AudioData> m_audio;
    std::shared_ptr<const std::vector<float>> m_samples;
    core::Explanation m_explanation;

private slots:
    void initTestCase()
    {
        m_audio = std::make_shared<core::AudioData>(core::loadAudio(dataPath("asvspoof_bonafide_sample.flac")));
        QCOMPARE(m_audio->samples.size(), size_t(112640));
        m_samples = std::shared_ptr<const std::vector<float>>(m_audio, &m_audio->samples);
        core::DetectorOptions opt;
        opt.checkpointPath = dataPath("fixtures/detector_tiny.pth");
        opt.device = "cpu";
        core::Explainer explainer(opt);
        explainer.addStage2(dataPath("fixtures/xai_tiny.pth"));
        m_explanation = explainer.explain(*m_audio);
        QCOMPARE(m_explanation.frames, m_audio->frames());
        QCOMPARE(m_explanation.tracks.size(), size_t(1));
    }

    void summaryEnvelopeBoundsTheSamples()
    {
        ui::WaveformSummary summary(m_samples, 16000);
        QVERIFY(summary.levelCount() >= 3);
        const int pixels = 1000;
        const auto env = summary.envelope(0, summary.durationSeconds(), pixels);
        QVERIFY(!env.exact);
        QVERIFY(env.time.size() >= size_t(pixels - 1) && env.time.size() <= size_t(pixels));
        // Each column's [lo, hi] covers the exact min/max of its samples and
        // stays within one summary block of them.
        const double perPixel = double(m_samples->size()) / pixels;
        for (size_t p = 0; p < env.time.size(); ++p) {
            const auto a = size_t(std::floor(double(p) * perPixel));
            const auto b = std::min(m_samples->size(), size_t(std::floor(double(p + 1) * perPixel)));
            const auto [mn, mx] = std::minmax_element(m_samples->begin() + long(a), m_samples->begin() + long(b));
            QVERIFY2(env.lo[p] <= *mn && env.hi[p] >= *mx, qPrintable(QString::number(p)));
            QCOMPARE(env.time[p], (double(a) + double(b)) * 0.5 / 16000.0);
        }
        const auto [gmn, gmx] = std::minmax_element(m_samples->begin(), m_samples->end());
        QCOMPARE(*std::min_element(env.lo.begin(), env.lo.end()), double(*gmn));
        QCOMPARE(*std::max_element(env.hi.begin(), env.hi.end()), double(*gmx));
    }

    void summaryExactWhenZoomedIn()
    {
        ui::WaveformSummary summary(m_samples, 16000);
        // 10 ms = 160 samples on 800 pixels: the samples themselves.
        const auto env = summary.envelope(1.0, 1.01, 800);
        QVERIFY(env.exact);
        QVERIFY(env.time.size() >= 160 && env.time.size() <= 162);
        for (size_t i = 0; i < env.time.size(); ++i) {
            const auto n = size_t(std::llround(env.time[i] * 16000.0));
            QCOMPARE(env.lo[i], double((*m_samples)[n]));
        }
    }

    void waveformTrackPointsFollowZoom()
    {
        ui::WaveformTrack track;
        track.resize(900, 120);
        track.setSamples(m_samples, 16000);
        track.setTimeRange(0, 7.04);
        QVERIFY(!track.showsExactSamples());
        const int width = track.width() - ui::Track::kLeftMargin - ui::Track::kRightMargin;
        QVERIFY2(track.pointCount() <= width && track.pointCount() >= width - 1,
                 qPrintable(QStringLiteral("%1 points on %2 px").arg(track.pointCount()).arg(width)));
        track.setTimeRange(2.0, 2.005);  // 80 samples
        QVERIFY(track.showsExactSamples());
        QVERIFY(track.pointCount() >= 80 && track.pointCount() <= 82);
    }

    void spectrogramOfASine()
    {
        // 1 s of a full-scale 1 kHz sine: peak in the 1 kHz bin at 0 dB (±0.5).
        std::vector<float> x(16000);
        for (size_t n = 0; n < x.size(); ++n)
            x[n] = float(std::sin(2.0 * M_PI * 1000.0 * double(n) / 16000.0));
        const auto img = ui::computeSpectrogram(x.data(), int64_t(x.size()), 16000, {}, 0, 1, 100000);
        QCOMPARE(img.columns, (16000 - 400) / 160 + 1);
        QCOMPARE(img.bins, 257);
        QCOMPARE(img.binStep, 16000.0 / 512.0);
        QCOMPARE(img.firstTime, 200.0 / 16000.0);
        QCOMPARE(img.columnStep, 0.01);
        for (int c = 0; c < img.columns; c += 17) {
            const float* col = img.db.data() + size_t(c) * size_t(img.bins);
            const int peak = int(std::max_element(col, col + img.bins) - col);
            QCOMPARE(peak * img.binStep, 1000.0);
            QVERIFY2(std::abs(col[peak]) < 0.5, qPrintable(QString::number(col[peak])));
            QVERIFY(col[200] < -60);  // 6250 Hz: far from the tone
        }
        // Pooling: at most 10 columns, each averaging 10 STFT frames.
        const auto pooled = ui::computeSpectrogram(x.data(), int64_t(x.size()), 16000, {}, 0, 1, 10);
        QCOMPARE(pooled.columns, 10);
        QCOMPARE(pooled.framesPerColumn, 10);
        std::atomic<bool> cancel{true};
        QVERIFY(ui::computeSpectrogram(x.data(), int64_t(x.size()), 16000, {}, 0, 1, 100, &cancel).empty());
    }

    void spectrogramTrackComputesOffThread()
    {
        ui::SpectrogramTrack track;
        track.resize(900, 170);
        QSignalSpy busy(&track, &ui::Track::busyChanged);
        track.setSamples(m_samples, 16000);
        QVERIFY(track.isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(!track.isBusy(), 30000);
        const auto& img = track.overview();
        QCOMPARE(img.columns, int((112640 - 400) / 160 + 1));
        QCOMPARE(img.firstTime, 0.0125);
        QVERIFY(img.maxDb > -40 && img.maxDb < 10);
        // Auto top follows the loudest bin.
        QCOMPARE(track.dbTop(), std::ceil(double(img.maxDb)));
        QVERIFY(busy.count() >= 2);
    }

    void importanceTrackAtFrameCentres()
    {
        const auto& st = m_explanation.tracks.front();
        ui::ImportanceTrack track;
        track.resize(900, 90);
        track.setData(st, QStringLiteral("test"));
        QCOMPARE(track.pointCount(), int(m_explanation.frames));
        for (int t : {0, 1, 100, int(m_explanation.frames) - 1})
            QCOMPARE(track.pointTime(t), (320.0 * t + 200.0) / 16000.0);
        for (double thr : {0.2, 0.5, 0.8}) {
            track.setThreshold(thr, true);
            QCOMPARE(track.regionCount(), int(ui::regionsAbove(st.importance, thr).size()));
        }
        track.setThreshold(0.5, false);
        QCOMPARE(track.regionCount(), 0);
        const double t5 = (320.0 * 5 + 200.0) / 16000.0;
        QCOMPARE(track.readout(t5), QStringLiteral("w=%1").arg(double(st.importance[5]), 0, 'f', 3));
    }

    void regionsAboveThreshold()
    {
        const std::vector<float> w{0.1f, 0.9f, 0.8f, 0.2f, 0.7f};
        const auto r = ui::regionsAbove(w, 0.5);
        QCOMPARE(r.size(), size_t(2));
        QCOMPARE(r[0].firstFrame, int64_t(1));
        QCOMPARE(r[0].lastFrame, int64_t(2));
        QCOMPARE(r[0].startSeconds, (320.0 + 200.0) / 16000.0 - 0.01);
        QCOMPARE(r[0].endSeconds, (640.0 + 200.0) / 16000.0 + 0.01);
        QCOMPARE(r[0].peak, 0.9f);
        QCOMPARE(r[1].firstFrame, int64_t(4));
    }

    void similarityTrackAtFrameCentres()
    {
        const auto& st = m_explanation.tracks.front();
        ui::SimilarityTrack track;
        track.setData(st, QStringLiteral("test"));
        QCOMPARE(track.pointCount(), int(m_explanation.frames));
        QCOMPARE(track.pointTime(7), (320.0 * 7 + 200.0) / 16000.0);
        QVERIFY(track.readout(track.pointTime(7)).contains(QString::number(double(st.simSpoof[7]), 'f', 3)));
        for (float v : st.simSpoof)
            QVERIFY(v >= -1.0001f && v <= 1.0001f);
    }

    void scoreTrackVerdictFollowsThreshold()
    {
        ui::ScoreTrack track;
        QCOMPARE(track.threshold(), -3.73);
        QVERIFY(track.thresholdOrigin().contains(QStringLiteral("DF EER")));
        track.setExplanation(m_explanation, 7.04);
        QVERIFY(track.hasScore());
        QCOMPARE(track.score(), m_explanation.score);
        track.setThreshold(double(m_explanation.score) - 1.0, QStringLiteral("user"));
        QCOMPARE(track.verdict(), QStringLiteral("bona fide"));
        track.setThreshold(double(m_explanation.score) + 1.0, QStringLiteral("user"));
        QCOMPARE(track.verdict(), QStringLiteral("spoof"));
        QVERIFY(track.summaryText().contains(QStringLiteral("user")));
    }

    void scoreTrackNonFiniteScoreIsAnError_data()
    {
        QTest::addColumn<float>("score");
        QTest::addColumn<double>("threshold");
        QTest::addColumn<QString>("shown");
        QTest::newRow("nan score") << std::numeric_limits<float>::quiet_NaN() << -3.73 << "score is nan";
        QTest::newRow("inf score") << std::numeric_limits<float>::infinity() << -3.73 << "score is inf";
        QTest::newRow("-inf score") << -std::numeric_limits<float>::infinity() << -3.73 << "score is -inf";
        QTest::newRow("nan threshold") << 1.5f << std::numeric_limits<double>::quiet_NaN() << "threshold is nan";
    }

    void scoreTrackNonFiniteScoreIsAnError()
    {
        // "nan < threshold → spoof" was shown for a NaN score: a score or
        // threshold that is not a number gives an error, never a decision.
        QFETCH(float, score);
        QFETCH(double, threshold);
        QFETCH(QString, shown);
        core::Explanation e = m_explanation;
        e.score = score;
        ui::ScoreTrack track;
        track.setThreshold(threshold, QStringLiteral("user"));
        track.setExplanation(e, 7.04);
        QVERIFY(track.hasScore());
        QVERIFY(!track.hasDecision());
        QCOMPARE(track.verdict(), QString());
        const QString text = track.summaryText();
        QVERIFY2(text.startsWith(QStringLiteral("Error:")) && text.contains(shown) && text.contains("no decision"),
                 qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("spoof")) && !text.contains(QStringLiteral("bona fide"))
                     && !text.contains(QStringLiteral("→")),
                 qPrintable(text));
        QVERIFY(std::isfinite(track.yAxis->range().lower) && std::isfinite(track.yAxis->range().upper));
        // A finite score again: a decision again.
        e.score = 0.5f;
        track.setThreshold(0.0, QStringLiteral("user"));
        track.setExplanation(e, 7.04);
        QCOMPARE(track.verdict(), QStringLiteral("bona fide"));
    }
};

QTEST_MAIN(TestTracks)
#include "TestTracks.moc"
