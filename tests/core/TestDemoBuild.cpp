// ctest-labels: slow
// The full demo build (`spooflens demo --out DIR`, docs/demo.md) from
// scratch: the corpus, the AASIST-L scores and every Stage 2 module, with
// the manifest's numbers (printed, for docs/demo.md).
#include "tests/support/TestData.h"

#include <QFile>
#include <algorithm>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using spooflens::test::cliPath;
using spooflens::test::dataPath;

class TestDemoBuild : public QObject {
    Q_OBJECT
private slots:
    void fullBuild()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString out = tmp.filePath(QStringLiteral("demo"));
        QProcess p;
        p.start(cliPath(), {QStringLiteral("demo"), QStringLiteral("--out"), out, QStringLiteral("--data"),
                            QString::fromStdString(dataPath(""))});
        QVERIFY(p.waitForFinished(2300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QFile f(out + QStringLiteral("/manifest.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(m["small"].toBool(), false);
        const QJsonObject splits = m["splits"].toObject();
        // Debian 12 has codec2-examples' human speech; Debian 13 does not, and
        // the demo takes fewer Asterisk prompts instead (its manifest lists
        // the packages it used; docs/demo.md gives both releases' counts).
        bool codec2 = false;
        for (const auto& v : m["sources"].toArray())
            codec2 = codec2 || v.toObject()["package"].toString() == QStringLiteral("codec2-examples");
        QVERIFY(splits["train"].toObject()["spoof"].toInt() >= 24);
        QVERIFY(splits["train"].toObject()["bonafide"].toInt() >= (codec2 ? 20 : 14));
        QVERIFY(splits["eval"].toObject()["partial_spoof"].toInt() >= (codec2 ? 5 : 3));
        const QJsonObject d = m["detector"].toObject();
        QVERIFY(d["dev_eer"].isDouble() && d["eval_eer"].isDouble() && d["eval_eer_held_out_methods"].isDouble());
        QCOMPARE(d["family"].toString(), QStringLiteral("aasist"));
        QVERIFY(m["stage2"].toArray().size() >= 10);  // 3 modes x 3 seeds + the seed objective
        for (const auto& v : m["stage2"].toArray()) {
            const QJsonObject s = v.toObject();
            QVERIFY(QFile::exists(out + QLatin1Char('/') + s["file"].toString()));
            QCOMPARE(s["feature_norm"].toString(), QStringLiteral("utterance"));
            // The default objective does not collapse on the real demo; the seed objective does: w flat and
            // near 0 (measured: mean 0.044, std 0.002 on Debian 12; mean 0.054, std 0.003 on Debian 13),
            // against means 0.22-0.30 and spreads 0.21-0.29 for the default objective.
            if (s["objective"].toString() == QLatin1String("seed"))
                QVERIFY2(s["std_w"].toDouble() < 0.01 && s["mean_w"].toDouble() < 0.1,
                         qPrintable(s["file"].toString() + QStringLiteral(": mean ") + QString::number(s["mean_w"].toDouble())
                                    + QStringLiteral(", std ") + QString::number(s["std_w"].toDouble())));
            else
                QVERIFY2(s["std_w"].toDouble() > 0.05 && s["mean_w"].toDouble() > 0.05, qPrintable(s["file"].toString()));
        }
        // Localisation on the held-out partials (issue 22's bar, docs/demo.md): the best baseline
        // explainer >= 0.80, the best prototype mode (mean of 3 seeds) >= random + 0.15.
        const QJsonObject loc = m["localisation"].toObject();
        const double window = loc["explainers"].toObject()["window"].toObject()["frame_auc"].toDouble();
        const double random = loc["explainers"].toObject()["random"].toObject()["frame_auc"].toDouble();
        double best = 0;
        for (const auto& mode : loc["stage2_default_objective_by_mode"].toObject())
            best = std::max(best, mode.toObject()["frame_auc_mean"].toDouble());
        QVERIFY2(window >= 0.80, qPrintable(QString::number(window)));
        QVERIFY2(best >= random + 0.15, qPrintable(QString::number(best) + " vs random " + QString::number(random)));
        qInfo().noquote() << "demo build:" << QJsonDocument(m["build_seconds"].toObject()).toJson(QJsonDocument::Compact)
                          << "detector:" << QJsonDocument(d).toJson(QJsonDocument::Compact)
                          << "stage2:" << QJsonDocument(m["stage2"].toArray()).toJson(QJsonDocument::Compact);
    }
};

QTEST_GUILESS_MAIN(TestDemoBuild)
#include "TestDemoBuild.moc"
