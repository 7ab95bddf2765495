// The spooflens-gui binary as a user runs it headless: --screenshot writes a
// decodable PNG and exits 0; bad input exits non-zero with a message; with
// no demo built it falls back to the source tree's utterance and says so.
// ctest-labels: gui
#include "core/training/Demo.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <vector>

using spooflens::test::dataPath;

class TestGui : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    static QString gui()
    {
        const QByteArray env = qgetenv("SPOOFLENS_GUI");
        return env.isEmpty() ? QStringLiteral(SPOOFLENS_BINARY_DIR "/app/spooflens-gui") : QString::fromLocal8Bit(env);
    }

    struct Result {
        int code = -1;
        QString err;
    };
    Result run(const QStringList& args, const QString& demoDir = QString(), bool withRuntimeDir = true)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (!withRuntimeDir)
            env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), m_tmp.path());  // keep the user's settings out of it
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_tmp.filePath(QStringLiteral("config")));
        if (!demoDir.isEmpty())
            env.insert(QStringLiteral("SPOOFLENS_DEMO_DIR"), demoDir);
        p.setProcessEnvironment(env);
        p.start(gui(), args);
        if (!p.waitForFinished(240000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromLocal8Bit(p.readAllStandardError())};
    }

private slots:
    void screenshotOfARealExplanation()
    {
        const QString out = m_tmp.filePath(QStringLiteral("shot.png"));
        const Result r = run({QStringLiteral("--screenshot"), out, QStringLiteral("--detector"),
                              QString::fromStdString(dataPath("fixtures/detector_tiny.pth")), QStringLiteral("--xai"),
                              QString::fromStdString(dataPath("fixtures/xai_tiny.pth")),
                              QString::fromStdString(dataPath("asvspoof_bonafide_sample.flac"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QImage img(out);
        QVERIFY(!img.isNull());
        QCOMPARE(img.size(), QSize(1400, 1200));
        QVERIFY(r.err.contains(QStringLiteral("wrote")));
    }

    // The README's first command, headless: the demo screenshot prints only
    // SpoofLens' own lines. Before, libjack's probe of a JACK server ("Cannot
    // connect to server socket", "JackShmReadWritePtr..."), the offscreen
    // platform's "does not support propagateSizeHints()", QCustomPlot's
    // zero-sized paint buffers ("QPainter::begin: Paint device returned engine
    // == 0") and Qt's "XDG_RUNTIME_DIR not set" came with it.
    void demoScreenshotPrintsOnlyItsOwnLines()
    {
        const QString demo = qEnvironmentVariable("SPOOFLENS_DEMO_DIR");
        if (demo.isEmpty() || !QFile::exists(demo + QStringLiteral("/manifest.json")))
            QFAIL("SPOOFLENS_DEMO_DIR names no demo: the BuildDemo fixture should have made one");
        const QString out = m_tmp.filePath(QStringLiteral("quiet.png"));
        const Result r = run({QStringLiteral("--screenshot"), out}, demo, /*withRuntimeDir=*/false);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!QImage(out).isNull());
        const QStringList lines = r.err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(!lines.isEmpty());
        for (const QString& line : lines)
            QVERIFY2(line.startsWith(QLatin1String("spooflens-gui: ")), qPrintable(QStringLiteral("not ours: ") + line));
    }

    void screenshotWithoutDemoFallsBack()
    {
        const QString out = m_tmp.filePath(QStringLiteral("fallback.png"));
        const Result r = run({QStringLiteral("--screenshot"), out}, m_tmp.filePath(QStringLiteral("no-demo-here")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!QImage(out).isNull());
    }

    void badAudioExitsNonZeroWithAMessage()
    {
        const QString out = m_tmp.filePath(QStringLiteral("bad.png"));
        const Result r = run({QStringLiteral("--screenshot"), out, m_tmp.filePath(QStringLiteral("missing.wav"))});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("missing.wav")), qPrintable(r.err));
        // The window (with the error shown) is still written.
        QVERIFY(!QImage(out).isNull());
    }

    // A bad --xai is an error at the command line, as a bad --detector is:
    // exit status 1 and a message naming the flag and the file.
    void badModelFiles_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<QString>("file");   // under the temporary folder
        QTest::addColumn<QString>("expect"); // in the message
        QTest::newRow("detector missing") << "--detector" << "missing.pth" << "file not found";
        QTest::newRow("xai missing") << "--xai" << "missing.pth" << "file not found";
        QTest::newRow("xai directory") << "--xai" << "adir.pth" << "directory";
        QTest::newRow("detector not a checkpoint") << "--detector" << "text.pth" << "text.pth";
        QTest::newRow("xai not a checkpoint") << "--xai" << "text.pth" << "--xai";
    }

    void badModelFiles()
    {
        QFETCH(QString, flag);
        QFETCH(QString, file);
        QFETCH(QString, expect);
        QVERIFY(QDir(m_tmp.path()).mkpath(QStringLiteral("adir.pth")));
        QFile text(m_tmp.filePath(QStringLiteral("text.pth")));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not a checkpoint\n");
        text.close();
        const QString good = QString::fromStdString(dataPath("fixtures/detector_tiny.pth"));
        QStringList args{QStringLiteral("--screenshot"), m_tmp.filePath(QStringLiteral("model.png"))};
        if (flag == QLatin1String("--detector"))
            args << flag << m_tmp.filePath(file);
        else
            args << QStringLiteral("--detector") << good << flag << m_tmp.filePath(file);
        args << QString::fromStdString(dataPath("asvspoof_bonafide_sample.flac"));
        const Result r = run(args);
        QVERIFY2(r.code == 1, qPrintable(QString::number(r.code) + ": " + r.err));
        QVERIFY2(r.err.contains(flag) || r.err.contains(file), qPrintable(r.err));
        QVERIFY2(r.err.contains(expect), qPrintable(r.err));
    }

    // A WAV cut short (its header declares 1 s, 0.5 s are there): shown, with
    // a warning that names the file and both lengths (docs/reliability.md).
    void truncatedAudioIsShownWithAWarning()
    {
        std::vector<float> tone(16000);
        for (size_t i = 0; i < tone.size(); ++i)
            tone[i] = 0.3f * float(std::sin(2 * 3.14159265358979 * 440 * double(i) / 16000.0));
        const QString wav = m_tmp.filePath(QStringLiteral("cut.wav"));
        spooflens::core::writeWav16k(wav.toStdString(), tone);
        QFile f(wav);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.size() == 44 + 32000);
        QVERIFY(f.resize(44 + 16000));
        f.close();
        const QString out = m_tmp.filePath(QStringLiteral("cut.png"));
        const Result r = run({QStringLiteral("--screenshot"), out, wav});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("warning: ")) && r.err.contains(QStringLiteral("cut.wav"))
                     && r.err.contains(QStringLiteral("ended early")) && r.err.contains(QStringLiteral("16000 samples"))
                     && r.err.contains(QStringLiteral("8000 samples")),
                 qPrintable(r.err));
        QVERIFY(!QImage(out).isNull());
    }

    void usageErrors()
    {
        QCOMPARE(run({QStringLiteral("--xai"), QStringLiteral("x.pth")}).code, 2);
        QCOMPARE(run({QStringLiteral("--screenshot"), m_tmp.filePath(QStringLiteral("x.jpg"))}).code, 2);
    }
};

QTEST_MAIN(TestGui)
#include "TestGui.moc"
