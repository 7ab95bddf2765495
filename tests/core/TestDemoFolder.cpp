// ctest-labels: fast
// The demo folder that the BuildDemo fixture writes (`spooflens demo --small`,
// docs/demo.md): manifest, disjoint splits, a held-out synthesis method, the
// labels next to the demo utterance, the shipped AASIST-L copy read by
// SpoofLens' own loader, and the localisation numbers.
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QtTest>

#include <cmath>

using spooflens::test::cliPath;
using spooflens::test::dataPath;
using spooflens::test::pythonWithTorch;

class TestDemoFolder : public QObject {
    Q_OBJECT

    QString m_dir = QStringLiteral(SPOOFLENS_BINARY_DIR "/test-demo");
    QJsonObject m_manifest;

    QString file(const QString& rel) const { return m_dir + QLatin1Char('/') + rel; }

private slots:
    void initTestCase()
    {
        QFile f(file(QStringLiteral("manifest.json")));
        QVERIFY2(f.open(QIODevice::ReadOnly), "test-demo/manifest.json missing: the BuildDemo fixture did not run");
        QJsonParseError err;
        m_manifest = QJsonDocument::fromJson(f.readAll(), &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
    }

    void splitsAreDisjointAndHoldOutAMethod()
    {
        const QJsonObject splits = m_manifest["splits"].toObject();
        for (const char* s : {"train", "dev", "eval"}) {
            QVERIFY2(splits[s].toObject()["bonafide"].toInt() > 0, s);
            QVERIFY2(splits[s].toObject()["spoof"].toInt() > 0, s);
        }
        QMap<QString, QSet<QString>> sources, methods;
        for (const auto& v : m_manifest["files"].toArray()) {
            const QJsonObject o = v.toObject();
            QVERIFY(QFile::exists(file(o["path"].toString())));
            sources[o["split"].toString()].insert(o["source"].toString());
            methods[o["split"].toString()].insert(o["method"].toString());
        }
        for (const QString& a : {QStringLiteral("train"), QStringLiteral("dev")})
            for (const QString& b : {QStringLiteral("dev"), QStringLiteral("eval")})
                if (a != b)
                    QVERIFY2(!sources[a].intersects(sources[b]), qPrintable(a + " / " + b));
        const QJsonArray held = m_manifest["held_out_methods"].toArray();
        QVERIFY(!held.isEmpty());
        for (const auto& h : held) {
            QVERIFY(!methods["train"].contains(h.toString()));
            QVERIFY(methods["eval"].contains(h.toString()));
        }
        int narrow[2] = {0, 0};
        for (const auto& v : m_manifest["files"].toArray())
            if (v.toObject()["narrowband"].toBool())
                narrow[v.toObject()["label"].toString() == QLatin1String("spoof") ? 1 : 0]++;
        QVERIFY(narrow[0] > 0 && narrow[1] > 0);
    }

    void demoUtteranceHasItsLabelsNextToIt()
    {
        QVERIFY(QFile::exists(file(QStringLiteral("demo_utterance.wav"))));
        QFile lab(file(QStringLiteral("demo_utterance.txt")));
        QVERIFY(lab.open(QIODevice::ReadOnly));
        const QJsonArray segs = m_manifest["demo_utterance"].toObject()["spoof_segments"].toArray();
        QVERIFY(!segs.isEmpty() && segs.size() <= 2);
        int n = 0;
        for (const QByteArray& line : lab.readAll().split('\n')) {
            if (line.trimmed().isEmpty())
                continue;
            const QList<QByteArray> cols = line.split('\t');
            QCOMPARE(cols.size(), 3);
            QCOMPARE(cols[2], QByteArray("spoof"));
            const double a = cols[0].toDouble(), b = cols[1].toDouble();
            QVERIFY(b - a >= 0.3 - 1e-6 && b - a <= 1.5 + 1e-6);
            QVERIFY(std::abs(a - segs[n].toObject()["start_s"].toDouble()) < 1e-5);
            QVERIFY(std::abs(b - segs[n].toObject()["end_s"].toDouble()) < 1e-5);
            ++n;
        }
        QCOMPARE(n, int(segs.size()));
        // Every partial-spoof utterance of the manifest has its labels file.
        for (const auto& p : m_manifest["partials"].toArray())
            QVERIFY(QFile::exists(file(p.toObject()["labels"].toString())));
    }

    void detectorIsTheShippedAasist()
    {
        const QJsonObject d = m_manifest["detector"].toObject();
        QCOMPARE(d["family"].toString(), QStringLiteral("aasist"));
        QCOMPARE(d["preset"].toString(), QStringLiteral("AASIST-L"));
        for (const char* k : {"dev_eer", "eval_eer"}) {
            QVERIFY2(d[k].isDouble(), k);
            QVERIFY(d[k].toDouble() >= 0.0 && d[k].toDouble() <= 1.0);
        }
        // The frame grid of AASIST's e_T is stated.
        QCOMPARE(d["frame_grid"].toObject()["hop_samples"].toInt(), 2187);
        // The authors' weights, byte for byte, with their licence beside them.
        QFile mine(file(d["file"].toString())), shipped(QStringLiteral(SPOOFLENS_SOURCE_DIR "/resources/detectors/aasist/AASIST-L.pth"));
        QVERIFY(mine.open(QIODevice::ReadOnly) && shipped.open(QIODevice::ReadOnly));
        QVERIFY(mine.readAll() == shipped.readAll());
        QVERIFY(QFile::exists(file(QStringLiteral("AASIST-L.LICENSE"))));
        // SpoofLens' loader: `score` on the demo utterance gives the manifest's score.
        QProcess p;
        p.start(cliPath(), {QStringLiteral("score"), QStringLiteral("--detector"), file(d["file"].toString()),
                            QStringLiteral("--json"), file(QStringLiteral("demo_utterance.wav"))});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QByteArray out = p.readAllStandardOutput();
        const QJsonDocument doc = QJsonDocument::fromJson(out);
        const QJsonObject first = doc.isArray() ? doc.array()[0].toObject() : doc.object();
        double expected = 0;
        const QString copyOf = m_manifest["demo_utterance"].toObject()["copy_of"].toString();
        bool found = false;
        for (const auto& v : m_manifest["partials"].toArray())
            if (v.toObject()["path"].toString() == copyOf) {
                expected = v.toObject()["score"].toDouble();
                found = true;
            }
        QVERIFY(found);
        QVERIFY2(std::abs(first["score"].toDouble() - expected) < 1e-4, out.constData());
    }

    void stage2ModulesAndExplainersAreScored()
    {
        QSet<QString> modes;
        for (const auto& v : m_manifest["stage2"].toArray()) {
            const QJsonObject s = v.toObject();
            QVERIFY(QFile::exists(file(s["file"].toString())));
            if (s["objective"].toString() != QLatin1String("seed"))
                modes.insert(s["prototype_mode"].toString());
            const QJsonObject loc = s["localisation"].toObject();
            QVERIFY(loc["frame_auc"].isDouble() && loc["frame_ap"].isDouble());
            QVERIFY(loc["utterances"].toInt() > 0);
            // Every module of the demo normalises its frames per utterance (docs/demo.md).
            QCOMPARE(s["feature_norm"].toString(), QStringLiteral("utterance"));
        }
        QCOMPARE(modes, (QSet<QString>{QStringLiteral("ema"), QStringLiteral("fixed"), QStringLiteral("learnable")}));
        const QJsonObject loc = m_manifest["localisation"].toObject();
        QVERIFY(loc["utterances"].toInt() > 0);
        const QJsonObject ex = loc["explainers"].toObject();
        for (const char* m : {"window", "random"})
            QVERIFY2(ex[m].toObject()["frame_auc"].isDouble(), m);
        QVERIFY(loc["stage2_default_objective_by_mode"].toObject()["ema"].toObject()["frame_auc_mean"].isDouble());
        QVERIFY(m_manifest["build_seconds"].toObject()["total_s"].toDouble() > 0);
    }
};

QTEST_GUILESS_MAIN(TestDemoFolder)
#include "TestDemoFolder.moc"
