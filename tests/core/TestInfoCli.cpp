// `spooflens info`: runs the built binary on real files (generated with sox)
// and checks the JSON lines, the text output, stderr and exit codes 0/1/2.
// ctest-labels: fast
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>

namespace {

struct Result {
    int exitCode = -1;
    QString out;
    QString err;
};

Result runCli(const QStringList& args)
{
    QProcess p;
    p.start(spooflens::test::cliPath(), args);
    Result r;
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit)
        return r;  // exitCode -1: crashed or hung
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QStringList lines(const QString& s)
{
    return s.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

class TestInfoCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo(spooflens::test::cliPath()).isExecutable(), qPrintable(spooflens::test::cliPath()));
        auto sox = [](const QStringList& args) { return QProcess::execute(QStringLiteral("sox"), args) == 0; };
        QVERIFY(sox({"-n", "-r", "44100", "-c", "2", "-b", "16", path("stereo.wav"), "synth", "1.5", "sine", "440"}));
        QVERIFY(sox({"-n", "-r", "8000", "-c", "1", path("mono8k.ogg"), "synth", "1", "sine", "300"}));
        QFile text(path("text.wav"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not audio\n");
    }

    void jsonPerFile()
    {
        const QString flac = QString::fromStdString(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"));
        const Result r = runCli({"info", "--json", path("stereo.wav"), flac, path("mono8k.ogg")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        const QStringList l = lines(r.out);
        QCOMPARE(l.size(), 3);
        QList<QJsonObject> objs;
        for (const QString& line : l) {
            QJsonParseError pe;
            const QJsonDocument d = QJsonDocument::fromJson(line.toUtf8(), &pe);
            QVERIFY2(pe.error == QJsonParseError::NoError && d.isObject(), qPrintable(line));
            const QJsonObject o = d.object();
            for (const char* key : {"path", "format", "sample_rate_in", "channels_in", "duration_s", "samples_16k", "frames"})
                QVERIFY2(o.contains(QLatin1String(key)), key);
            objs << o;
        }
        QCOMPARE(objs[0]["path"].toString(), path("stereo.wav"));
        QCOMPARE(objs[0]["format"].toString(), QStringLiteral("WAV 16-bit"));
        QCOMPARE(objs[0]["sample_rate_in"].toInt(), 44100);
        QCOMPARE(objs[0]["channels_in"].toInt(), 2);
        QCOMPARE(objs[0]["duration_s"].toDouble(), 1.5);
        QCOMPARE(objs[0]["samples_16k"].toInteger(), 24000);
        QCOMPARE(objs[0]["frames"].toInteger(), (24000 - 400) / 320 + 1);

        QCOMPARE(objs[1]["path"].toString(), flac);
        QCOMPARE(objs[1]["format"].toString(), QStringLiteral("FLAC 16-bit"));
        QCOMPARE(objs[1]["sample_rate_in"].toInt(), 16000);
        QCOMPARE(objs[1]["channels_in"].toInt(), 1);
        QCOMPARE(objs[1]["duration_s"].toDouble(), 7.04);
        QCOMPARE(objs[1]["samples_16k"].toInteger(), 112640);
        QCOMPARE(objs[1]["frames"].toInteger(), 351);

        QCOMPARE(objs[2]["format"].toString(), QStringLiteral("Ogg Vorbis"));
        QCOMPARE(objs[2]["sample_rate_in"].toInt(), 8000);
        QCOMPARE(objs[2]["samples_16k"].toInteger(), 16000);
        QCOMPARE(objs[2]["frames"].toInteger(), 49);
    }

    void textOutput()
    {
        const Result r = runCli({"info", path("stereo.wav")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r.out).size(), 1);
        for (const char* part : {"stereo.wav", "WAV 16-bit", "44100 Hz", "2 channels", "1.500 s", "24000", "74"})
            QVERIFY2(r.out.contains(QLatin1String(part)), qPrintable(r.out));
    }

    void failuresContinueAndExit1()
    {
        const Result r = runCli({"info", "--json", path("missing.flac"), path("stereo.wav"), path("text.wav")});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lines(r.out).size(), 1);  // the good file is still reported
        QVERIFY(r.out.contains(QLatin1String("stereo.wav")));
        QVERIFY2(r.err.contains(path("missing.flac")) && r.err.contains(QLatin1String("not found")), qPrintable(r.err));
        QVERIFY2(r.err.contains(path("text.wav")), qPrintable(r.err));
        QCOMPARE(lines(r.err).size(), 2);
    }

    void optionsChannelAndLimit()
    {
        Result r = runCli({"info", "--json", "--channel", "1", path("stereo.wav")});
        QCOMPARE(r.exitCode, 0);
        r = runCli({"info", "--channel", "2", path("stereo.wav")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("channel 2")) && r.err.contains(path("stereo.wav")), qPrintable(r.err));
        r = runCli({"info", "--max-duration", "1", path("stereo.wav")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("too long")), qPrintable(r.err));
        r = runCli({"info", "--max-duration", "2", path("stereo.wav")});
        QCOMPARE(r.exitCode, 0);
    }

    void controlCharactersInNamesAreEscaped()
    {
        // A file name holding a newline and an ESC sequence used to reach the
        // terminal raw: it could forge an output line or recolour it.
        const QString forged = path(QStringLiteral("a\nfake.wav: WAV 16-bit, 1 Hz\x1b[31m.wav"));
        QVERIFY(QFile::copy(path("stereo.wav"), forged));
        Result r = runCli({"info", forged});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r.out).size(), 1);
        QVERIFY2(r.out.contains(QLatin1String("a\\x0afake.wav")) && r.out.contains(QLatin1String("\\x1b[31m.wav: WAV 16-bit")),
                 qPrintable(r.out));
        QVERIFY(!r.out.contains(QChar(0x1b)));
        // --json keeps the real name (JSON escapes it) on one line.
        r = runCli({"info", "--json", forged});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r.out).size(), 1);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["path"].toString(), forged);
        // A missing file of that name: one error line, escaped.
        r = runCli({"info", forged + "x"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lines(r.err).size(), 1);
        QVERIFY2(r.err.contains(QLatin1String("a\\x0afake.wav")) && !r.err.contains(QChar(0x1b)), qPrintable(r.err));
    }

    void nonUtf8NamesAreReported()
    {
        // "café.wav" in Latin-1: --json used to fail with the JSON library's
        // type_error.316 without naming the file. The shell's glob hands over the
        // raw bytes (a QProcess argument is UTF-8).
        const QByteArray dir = QFile::encodeName(path(QStringLiteral("latin1")));
        QVERIFY(QDir().mkpath(path(QStringLiteral("latin1"))));
        QVERIFY(QFile::copy(path("stereo.wav"), QFile::decodeName(dir + "/tmp.wav")));
        QVERIFY(std::rename((dir + "/tmp.wav").constData(), (dir + "/caf\xe9.wav").constData()) == 0);
        const auto run = [&](const QString& mode) {
            QProcess p;
            p.start(QStringLiteral("/bin/sh"), {"-c", "exec \"$0\" info " + mode + " \"$1\"/caf*.wav",
                                                spooflens::test::cliPath(), QFile::decodeName(dir)});
            Result r;
            if (p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit)
                r.exitCode = p.exitCode();
            r.out = QString::fromUtf8(p.readAllStandardOutput());
            r.err = QString::fromUtf8(p.readAllStandardError());
            return r;
        };
        Result r = run(QStringLiteral("--json"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8(), &pe).object();
        QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(r.out));
        QVERIFY2(o["path"].toString().endsWith(QStringLiteral("/caf\uFFFD.wav")), qPrintable(o["path"].toString()));
        QCOMPARE(o["samples_16k"].toInteger(), 24000);
        r = run(QString());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("/caf\\xe9.wav: WAV 16-bit")), qPrintable(r.out));
    }

    // The `spooflens` users run is a launcher (app/launcher/main.cpp) that
    // sets OMP_WAIT_POLICY=PASSIVE before LibTorch's OpenMP loads and glibc's
    // allocator tunables, unless the user chose them (docs/cpu.md).
    void runtimeShowsTheLauncherEnvironment()
    {
        for (const QString& given : {QString(), QStringLiteral("ACTIVE")}) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("OMP_WAIT_POLICY"));
            env.remove(QStringLiteral("GLIBC_TUNABLES"));
            const QString userTunables = QStringLiteral("glibc.malloc.trim_threshold=65536");
            if (!given.isEmpty()) {
                env.insert(QStringLiteral("OMP_WAIT_POLICY"), given);
                env.insert(QStringLiteral("GLIBC_TUNABLES"), userTunables);
            }
            p.setProcessEnvironment(env);
            p.start(spooflens::test::cliPath(), {"info", "--runtime", "--json"});
            QVERIFY(p.waitForFinished(120000));
            QCOMPARE(p.exitCode(), 0);
            const QJsonObject rt =
                QJsonDocument::fromJson(p.readAllStandardOutput()).object()[QStringLiteral("runtime")].toObject();
            QCOMPARE(rt[QStringLiteral("omp_wait_policy")].toString(), given.isEmpty() ? QStringLiteral("PASSIVE") : given);
            const QString tunables = rt[QStringLiteral("glibc_tunables")].toString();
            if (given.isEmpty())
                QVERIFY2(tunables.contains(QLatin1String("glibc.malloc.mmap_threshold=268435456"))
                             && tunables.contains(QLatin1String("glibc.malloc.hugetlb=1")),
                         qPrintable(tunables));
            else
                QCOMPARE(tunables, userTunables);
            QVERIFY(rt[QStringLiteral("threads")].toInt() >= 1);
            QVERIFY(!rt[QStringLiteral("blas")].toString().isEmpty());
        }
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("no files") << QStringList{"info"};
        QTest::newRow("unknown option") << QStringList{"info", "--bogus", "x.wav"};
        QTest::newRow("negative limit") << QStringList{"info", "--max-duration", "-3", "x.wav"};
        QTest::newRow("non-numeric channel") << QStringList{"info", "--channel", "left", "x.wav"};
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        const Result r = runCli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.isEmpty() || !r.out.contains(QLatin1String("{")));
    }
};

QTEST_GUILESS_MAIN(TestInfoCli)
#include "TestInfoCli.moc"
