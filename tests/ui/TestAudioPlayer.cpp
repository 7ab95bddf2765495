// Audio out: AudioPlayer plays through a real ALSA device set up by the test
// (ALSA_CONFIG_PATH, read by alsa-lib when PortAudio initialises): a `null`
// PCM for position/pause/stop/seek/region, a `file` PCM to check the samples
// that came out, and a missing device for the no-audio path. The null device
// is not paced in real time, so nothing here depends on timing: loops keep
// playback going where a test needs it to, and waits are QTRY_* on state.
// ctest-labels: gui
#include "core/audio/Resampler.h"
#include "ui/playback/AudioPlayer.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

using spooflens::ui::AudioPlayer;

namespace {

constexpr int kRate = 16000;

// 3 s that never touch 0, so the first sample of the output is easy to find.
std::vector<float> testSignal()
{
    std::vector<float> x(3 * kRate);
    for (size_t n = 0; n < x.size(); ++n)
        x[n] = 0.5f + 0.4f * static_cast<float>(std::sin(2.0 * 3.14159265358979 * 440.0 * n / kRate));
    return x;
}

std::vector<double> positions(const QSignalSpy& spy)
{
    std::vector<double> v;
    for (const auto& args : spy)
        v.push_back(args.at(0).toDouble());
    return v;
}

} // namespace

class TestAudioPlayer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::vector<float> m_x = testSignal();
    int m_configs = 0;

    // Points alsa-lib at a fresh config; must happen before the player exists.
    void useAlsaConfig(const QByteArray& text)
    {
        const QString path = m_dir.filePath(QStringLiteral("asound-%1.conf").arg(++m_configs));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
        f.close();
        qputenv("ALSA_CONFIG_PATH", QFile::encodeName(path));
    }

    void useNullDevice() { useAlsaConfig("pcm.!default { type null }\n"); }

    // A `file` PCM writing raw float32 to a new file (returned) over a null PCM.
    QString useFileDevice()
    {
        const QString out = m_dir.filePath(QStringLiteral("out-%1.raw").arg(m_configs + 1));
        useAlsaConfig(QByteArray("pcm.nullout { type null }\n"
                                 "pcm.!default { type file slave.pcm \"nullout\" file \"") +
                      QFile::encodeName(out) + "\" format \"raw\" }\n");
        return out;
    }

    static std::vector<float> readFloats(const QString& path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        const QByteArray b = f.readAll();
        std::vector<float> v(static_cast<size_t>(b.size()) / sizeof(float));
        std::memcpy(v.data(), b.constData(), v.size() * sizeof(float));
        return v;
    }

    // The output must be: zeros, then exactly `expect`, then zeros (PortAudio
    // primes and pads buffers with silence).
    static void checkOutput(const std::vector<float>& out, const std::vector<float>& expect)
    {
        QVERIFY(!expect.empty());
        size_t first = 0;
        while (first < out.size() && out[first] == 0.0f)
            ++first;
        QVERIFY2(first + expect.size() <= out.size(),
                 qPrintable(QStringLiteral("output %1 samples, audio starts at %2, expected %3")
                                .arg(out.size()).arg(first).arg(expect.size())));
        QVERIFY(std::memcmp(out.data() + first, expect.data(), expect.size() * sizeof(float)) == 0);
        for (size_t i = first + expect.size(); i < out.size(); ++i)
            QCOMPARE(out[i], 0.0f);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void playToEnd()
    {
        useNullDevice();
        QString why;
        QVERIFY2(AudioPlayer::available(&why), qPrintable(why));
        AudioPlayer player;
        QVERIFY2(player.isAvailable(), qPrintable(player.errorString()));
        QVERIFY(player.deviceDescription().contains(QLatin1String("16000 Hz")));
        player.setAudio(m_x);
        QCOMPARE(player.duration(), 3.0);
        QSignalSpy pos(&player, &AudioPlayer::positionChanged);
        QSignalSpy state(&player, &AudioPlayer::stateChanged);
        QSignalSpy done(&player, &AudioPlayer::finished);
        QVERIFY(player.play());
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        QCOMPARE(state.count(), 2);  // Playing, Stopped
        // The cursor moved forward to the end, then rewound to 0.
        const std::vector<double> p = positions(pos);
        QVERIFY(p.size() >= 2);
        for (size_t i = 1; i + 1 < p.size(); ++i)
            QVERIFY(p[i] >= p[i - 1]);
        QCOMPARE(p[p.size() - 2], 3.0);
        QCOMPARE(p.back(), 0.0);
        QCOMPARE(player.position(), 0.0);
    }

    void pauseResumeStop()
    {
        useNullDevice();
        AudioPlayer player;
        QVERIFY2(player.isAvailable(), qPrintable(player.errorString()));
        player.setAudio(m_x);
        player.setLoop(true);  // keeps the unpaced null device busy until we pause
        QSignalSpy pos(&player, &AudioPlayer::positionChanged);
        QVERIFY(player.play());
        QTRY_VERIFY(player.position() > 0.0);
        QTRY_VERIFY(pos.count() >= 2);
        player.pause();
        QCOMPARE(player.state(), AudioPlayer::State::Paused);
        const double paused = player.position();
        QVERIFY(paused >= 0.0 && paused <= 3.0);
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        QCOMPARE(player.position(), paused);  // the callback no longer runs

        QVERIFY(player.play());  // resume
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
        QTRY_VERIFY(player.position() != paused);

        QSignalSpy done(&player, &AudioPlayer::finished);
        player.stop();
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        QCOMPARE(player.position(), 0.0);
        QCOMPARE(pos.last().at(0).toDouble(), 0.0);
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        QCOMPARE(player.position(), 0.0);
        QCOMPARE(done.count(), 0);  // stop() is not the end of playback
    }

    void seekThenPlay()
    {
        useNullDevice();
        AudioPlayer player;
        QVERIFY(player.isAvailable());
        player.setAudio(m_x);
        QSignalSpy pos(&player, &AudioPlayer::positionChanged);
        player.seek(2.0);
        QCOMPARE(player.position(), 2.0);
        QCOMPARE(pos.last().at(0).toDouble(), 2.0);
        player.seek(99.0);  // clamped to the end
        QCOMPARE(player.position(), 3.0);
        player.seek(-1.0);
        QCOMPARE(player.position(), 0.0);
        player.seek(2.0);
        pos.clear();
        QSignalSpy done(&player, &AudioPlayer::finished);
        QVERIFY(player.play());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        const std::vector<double> p = positions(pos);
        for (size_t i = 0; i + 1 < p.size(); ++i)  // all but the final rewind
            QVERIFY2(p[i] >= 2.0, qPrintable(QString::number(p[i])));

        // Seeking while playing hands the position to the callback (its effect on
        // the output is not observable without timing on an unpaced device).
        player.setLoop(true);
        QVERIFY(player.play());
        player.seek(1.25);
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
        player.pause();
        player.seek(1.25);
        QCOMPARE(player.position(), 1.25);
        player.stop();
    }

    void regionStaysInside()
    {
        useNullDevice();
        AudioPlayer player;
        QVERIFY(player.isAvailable());
        player.setAudio(m_x);
        player.setLoop(true);
        QSignalSpy pos(&player, &AudioPlayer::positionChanged);
        QVERIFY(player.playRegion(1.0, 1.5));
        QVERIFY(player.hasRegion());
        QCOMPARE(player.regionStart(), 1.0);
        QCOMPARE(player.regionEnd(), 1.5);
        QTRY_VERIFY(pos.count() >= 5);
        player.pause();
        for (double p : positions(pos))
            QVERIFY2(p >= 1.0 && p <= 1.5, qPrintable(QString::number(p)));
        QVERIFY(player.position() >= 1.0 && player.position() <= 1.5);
        player.seek(0.2);  // clamped into the region while it is active
        QCOMPARE(player.position(), 1.0);

        // Without loop: the region plays once, then the cursor returns to its start.
        player.stop();
        player.setLoop(false);
        pos.clear();
        QSignalSpy done(&player, &AudioPlayer::finished);
        QVERIFY(player.playRegion(0.5, 0.75));
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        for (double p : positions(pos))
            QVERIFY2(p >= 0.5 && p <= 0.75, qPrintable(QString::number(p)));
        QCOMPARE(player.position(), 0.5);
        QVERIFY(!player.hasRegion());
        QVERIFY(!player.playRegion(1.0, 1.0));  // empty region refused
    }

    void samplesThatCameOut()
    {
        const QString out = useFileDevice();
        {
            AudioPlayer player;
            QVERIFY2(player.isAvailable(), qPrintable(player.errorString()));
            QVERIFY2(player.deviceDescription().contains(QLatin1String("16000 Hz mono")),
                     qPrintable(player.deviceDescription()));
            player.setAudio(m_x);
            QSignalSpy done(&player, &AudioPlayer::finished);
            QVERIFY(player.play());
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        }  // closing the stream flushes the file
        checkOutput(readFloats(out), m_x);
    }

    void regionAndVolumeCameOut()
    {
        const QString out = useFileDevice();
        {
            AudioPlayer player;
            QVERIFY(player.isAvailable());
            player.setAudio(m_x);
            player.setVolume(0.5f);
            QSignalSpy done(&player, &AudioPlayer::finished);
            QVERIFY(player.playRegion(1.0, 1.25));
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        }
        std::vector<float> expect(m_x.begin() + kRate, m_x.begin() + kRate + kRate / 4);
        for (float& v : expect)
            v *= 0.5f;
        checkOutput(readFloats(out), expect);
    }

    void seekCameOut()
    {
        const QString out = useFileDevice();
        {
            AudioPlayer player;
            QVERIFY(player.isAvailable());
            player.setAudio(m_x);
            player.seek(2.5);
            QSignalSpy done(&player, &AudioPlayer::finished);
            QVERIFY(player.play());
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        }
        checkOutput(readFloats(out), std::vector<float>(m_x.begin() + 2 * kRate + kRate / 2, m_x.end()));
    }

    void resampledForDeviceRate()
    {
        // A device opened at 48 kHz gets the audio resampled by libsoxr (HQ):
        // exactly what core::resample produces, at the right speed.
        const QString out = useFileDevice();
        const std::vector<float> expect = spooflens::core::resample(m_x, kRate, 48000);
        QCOMPARE(expect.size(), size_t(3 * 48000));
        {
            AudioPlayer player(48000);
            QVERIFY2(player.isAvailable(), qPrintable(player.errorString()));
            QVERIFY2(player.deviceDescription().contains(QLatin1String("48000 Hz")) &&
                         player.deviceDescription().contains(QLatin1String("resampled")),
                     qPrintable(player.deviceDescription()));
            player.setAudio(m_x);
            QCOMPARE(player.duration(), 3.0);
            player.seek(1.5);
            QCOMPARE(player.position(), 1.5);  // seconds, not device samples
            player.seek(0.0);
            QSignalSpy pos(&player, &AudioPlayer::positionChanged);
            QSignalSpy done(&player, &AudioPlayer::finished);
            QVERIFY(player.play());
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
            const std::vector<double> p = positions(pos);
            QVERIFY(p.size() >= 2);
            QCOMPARE(p[p.size() - 2], 3.0);
        }
        checkOutput(readFloats(out), expect);
    }

    void noDevice()
    {
        // The default PCM names a sound card that does not exist.
        useAlsaConfig("pcm.!default { type hw card 29 device 0 }\n");
        QString why;
        QVERIFY(!AudioPlayer::available(&why));
        QVERIFY2(why.contains(QLatin1String("unavailable")), qPrintable(why));
        AudioPlayer player;
        QVERIFY(!player.isAvailable());
        QVERIFY2(player.errorString().contains(QLatin1String("unavailable")), qPrintable(player.errorString()));
        player.setAudio(m_x);
        QCOMPARE(player.duration(), 3.0);
        QSignalSpy err(&player, &AudioPlayer::errorOccurred);
        QVERIFY(!player.play());
        QVERIFY(!player.playRegion(0.5, 1.0));
        QCOMPARE(err.count(), 2);
        // Why there is no playback, not "empty region" (issue 26).
        QVERIFY2(err.at(1).at(0).toString().contains(QLatin1String("unavailable")), qPrintable(err.at(1).at(0).toString()));
        QVERIFY(!player.play());
        QVERIFY2(player.errorString().contains(QLatin1String("unavailable")), qPrintable(player.errorString()));
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        player.pause();
        player.seek(1.0);
        player.stop();
        player.togglePlayPause();
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
    }
};

QTEST_MAIN(TestAudioPlayer)
#include "TestAudioPlayer.moc"
