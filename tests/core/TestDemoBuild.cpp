// ctest-labels: slow
// The full demo build (`spooflens demo --out DIR`, docs/demo.md) from
// scratch: the corpus, the trained detector and every Stage 2 module, with
// the manifest's numbers (printed, for docs/demo.md).
#include "tests/support/TestData.h"

#include <QFile>
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
        QVERIFY(splits["train"].toObject()["spoof"].toInt() >= 24);
        QVERIFY(splits["train"].toObject()["bonafide"].toInt() >= 20);
        QVERIFY(splits["eval"].toObject()["partial_spoof"].toInt() >= 5);
        const QJsonObject d = m["detector"].toObject();
        QVERIFY(d["dev_eer"].isDouble() && d["eval_eer"].isDouble() && d["eval_eer_held_out_methods"].isDouble());
        QVERIFY(d["steps"].toInt() >= 600);
        QVERIFY(m["stage2"].toArray().size() >= 3);
        for (const auto& v : m["stage2"].toArray()) {
            const QJsonObject s = v.toObject();
            QVERIFY(QFile::exists(out + QLatin1Char('/') + s["file"].toString()));
            QCOMPARE(s["feature_norm"].toString(), QStringLiteral("utterance"));
            // The default objective does not collapse on the real demo; the seed objective does.
            if (s["objective"].toString() == QLatin1String("seed"))
                QVERIFY2(s["std_w"].toDouble() < 1e-3, qPrintable(s["file"].toString()));
            else
                QVERIFY2(s["std_w"].toDouble() > 0.05 && s["mean_w"].toDouble() > 0.05, qPrintable(s["file"].toString()));
        }
        qInfo().noquote() << "demo build:" << QJsonDocument(m["build_seconds"].toObject()).toJson(QJsonDocument::Compact)
                          << "detector:" << QJsonDocument(d).toJson(QJsonDocument::Compact)
                          << "stage2:" << QJsonDocument(m["stage2"].toArray()).toJson(QJsonDocument::Compact);
    }
};

QTEST_GUILESS_MAIN(TestDemoBuild)
#include "TestDemoBuild.moc"
