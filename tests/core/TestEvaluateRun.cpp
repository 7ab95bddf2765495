// ctest-labels: fast
// `spooflens evaluate` output folders (docs/reliability.md, "Evaluate
// folders"): OUT/run.json records what determines the results; a resume with
// another detector, Stage 2 module, method set, precision, cut, protocol or
// shard is refused naming each difference, and so is a folder holding
// utterances this run does not evaluate; `--merge` joins only the shards of
// one run, each once, none missing; labels of utterances outside the protocol
// are ignored and counted. Real CLI runs with the tiny fixture detector on
// 1 s pieces of tests/data's two samples.
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

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes, bool append = false)
{
    QFile f(path);
    if (!f.open(append ? QIODevice::Append : QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(bytes) == bytes.size();
}

QString fixture(const char* name) { return QString::fromStdString(spooflens::test::dataPath(std::string("fixtures/") + name)); }

QJsonObject summaryOf(const QString& dir)
{
    return QJsonDocument::fromJson(readAll(dir + "/summary.json")).object();
}

} // namespace

class TestEvaluateRun : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    spooflens::test::TrainingSet m_set;

    QString path(const QString& n) const { return m_tmp.filePath(n); }
    QStringList args(const QString& out) const
    {
        return {"evaluate", "--quiet", "--detector", fixture("detector_tiny.pth"), "--method", "random",
                "--threads", "1", "--resamples", "20", "--protocol", m_set.protocol,
                "--database-path", m_set.dataDir, "--out", out};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_set = spooflens::test::writeTrainingSet(m_tmp.filePath("set"), 2, 2, 1);
        QVERIFY(!m_set.dataDir.isEmpty());
    }

    // A reused --out of another configuration: refused, each difference named, nothing changed.
    void resumeOfAnotherConfigurationIsRefused()
    {
        const QString out = path("run");
        const CliRun first = runCli(args(out));
        QVERIFY2(first.code == 0, qPrintable(first.err));
        QVERIFY(QFileInfo::exists(out + "/run.json"));
        QCOMPARE(summaryOf(out)["utterances"].toInt(), 4);
        QByteArray summary = readAll(out + "/summary.json");
        const QByteArray records = readAll(out + "/utterances.jsonl");
        // The same configuration resumes (nothing to do) and may use another bootstrap seed.
        const CliRun same = runCli(QStringList(args(out)) << "--seed" << "99");
        QVERIFY2(same.code == 0, qPrintable(same.err));
        QCOMPARE(readAll(out + "/utterances.jsonl"), records);
        // The summary is rebuilt from the records with that seed; the refused runs below leave it so.
        summary = readAll(out + "/summary.json");
        QVERIFY(summary.contains("\"seed\": 99"));

        struct Case {
            QStringList extra;
            const char* names;
        };
        const QList<Case> cases = {
            {{"--method", "gradxinput"}, "methods"},
            {{"--xai", fixture("xai_tiny.pth")}, "stage2"},
            {{"--precision", "bf16"}, "precision"},
            {{"--cut", "64600"}, "cut"},
            {{"--shard", "1/2"}, "shard: 0/1"},
            {{"--subset", "train"}, "subset"},
            {{"--batch", "2"}, "batch"},
        };
        for (const Case& c : cases) {
            const CliRun r = runCli(QStringList(args(out)) << c.extra);
            QVERIFY2(r.code == 1, qPrintable(c.extra.join(' ') + ": " + r.err));
            QVERIFY2(r.err.contains(c.names) && r.err.contains("another configuration") && r.err.contains("another --out")
                         && r.err.contains("delete " + out),
                     qPrintable(r.err));
        }
        // Another detector file (another SHA-256), and another protocol (one row more).
        QStringList other = args(out);
        other[other.indexOf("--detector") + 1] = fixture("detector_tiny_dataparallel.pth");
        CliRun r = runCli(other);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("detector_sha256"), qPrintable(r.err));
        const QString protocol2 = path("protocol2.txt");
        QVERIFY(QFile::copy(m_set.dataDir + "/" + m_set.bonafide[0], m_set.dataDir + "/audio/extra.wav"));
        QVERIFY(writeAll(protocol2, readAll(m_set.protocol) + "audio/extra.wav train bonafide\n"));
        other = args(out);
        other[other.indexOf("--protocol") + 1] = protocol2;
        r = runCli(other);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("protocol: sha256"), qPrintable(r.err));
        QCOMPARE(readAll(out + "/summary.json"), summary);
        QCOMPARE(readAll(out + "/utterances.jsonl"), records);
    }

    // Records of utterances the run does not evaluate, or no run.json: never summarised.
    void foreignRecordsAreRefused()
    {
        const QString out = path("foreign");
        CliRun r = runCli(args(out));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QByteArray records = readAll(out + "/utterances.jsonl");
        const QByteArray first = records.left(records.indexOf('\n') + 1);
        QByteArray stranger = first;
        stranger.replace("\"utterance\":\"bonafide_0\"", "\"utterance\":\"stranger\"");
        QVERIFY(stranger != first);
        QVERIFY(writeAll(out + "/utterances.jsonl", stranger, true));
        const QByteArray summary = readAll(out + "/summary.json");
        r = runCli(args(out));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'stranger' is not among the 4 utterances of this run"), qPrintable(r.err));
        QCOMPARE(readAll(out + "/summary.json"), summary);
        // A folder with results but no run.json (an older SpoofLens): its configuration is unknown.
        QVERIFY(writeAll(out + "/utterances.jsonl", records));
        QVERIFY(QFile::remove(out + "/run.json"));
        r = runCli(args(out));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("4 results but no run.json"), qPrintable(r.err));
    }

    // --merge: the shards of one run, each once, none missing; a duplicate refused up front.
    void mergeChecksShards()
    {
        const QString s0 = path("s0"), s1 = path("s1"), s0b = path("s0b"), s1m = path("s1m"), t0 = path("t0");
        QCOMPARE(runCli(QStringList(args(s0)) << "--shard" << "0/2").code, 0);
        QCOMPARE(runCli(QStringList(args(s1)) << "--shard" << "1/2").code, 0);
        QCOMPARE(runCli(QStringList(args(s1m)) << "--shard" << "1/2" << "--method" << "gradxinput").code, 0);
        QCOMPARE(runCli(QStringList(args(t0)) << "--shard" << "0/3").code, 0);
        QVERIFY(QDir().mkpath(s0b));
        for (const char* f : {"run.json", "utterances.jsonl"})
            QVERIFY(QFile::copy(s0 + "/" + f, s0b + "/" + f));
        const auto merge = [&](const QStringList& dirs, const QString& out) {
            return runCli(QStringList{"evaluate", "--quiet", "--resamples", "20", "--merge"} << dirs << "--out" << out);
        };
        CliRun r = merge({s0, s1}, path("m-ok"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(summaryOf(path("m-ok"))["utterances"].toInt(), 4);
        // The merged folder is the whole run: it equals a single run's records and resumes as one.
        QCOMPARE(runCli(QStringList(args(path("m-ok")))).code, 0);

        r = merge({s0}, path("m-missing"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("shard(s) 1/2 missing"), qPrintable(r.err));
        r = merge({s0, s0b, s1}, path("m-twice"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("shard 0/2 is given twice") && r.err.contains(s0b), qPrintable(r.err));
        r = merge({s0, s1m}, path("m-methods"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("different runs") && r.err.contains("methods: random (in " + s0 + ") vs random,gradxinput"),
                 qPrintable(r.err));
        r = merge({s0, t0}, path("m-scheme"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("different shard schemes"), qPrintable(r.err));
        // A record in two shards: refused before anything is written, naming the utterance and both folders.
        const QByteArray r0 = readAll(s0 + "/utterances.jsonl");
        QVERIFY(writeAll(s1 + "/utterances.jsonl", r0.left(r0.indexOf('\n') + 1), true));
        r = merge({s0, s1}, path("m-dup"));
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("is in two shards: " + s0 + " and " + s1), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path("m-dup/summary.json")));
        for (const QString& d : {path("m-missing"), path("m-twice"), path("m-methods"), path("m-scheme")})
            QVERIFY2(!QFileInfo::exists(d + "/summary.json"), qPrintable(d));
    }

    // Labels of utterances outside the protocol: ignored and counted, not an error.
    void labelsOfOtherUtterancesAreIgnored()
    {
        const QString csv = path("labels.csv");
        QVERIFY(writeAll(csv, "utterance,start,end,label\nspoof_0,0.2,0.6,spoof\nnobody,0.1,0.2,spoof\n"
                              "elsewhere,0.1,0.3,spoof\n"));
        const QString out = path("labelled");
        const CliRun r = runCli(QStringList(args(out)) << "--labels" << csv);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject s = summaryOf(out);
        QCOMPARE(s["labels_ignored"].toInt(), 2);
        QCOMPARE(s["labelled"].toInt(), 1);
        // Without --labels the key is absent.
        QVERIFY(!summaryOf(path("run")).contains("labels_ignored"));
        // Another label file of the same utterances is another configuration.
        QVERIFY(writeAll(csv, "utterance,start,end,label\nspoof_0,0.2,0.7,spoof\n"));
        const CliRun again = runCli(QStringList(args(out)) << "--labels" << csv);
        QCOMPARE(again.code, 1);
        QVERIFY2(again.err.contains("labels: "), qPrintable(again.err));
    }
};

QTEST_GUILESS_MAIN(TestEvaluateRun)
#include "TestEvaluateRun.moc"
