// The CLI contract of `spooflens score` and `spooflens embed` (issue 4), run on
// the built binary with the tiny checkpoint and the real ASVspoof FLACs.
// ctest-labels: fast
#include "core/checkpoint/Npy.h"
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include <sys/stat.h>

using namespace spooflens::core;
using spooflens::test::cliPath;
using spooflens::test::CliRun;
using spooflens::test::runCli;
using spooflens::test::dataPath;

namespace {

QString data(const std::string& rel)
{
    return QString::fromStdString(dataPath(rel));
}

} // namespace

class TestDetectorCli : public QObject {
    Q_OBJECT
private:
    std::map<std::string, NpyArray> m_ref;
    QTemporaryDir m_dir;
    QStringList base(const QString& cmd) const
    {
        return {cmd, "--detector", data("fixtures/detector_tiny.pth"), "--device", "cpu", "--threads", "2"};
    }
    float ref(const std::string& name, int i) const { return m_ref.at(name).f32()[i]; }

private slots:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(cliPath()));
        QVERIFY(m_dir.isValid());
        m_ref = readNpz(dataPath("fixtures/ref_tiny.npz"));
    }

    void scoreJsonLines()
    {
        const CliRun r = runCli(base("score") << "--json" << data("asvspoof_bonafide_sample.flac")
                                           << data("asvspoof_spoof_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QList<QByteArray> lines = r.out.toUtf8().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const char* names[2] = {"bonafide", "spoof"};
        const int frames[2] = {351, 317};
        for (int i = 0; i < 2; ++i) {
            QJsonParseError err;
            const QJsonObject o = QJsonDocument::fromJson(lines[i], &err).object();
            QCOMPARE(err.error, QJsonParseError::NoError);
            QVERIFY(o.value("path").toString().endsWith(QString("asvspoof_%1_sample.flac").arg(names[i])));
            QCOMPARE(o.value("frames").toInt(), frames[i]);
            const QJsonArray logits = o.value("logits").toArray();
            QCOMPARE(logits.size(), 2);
            QCOMPARE(o.value("score").toDouble(), logits[1].toDouble());
            const std::string key = std::string("logits_") + names[i];
            QVERIFY(std::abs(logits[0].toDouble() - ref(key, 0)) <= 1e-4);
            QVERIFY(std::abs(logits[1].toDouble() - ref(key, 1)) <= 1e-4);
            QCOMPARE(o.value("cut").toString(), QString("full"));
            QCOMPARE(o.value("windowed").toBool(), false);
        }
    }

    void scoreCut66800()
    {
        const CliRun r = runCli(base("score") << "--json" << "--cut" << "66800" << data("asvspoof_bonafide_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.trimmed().toUtf8()).object();
        QCOMPARE(o.value("frames").toInt(), 208);
        QCOMPARE(o.value("cut").toString(), QString("66800"));
        QVERIFY(std::abs(o.value("score").toDouble() - m_ref.at("score_bonafide_pad66800").f32()[0]) <= 1e-4);
    }

    void scoreTextOutput()
    {
        const CliRun r = runCli(base("score") << data("asvspoof_spoof_sample.flac"));
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("score"));
        QVERIFY(r.out.contains("T = 317"));
    }

    void scoreWindowedJson()
    {
        const CliRun r = runCli(base("score") << "--json" << "--single-pass-limit" << "3"
                                           << data("asvspoof_bonafide_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.trimmed().toUtf8()).object();
        QCOMPARE(o.value("windowed").toBool(), true);
        QCOMPARE(o.value("frames").toInt(), 351);
        QVERIFY(o.value("windows").toArray().size() >= 2);
    }

    void embedWritesTxD()
    {
        const QString out = m_dir.filePath("feats.npy");
        const CliRun r = runCli(base("embed") << "--out" << out << data("asvspoof_bonafide_sample.flac"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const NpyArray a = readNpy(out.toStdString());
        QCOMPARE(QString::fromStdString(a.descr), QString("<f4"));
        QCOMPARE(a.shape, (std::vector<int64_t>{351, 64}));
        const NpyArray& want = m_ref.at("ssl_bonafide");
        double maxDiff = 0;
        for (int64_t i = 0; i < a.numel(); ++i)
            maxDiff = std::max(maxDiff, double(std::abs(a.f32()[i] - want.f32()[i])));
        QVERIFY2(maxDiff <= 1e-4, qPrintable(QString::number(maxDiff)));
    }

    // Outputs are regular files: a FIFO or a folder at --out is refused and left as it was.
    void embedRefusesNonRegularOut()
    {
        const QString fifo = m_dir.filePath("fifo.npy");
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        CliRun r = runCli(base("embed") << "--out" << fifo << data("asvspoof_bonafide_sample.flac"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--out " + fifo) && r.err.contains("FIFO"), qPrintable(r.err));
        struct stat st {};
        QCOMPARE(::lstat(fifo.toLocal8Bit().constData(), &st), 0);
        QVERIFY(S_ISFIFO(st.st_mode));
        const QString dir = m_dir.filePath("folder.npy");
        QVERIFY(QDir().mkpath(dir));
        r = runCli(base("embed") << "--out" << dir << data("asvspoof_bonafide_sample.flac"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("is a directory"), qPrintable(r.err));
        QVERIFY(QFileInfo(dir).isDir());
    }

    // Output that never reached stdout (a full device) makes the command fail.
    void lostStdoutIsAFailure()
    {
        if (!QFileInfo::exists("/dev/full"))
            QSKIP("no /dev/full on this system");
        const QString flac = data("asvspoof_bonafide_sample.flac");
        const QList<QStringList> commands = {base("score") << "--json" << flac, base("score") << flac,
                                             QStringList{"info", flac}};
        for (const QStringList& args : commands) {
            QProcess p;
            p.setStandardOutputFile("/dev/full");
            p.start(cliPath(), args);
            QVERIFY(p.waitForFinished(120000));
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            const QString err = QString::fromUtf8(p.readAllStandardError());
            QVERIFY2(p.exitCode() == 1, qPrintable(args.join(' ') + ": " + err));
            QVERIFY2(err.contains("could not be written to stdout"), qPrintable(err));
        }
    }

    void exitCodes()
    {
        // a missing audio file: 1, and the good file is still scored
        CliRun r = runCli(base("score") << "--json" << m_dir.filePath("missing.flac") << data("asvspoof_spoof_sample.flac"));
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("missing.flac"));
        QCOMPARE(r.out.trimmed().split('\n').size(), 1);
        // a missing checkpoint: 1
        r = runCli({"score", "--detector", m_dir.filePath("none.pth"), data("asvspoof_spoof_sample.flac")});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("none.pth"));
        r = runCli(base("embed") << "--out" << m_dir.filePath("x.npy") << m_dir.filePath("missing.flac"));
        QCOMPARE(r.code, 1);
        // usage errors: 2
        QCOMPARE(runCli({"score"}).code, 2);
        QCOMPARE(runCli(base("score")).code, 2);                                      // no FILE
        QCOMPARE(runCli(base("score") << "--cut" << "123" << data("asvspoof_spoof_sample.flac")).code, 2);
        QCOMPARE(runCli(base("score") << "--bogus" << data("asvspoof_spoof_sample.flac")).code, 2);
        QCOMPARE(runCli(base("embed") << data("asvspoof_spoof_sample.flac")).code, 2);  // no --out
    }

    void everyDetectorCommandSharesTheDetectorFlags()
    {
        // score, embed, explain and compare declare the detector flags through one
        // helper: each validates --cut/--threads/--single-pass-limit the same way.
        const QString xai = data("fixtures/xai_tiny.pth");
        const QString wav = data("asvspoof_spoof_sample.flac");
        const QList<QStringList> commands = {
            base("score"), base("embed") << "--out" << m_dir.filePath("y.npy"),
            base("explain") << "--xai" << xai, base("compare") << "--xai" << xai};
        for (const QStringList& cmd : commands) {
            QCOMPARE(runCli(QStringList(cmd) << "--cut" << "123" << wav).code, 2);
            QCOMPARE(runCli(QStringList(cmd) << "--threads" << "-1" << wav).code, 2);
            QCOMPARE(runCli(QStringList(cmd) << "--single-pass-limit" << "0" << wav).code, 2);
        }
        // and they all accept the full set (compare and explain took neither
        // --single-pass-limit nor, for compare, --threads before)
        const CliRun r = runCli(base("compare") << "--xai" << xai << "--single-pass-limit" << "3" << "--json" << wav);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("\"rows\"") && r.out.contains("\"agreement\""));
    }
};

QTEST_GUILESS_MAIN(TestDetectorCli)
#include "TestDetectorCli.moc"
