// Audio in: every format/rate/layout loadAudio must read (files generated with
// sox and opusenc at test time), the two real FLACs bit-exact against the
// reference arrays, and every bad-input case -> AudioError naming the file.
// ctest-labels: fast
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/AudioLength.h"
#include "core/audio/Resampler.h"
#include "core/checkpoint/Npy.h"
#include "tests/support/TestData.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>

using namespace spooflens::core;

namespace {

constexpr double kPi = 3.14159265358979323846;

// The offset of the first FLAC frame header at or after `from`, or -1. A
// frame starts with the sync code 0xFFF8 (fixed block size), but the same two
// bytes turn up inside encoded audio too (sox dithers, so each run's bytes
// differ): a position counts only when the whole header parses and its
// CRC-8 (polynomial 0x07, FLAC format section "FRAME_HEADER") matches.
qsizetype flacFrameStart(const QByteArray& b, qsizetype from)
{
    const auto u = [&b](qsizetype i) { return uint8_t(b[i]); };
    for (qsizetype at = b.indexOf(QByteArray("\xff\xf8", 2), from); at >= 0;
         at = b.indexOf(QByteArray("\xff\xf8", 2), at + 1)) {
        if (at + 6 > b.size())
            return -1;
        const int blockCode = u(at + 2) >> 4, rateCode = u(at + 2) & 0xF;
        const int channelCode = u(at + 3) >> 4, sizeCode = (u(at + 3) >> 1) & 7;
        if (blockCode == 0 || rateCode == 15 || channelCode > 10 || sizeCode == 3 || (u(at + 3) & 1))
            continue;
        // Frame number, UTF-8 coded: the lead byte's leading ones give the length.
        qsizetype p = at + 4;
        int extra = 0;
        if (u(p) >= 0xC0 && u(p) < 0xFE) {
            while (u(p) & (0x40 >> extra))
                ++extra;
        } else if (u(p) >= 0x80) {
            continue;
        }
        p += 1 + extra;
        p += blockCode == 6 ? 1 : blockCode == 7 ? 2 : 0;
        p += rateCode == 12 ? 1 : (rateCode == 13 || rateCode == 14) ? 2 : 0;
        if (p >= b.size())
            return -1;
        uint8_t crc = 0;
        for (qsizetype i = at; i < p; ++i) {
            crc ^= u(i);
            for (int k = 0; k < 8; ++k)
                crc = uint8_t((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
        }
        if (crc == u(p))
            return at;
    }
    return -1;
}

// Least-squares fit of a*sin + b*cos at `freq` Hz over the middle of `x`
// (edges skipped: resampler and codec transients). Returns amplitude and the
// RMS of what the sinusoid does not explain.
struct SineFit {
    double amplitude = 0;
    double residualRms = 0;
};

SineFit fitSine(const std::vector<float>& x, double freq, int rate = 16000)
{
    const size_t skip = x.size() / 10;
    const size_t begin = skip, end = x.size() - skip;
    double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
    for (size_t n = begin; n < end; ++n) {
        const double ph = 2.0 * kPi * freq * static_cast<double>(n) / rate;
        const double s = std::sin(ph), c = std::cos(ph);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        xs += x[n] * s;
        xc += x[n] * c;
    }
    const double det = ss * cc - sc * sc;
    const double a = (xs * cc - xc * sc) / det;
    const double b = (xc * ss - xs * sc) / det;
    double r = 0;
    for (size_t n = begin; n < end; ++n) {
        const double ph = 2.0 * kPi * freq * static_cast<double>(n) / rate;
        const double e = x[n] - (a * std::sin(ph) + b * std::cos(ph));
        r += e * e;
    }
    return {std::sqrt(a * a + b * b), std::sqrt(r / static_cast<double>(end - begin))};
}

// Loads and returns the AudioError message; fails the test if nothing is thrown.
QString loadError(const std::string& path, const AudioLoadOptions& options = {})
{
    try {
        loadAudio(path, options);
    } catch (const AudioError& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("WRONG EXCEPTION TYPE: ") + QString::fromStdString(e.what());
    }
    return QString();
}

} // namespace

class TestAudioFile : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::string tmp(const QString& name) const { return m_dir.filePath(name).toStdString(); }

    // Runs a tool (sox, opusenc); fails the calling test on error.
    bool run(const QString& program, const QStringList& args)
    {
        QProcess p;
        p.start(program, args);
        if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning() << program << args << "failed:" << p.readAllStandardError();
            return false;
        }
        return true;
    }

    // sox -n -r RATE -c CH [encoding args] FILE synth DUR sine F1 [sine F2 ...] vol 0.5
    bool makeSine(const QString& name, int rate, int channels, const QStringList& encoding, double seconds,
                  const QStringList& freqs = {QStringLiteral("440")})
    {
        QStringList args{QStringLiteral("-n"), QStringLiteral("-r"), QString::number(rate), QStringLiteral("-c"),
                         QString::number(channels)};
        args += encoding;
        args << m_dir.filePath(name) << QStringLiteral("synth") << QString::number(seconds);
        for (const QString& f : freqs)
            args << QStringLiteral("sine") << f;
        args << QStringLiteral("vol") << QStringLiteral("0.5");
        return run(QStringLiteral("sox"), args);
    }

    // Writes a file containing the bytes of `data`.
    void writeBytes(const QString& name, const QByteArray& data)
    {
        QFile f(m_dir.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(data), data.size());
    }

    // The reference arrays of ref_tiny.npz (core's readNpz).
    std::vector<float> referenceArray(const QString& key)
    {
        static const std::map<std::string, NpyArray> npz = readNpz(spooflens::test::dataPath("fixtures/ref_tiny.npz"));
        const auto it = npz.find(key.toStdString());
        if (it == npz.end() || it->second.descr != "<f4")
            return {};
        return std::vector<float>(it->second.f32(), it->second.f32() + it->second.numel());
    }

    // The same arrays read with numpy (an independent reader), or {} without it.
    std::vector<float> numpyArray(const QString& key)
    {
        const QString out = m_dir.filePath(key + QStringLiteral(".f32"));
        const QString npz = QString::fromStdString(spooflens::test::dataPath("fixtures/ref_tiny.npz"));
        const QString script = QStringLiteral("import numpy as np,sys; np.load(sys.argv[1])[sys.argv[2]]"
                                              ".astype('<f4').tofile(sys.argv[3])");
        QProcess p;
        p.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, npz, key, out});
        if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return {};
        QFile f(out);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        const QByteArray bytes = f.readAll();
        std::vector<float> v(static_cast<size_t>(bytes.size()) / sizeof(float));
        std::memcpy(v.data(), bytes.constData(), v.size() * sizeof(float));
        return v;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("sox")).isEmpty(), "sox is needed (tools/install-deps.sh)");
    }

    void frameArithmetic()
    {
        QCOMPARE(FrameGrid::xlsr().count(0), int64_t(0));
        QCOMPARE(FrameGrid::xlsr().count(399), int64_t(0));
        QCOMPARE(FrameGrid::xlsr().count(400), int64_t(1));
        QCOMPARE(FrameGrid::xlsr().count(719), int64_t(1));
        QCOMPARE(FrameGrid::xlsr().count(720), int64_t(2));
        QCOMPARE(FrameGrid::xlsr().count(64600), int64_t(201));
        QCOMPARE(FrameGrid::xlsr().count(112640), int64_t(351));
        QCOMPARE(FrameGrid::xlsr().centreSeconds(0), 0.0125);
        QCOMPARE(FrameGrid::xlsr().centreSeconds(1), 0.0325);
        QCOMPARE(FrameGrid::xlsr().centreSeconds(200), (320.0 * 200 + 200) / 16000.0);
    }

    void repeatPadMatchesReference()
    {
        const std::vector<float> x = referenceArray(QStringLiteral("wave_rand1p3s"));
        const std::vector<float> y = referenceArray(QStringLiteral("wave_rand1p3s_pad66800"));
        QCOMPARE(x.size(), size_t(20800));
        QCOMPARE(y.size(), size_t(66800));
        QVERIFY(repeatPad(x, 66800) == y);
        const std::vector<float> b = referenceArray(QStringLiteral("wave_bonafide"));
        QVERIFY(repeatPad(b, 66800) == referenceArray(QStringLiteral("wave_bonafide_pad66800")));
        QCOMPARE(repeatPad(x, 5), std::vector<float>(x.begin(), x.begin() + 5));
        QVERIFY(repeatPad(x, 0).empty());
        QVERIFY_THROWS_EXCEPTION(AudioError, repeatPad({}, 10));
    }

    void realFlacsBitExact_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("key");
        QTest::addColumn<int>("samples");
        QTest::newRow("bonafide") << "asvspoof_bonafide_sample.flac" << "wave_bonafide" << 112640;
        QTest::newRow("spoof") << "asvspoof_spoof_sample.flac" << "wave_spoof" << 101520;
    }

    void realFlacsBitExact()
    {
        QFETCH(QString, file);
        QFETCH(QString, key);
        QFETCH(int, samples);
        const AudioData a = loadAudio(spooflens::test::dataPath(file.toStdString()));
        QCOMPARE(a.format, std::string("FLAC 16-bit"));
        QCOMPARE(a.sampleRateIn, 16000);
        QCOMPARE(a.channelsIn, 1);
        QCOMPARE(a.framesIn, int64_t(samples));
        QCOMPARE(static_cast<int>(a.samples.size()), samples);
        QCOMPARE(a.frames(), FrameGrid::xlsr().count(samples));
        const std::vector<float> ref = referenceArray(key);
        QCOMPARE(ref.size(), a.samples.size());
        QVERIFY(std::memcmp(ref.data(), a.samples.data(), ref.size() * sizeof(float)) == 0);
        if (QFileInfo::exists(QStringLiteral("/usr/bin/python3"))) {
            const std::vector<float> np = numpyArray(key);
            if (!np.empty())
                QVERIFY(np == ref);
        }
        // Both contain a -32768 sample: the peak is exactly 1.0.
        float peak = 0;
        for (float v : a.samples)
            peak = std::max(peak, std::fabs(v));
        QCOMPARE(peak, 1.0f);
    }

    void formats_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("rate");
        QTest::addColumn<int>("channels");
        QTest::addColumn<QStringList>("encoding");
        QTest::addColumn<QString>("format");
        QTest::addColumn<double>("maxResidual");  // RMS of what a 440 Hz sine does not explain

        const QStringList bits8{"-b", "8"}, bits16{"-b", "16"}, bits24{"-b", "24"}, bits32{"-b", "32"};
        const QStringList flt{"-e", "floating-point", "-b", "32"};
        QTest::newRow("wav u8 22050 mono") << "u8.wav" << 22050 << 1 << bits8 << "WAV 8-bit" << 0.02;
        QTest::newRow("wav s16 44100 stereo") << "s16.wav" << 44100 << 2 << bits16 << "WAV 16-bit" << 0.002;
        QTest::newRow("wav s16 16000 mono") << "s16k.wav" << 16000 << 1 << bits16 << "WAV 16-bit" << 0.002;
        QTest::newRow("wav s24 48000 6ch") << "s24.wav" << 48000 << 6 << bits24 << "WAV 24-bit" << 0.001;
        QTest::newRow("wav s32 8000 mono") << "s32.wav" << 8000 << 1 << bits32 << "WAV 32-bit" << 0.001;
        QTest::newRow("wav float 48000 stereo") << "f32.wav" << 48000 << 2 << flt << "WAV float" << 0.001;
        QTest::newRow("flac 16 22050 mono") << "a.flac" << 22050 << 1 << bits16 << "FLAC 16-bit" << 0.002;
        QTest::newRow("flac 24 44100 6ch") << "b.flac" << 44100 << 6 << bits24 << "FLAC 24-bit" << 0.001;
        QTest::newRow("ogg vorbis 44100 stereo") << "v.ogg" << 44100 << 2 << QStringList{} << "Ogg Vorbis" << 0.05;
        QTest::newRow("ogg vorbis 8000 mono") << "v8.ogg" << 8000 << 1 << QStringList{} << "Ogg Vorbis" << 0.05;
        QTest::newRow("mp3 44100 stereo") << "m.mp3" << 44100 << 2 << QStringList{} << "MP3" << 0.05;
        QTest::newRow("mp3 22050 mono") << "m22.mp3" << 22050 << 1 << QStringList{} << "MP3" << 0.05;
        // Opus is always decoded at 48 kHz; opusenc converts from a sox WAV.
        QTest::newRow("opus 48000 stereo") << "o.opus" << 48000 << 2 << QStringList{} << "Opus" << 0.05;
        QTest::newRow("opus 48000 mono") << "o1.opus" << 48000 << 1 << QStringList{} << "Opus" << 0.05;
    }

    void formats()
    {
        QFETCH(QString, name);
        QFETCH(int, rate);
        QFETCH(int, channels);
        QFETCH(QStringList, encoding);
        QFETCH(QString, format);
        QFETCH(double, maxResidual);

        const double seconds = 2.0;
        if (name.endsWith(QLatin1String(".opus"))) {
            const QString wav = name + QStringLiteral(".src.wav");
            QVERIFY(makeSine(wav, rate, channels, {"-b", "16"}, seconds));
            QVERIFY(run(QStringLiteral("opusenc"),
                        {QStringLiteral("--quiet"), m_dir.filePath(wav), m_dir.filePath(name)}));
        } else {
            QVERIFY(makeSine(name, rate, channels, encoding, seconds));
        }
        const AudioData a = loadAudio(tmp(name));
        QCOMPARE(QString::fromStdString(a.format), format);
        QCOMPARE(a.sampleRateIn, rate);
        QCOMPARE(a.channelsIn, channels);
        QCOMPARE(a.path, tmp(name));
        const bool mp3 = format == QLatin1String("MP3");
        if (mp3) {
            // MP3 decoders add encoder delay/padding (up to ~2 frames of 1152 samples).
            QVERIFY2(a.durationSeconds >= seconds && a.durationSeconds < seconds + 0.12,
                     qPrintable(QString::number(a.durationSeconds)));
        } else {
            QCOMPARE(a.framesIn, int64_t(seconds * rate));
            QCOMPARE(a.durationSeconds, seconds);
            QCOMPARE(a.samples.size(), size_t(seconds * 16000));
        }
        QCOMPARE(static_cast<int64_t>(a.samples.size()),
                 Resampler::outputLength(a.framesIn, a.sampleRateIn, 16000));
        QCOMPARE(a.frames(), FrameGrid::xlsr().count(static_cast<int64_t>(a.samples.size())));
        for (float v : a.samples)
            QVERIFY(v >= -1.0f && v <= 1.0f);

        // The 440 Hz sine at amplitude 0.5 survives decoding, averaging and resampling.
        const SineFit fit = fitSine(a.samples, 440.0);
        // Lossy codecs may change the level a little (LAME: -0.4 dB here).
        const double ampTol = maxResidual > 0.01 ? 0.05 : 0.02;
        QVERIFY2(std::fabs(fit.amplitude - 0.5) < ampTol, qPrintable(QString::number(fit.amplitude)));
        QVERIFY2(fit.residualRms < maxResidual, qPrintable(QString::number(fit.residualRms)));
        // ... and is not some other frequency.
        QVERIFY(fitSine(a.samples, 470.0).amplitude < 0.05);
    }

    void resamplingHighFrequencies()
    {
        // 7 kHz (below the 8 kHz Nyquist of the output) survives 48k -> 16k;
        // 10 kHz (above it) is removed instead of aliasing to 6 kHz.
        QVERIFY(makeSine(QStringLiteral("hf7.wav"), 48000, 1, {"-b", "24"}, 1.0, {"7000"}));
        QVERIFY(makeSine(QStringLiteral("hf10.wav"), 48000, 1, {"-b", "24"}, 1.0, {"10000"}));
        const SineFit f7 = fitSine(loadAudio(tmp("hf7.wav")).samples, 7000.0);
        QVERIFY2(std::fabs(f7.amplitude - 0.5) < 0.02, qPrintable(QString::number(f7.amplitude)));
        const AudioData a10 = loadAudio(tmp("hf10.wav"));
        QVERIFY(fitSine(a10.samples, 6000.0).amplitude < 0.005);
        double rms = 0;
        for (float v : a10.samples)
            rms += double(v) * v;
        QVERIFY(std::sqrt(rms / a10.samples.size()) < 0.01);
    }

    void channelAverageVersusPick()
    {
        // Channel 0: 440 Hz, channel 1: 1000 Hz, both amplitude 0.5.
        QVERIFY(makeSine(QStringLiteral("two.wav"), 44100, 2, {"-b", "16"}, 1.0, {"440", "1000"}));
        const AudioData avg = loadAudio(tmp("two.wav"));
        QCOMPARE(avg.channelsIn, 2);
        QVERIFY(std::fabs(fitSine(avg.samples, 440).amplitude - 0.25) < 0.01);
        QVERIFY(std::fabs(fitSine(avg.samples, 1000).amplitude - 0.25) < 0.01);

        AudioLoadOptions left;
        left.channel = 0;
        const AudioData a0 = loadAudio(tmp("two.wav"), left);
        QVERIFY(std::fabs(fitSine(a0.samples, 440).amplitude - 0.5) < 0.01);
        QVERIFY(fitSine(a0.samples, 1000).amplitude < 0.01);

        AudioLoadOptions right;
        right.channel = 1;
        const AudioData a1 = loadAudio(tmp("two.wav"), right);
        QVERIFY(fitSine(a1.samples, 440).amplitude < 0.01);
        QVERIFY(std::fabs(fitSine(a1.samples, 1000).amplitude - 0.5) < 0.01);

        // At 16 kHz a picked int16 channel is passed through exactly, and the
        // average is (l + r) / 2.
        QVERIFY(makeSine(QStringLiteral("two16k.wav"), 16000, 2, {"-b", "16"}, 1.0, {"440", "1000"}));
        const AudioData m = loadAudio(tmp("two16k.wav"));
        const AudioData l = loadAudio(tmp("two16k.wav"), left);
        const AudioData r = loadAudio(tmp("two16k.wav"), right);
        QCOMPARE(m.samples.size(), size_t(16000));
        for (size_t i = 0; i < m.samples.size(); ++i) {
            QCOMPARE(l.samples[i] * 32768.0f, std::round(l.samples[i] * 32768.0f));
            QCOMPARE(m.samples[i], (l.samples[i] + r.samples[i]) / 2.0f);
        }
    }

    void shortAfterResampling()
    {
        // 1000 samples: enough at 16 kHz (>= 400), too few after 48k -> 16k (333).
        QVERIFY(makeSine(QStringLiteral("ok1000.wav"), 16000, 1, {"-b", "16"}, 1000.0 / 16000));
        QCOMPARE(loadAudio(tmp("ok1000.wav")).samples.size(), size_t(1000));
        QVERIFY(makeSine(QStringLiteral("short48k.wav"), 48000, 1, {"-b", "16"}, 1000.0 / 48000));
        const QString msg = loadError(tmp("short48k.wav"));
        QVERIFY2(msg.contains(QLatin1String("short48k.wav")) && msg.contains(QLatin1String("too short")), qPrintable(msg));
        // Exactly 400 samples is one frame.
        QVERIFY(makeSine(QStringLiteral("exact400.wav"), 16000, 1, {"-b", "16"}, 400.0 / 16000));
        QCOMPARE(loadAudio(tmp("exact400.wav")).frames(), int64_t(1));
        QVERIFY(makeSine(QStringLiteral("s399.wav"), 16000, 1, {"-b", "16"}, 399.0 / 16000));
        QVERIFY(loadError(tmp("s399.wav")).contains(QLatin1String("too short")));
    }

    void durationLimit()
    {
        QVERIFY(makeSine(QStringLiteral("three.flac"), 22050, 2, {"-b", "16"}, 3.0));
        AudioLoadOptions o;
        o.maxDurationSeconds = 2.5;
        const QString msg = loadError(tmp("three.flac"), o);
        QVERIFY2(msg.contains(QLatin1String("three.flac")) && msg.contains(QLatin1String("too long")), qPrintable(msg));
        o.maxDurationSeconds = 3.0;
        QCOMPARE(loadAudio(tmp("three.flac"), o).durationSeconds, 3.0);

        // A stream whose length the header does not give (Ogg): the limit is
        // enforced while reading.
        QVERIFY(makeSine(QStringLiteral("three.ogg"), 44100, 1, {}, 3.0));
        o.maxDurationSeconds = 1.0;
        const QString msg2 = loadError(tmp("three.ogg"), o);
        QVERIFY2(msg2.contains(QLatin1String("three.ogg")) && msg2.contains(QLatin1String("too long")), qPrintable(msg2));
    }

    // Files that end early (docs/reliability.md): decoded as far as they go,
    // and endedEarlyWarning names the file with the declared and the read
    // length where the header declares one (WAV data chunk, FLAC STREAMINFO).
    void endedEarly_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("rate");
        QTest::addColumn<int>("channels");
        QTest::addColumn<QString>("container");
        QTest::addColumn<bool>("insideFrame");  // FLAC: cut inside a frame, not at a frame start
        QTest::newRow("wav 16 kHz mono") << "cut16k.wav" << 16000 << 1 << "WAV" << false;
        QTest::newRow("wav 44.1 kHz stereo") << "cut44k.wav" << 44100 << 2 << "WAV" << false;
        QTest::newRow("flac 16 kHz mono") << "cut16k.flac" << 16000 << 1 << "FLAC" << false;
        QTest::newRow("flac 44.1 kHz stereo") << "cut44k.flac" << 44100 << 2 << "FLAC" << false;
        QTest::newRow("flac 16 kHz mono, inside a frame") << "mid16k.flac" << 16000 << 1 << "FLAC" << true;
        QTest::newRow("flac 44.1 kHz stereo, inside a frame") << "mid44k.flac" << 44100 << 2 << "FLAC" << true;
    }

    void endedEarly()
    {
        QFETCH(QString, name);
        QFETCH(int, rate);
        QFETCH(int, channels);
        QFETCH(QString, container);
        QFETCH(bool, insideFrame);
        const QString full = QStringLiteral("full_") + name;
        QVERIFY(makeSine(full, rate, channels, {"-b", "16"}, 2.0));
        const std::string fullPath = tmp(full);
        const AudioData whole = loadAudio(fullPath);
        QCOMPARE(whole.framesIn, int64_t(2 * rate));
        QCOMPARE(QString::fromStdString(endedEarlyWarning(fullPath, whole.framesIn)), QString());
        QCOMPARE(declaredLength(fullPath).frames, int64_t(2 * rate));
        QCOMPARE(QString::fromStdString(declaredLength(fullPath).container), container);

        // Cut the file at 60 % of its bytes, as a download cut off; FLAC either
        // at the next frame start (a checked header) or 7 bytes after it, inside
        // the frame, where the decoder fails at the end of the file: that is an
        // early end too, not corruption (docs/reliability.md).
        QFile f(m_dir.filePath(full));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        qsizetype at = bytes.size() * 6 / 10;
        if (container == QLatin1String("FLAC"))
            at = flacFrameStart(bytes, at) + (insideFrame ? 7 : 0);
        QVERIFY(at > 7);
        writeBytes(name, bytes.left(at));
        const AudioData cut = loadAudio(tmp(name));
        QCOMPARE(cut.endsInsideFrame, insideFrame);
        QCOMPARE(QString::fromStdString(endedEarlyWarning(cut)),
                 QString::fromStdString(endedEarlyWarning(tmp(name), cut.framesIn)));
        QVERIFY(cut.framesIn > rate / 2 && cut.framesIn < 2 * rate);
        const QString w = QString::fromStdString(endedEarlyWarning(tmp(name), cut.framesIn));
        QVERIFY2(w.startsWith(QString::fromStdString(tmp(name)) + ": the file ended early"), qPrintable(w));
        QVERIFY2(w.contains(container + " header declares 2 s (" + QString::number(2 * rate) + " samples)"), qPrintable(w));
        QVERIFY2(w.contains("(" + QString::number(cut.framesIn) + " samples) could be read"), qPrintable(w));
    }

    // A FLAC stream that declares no length (STREAMINFO total samples 0, as a
    // streaming encoder writes) cut inside a frame: the header cannot say it,
    // the decoder's failure at the end of the file does.
    void endedInsideFrameWithoutDeclaredLength()
    {
        QVERIFY(makeSine(QStringLiteral("stream_full.flac"), 16000, 1, {"-b", "16"}, 2.0));
        QFile f(m_dir.filePath(QStringLiteral("stream_full.flac")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray bytes = f.readAll();
        QVERIFY(bytes.startsWith("fLaC"));
        // STREAMINFO data starts at byte 8; its 36-bit total is the low nibble of byte 13 and bytes 14-17.
        bytes[8 + 13] = char(bytes[8 + 13] & 0xF0);
        for (int i = 14; i < 18; ++i)
            bytes[8 + i] = 0;
        const qsizetype at = flacFrameStart(bytes, bytes.size() / 2) + 7;
        QVERIFY(at > 7);
        writeBytes(QStringLiteral("stream_cut.flac"), bytes.left(at));
        QCOMPARE(declaredLength(tmp("stream_cut.flac")).frames, int64_t(-1));
        const AudioData cut = loadAudio(tmp("stream_cut.flac"));
        QVERIFY(cut.endsInsideFrame);
        QVERIFY(cut.framesIn > 8000 && cut.framesIn < 32000);
        const QString w = QString::fromStdString(endedEarlyWarning(cut));
        QVERIFY2(w.startsWith(QString::fromStdString(tmp("stream_cut.flac")) + ": the file ended early: it stops inside a FLAC"),
                 qPrintable(w));
        QVERIFY2(w.contains("(" + QString::number(cut.framesIn) + " samples) could be read"), qPrintable(w));
    }

    // No declared length (Ogg, raw-ish formats, a file that is not audio): no word.
    void endedEarlyNeedsADeclaredLength()
    {
        QVERIFY(makeSine(QStringLiteral("two.ogg"), 44100, 1, {}, 2.0));
        QCOMPARE(declaredLength(tmp("two.ogg")).frames, int64_t(-1));
        QCOMPARE(QString::fromStdString(endedEarlyWarning(tmp("two.ogg"), 10)), QString());
        writeBytes(QStringLiteral("notes.txt"), "RIFF....WAVE but not really\n");
        QCOMPARE(declaredLength(tmp("notes.txt")).frames, int64_t(-1));
        QCOMPARE(QString::fromStdString(endedEarlyWarning(tmp("no-such-file.wav"), 10)), QString());
    }

    void hugeDeclaredLength()
    {
        // A WAV header declaring a ~4 GiB data chunk (37 h at 16 kHz) in front of
        // 1 s of samples: must neither allocate 4 GiB nor crash.
        QByteArray wav;
        auto u32 = [&](quint32 v) { for (int i = 0; i < 4; ++i) wav.append(char((v >> (8 * i)) & 0xff)); };
        auto u16 = [&](quint16 v) { wav.append(char(v & 0xff)); wav.append(char(v >> 8)); };
        wav.append("RIFF");
        u32(0xFFFFFFF0u);
        wav.append("WAVEfmt ");
        u32(16);
        u16(1);
        u16(1);
        u32(16000);
        u32(32000);
        u16(2);
        u16(16);
        wav.append("data");
        u32(0xFFFFFF00u);
        for (int i = 0; i < 16000; ++i)
            u16(quint16(qint16(10000 * std::sin(2 * kPi * 440 * i / 16000.0))));
        writeBytes(QStringLiteral("huge.wav"), wav);
        try {
            const AudioData a = loadAudio(tmp("huge.wav"));
            QCOMPARE(a.samples.size(), size_t(16000));  // libsndfile trusts the file size
        } catch (const AudioError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("huge.wav")), e.what());
        }

        // A FLAC whose STREAMINFO claims 1 h (within the limit) or 3 h (beyond it)
        // for 1 s of audio: the first loads what is there, the second is refused
        // from the header alone.
        QVERIFY(makeSine(QStringLiteral("one.flac"), 16000, 1, {"-b", "16"}, 1.0));
        QFile f(m_dir.filePath(QStringLiteral("one.flac")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray flac = f.readAll();
        QVERIFY(flac.startsWith("fLaC"));
        auto lie = [&](quint64 total, const QString& name) {
            // total_samples: 36 bits from the low nibble of byte 21 (8 + 13) on.
            QByteArray b = flac;
            b[21] = char((quint8(b[21]) & 0xF0) | ((total >> 32) & 0x0F));
            for (int i = 0; i < 4; ++i)
                b[22 + i] = char((total >> (24 - 8 * i)) & 0xFF);
            writeBytes(name, b);
        };
        lie(16000ull * 3600, QStringLiteral("lie1h.flac"));
        lie(16000ull * 3 * 3600, QStringLiteral("lie3h.flac"));
        const AudioData a1 = loadAudio(tmp("lie1h.flac"));
        QCOMPARE(a1.samples.size(), size_t(16000));
        QCOMPARE(a1.durationSeconds, 1.0);
        const QString msg = loadError(tmp("lie3h.flac"));
        QVERIFY2(msg.contains(QLatin1String("lie3h.flac")) && msg.contains(QLatin1String("too long")), qPrintable(msg));
    }

    void nonFiniteFloatWav()
    {
        // IEEE float WAV (format 3) at 44.1 kHz holding NaN, +-inf and 1e30 among
        // a sine. NaN/inf samples have no value to stand in for them: the file is
        // refused, naming the count and the first position (an all-NaN file used to
        // score like silence). Huge finite values are clipped: the result stays
        // finite and in [-1, 1] (regression: they used to overflow the resampler into NaN).
        auto floatWav = [&](const QString& name, bool withNonFinite) {
            QByteArray wav;
            auto u32 = [&](quint32 v) { for (int i = 0; i < 4; ++i) wav.append(char((v >> (8 * i)) & 0xff)); };
            auto u16 = [&](quint16 v) { wav.append(char(v & 0xff)); wav.append(char(v >> 8)); };
            const int n = 44100;
            wav.append("RIFF");
            u32(36 + 4 * n);
            wav.append("WAVEfmt ");
            u32(16);
            u16(3);
            u16(1);
            u32(44100);
            u32(44100 * 4);
            u16(4);
            u16(32);
            wav.append("data");
            u32(4 * n);
            for (int i = 0; i < n; ++i) {
                float v = 0.5f * static_cast<float>(std::sin(2 * kPi * 440 * i / 44100.0));
                if (withNonFinite && i % 1000 == 7)
                    v = std::numeric_limits<float>::quiet_NaN();
                else if (withNonFinite && i % 1000 == 8)
                    v = std::numeric_limits<float>::infinity();
                else if (withNonFinite && i % 1000 == 9)
                    v = -std::numeric_limits<float>::infinity();
                else if (i % 1000 == 10)
                    v = 1e30f;
                u32(qFromLittleEndian<quint32>(reinterpret_cast<const uchar*>(&v)));
            }
            writeBytes(name, wav);
        };
        floatWav(QStringLiteral("nonfinite.wav"), true);
        const QString msg = loadError(tmp("nonfinite.wav"));
        // 45 each of NaN, +inf, -inf at i % 1000 == 7, 8, 9 (i < 44100); the first is sample 7.
        QVERIFY2(msg.contains(QLatin1String("nonfinite.wav")) && msg.contains(QLatin1String("135 of 44100 samples"))
                     && msg.contains(QLatin1String("NaN or infinite")) && msg.contains(QLatin1String("first at sample 7,")),
                 qPrintable(msg));

        floatWav(QStringLiteral("huge.wav"), false);
        const AudioData a = loadAudio(tmp("huge.wav"));
        QCOMPARE(a.format, std::string("WAV float"));
        QCOMPARE(a.samples.size(), size_t(16000));
        for (float v : a.samples)
            QVERIFY(std::isfinite(v) && v >= -1.0f && v <= 1.0f);
        QVERIFY(std::fabs(fitSine(a.samples, 440.0).amplitude - 0.5) < 0.05);
    }

    void nonFiniteChannels()
    {
        // Stereo float WAV whose right channel is all NaN: the average and channel 1
        // are refused, channel 0 (finite) loads.
        QByteArray wav;
        auto u32 = [&](quint32 v) { for (int i = 0; i < 4; ++i) wav.append(char((v >> (8 * i)) & 0xff)); };
        auto u16 = [&](quint16 v) { wav.append(char(v & 0xff)); wav.append(char(v >> 8)); };
        const int n = 16000;
        wav.append("RIFF");
        u32(36 + 8 * n);
        wav.append("WAVEfmt ");
        u32(16);
        u16(3);
        u16(2);
        u32(16000);
        u32(16000 * 8);
        u16(8);
        u16(32);
        wav.append("data");
        u32(8 * n);
        for (int i = 0; i < n; ++i) {
            const float l = 0.25f * static_cast<float>(std::sin(2 * kPi * 300 * i / 16000.0));
            const float r = std::numeric_limits<float>::quiet_NaN();
            u32(qFromLittleEndian<quint32>(reinterpret_cast<const uchar*>(&l)));
            u32(qFromLittleEndian<quint32>(reinterpret_cast<const uchar*>(&r)));
        }
        writeBytes(QStringLiteral("nanright.wav"), wav);
        const QString avg = loadError(tmp("nanright.wav"));
        QVERIFY2(avg.contains(QLatin1String("16000 of 16000 samples of the channel average")) &&
                     avg.contains(QLatin1String("first at sample 0,")), qPrintable(avg));
        AudioLoadOptions right;
        right.channel = 1;
        QVERIFY2(loadError(tmp("nanright.wav"), right).contains(QLatin1String("samples of channel 1 are NaN")),
                 qPrintable(loadError(tmp("nanright.wav"), right)));
        AudioLoadOptions left;
        left.channel = 0;
        const AudioData a = loadAudio(tmp("nanright.wav"), left);
        QCOMPARE(a.samples.size(), size_t(16000));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("channel");
        QTest::addColumn<QString>("expect");  // a word the message must contain
        QTest::newRow("missing") << "does-not-exist.wav" << -1 << "not found";
        QTest::newRow("directory") << "adir.wav" << -1 << "directory";
        QTest::newRow("text renamed .wav") << "text.wav" << -1 << "not a readable audio file";
        QTest::newRow("random bytes .flac") << "random.flac" << -1 << "not a readable audio file";
        QTest::newRow("empty file") << "empty.wav" << -1 << "empty";
        QTest::newRow("zero-length wav") << "zero.wav" << -1 << "no audio";
        QTest::newRow("zero-length flac") << "zero.flac" << -1 << "no audio";
        QTest::newRow("too short") << "short.wav" << -1 << "too short";
        QTest::newRow("truncated flac") << "trunc.flac" << -1 << "corrupt";
        QTest::newRow("garbage inside flac") << "garbage.flac" << -1 << "corrupt";
        QTest::newRow("truncated ogg") << "trunc.ogg" << -1 << "corrupt";
        QTest::newRow("channel too high") << "stereo.wav" << 2 << "channel 2 out of range";
        QTest::newRow("channel negative") << "stereo.wav" << -2 << "out of range";
    }

    void badInput()
    {
        QFETCH(QString, name);
        QFETCH(int, channel);
        QFETCH(QString, expect);

        QDir(m_dir.path()).mkpath(QStringLiteral("adir.wav"));
        writeBytes(QStringLiteral("text.wav"), "This is a text file, renamed to .wav.\n");
        QByteArray noise(20000, 0);
        for (int i = 0; i < noise.size(); ++i)
            noise[i] = char((i * 2654435761u) >> 13);
        writeBytes(QStringLiteral("random.flac"), noise);
        writeBytes(QStringLiteral("empty.wav"), {});
        QVERIFY(run(QStringLiteral("sox"), {"-n", "-r", "16000", "-c", "1", "-b", "16", m_dir.filePath("zero.wav"), "trim", "0", "0"}));
        QVERIFY(run(QStringLiteral("sox"), {"-n", "-r", "16000", "-c", "1", "-b", "16", m_dir.filePath("zero.flac"), "trim", "0", "0"}));
        QVERIFY(makeSine(QStringLiteral("short.wav"), 16000, 1, {"-b", "16"}, 0.01));
        QVERIFY(makeSine(QStringLiteral("stereo.wav"), 16000, 2, {"-b", "16"}, 0.5));
        QVERIFY(makeSine(QStringLiteral("full.flac"), 44100, 2, {"-b", "16"}, 2.0, {"440", "1000"}));
        QVERIFY(makeSine(QStringLiteral("full.ogg"), 44100, 2, {}, 2.0));
        QFile full(m_dir.filePath(QStringLiteral("full.flac")));
        QVERIFY(full.open(QIODevice::ReadOnly));
        const QByteArray flac = full.readAll();
        writeBytes(QStringLiteral("trunc.flac"), flac.left(3000));  // header + a little
        QByteArray garbage = flac;
        for (int i = flac.size() / 3; i < flac.size() * 2 / 3; ++i)
            garbage[i] = noise[i % noise.size()];
        writeBytes(QStringLiteral("garbage.flac"), garbage);
        QFile ogg(m_dir.filePath(QStringLiteral("full.ogg")));
        QVERIFY(ogg.open(QIODevice::ReadOnly));
        writeBytes(QStringLiteral("trunc.ogg"), ogg.readAll().left(4000));

        AudioLoadOptions o;
        o.channel = channel;
        const QString msg = loadError(tmp(name), o);
        QVERIFY2(!msg.isEmpty(), "no AudioError thrown");
        QVERIFY2(msg.contains(m_dir.filePath(name)), qPrintable(msg));
        QVERIFY2(msg.contains(expect), qPrintable(msg));
    }

    void resamplerLength()
    {
        QCOMPARE(Resampler::outputLength(44100, 44100, 16000), int64_t(16000));
        QCOMPARE(Resampler::outputLength(1000, 48000, 16000), int64_t(333));
        QCOMPARE(Resampler::outputLength(1, 8000, 16000), int64_t(2));
        std::vector<float> x(12345, 0.25f);
        const std::vector<float> y = resample(x, 22050, 16000);
        QCOMPARE(static_cast<int64_t>(y.size()), Resampler::outputLength(12345, 22050, 16000));
        QVERIFY(std::fabs(y[y.size() / 2] - 0.25f) < 1e-3f);  // DC passes
        QVERIFY(resample(x, 16000, 16000) == x);
    }
};

QTEST_GUILESS_MAIN(TestAudioFile)
#include "TestAudioFile.moc"
