// ctest-labels: slow
// `spooflens make-partial` + `spooflens evaluate` end to end with the tiny
// detector: a partial-spoof set built from the two test utterances and two
// synthetic ones; outputs exist and parse; shard + merge equals one run;
// resume after SIGKILL loses nothing and repeats nothing; a bad utterance is
// reported and skipped; bad labels and options are errors, labels of other
// utterances are ignored and counted.
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>

namespace {

struct Result {
    int exitCode = -1;
    QString out, err;
};

Result runCli(const QStringList& args)
{
    QProcess p;
    p.start(spooflens::test::cliPath(), args);
    Result r;
    if (!p.waitForFinished(300000) || p.exitStatus() != QProcess::NormalExit)
        return r;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList jsonLines(const QString& path)
{
    QStringList out;
    for (const QByteArray& l : readAll(path).split('\n'))
        if (!l.trimmed().isEmpty())
            out << QString::fromUtf8(l);
    return out;
}

QString detector() { return QString::fromStdString(spooflens::test::dataPath("fixtures/detector_tiny.pth")); }
QString xai() { return QString::fromStdString(spooflens::test::dataPath("fixtures/xai_tiny.pth")); }

} // namespace

class TestEvaluateCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_set;
    QString path(const QString& n) const { return m_dir.filePath(n); }

    QStringList evalArgs(const QString& out) const
    {
        return {"evaluate", "--detector", detector(), "--xai", xai(), "--method", "stage2", "--method", "random",
                "--threads", "1", "--protocol", m_set + "/protocol.txt", "--database-path", m_set,
                "--out", out, "--resamples", "200"};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo(spooflens::test::cliPath()).isExecutable(), qPrintable(spooflens::test::cliPath()));
        // Bona fide: the real test utterance and two synthetic ones; spoof: the real spoof utterance.
        auto sox = [](const QStringList& a) { return QProcess::execute(QStringLiteral("sox"), a) == 0; };
        QVERIFY(sox({"-n", "-r", "16000", "-c", "1", "-b", "16", path("synth_a.wav"), "synth", "1.6", "pinknoise", "vol", "0.2"}));
        QVERIFY(sox({"-n", "-r", "22050", "-c", "1", "-b", "16", path("synth_b.wav"), "synth", "1.4", "sine", "300-900", "vol", "0.3"}));
        QFile list(path("bona.lst"));
        QVERIFY(list.open(QIODevice::WriteOnly));
        list.write((QString::fromStdString(spooflens::test::dataPath("asvspoof_bonafide_sample.flac")) +
                    "\nsynth_a.wav\n# a comment\nsynth_b.wav\n").toUtf8());
        list.close();
        QDir(m_dir.path()).mkdir("spoofdir");
        QVERIFY(QFile::copy(QString::fromStdString(spooflens::test::dataPath("asvspoof_spoof_sample.flac")),
                            path("spoofdir/spoof.flac")));
        m_set = path("set");
        const Result r = runCli({"make-partial", "--bonafide", path("bona.lst"), "--spoof", path("spoofdir"), "--out",
                                 m_set, "--seed", "7"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(jsonLines(m_set + "/protocol.txt").size(), 6);
        QVERIFY(QFile::exists(m_set + "/audio/partial_0003.txt"));
        QVERIFY(QFile::exists(m_set + "/frame_labels/partial_0002.npy"));
        // Same seed: the same audio.
        const Result again = runCli({"make-partial", "--bonafide", path("bona.lst"), "--spoof", path("spoofdir"),
                                     "--out", path("set2"), "--seed", "7", "--quiet"});
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(readAll(path("set2/audio/partial_0002.wav")), readAll(m_set + "/audio/partial_0002.wav"));
        QCOMPARE(readAll(path("set2/labels.csv")), readAll(m_set + "/labels.csv"));
    }

    void singleRun()
    {
        const Result r = runCli(evalArgs(path("run1")) << "--json");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("ETA"), qPrintable(r.err));
        const QStringList lines = jsonLines(path("run1/utterances.jsonl"));
        QCOMPARE(lines.size(), 6);
        int labelled = 0;
        for (const QString& l : lines) {
            const QJsonObject o = QJsonDocument::fromJson(l.toUtf8()).object();
            for (const char* k : {"utterance", "path", "label", "score", "logits", "tracks"})
                QVERIFY2(o.contains(QLatin1String(k)), k);
            const QJsonArray tracks = o["tracks"].toArray();
            QCOMPARE(tracks.size(), 2);
            const bool partial = o["utterance"].toString().startsWith("partial_");
            QCOMPARE(o["label"].toString(), partial ? QStringLiteral("spoof") : QStringLiteral("bonafide"));
            for (const QJsonValue& tv : tracks) {
                const QJsonObject t = tv.toObject();
                for (const char* k : {"method", "source", "deletion_auc", "insertion_auc", "frame_auc", "frame_eer",
                                      "ap", "pointing_game", "relevance_mass", "iou_topk"})
                    QVERIFY2(t.contains(QLatin1String(k)), k);
                QVERIFY(t["deletion_auc"].isDouble());
                // Localisation only where the utterance has spoof and bona fide frames.
                QCOMPARE(t["frame_auc"].isDouble(), partial);
                QCOMPARE(t["ap"].isNull(), !partial);
                if (partial) {
                    QVERIFY(t["frame_auc"].toDouble() >= 0 && t["frame_auc"].toDouble() <= 1);
                    QVERIFY(t["pointing_game"].toDouble() == 0 || t["pointing_game"].toDouble() == 1);
                }
            }
            labelled += o["spoof_frames"].isArray() ? 1 : 0;
        }
        QCOMPARE(labelled, 6);   // empty label tracks next to the bona fide copies count as labels
        const QJsonObject s = QJsonDocument::fromJson(readAll(path("run1/summary.json"))).object();
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object(), s);
        QCOMPARE(s["utterances"].toInt(), 6);
        QVERIFY(s["detector"].toObject()["eer"].isDouble());
        QVERIFY(s["detector"].toObject()["min_dcf"].isDouble());
        const QJsonArray tracks = s["tracks"].toArray();
        QCOMPARE(tracks.size(), 2);
        for (const QJsonValue& tv : tracks) {
            const QJsonObject m = tv.toObject()["metrics"].toObject();
            const QJsonObject auc = m["frame_auc"].toObject();
            QCOMPARE(auc["n"].toInt(), 3);
            QVERIFY(auc["ci_low"].toDouble() <= auc["mean"].toDouble() && auc["mean"].toDouble() <= auc["ci_high"].toDouble());
            QCOMPARE(m["deletion_auc"].toObject()["n"].toInt(), 6);
            QVERIFY(tv.toObject()["segment_eer"].toObject()["160"].isDouble());
            QCOMPARE(tv.toObject()["mean_deletion"].toArray().size(), 21);
        }
        for (const char* f : {"deletion.png", "insertion.png", "roc.png"})
            QVERIFY2(readAll(path("run1/") + f).startsWith("\x89PNG\r\n\x1a\n"), f);
        for (const char* f : {"deletion.svg", "insertion.svg", "roc.svg"})
            QVERIFY2(readAll(path("run1/") + f).contains("<polyline"), f);
        const QByteArray report = readAll(path("run1/report.md"));
        QVERIFY(report.contains("roc.png") && report.contains("deletion.svg") && report.contains("random"));
    }

    // The metrics of the field (docs/metrics.md) on the partial-spoof set: every key in summary.json,
    // finite where the set defines it; per utterance in utterances.jsonl.
    void fieldMetrics()
    {
        const QString out = path("field");
        const Result r = runCli({"evaluate", "--detector", detector(), "--xai", xai(), "--method", "stage2", "--method",
                                 "gradxinput", "--method", "random", "--randomisation", "--threads", "1", "--protocol",
                                 m_set + "/protocol.txt", "--database-path", m_set, "--out", out, "--resamples", "200",
                                 "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject s = QJsonDocument::fromJson(readAll(out + "/summary.json")).object();
        QCOMPARE(s["frame_decisions"].toObject()["threshold"].toDouble(), 0.5);
        QCOMPARE(s["road"].toObject()["fractions"].toArray().size(), 10);
        const QJsonArray cuts = s["randomisation"].toObject()["cuts"].toArray();
        QCOMPARE(cuts.size(), 6);
        QCOMPARE(cuts.first().toString(), QStringLiteral("fc5"));
        const auto finite = [](const QJsonValue& v) { return v.isDouble() && std::isfinite(v.toDouble()); };
        const QJsonArray tracks = s["tracks"].toArray();
        QCOMPARE(tracks.size(), 3);
        for (const QJsonValue& tv : tracks) {
            const QJsonObject t = tv.toObject();
            const QString method = t["method"].toString();
            const QJsonObject m = t["metrics"].toObject();
            for (const char* k : {"frame_f1", "frame_precision", "frame_recall", "range_eer", "rcq_bonafide",
                                  "rcq_spoof", "rcq_transition"}) {
                QVERIFY2(finite(m[k].toObject()["mean"]), qPrintable(method + " " + k));
                QCOMPARE(m[k].toObject()["n"].toInt(), 3);  // the three partial-spoof utterances
            }
            for (const char* k : {"road_morf_auc", "road_lerf_auc", "road_gap"}) {
                QVERIFY2(finite(m[k].toObject()["mean"]), qPrintable(method + " " + k));
                QCOMPARE(m[k].toObject()["n"].toInt(), 6);  // every utterance
            }
            QVERIFY2(finite(t["range_eer"]), qPrintable(method));
            QVERIFY(t["range_eer"].toDouble() >= 0 && t["range_eer"].toDouble() <= 1);
            for (const char* k : {"bonafide", "spoof", "transition"})
                QVERIFY2(finite(t["rcq"].toObject()[k]), qPrintable(method + " rcq " + k));
            const QJsonObject road = t["road"].toObject();
            QCOMPARE(road["mean_morf"].toArray().size(), 10);
            QCOMPARE(road["mean_lerf"].toArray().size(), 10);
            QVERIFY(finite(road["gap"].toObject()["mean"]));
            for (const char* res : {"10", "20", "640"})
                QVERIFY2(finite(t["segment_eer"].toObject()[res]), res);
            const QJsonArray rnd = t["randomisation"].toArray();
            QCOMPARE(rnd.size(), 6);
            for (const QJsonValue& c : rnd) {
                const QJsonObject sp = c.toObject()["spearman"].toObject();
                QVERIFY2(finite(sp["mean"]), qPrintable(method));
                QCOMPARE(sp["n"].toInt(), 6);
                if (method != "gradxinput")  // Stage 2 and random do not read the back-end's weights
                    QCOMPARE(sp["mean"].toDouble(), 1.0);
            }
        }
        // Per utterance: the same keys in every track of utterances.jsonl.
        for (const QString& l : jsonLines(out + "/utterances.jsonl")) {
            const QJsonObject o = QJsonDocument::fromJson(l.toUtf8()).object();
            const bool partial = o["utterance"].toString().startsWith("partial_");
            QCOMPARE(o["spoof_seconds"].isArray(), true);
            QCOMPARE(o["spoof_seconds"].toArray().isEmpty(), !partial);
            for (const QJsonValue& tv : o["tracks"].toArray()) {
                const QJsonObject t = tv.toObject();
                QCOMPARE(t["road_morf"].toArray().size(), 10);
                QCOMPARE(t["randomisation"].toArray().size(), 6);
                QCOMPARE(t["frame_f1"].isDouble(), partial);
                QCOMPARE(t["rcq_transition"].isDouble(), partial);
                QVERIFY(t["road_gap"].isDouble());
            }
        }
        const QByteArray report = readAll(out + "/report.md");
        QVERIFY(report.contains("RCQ transition") && report.contains("Model randomisation"));
        // Another method set in the same folder is refused; so is the same run without --randomisation.
        const Result again = runCli({"evaluate", "--detector", detector(), "--xai", xai(), "--method", "stage2",
                                     "--method", "gradxinput", "--method", "random", "--threads", "1", "--protocol",
                                     m_set + "/protocol.txt", "--database-path", m_set, "--out", out, "--quiet"});
        QCOMPARE(again.exitCode == 0, false);
        QVERIFY2(again.err.contains("randomisation"), qPrintable(again.err));
    }

    void shardAndMergeEqualsOneRun()
    {
        const Result a = runCli(evalArgs(path("shard0")) << "--shard" << "0/2" << "--quiet");
        QVERIFY2(a.exitCode == 0, qPrintable(a.err));
        const Result b = runCli(evalArgs(path("shard1")) << "--shard" << "1/2" << "--quiet");
        QVERIFY2(b.exitCode == 0, qPrintable(b.err));
        QCOMPARE(jsonLines(path("shard0/utterances.jsonl")).size(), 3);
        QCOMPARE(jsonLines(path("shard1/utterances.jsonl")).size(), 3);
        const Result m = runCli({"evaluate", "--merge", path("shard0"), path("shard1"), "--out", path("merged"),
                                 "--resamples", "200", "--quiet"});
        QVERIFY2(m.exitCode == 0, qPrintable(m.err));
        QCOMPARE(readAll(path("merged/summary.json")), readAll(path("run1/summary.json")));
        const QStringList single = jsonLines(path("run1/utterances.jsonl"));
        const QStringList merged = jsonLines(path("merged/utterances.jsonl"));
        QCOMPARE(QSet<QString>(merged.begin(), merged.end()), QSet<QString>(single.begin(), single.end()));
        QCOMPARE(readAll(path("merged/roc.svg")), readAll(path("run1/roc.svg")));
    }

    void resumeAfterKill()
    {
        const QString out = path("killed");
        QProcess p;
        p.start(spooflens::test::cliPath(), evalArgs(out));
        QVERIFY(p.waitForStarted());
        // Wait for the first finished utterance, then SIGKILL mid-run.
        QTRY_VERIFY_WITH_TIMEOUT(jsonLines(out + "/utterances.jsonl").size() >= 1, 120000);
        p.kill();
        QVERIFY(p.waitForFinished(30000));
        QVERIFY(jsonLines(out + "/utterances.jsonl").size() >= 1);
        // A torn last line, as a kill in the middle of a write would leave.
        {
            QFile f(out + "/utterances.jsonl");
            QVERIFY(f.open(QIODevice::Append));
            f.write("{\"utterance\": \"partial_00");
        }
        const Result r = runCli(evalArgs(out));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("torn"), qPrintable(r.err));
        QVERIFY2(r.err.contains("already done"), qPrintable(r.err));
        const QStringList lines = jsonLines(out + "/utterances.jsonl");
        QCOMPARE(lines.size(), 6);
        const QStringList single = jsonLines(path("run1/utterances.jsonl"));
        QCOMPARE(QSet<QString>(lines.begin(), lines.end()), QSet<QString>(single.begin(), single.end()));
        QCOMPARE(readAll(out + "/summary.json"), readAll(path("run1/summary.json")));
        // A third run has nothing left to do and changes nothing.
        const Result again = runCli(evalArgs(out));
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.err.contains("0 to go"), qPrintable(again.err));
        QCOMPARE(jsonLines(out + "/utterances.jsonl").size(), 6);
    }

    void badUtteranceIsSkipped()
    {
        // A protocol with one corrupt file among good ones.
        QFile bad(m_set + "/audio/broken.wav");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("RIFF not really audio");
        bad.close();
        QFile proto(path("with_bad.txt"));
        QVERIFY(proto.open(QIODevice::WriteOnly));
        proto.write("audio/broken.wav eval bonafide\naudio/bonafide_0003.wav eval bonafide\n");
        proto.close();
        QStringList args = evalArgs(path("bad"));
        args[args.indexOf("--protocol") + 1] = path("with_bad.txt");
        const Result r = runCli(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("broken") && r.err.contains("skipped"), qPrintable(r.err));
        QCOMPARE(jsonLines(path("bad/utterances.jsonl")).size(), 1);
        QVERIFY(QFile::exists(path("bad/summary.json")));
    }

    // Issue 27: a file name that is not UTF-8 (bytes on Linux) ended evaluate
    // with nlohmann's type_error.316; its records and summary are written,
    // the invalid byte as U+FFFD.
    void nonUtf8FileNameIsEvaluated()
    {
        const QByteArray name = QByteArray("audio/caf\xe9_") + "bona.wav";
        // Raw bytes: Qt's file names are UTF-8 and cannot spell this one.
        const std::string full = (QFile::encodeName(m_set) + "/" + name).toStdString();
        std::error_code ec;
        std::filesystem::copy_file((QFile::encodeName(m_set) + "/audio/bonafide_0003.wav").toStdString(), full, ec);
        QVERIFY2(!ec, ec.message().c_str());
        QFile proto(path("latin1.txt"));
        QVERIFY(proto.open(QIODevice::WriteOnly));
        proto.write(name + " eval bonafide\naudio/partial_0002.wav eval spoof\n");
        proto.close();
        QStringList args = evalArgs(path("latin1"));
        args[args.indexOf("--protocol") + 1] = path("latin1.txt");
        const Result r = runCli(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(!r.err.contains("type_error"), qPrintable(r.err));
        QCOMPARE(jsonLines(path("latin1/utterances.jsonl")).size(), 2);
        QVERIFY(readAll(path("latin1/utterances.jsonl")).contains("caf\xef\xbf\xbd_bona"));
        QVERIFY(QFile::exists(path("latin1/summary.json")));
    }

    void badInput()
    {
        // Labels for an utterance that is not in the protocol: ignored and counted (a PartialSpoof
        // label folder holds labels of every subset).
        QFile csv(path("stray.csv"));
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write("utterance,start,end,label\npartial_0001,0.5,0.9,spoof\nnobody,0.1,0.2,spoof\n");
        csv.close();
        Result r = runCli(evalArgs(path("stray")) << "--labels" << path("stray.csv"));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(readAll(path("stray/summary.json"))).object()["labels_ignored"].toInt(), 1);
        // Labels past the end of the audio: that utterance is reported and skipped.
        QFile late(path("late.csv"));
        QVERIFY(late.open(QIODevice::WriteOnly));
        late.write("partial_0003,100.0,101.0,spoof\n");
        late.close();
        QFile one(path("one.txt"));
        QVERIFY(one.open(QIODevice::WriteOnly));
        one.write("audio/partial_0003.wav eval spoof\n");
        one.close();
        QStringList lateArgs = evalArgs(path("late")) << "--labels" << path("late.csv");
        lateArgs[lateArgs.indexOf("--protocol") + 1] = path("one.txt");
        r = runCli(lateArgs);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("late.csv:1") && r.err.contains("past the end"), qPrintable(r.err));
        QCOMPARE(jsonLines(path("late/utterances.jsonl")).size(), 0);
        // Unknown method: a usage error.
        r = runCli({"evaluate", "--detector", detector(), "--method", "telepathy", "--protocol", m_set + "/protocol.txt",
                    "--database-path", m_set, "--out", path("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("telepathy"), qPrintable(r.err));
        r = runCli({"evaluate", "--detector", detector(), "--method", "stage2", "--protocol", m_set + "/protocol.txt",
                    "--database-path", m_set, "--out", path("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--xai"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestEvaluateCli)
#include "TestEvaluateCli.moc"
