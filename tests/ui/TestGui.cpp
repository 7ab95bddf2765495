// The spooflens-gui binary as a user runs it headless: --screenshot writes a
// decodable PNG and exits 0; bad input exits non-zero with a message; with
// no demo built it falls back to the source tree's utterance and says so.
// ctest-labels: gui
#include "tests/support/TestData.h"

#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

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
    Result run(const QStringList& args, const QString& demoDir = QString())
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
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

    void usageErrors()
    {
        QCOMPARE(run({QStringLiteral("--xai"), QStringLiteral("x.pth")}).code, 2);
        QCOMPARE(run({QStringLiteral("--screenshot"), m_tmp.filePath(QStringLiteral("x.jpg"))}).code, 2);
    }
};

QTEST_MAIN(TestGui)
#include "TestGui.moc"
