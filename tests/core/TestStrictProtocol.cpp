// ctest-labels: fast
// Suspicious protocols (docs/reliability.md): an utterance listed twice and a
// one-class training set are warnings with counts, and errors with `--strict`
// on the commands that read protocols (train, train --resume, cache, evaluate).
// Real CLI runs on a small set of 1 s pieces of tests/data's two samples.
#include "core/Error.h"
#include "core/training/Protocol.h"
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"
#include "tests/support/TrainingSet.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using spooflens::test::CliRun;
using spooflens::test::runCli;
namespace core = spooflens::core;

class TestStrictProtocol : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    spooflens::test::TrainingSet m_set;
    QString m_dup, m_oneClass;

    QStringList train(const QString& protocol, const QString& out) const
    {
        return {"train", "--quiet", "--config", m_set.config, "--set", "data.protocol_path=" + protocol, "--out", out};
    }
    QStringList cache(const QString& protocol) const
    {
        return {"cache", "--quiet", "--config", m_set.config, "--set", "data.protocol_path=" + protocol};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_set = spooflens::test::writeTrainingSet(m_tmp.filePath("set"), 3, 2, 1);
        QVERIFY(!m_set.dataDir.isEmpty());
        const QString b0 = m_set.bonafide[0], b1 = m_set.bonafide[1], s0 = m_set.spoof[0], s1 = m_set.spoof[1];
        // Lines 1 and 5 and lines 2 and 6 name the same audio: 2 duplicates.
        m_dup = m_set.dataDir + "/dup.txt";
        QVERIFY(spooflens::test::writeProtocol(m_dup, {b0 + " train bonafide", s0 + " train spoof", b1 + " train bonafide",
                                                       s1 + " train spoof", b0 + " train bonafide", s0 + " train spoof",
                                                       m_set.bonafide[2] + " dev bonafide", m_set.spoof[2] + " dev spoof"}));
        // Training rows of one class only (the dev rows have both).
        m_oneClass = m_set.dataDir + "/oneclass.txt";
        QVERIFY(spooflens::test::writeProtocol(m_oneClass, {b0 + " train bonafide", b1 + " train bonafide",
                                                            m_set.bonafide[2] + " dev bonafide", s0 + " dev spoof"}));
    }

    // The counts themselves, on the library function the commands share.
    void countsAndMessages()
    {
        const core::Protocol dup = core::readProtocol(m_dup.toStdString());
        const core::ProtocolChecks c = core::checkProtocol(dup, {}, "train");
        QCOMPARE(c.duplicates, int64_t(2));
        QCOMPARE(QString::fromStdString(c.firstDuplicate), m_set.bonafide[0] + " (lines 1 and 5)");
        QCOMPARE(c.bonafide, int64_t(3));  // every training row counts, duplicates too
        QCOMPARE(c.spoof, int64_t(3));
        QVERIFY(!c.singleClass());
        const auto problems = core::enforceProtocolChecks(c, "dup.txt", true, false);
        QCOMPARE(problems.size(), size_t(1));
        QVERIFY(QString::fromStdString(problems[0]).contains("2 duplicated utterance(s)"));
        QVERIFY_THROWS_EXCEPTION(core::ConfigError, core::enforceProtocolChecks(c, "dup.txt", true, true));

        const core::ProtocolChecks one = core::checkProtocol(core::readProtocol(m_oneClass.toStdString()), {}, "train");
        QCOMPARE(one.duplicates, int64_t(0));
        QVERIFY(one.singleClass());
        QCOMPARE(one.bonafide, int64_t(2));
        QCOMPARE(one.spoof, int64_t(0));
        QVERIFY(core::enforceProtocolChecks(one, "oneclass.txt", false, true).empty());  // classes not asked for
        QVERIFY_THROWS_EXCEPTION(core::ConfigError, core::enforceProtocolChecks(one, "oneclass.txt", true, true));
        // The set written by the helper is clean: --strict has nothing to say.
        const core::ProtocolChecks clean = core::checkProtocol(core::readProtocol(m_set.protocol.toStdString()), {}, "train");
        QVERIFY(core::enforceProtocolChecks(clean, "protocol.txt", true, true).empty());
    }

    // train: a warning and a finished run without --strict; exit 1 with the
    // counts and nothing trained with it; --resume --strict re-checks.
    void trainDuplicates()
    {
        const QString warned = m_tmp.filePath("runs/dup-warned");
        const CliRun w = runCli(train(m_dup, warned));
        QVERIFY2(w.code == 0, qPrintable(w.err));
        QVERIFY2(w.err.contains("warning: ") && w.err.contains("2 duplicated utterance(s)"), qPrintable(w.err));
        QVERIFY(QFileInfo::exists(warned + "/best.pth"));

        const QString strict = m_tmp.filePath("runs/dup-strict");
        const CliRun s = runCli(train(m_dup, strict) << "--strict");
        QCOMPARE(s.code, 1);
        QVERIFY2(s.err.contains("--strict") && s.err.contains("2 duplicated utterance(s)")
                     && s.err.contains("(lines 1 and 5)"),
                 qPrintable(s.err));
        QVERIFY(!QFileInfo::exists(strict + "/last.pth"));

        const CliRun r = runCli({"train", "--quiet", "--strict", "--resume", warned});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("2 duplicated utterance(s)"), qPrintable(r.err));
    }

    void trainOneClass()
    {
        const QString strict = m_tmp.filePath("runs/one-strict");
        const CliRun s = runCli(train(m_oneClass, strict) << "--strict");
        QCOMPARE(s.code, 1);
        QVERIFY2(s.err.contains("only bona fide utterances (2 bona fide, 0 spoof)"), qPrintable(s.err));
        QVERIFY(!QFileInfo::exists(strict + "/last.pth"));
        // Without --strict the trainer says so and goes on.
        const CliRun w = runCli(train(m_oneClass, m_tmp.filePath("runs/one-warned")) << "--stop-after" << "1");
        // The warning names the protocol (core::protocolProblems, one wording for every command).
        QVERIFY2(w.err.contains("warning: " + m_oneClass + ": the training set has only bona fide utterances (2 bona fide, 0 spoof)"),
                 qPrintable(w.err));
    }

    // cache: the duplicates check only (a one-class protocol is a valid cache).
    void cacheDuplicates()
    {
        const CliRun s = runCli(cache(m_dup) << "--strict");
        QCOMPARE(s.code, 1);
        QVERIFY2(s.err.contains("--strict") && s.err.contains("2 duplicated utterance(s)"), qPrintable(s.err));
        const CliRun w = runCli(cache(m_dup));
        QVERIFY2(w.code == 0, qPrintable(w.err));
        QVERIFY2(w.err.contains("warning: ") && w.err.contains("2 duplicated utterance(s)"), qPrintable(w.err));
        const CliRun one = runCli(cache(m_oneClass) << "--strict");
        QVERIFY2(one.code == 0, qPrintable(one.err));
    }

    // evaluate: the same utterance id twice in the evaluated subset.
    void evaluateDuplicates()
    {
        const QStringList base = {"evaluate", "--quiet", "--detector",
                                  QString::fromStdString(spooflens::test::dataPath("fixtures/detector_tiny.pth")),
                                  "--method", "random", "--threads", "1", "--resamples", "50", "--protocol", m_dup,
                                  "--database-path", m_set.dataDir, "--subset", "train"};
        const CliRun s = runCli(QStringList(base) << "--out" << m_tmp.filePath("eval-strict") << "--strict");
        QCOMPARE(s.code, 1);
        QVERIFY2(s.err.contains("--strict") && s.err.contains("2 duplicated utterance(s)"), qPrintable(s.err));
        QVERIFY(!QFileInfo::exists(m_tmp.filePath("eval-strict/utterances.jsonl")));
        // Without --strict: a warning; results are kept per utterance id, so each is evaluated and counted once.
        const CliRun w = runCli(QStringList(base) << "--out" << m_tmp.filePath("eval-warned"));
        QVERIFY2(w.code == 0, qPrintable(w.err));
        QVERIFY2(w.err.contains("warning: ") && w.err.contains("2 duplicated utterance(s), each evaluated and counted once"),
                 qPrintable(w.err));
        QFile summary(m_tmp.filePath("eval-warned/summary.json"));
        QVERIFY(summary.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(summary.readAll()).object()["utterances"].toInt(), 4);
        // Two different rows with one id cannot both be kept: refused up front, naming both lines.
        const QString clash = m_set.dataDir + "/clash.txt";
        QVERIFY(QDir().mkpath(m_set.dataDir + "/other"));
        QVERIFY(QFile::copy(m_set.dataDir + "/" + m_set.bonafide[1], m_set.dataDir + "/other/bonafide_0.wav"));
        QVERIFY(spooflens::test::writeProtocol(clash, {m_set.bonafide[0] + " train bonafide", m_set.spoof[0] + " train spoof",
                                                       "other/bonafide_0.wav train bonafide"}));
        QStringList clashArgs = base;
        clashArgs[clashArgs.indexOf(m_dup)] = clash;
        const CliRun c = runCli(clashArgs << "--out" << m_tmp.filePath("eval-clash"));
        QCOMPARE(c.code, 1);
        QVERIFY2(c.err.contains("lines 1 and 3") && c.err.contains("'bonafide_0'"), qPrintable(c.err));
        QVERIFY(!QFileInfo::exists(m_tmp.filePath("eval-clash/utterances.jsonl")));
        // Only the dev rows: no duplicate there, no warning.
        QStringList dev = base;
        dev[dev.indexOf("train")] = "dev";
        const CliRun d = runCli(dev << "--out" << m_tmp.filePath("eval-dev") << "--strict");
        QVERIFY2(!d.err.contains("duplicated"), qPrintable(d.err));
    }
};

QTEST_GUILESS_MAIN(TestStrictProtocol)
#include "TestStrictProtocol.moc"
