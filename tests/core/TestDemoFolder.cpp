// ctest-labels: fast
// The demo folder that the BuildDemo fixture writes (`spooflens demo --small`,
// docs/demo.md): manifest, disjoint splits, a held-out synthesis method, the
// labels next to the demo utterance, and the trained detector checkpoint read
// by SpoofLens' own loader and by Python's torch.load.
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

    QString m_dir = QStringLiteral(SPOOFLENS_BINARY_DIR "/demo");
    QJsonObject m_manifest;

    QString file(const QString& rel) const { return m_dir + QLatin1Char('/') + rel; }

private slots:
    void initTestCase()
    {
        QFile f(file(QStringLiteral("manifest.json")));
        QVERIFY2(f.open(QIODevice::ReadOnly), "build/demo/manifest.json missing: the BuildDemo fixture did not run");
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

    void detectorIsTrainedAndReadable()
    {
        const QJsonObject d = m_manifest["detector"].toObject();
        for (const char* k : {"dev_eer", "eval_eer"}) {
            QVERIFY2(d[k].isDouble(), k);
            QVERIFY(d[k].toDouble() >= 0.0 && d[k].toDouble() <= 1.0);
        }
        // The CI fixture builds with --detector-steps 0 (random weights, nothing
        // trained); a trained build (TestDemoBuild, slow) updates parameters.
        if (d["steps"].toInteger() > 0)
            QVERIFY(d["trained_parameters"].toInteger() > 0);
        else
            QCOMPARE(d["trained_parameters"].toInteger(), qint64(0));
        // SpoofLens' loader: `score` on the demo utterance gives the manifest's score.
        QProcess p;
        p.start(cliPath(), {QStringLiteral("score"), QStringLiteral("--detector"), file(QStringLiteral("detector_tiny.pth")),
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

        // Python's torch.load: same keys and shapes as the fixture, SSL unchanged, back-end changed.
        const QString py = pythonWithTorch();
        if (py.isEmpty())
            QSKIP("python3 with torch not installed");
        const char* script = R"PY(
import sys, torch
a = torch.load(sys.argv[1], map_location='cpu'); b = torch.load(sys.argv[2], map_location='cpu')
assert list(a.keys()) == list(b.keys()), 'keys differ'
for k in a:
    assert a[k].shape == b[k].shape and a[k].dtype == b[k].dtype, k
ssl_same = all(torch.equal(a[k], b[k]) for k in a if k.startswith('ssl_model.'))
changed = [k for k in a if not k.startswith('ssl_model.') and not torch.equal(a[k], b[k])]
assert ssl_same, 'SSL weights changed'
if sys.argv[3] == '1':
    assert 'LL.weight' in changed and 'conformer.fc5.weight' in changed, changed
else:
    assert changed == [], changed  # --detector-steps 0: the fixture's weights as they are
assert 'conformer.positional_emb' not in changed and not any('running_' in k for k in changed), changed
print(len(changed))
)PY";
        QProcess q;
        q.start(py, {QStringLiteral("-c"), QString::fromUtf8(script), file(QStringLiteral("detector_tiny.pth")),
                     QString::fromStdString(dataPath("fixtures/detector_tiny.pth")),
                     d["steps"].toInteger() > 0 ? QStringLiteral("1") : QStringLiteral("0")});
        QVERIFY(q.waitForFinished(120000));
        QVERIFY2(q.exitCode() == 0, q.readAllStandardError().constData());
    }

    void stage2ModulesAreScored()
    {
        QSet<QString> modes;
        for (const auto& v : m_manifest["stage2"].toArray()) {
            const QJsonObject s = v.toObject();
            QVERIFY(QFile::exists(file(s["file"].toString())));
            if (s["objective"].toString() != QLatin1String("seed"))
                modes.insert(s["prototype_mode"].toString());
            QVERIFY(s["frame_auc"].isDouble() && s["frame_ap"].isDouble());
            // Every module of the demo normalises h(t) per utterance (docs/demo.md).
            QCOMPARE(s["feature_norm"].toString(), QStringLiteral("utterance"));
        }
        QCOMPARE(modes, (QSet<QString>{QStringLiteral("ema"), QStringLiteral("fixed"), QStringLiteral("learnable")}));
        const QJsonObject loc = m_manifest["localisation"].toObject();
        QVERIFY(loc["frames"].toInt() > 0);
        const double prevalence = loc["spoof_frame_fraction"].toDouble();
        QVERIFY(prevalence > 0.0 && prevalence < 0.6);
        QVERIFY(loc["random_attribution"].toObject()["frame_auc"].isDouble());
        QVERIFY(m_manifest["build_seconds"].toObject()["total_s"].toDouble() > 0);
    }
};

QTEST_GUILESS_MAIN(TestDemoFolder)
#include "TestDemoFolder.moc"
