// ctest-labels: fast
// The corpus the viewer browses (issue 26, core/explain/Corpus.h): a protocol
// in the ASVspoof 2019 layout, a folder of audio files, and a real evaluate
// folder (the CLI on the tests' demo: AASIST-L, two Stage 2 modules) with
// scores, frame AUCs per track and the modules' disagreement; the orders the
// columns sort by; errors that name the path.
#include "core/Error.h"
#include "core/explain/Agreement.h"
#include "core/explain/Corpus.h"
#include "core/explain/Evaluation.h"
#include "tests/support/Cli.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace spooflens::core;

namespace {

void writeText(const QString& path, const QByteArray& text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        qFatal("cannot write %s", qPrintable(path));
}

void copyData(const std::string& name, const QString& to)
{
    QDir().mkpath(QFileInfo(to).absolutePath());
    if (!QFile::copy(QString::fromStdString(spooflens::test::dataPath(name)), to))
        qFatal("cannot copy %s to %s", name.c_str(), qPrintable(to));
}

QString demoDir()
{
    return qEnvironmentVariable("SPOOFLENS_DEMO_DIR");
}

} // namespace

class TestCorpus : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void protocolInTheAsvspoofLayout()
    {
        // LA/ASVspoof2019_LA_cm_protocols/*.txt with the audio in LA/ASVspoof2019_LA_eval/flac:
        // the protocol's folder has no audio, its parent has the layout.
        const QString la = m_tmp.filePath(QStringLiteral("LA"));
        copyData("asvspoof_bonafide_sample.flac", la + "/ASVspoof2019_LA_eval/flac/asvspoof_bonafide_sample.flac");
        copyData("asvspoof_spoof_sample.flac", la + "/ASVspoof2019_LA_eval/flac/asvspoof_spoof_sample.flac");
        const QString protocol = la + "/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.eval.trl.txt";
        writeText(protocol, "LA_0079 asvspoof_spoof_sample - A07 spoof\n"
                            "LA_0080 LA_E_0000001 - A08 spoof\n"
                            "LA_0081 asvspoof_bonafide_sample - - bonafide\n");
        const Corpus c = readCorpus(protocol.toStdString());
        QCOMPARE(int(c.kind), int(Corpus::Kind::Protocol));
        QCOMPARE(c.entries.size(), size_t(3));
        QCOMPARE(c.entries[0].utterance, std::string("asvspoof_spoof_sample"));
        QCOMPARE(c.entries[0].label, std::string("spoof"));
        QCOMPARE(c.entries[2].label, std::string("bonafide"));
        QVERIFY(QFileInfo(QString::fromStdString(c.entries[0].path)).isFile());
        QVERIFY(QFileInfo(QString::fromStdString(c.entries[2].path)).isFile());
        QCOMPARE(c.entries[1].path, std::string());  // listed, not there: kept, without audio
        QCOMPARE(c.entries[1].line, int64_t(2));
        QCOMPARE(c.playable(), int64_t(2));
        QCOMPARE(c.findPath(c.entries[2].path), int64_t(2));
        QCOMPARE(c.find("LA_E_0000001"), int64_t(1));
        for (const CorpusEntry& e : c.entries)
            QVERIFY(std::isnan(e.score) && std::isnan(e.disagreement) && e.auc.empty());
        // An explicit database folder is the only place looked in.
        const Corpus elsewhere = readCorpus(protocol.toStdString(), m_tmp.filePath(QStringLiteral("nowhere")).toStdString());
        QCOMPARE(elsewhere.playable(), int64_t(0));
    }

    void folderOfAudio()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("folder"));
        copyData("asvspoof_spoof_sample.flac", dir + "/b/second.flac");
        copyData("asvspoof_bonafide_sample.flac", dir + "/a/first.flac");
        writeText(dir + "/a/first.txt", "0.5\t1.0\tspoof\n");  // labels, not audio
        writeText(dir + "/notes.md", "not audio\n");
        const Corpus c = readCorpus(dir.toStdString());
        QCOMPARE(int(c.kind), int(Corpus::Kind::Folder));
        QCOMPARE(c.entries.size(), size_t(2));
        QCOMPARE(c.entries[0].utterance, std::string("first"));  // every subfolder, sorted by path
        QCOMPARE(c.entries[1].utterance, std::string("second"));
        QCOMPARE(c.entries[0].label, std::string());
        QCOMPARE(c.playable(), int64_t(2));
    }

    void errorsNameThePath()
    {
        auto message = [](const QString& path) -> QString {
            try {
                readCorpus(path.toStdString());
            } catch (const ConfigError& e) {
                return QString::fromUtf8(e.what());
            }
            return {};
        };
        const QString missing = m_tmp.filePath(QStringLiteral("no-such-protocol.txt"));
        QVERIFY2(message(missing).contains(missing) && message(missing).contains("no such"), qPrintable(message(missing)));
        const QString empty = m_tmp.filePath(QStringLiteral("empty"));
        QDir().mkpath(empty);
        QVERIFY2(message(empty).contains(empty) && message(empty).contains(".flac"), qPrintable(message(empty)));
        const QString audio = QString::fromStdString(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"));
        QVERIFY2(message(audio).contains("an audio file, not a corpus"), qPrintable(message(audio)));
        const QString bad = m_tmp.filePath(QStringLiteral("bad.txt"));
        writeText(bad, "a.wav train bonafide\nb.wav train maybe\n");
        QVERIFY2(message(bad).contains(bad + ":2"), qPrintable(message(bad)));
    }

    void disagreementOfModules()
    {
        const std::vector<float> up{0.1f, 0.2f, 0.3f, 0.4f}, down{0.4f, 0.3f, 0.2f, 0.1f}, other{0.1f, 0.4f, 0.2f, 0.3f};
        QCOMPARE(moduleDisagreement({&up, &up}), 0.0);
        QCOMPARE(moduleDisagreement({&up, &down}), 2.0);
        const double three = moduleDisagreement({&up, &down, &other});
        const double want = 1.0 - (spearmanCorrelation(up, down) + spearmanCorrelation(up, other)
                                   + spearmanCorrelation(down, other)) / 3.0;
        QVERIFY(std::abs(three - want) < 1e-12);
        QVERIFY(std::isnan(moduleDisagreement({&up})));
        const std::vector<float> shorter{0.1f, 0.2f};
        QVERIFY(std::isnan(moduleDisagreement({&up, &shorter})));  // other frames: not comparable
    }

    void columnsSortWithUnknownLast()
    {
        Corpus c;
        for (const char* id : {"u1", "u2", "u3", "u4", "u5"}) {
            CorpusEntry e;
            e.utterance = id;
            c.entries.push_back(e);
        }
        const double nan = kNaN;
        const double scores[] = {0.5, nan, -1.0, 0.5, 2.0};
        const char* labels[] = {"spoof", "", "bonafide", "spoof", "bonafide"};
        for (size_t i = 0; i < 5; ++i) {
            c.entries[i].score = scores[i];
            c.entries[i].label = labels[i];
        }
        const size_t col = c.trackColumn("window:detector");
        QCOMPARE(c.trackColumn("window:detector"), col);
        c.entries[1].auc[col] = 0.9;
        c.entries[3].auc[col] = 0.7;
        using V = std::vector<size_t>;
        QCOMPARE(corpusOrder(c, CorpusSortKey::Score, false), V({2, 0, 3, 4, 1}));  // ties in list order, NaN last
        QCOMPARE(corpusOrder(c, CorpusSortKey::Score, true), V({4, 0, 3, 2, 1}));
        QCOMPARE(corpusOrder(c, CorpusSortKey::Label, false), V({2, 4, 0, 3, 1}));  // unknown label last
        QCOMPARE(corpusOrder(c, CorpusSortKey::Auc, true, col), V({1, 3, 0, 2, 4}));
        QCOMPARE(corpusOrder(c, CorpusSortKey::List, true), V({4, 3, 2, 1, 0}));
        QCOMPARE(corpusOrder(c, CorpusSortKey::Utterance, true), V({4, 3, 2, 1, 0}));
    }

    // A real `spooflens evaluate` folder: four utterances of the tests' demo,
    // two of them partially spoofed (Audacity labels next to the audio), all
    // made on Debian 12 and 13 alike (no codec2 samples).
    void evaluateFolder()
    {
        if (demoDir().isEmpty())
            QFAIL("SPOOFLENS_DEMO_DIR is not set: the BuildDemo fixture names the tests' demo");
        const QString audio = demoDir() + "/data/audio/";
        const QString protocol = m_tmp.filePath(QStringLiteral("eval.txt"));
        writeText(protocol, QString("%1partial_eval_005.wav eval spoof\n%1spoof_eval_flite_rms_s20.wav eval spoof\n"
                                    "%1partial_eval_asvspoof_bonafide_sample.wav eval spoof\n%1bona_eval_005.wav eval bonafide\n")
                                .arg(audio)
                                .toUtf8());
        const QString out = m_tmp.filePath(QStringLiteral("evaluate"));
        const spooflens::test::CliRun r = spooflens::test::runCli(
            {"evaluate", "--detector", demoDir() + "/AASIST-L.pth", "--xai", demoDir() + "/xai_ema.pth", "--xai",
             demoDir() + "/xai_fixed.pth", "--method", "stage2", "--method", "random", "--protocol", protocol,
             "--out", out, "--resamples", "50", "--quiet", "--threads", "1"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const Corpus c = readCorpus(out.toStdString());
        QCOMPARE(int(c.kind), int(Corpus::Kind::Evaluate));
        QCOMPARE(c.entries.size(), size_t(4));
        QCOMPARE(c.entries[0].utterance, std::string("bona_eval_005"));  // sorted by id
        QCOMPARE(c.tracks, std::vector<std::string>({"stage2:xai_ema", "stage2:xai_fixed", "random:detector"}));
        std::vector<EvalRecord> records = readEvalRecords((out + "/utterances.jsonl").toStdString(), false);
        QCOMPARE(records.size(), size_t(4));
        for (const EvalRecord& rec : records) {
            const int64_t i = c.find(rec.utterance);
            QVERIFY(i >= 0);
            const CorpusEntry& e = c.entries[size_t(i)];
            QCOMPARE(e.score, rec.score);
            QVERIFY(!std::isnan(e.score));
            QCOMPARE(e.label, rec.label);
            QCOMPARE(e.path, rec.path);
            QCOMPARE(rec.tracks.size(), size_t(3));
            for (size_t k = 0; k < 3; ++k) {
                const double a = e.auc[k], b = rec.tracks[k].loc.frameAuc;
                QVERIFY((std::isnan(a) && std::isnan(b)) || a == b);
            }
            if (rec.utterance.rfind("partial_", 0) == 0) {
                // Spoofed and bona fide frames: an AUC per track, and the two modules' w(t) compared.
                for (size_t k = 0; k < 3; ++k)
                    QVERIFY2(e.auc[k] >= 0 && e.auc[k] <= 1, rec.utterance.c_str());
                const double d = 1.0 - spearmanCorrelation(rec.tracks[0].values, rec.tracks[1].values);
                QVERIFY(std::abs(e.disagreement - d) < 1e-12);
            } else {
                QVERIFY2(std::isnan(e.auc[0]), rec.utterance.c_str());  // one class of frames: no AUC
            }
        }
        // Joined to the protocol by utterance id: the protocol's order and labels stay.
        Corpus p = readCorpus(protocol.toStdString());
        QCOMPARE(addEvalRecords(p, records), int64_t(4));
        QCOMPARE(p.entries.size(), size_t(4));
        QCOMPARE(p.entries[0].utterance, std::string("partial_eval_005"));
        QCOMPARE(p.entries[0].score, c.entries[size_t(c.find("partial_eval_005"))].score);
        QCOMPARE(p.tracks.size(), size_t(3));
    }
};

QTEST_GUILESS_MAIN(TestCorpus)
#include "TestCorpus.moc"
