// ctest-labels: fast
// Crash safety of a training run folder (docs/reliability.md), end to end
// through `spooflens train` on the demo data and the tiny detector: a real
// `_exit` between the renames of last.pth and best.pth (fault points), the
// repair on --resume, leftover temporaries, one writer per folder (also after
// a SIGKILL), and a write error (file size limit) while resume rewrites
// metrics.jsonl.
#include "core/stage2/Stage2Checkpoint.h"
#include "core/training/RunControl.h"
#include "core/training/RunFolder.h"
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <QRegularExpression>

#include <cmath>
#include <csignal>
#include <limits>

using spooflens::test::cliPath;
using spooflens::test::dataPath;
namespace core = spooflens::core;

namespace {

using Run = spooflens::test::CliRun;

// For a process the test started itself (two writers at once); cli() for the rest.
Run finish(QProcess& p, int timeoutMs = 240000)
{
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    Run r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

Run cli(const QStringList& args, const QString& fault = {})
{
    QProcessEnvironment env;
    if (!fault.isEmpty())
        env.insert("SPOOFLENS_FAULT", fault);
    return spooflens::test::runCli(args, 240000, env);
}

QList<QJsonObject> jsonl(const QString& path)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            out.push_back(QJsonDocument::fromJson(line).object());
    return out;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

// `text` (a config.yaml) with the value of `key` (indented, "  key: value") replaced.
QByteArray withKey(const QByteArray& text, const char* key, const QString& value)
{
    QString s = QString::fromUtf8(text);
    const QRegularExpression line(QString("^(  %1:).*$").arg(key), QRegularExpression::MultilineOption);
    Q_ASSERT(s.contains(line));
    s.replace(line, "\\1 " + value);
    return s.toUtf8();
}

// last.pth with one trainer_state entry replaced (written as the trainer writes it).
void editTrainerState(const QString& lastPth, const char* key, const core::Value& value)
{
    core::CheckpointContents c = core::readCheckpoint(lastPth.toStdString());
    core::Value* ts = c.root.find("trainer_state");
    QVERIFY(ts && ts->isDict());
    ts->set(key, value);
    core::writeCheckpoint(lastPth.toStdString(), c.root, c.archiveName);
}

int64_t fileEpoch(const QString& path)
{
    return core::readStage2File(path.toStdString()).epoch;
}

int64_t bestEpochNamedBy(const QString& lastPth)
{
    const core::Stage2File f = core::readStage2File(lastPth.toStdString());
    const core::Value* b = f.trainerState.find("best_epoch");
    return b ? b->i : -1;
}

} // namespace

class TestRunFolder : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_demo;

    QString path(const QString& rel) const { return m_tmp.path() + "/" + rel; }

    // 12 utterances, batch 4: 2 steps per epoch; the cache makes later runs cheap.
    QStringList trainArgs(const QString& out, int epochs) const
    {
        return {"train", "--config", m_demo + "/demo.yaml", "--out", out, "--quiet",
                "--set", QString("training.num_epochs=%1").arg(epochs), "--set", "training.patience=50",
                "--set", "training.batch_size=4", "--set", "data.protocol_path=" + m_demo + "/data/small.txt"};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_demo = path("demo");
        const Run r = cli({"demo", "--small", "--out", m_demo, "--data", QString::fromStdString(dataPath("")), "--no-train"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile all(m_demo + "/data/protocol.txt");
        QVERIFY(all.open(QIODevice::ReadOnly));
        QFile small(m_demo + "/data/small.txt");
        QVERIFY(small.open(QIODevice::WriteOnly));
        QMap<QString, int> taken;
        int n = 0;
        for (const QByteArray& line : all.readAll().split('\n')) {
            const QList<QByteArray> cols = line.split(' ');
            if (cols.size() != 3)
                continue;
            const QString key = QString::fromUtf8(cols[1] + cols[2]);
            if (taken[key]++ < (cols[1] == "train" ? 4 : 2)) {
                small.write(line + "\n");
                ++n;
            }
        }
        QCOMPARE(n, 12);
    }

    void killAfterLastBeforeBestIsRepaired()
    {
        // Epoch 1 completes; in epoch 2 (the better one) the process dies right
        // after last.pth is renamed into place, before best.pth: best.pth is
        // one epoch stale while last.pth names epoch 2 as best.
        const QString run = path("stale");
        Run r = cli(trainArgs(run, 2) << "--stop-after" << "1");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/best.pth"), int64_t(1));
        r = cli({"train", "--resume", run, "--quiet"}, "after-last-checkpoint");
        QCOMPARE(r.code, core::kFaultExitCode);
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(2));
        QCOMPARE(bestEpochNamedBy(run + "/last.pth"), int64_t(2));  // the demo loss falls: epoch 2 is the best
        QCOMPARE(fileEpoch(run + "/best.pth"), int64_t(1));         // the inconsistent pair of issue 13
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);          // killed before its metrics line, too
        // Leftovers of interrupted writers.
        for (const char* junk : {"best.pth.tmp", "metrics.jsonl.tmp.4242"}) {
            QFile f(run + "/" + junk);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("half a file");
        }

        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("repaired") && r.err.contains("best.pth"), qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/best.pth"), int64_t(2));
        const auto m = jsonl(run + "/metrics.jsonl");
        QCOMPARE(m.size(), 2);
        QCOMPARE(m.last()["epoch"].toInt(), 2);
        QCOMPARE(m.last()["best_epoch"].toInt(), 2);
        QVERIFY(!QFile::exists(run + "/best.pth.tmp"));
        QVERIFY(!QFile::exists(run + "/metrics.jsonl.tmp.4242"));
        QVERIFY2(r.err.contains("removed best.pth.tmp"), qPrintable(r.err));
    }

    void killBeforeFirstBestIsRepaired()
    {
        // A fresh run killed between the two renames of epoch 1: no best.pth at all.
        const QString run = path("missing");
        Run r = cli(trainArgs(run, 1), "after-last-checkpoint");
        QCOMPARE(r.code, core::kFaultExitCode);
        QVERIFY(QFile::exists(run + "/last.pth"));
        QVERIFY(!QFile::exists(run + "/best.pth"));
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("repaired"), qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/best.pth"), int64_t(1));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);
        // The repaired best.pth is the module of epoch 1 (same tensors as last.pth).
        const auto best = core::readStage2File((run + "/best.pth").toStdString());
        const auto last = core::readStage2File((run + "/last.pth").toStdString());
        QCOMPARE(best.xai.size(), last.xai.size());
        for (size_t i = 0; i < best.xai.size(); ++i) {
            QCOMPARE(best.xai[i].first, last.xai[i].first);
            QVERIFY(best.xai[i].second.equal(last.xai[i].second));
        }
    }

    void killBeforeFirstCheckpointResumesFromConfig()
    {
        // Killed in epoch 1 before any checkpoint: config.yaml and steps.jsonl, no last.pth.
        const QString run = path("early");
        Run r = cli(trainArgs(run, 1), "before-last-checkpoint");
        QCOMPARE(r.code, core::kFaultExitCode);
        QVERIFY(QFile::exists(run + "/config.yaml"));
        QVERIFY(!QFile::exists(run + "/last.pth"));
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("no checkpoint yet") && r.err.contains("starting it from its config.yaml"), qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(1));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);
        QCOMPARE(jsonl(run + "/steps.jsonl").size(), 2);  // the killed attempt's steps are not kept
        // A folder that holds no run still has nothing to resume.
        QVERIFY(QDir().mkpath(path("no-run")));
        r = cli({"train", "--resume", path("no-run"), "--quiet"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nothing to resume"), qPrintable(r.err));
    }

    void newRunNeverReplacesARun()
    {
        const QString run = path("kept");
        Run r = cli(trainArgs(run, 1));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QByteArray last = readAll(run + "/last.pth"), metrics = readAll(run + "/metrics.jsonl");
        r = cli(trainArgs(run, 2));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(run + " holds a training run (config.yaml, last.pth, best.pth, metrics.jsonl: 1 epoch(s) "
                                      "logged, steps.jsonl)")
                     && r.err.contains("spooflens train --resume " + run) && r.err.contains("another --out")
                     && r.err.contains("--overwrite"),
                 qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(1));
        QCOMPARE(readAll(run + "/metrics.jsonl"), metrics);
        // --overwrite moves the old run aside first: nothing is deleted.
        r = cli(trainArgs(run, 2) << "--overwrite");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("aside to " + run + ".old-"), qPrintable(r.err));
        const QStringList aside = QDir(m_tmp.path()).entryList({"kept.old-*"}, QDir::Dirs);
        QCOMPARE(aside.size(), 1);
        QCOMPARE(readAll(path(aside[0]) + "/last.pth"), last);
        QCOMPARE(readAll(path(aside[0]) + "/metrics.jsonl"), metrics);
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(2));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 2);
    }

    void ordinaryFolderKeepsItsFiles()
    {
        // An ordinary folder (no run in it) may take a new run; its own *.tmp files stay.
        const QString dir = path("ordinary");
        QVERIFY(QDir().mkpath(dir));
        for (const char* name : {"notes.tmp", "draft.tmp.1", "readme.txt"}) {
            QFile f(dir + "/" + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(name);
        }
        const Run r = cli(trainArgs(dir, 1));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        for (const char* name : {"notes.tmp", "draft.tmp.1", "readme.txt"})
            QCOMPARE(readAll(dir + "/" + name), QByteArray(name));
        QCOMPARE(fileEpoch(dir + "/last.pth"), int64_t(1));
        // The training panel writes the configuration as RUN_DIR/config.yaml and passes it as --config:
        // that file alone is the input, not an earlier run.
        const QString panel = path("panel");
        QVERIFY(QDir().mkpath(panel));
        QVERIFY(QFile::copy(m_demo + "/demo.yaml", panel + "/config.yaml"));
        QStringList args = trainArgs(panel, 1);
        args[args.indexOf("--config") + 1] = panel + "/config.yaml";
        const Run p = cli(args);
        QVERIFY2(p.code == 0, qPrintable(p.err));
        QCOMPARE(fileEpoch(panel + "/last.pth"), int64_t(1));
        // ... but once it holds a run, the same command is refused.
        QCOMPARE(cli(args).code, 1);
    }

    void secondWriterIsRefused()
    {
        const QString run = path("locked");
        QProcess first;
        // A writer that is still running when the others try: on AASIST-L's cached
        // features an epoch takes milliseconds, so no early stop and no last epoch.
        first.start(cliPath(), QStringList(trainArgs(run, 100000)) << "--set" << "training.patience=100000");
        QVERIFY(first.waitForStarted());
        // Wait until the first writer holds the folder and has finished an epoch.
        QTRY_VERIFY_WITH_TIMEOUT(jsonl(run + "/metrics.jsonl").size() >= 1, 120000);
        const QString pid = QString::number(first.processId());
        QVERIFY2(readAll(run + "/train.lock").contains(("pid " + pid).toUtf8()), readAll(run + "/train.lock").constData());

        const Run second = cli(trainArgs(run, 2));
        QCOMPARE(second.code, 1);
        QVERIFY2(second.err.contains("in use") && second.err.contains("pid " + pid) && second.err.contains("host"),
                 qPrintable(second.err));
        const Run resume = cli({"train", "--resume", run, "--quiet"});
        QCOMPARE(resume.code, 1);
        QVERIFY2(resume.err.contains("pid " + pid), qPrintable(resume.err));
        QCOMPARE(first.state(), QProcess::Running);

        // The lock dies with its process, even with SIGKILL.
        first.kill();
        QVERIFY(first.waitForFinished(60000));
        const Run after = cli({"train", "--resume", run, "--quiet", "--stop-after", "1"});
        QVERIFY2(after.code == 0, qPrintable(after.err));
        QVERIFY2(readAll(run + "/train.lock").contains("pid ") &&
                     !readAll(run + "/train.lock").contains(("pid " + pid + " ").toUtf8()),
                 readAll(run + "/train.lock").constData());
    }

    // Issue 27: deleting train.lock under a live run let a second trainer take
    // a new lock on the same folder. The running trainer notices before its
    // next epoch and stops, naming the lock; its last checkpoint stays intact.
    void deletedLockStopsTheWriter()
    {
        const QString run = path("unlocked");
        QProcess first;
        first.start(cliPath(), QStringList(trainArgs(run, 100000)) << "--set" << "training.patience=100000");
        QVERIFY(first.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(jsonl(run + "/metrics.jsonl").size() >= 1, 120000);
        QVERIFY(QFile::remove(run + "/train.lock"));
        QVERIFY(first.waitForFinished(120000));
        const QString err = QString::fromUtf8(first.readAllStandardError());
        QCOMPARE(first.exitCode(), 1);
        QVERIFY2(err.contains("train.lock was deleted") && err.contains("stops"), qPrintable(err));
        QVERIFY(QFile::exists(run + "/last.pth"));
    }

    void writeErrorNeverReplacesTheLog()
    {
        // A finished 1-epoch run whose metrics.jsonl is long (200 kB of epoch-1
        // lines) and ends with a line that resume must trim away.
        const QString run = path("fsize");
        Run r = cli(trainArgs(run, 1));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        {
            QFile f(run + "/metrics.jsonl");
            QVERIFY(f.open(QIODevice::Append));
            const QByteArray pad = "{\"epoch\": 1, \"note\": \"" + QByteArray(200, 'x') + "\"}\n";
            for (int i = 0; i < 1000; ++i)
                f.write(pad);
            f.write("{\"epoch\": 99}\n");
        }
        const QByteArray before = readAll(run + "/metrics.jsonl");
        QVERIFY(before.size() > 200000);

        // Resume under a 64 KiB file size limit (SIGXFSZ ignored: writes fail with EFBIG).
        QProcess p;
        p.start("/bin/sh", {"-c", "ulimit -f 64; trap '' XFSZ; exec \"$0\" \"$@\"", cliPath(), "train", "--resume", run,
                            "--quiet"});
        r = finish(p);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("metrics.jsonl") && r.err.contains("unchanged"), qPrintable(r.err));
        QCOMPARE(readAll(run + "/metrics.jsonl"), before);
        QCOMPARE(QDir(run).entryList({"metrics.jsonl.tmp*"}, QDir::Files).size(), 0);

        // Without the limit the same resume trims exactly the stray line.
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QByteArray after = readAll(run + "/metrics.jsonl");
        QCOMPARE(after.size(), before.size() - qsizetype(QByteArray("{\"epoch\": 99}\n").size()));
    }

    void divergenceStopsWithClearError()
    {
        // A learning rate of 1e30 blows the weights up to inf within a few
        // steps: the run must stop with an error, and no NaN epoch is ever
        // written, let alone marked best.
        const QString run = path("diverge");
        const Run r = cli(trainArgs(run, 3) << "--set" << "training.learning_rate=1e30");
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("diverged") && r.err.contains("learning_rate"), qPrintable(r.err));
        for (const auto& m : jsonl(run + "/metrics.jsonl")) {
            QVERIFY(std::isfinite(m["val"].toObject()["loss_total"].toDouble(NAN)));
            QVERIFY(std::isfinite(m["train"].toObject()["loss_total"].toDouble(NAN)));
        }
        for (const char* f : {"best.pth", "last.pth"})
            if (QFile::exists(run + "/" + f))
                core::readStage2File((run + "/" + f).toStdString());  // throws on a NaN weight
        const QByteArray steps = readAll(run + "/steps.jsonl");
        QVERIFY2(!steps.contains("NaN") && !steps.contains("nan") && !steps.contains("null"), steps.constData());
    }

    void protocolWarnings()
    {
        // A BOM before the first line, one utterance listed twice, and only
        // bona fide training rows: trained anyway, with warnings and counts.
        QFile small(m_demo + "/data/small.txt");
        QVERIFY(small.open(QIODevice::ReadOnly));
        QByteArray text = "\xEF\xBB\xBF";
        QByteArray firstBona;
        for (const QByteArray& line : small.readAll().split('\n')) {
            if (line.contains(" train spoof"))
                continue;
            if (firstBona.isEmpty() && line.contains(" train bonafide"))
                firstBona = line;
            if (!line.isEmpty())
                text += line + "\n";
        }
        text += firstBona + "\n";
        const QString proto = m_demo + "/data/odd.txt";
        QFile out(proto);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(text);
        out.close();
        QStringList args = trainArgs(path("odd"), 1);
        args[args.indexOf("data.protocol_path=" + m_demo + "/data/small.txt")] = "data.protocol_path=" + proto;
        const Run r = cli(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("1 duplicated utterance"), qPrintable(r.err));
        QVERIFY2(r.err.contains("only bona fide utterances (5 bona fide, 0 spoof)"), qPrintable(r.err));
    }

    void resumeRefusesAnEditedConfig()
    {
        // The run's config.yaml edited between calls used to be accepted: one
        // metrics.jsonl then mixed objectives, and best-epoch selection compared
        // losses of different objectives. A resume continues the same run.
        const QString run = path("edited");
        Run r = cli(trainArgs(run, 3) << "--stop-after" << "1");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QByteArray original = readAll(run + "/config.yaml");
        const QByteArray last = readAll(run + "/last.pth");
        QByteArray edited = withKey(original, "prototype_mode", "fixed");
        edited = withKey(edited, "objective", "attention_mil");
        edited = withKey(edited, "learning_rate", "0.5");
        edited = withKey(edited, "seed", "99");
        writeAll(run + "/config.yaml", edited);
        r = cli({"train", "--resume", run, "--quiet"});
        QCOMPARE(r.code, 1);
        for (const char* part : {"differs from the configuration", "model.prototype_mode: ema (recorded) vs fixed (config.yaml)",
                                 "model.objective: weak_frame (recorded) vs attention_mil (config.yaml)",
                                 "training.learning_rate: 0.001 (recorded) vs 0.5 (config.yaml)",
                                 "training.seed: 1234 (recorded) vs 99 (config.yaml)", "--out NEW_DIR"})
            QVERIFY2(r.err.contains(part), qPrintable(r.err + " ## " + part));
        QVERIFY2(!r.err.contains("training.batch_size"), qPrintable(r.err));
        QCOMPARE(readAll(run + "/last.pth"), last);
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);
        // Where it runs and when it stops may change: num_epochs 3 -> 2, threads 1.
        writeAll(run + "/config.yaml", withKey(withKey(original, "num_epochs", "2"), "threads", "1"));
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(2));
    }

    void tamperedTrainerStateIsRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expect");
        QTest::newRow("epoch -3") << "epoch" << -3.0 << "epoch -3, expected >= 1";
        QTest::newRow("epoch 7 in an epoch-1 file") << "epoch" << 7.0 << "trainer_state.epoch 7 but the checkpoint's epoch is 1";
        QTest::newRow("best epoch 5") << "best_epoch" << 5.0 << "best epoch 5, expected 1 .. 1";
        QTest::newRow("NaN best loss") << "best_val_loss" << std::numeric_limits<double>::quiet_NaN() << "best loss nan";
        QTest::newRow("bad epochs -1") << "bad_epochs" << -1.0 << "bad epochs -1";
        QTest::newRow("global step 0") << "global_step" << 0.0 << "global step 0 after 1 epoch(s)";
    }

    void tamperedTrainerStateIsRefused()
    {
        // Values no run writes in last.pth (a damaged or edited file) were accepted.
        QFETCH(QString, key);
        QFETCH(double, value);
        QFETCH(QString, expect);
        const QString run = path("tampered-" + QString(QTest::currentDataTag()).replace(' ', '-'));
        Run r = cli(trainArgs(run, 2) << "--stop-after" << "1");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QByteArray good = readAll(run + "/last.pth");
        editTrainerState(run + "/last.pth", key.toUtf8().constData(),
                         key == "best_val_loss" ? core::Value::real(value) : core::Value::integer(int64_t(value)));
        r = cli({"train", "--resume", run, "--quiet"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(run + "/last.pth") && r.err.contains(expect) && r.err.contains("nothing was resumed"),
                 qPrintable(r.err));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);
        writeAll(run + "/last.pth", good);
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(fileEpoch(run + "/last.pth"), int64_t(2));
    }

    void signalsEndWithTheirExitStatus_data()
    {
        QTest::addColumn<int>("sig");
        QTest::addColumn<int>("status");
        QTest::newRow("SIGTERM") << int(SIGTERM) << 143;
        QTest::newRow("SIGINT") << int(SIGINT) << 130;
    }

    void signalsEndWithTheirExitStatus()
    {
        // SIGINT/SIGTERM stop a run resumably but used to exit 0, as if it had finished.
        QFETCH(int, sig);
        QFETCH(int, status);
        const QString run = path(QString("signal-%1").arg(sig));
        QProcess p;
        p.start(cliPath(), QStringList(trainArgs(run, 100000)) << "--set" << "training.patience=100000");
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(jsonl(run + "/metrics.jsonl").size() >= 1, 120000);
        QCOMPARE(::kill(pid_t(p.processId()), sig), 0);
        const Run r = finish(p);
        QVERIFY2(r.code == status, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains("interrupted (resume with: spooflens train --resume " + run + ")"), qPrintable(r.err));
        QVERIFY(fileEpoch(run + "/last.pth") >= 1);
    }

    void fileSizeLimitIsReported()
    {
        // Under `ulimit -f` the kernel sends SIGXFSZ, which used to kill the
        // trainer with no message; ignored, the write fails with EFBIG and the
        // checked write names the file.
        const QString run = path("fsize-new");
        QProcess p;
        p.start("/bin/sh", QStringList{"-c", "ulimit -f 64; exec \"$0\" \"$@\"", cliPath()} + trainArgs(run, 2));
        const Run r = finish(p);
        QVERIFY2(r.code == 1, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains("File too large"), qPrintable(r.err));
    }

    void controlCharactersInTheRunFolderAreEscaped()
    {
        // A run folder named with a newline and ESC: the interrupted line quotes it escaped.
        const QString run = path("ctl\nrun: 9 epochs\x1b[2J");
        const Run r = cli(QStringList(trainArgs(run, 2)) << "--stop-after" << "1");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("interrupted (resume with: spooflens train --resume " + path("ctl\\x0arun: 9 epochs\\x1b[2J)")),
                 qPrintable(r.err));
        QVERIFY2(!r.err.contains(QChar(0x1b)) && !r.err.contains("ctl\nrun"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestRunFolder)
#include "TestRunFolder.moc"
