// Comparing Stage 2 modules in the window: one row per module, per-row
// summaries, pairwise agreement; rows can be hidden, reordered, removed.
// Uses the Stage 2 fixture under two names (identical modules must agree
// perfectly) and, when it has been built, the demo's three prototype modes.
// ctest-labels: gui
#include "core/explain/Agreement.h"
#include "tests/support/TestData.h"
#include "ui/MainWindow.h"
#include "ui/compare/CompareRow.h"
#include "ui/compare/ComparePanel.h"
#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/SimilarityTrack.h"

#include <QLabel>
#include <QProcess>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens;
using spooflens::test::dataPath;

class TestCompare : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void rowsSummariesAndAgreement()
    {
        const QString a = m_tmp.filePath(QStringLiteral("run_a.pth"));
        const QString b = m_tmp.filePath(QStringLiteral("run_b.pth"));
        QVERIFY(QFile::copy(QString::fromStdString(dataPath("fixtures/xai_tiny.pth")), a));
        QVERIFY(QFile::copy(QString::fromStdString(dataPath("fixtures/xai_tiny.pth")), b));
        ui::MainWindow w(false);
        w.resize(1200, 1000);
        w.show();
        w.openModels(QString::fromStdString(dataPath("fixtures/detector_tiny.pth")), QString(), {a, b});
        w.openAudio(QString::fromStdString(dataPath("asvspoof_spoof_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle() && w.explanation()->tracks.size() == 2, 120000);
        QCOMPARE(w.rows().size(), 2);
        QVERIFY(w.rows()[0]->label().contains(QStringLiteral("run_a")) ||
                w.rows()[0]->label().contains(QStringLiteral("·")));
        for (ui::CompareRow* r : w.rows())
            QCOMPARE(r->importance()->pointCount(), int(w.explanation()->frames));
        // Summary table: one row per module with Σw as computed by core.
        QTableWidget* summary = w.comparePanel()->summaryTable();
        QCOMPARE(summary->rowCount(), 2);
        QCOMPARE(summary->item(0, 1)->text(),
                 QString::number(double(w.explanation()->tracks[0].totalImportance), 'f', 2));
        // Identical modules: Spearman 1, top-k overlap 1.
        QTableWidget* agree = w.comparePanel()->agreementTable();
        QCOMPARE(agree->rowCount(), 1);
        QCOMPARE(agree->item(0, 2)->text(), QStringLiteral("1.000"));
        QCOMPARE(agree->item(0, 3)->text(), QStringLiteral("1.00"));

        // Reorder: the table follows the rows.
        const QString first = w.rows()[0]->key();
        w.moveRow(0, 1);
        QCOMPARE(w.rows()[1]->key(), first);
        QCOMPARE(summary->item(1, 0)->text(), w.rows()[1]->label());
        // Hide: its tracks disappear, the header stays.
        w.rows()[0]->setTracksVisible(false);
        QVERIFY(w.rows()[0]->importance()->isHidden());
        QVERIFY(w.rows()[0]->isVisible());
        w.rows()[0]->setTracksVisible(true);
        // Remove: one row left, recomputed with one module.
        w.removeRow(0);
        QCOMPARE(w.rows().size(), 1);
        QCOMPARE(w.rows()[0]->key(), first);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.explanation() && w.explanation()->tracks.size() == 1, 120000);
        QCOMPARE(summary->rowCount(), 1);
        QCOMPARE(agree->rowCount(), 0);
    }

    void demoModesDisagreeMeasurably()
    {
        const QString demo = QStringLiteral(SPOOFLENS_BINARY_DIR "/test-demo");
        QStringList xai;
        for (const char* m : {"ema", "fixed", "learnable"})
            if (QFile::exists(demo + QStringLiteral("/xai_%1.pth").arg(QLatin1String(m))))
                xai << demo + QStringLiteral("/xai_%1.pth").arg(QLatin1String(m));
        if (xai.size() < 3 || !QFile::exists(demo + QStringLiteral("/AASIST-L.pth")))
            QSKIP("demo assets not built (build/app/spooflens demo --out build/demo)");
        ui::MainWindow w(false);
        w.show();
        w.openModels(demo + QStringLiteral("/AASIST-L.pth"), QString(), xai);
        w.openAudio(demo + QStringLiteral("/demo_utterance.wav"));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle() && w.explanation()->tracks.size() == 3, 120000);
        QCOMPARE(w.comparePanel()->agreementTable()->rowCount(), 3);
        const auto& t = w.explanation()->tracks;
        const double rho = core::spearmanCorrelation(t[0].importance, t[1].importance);
        QCOMPARE(w.comparePanel()->agreementTable()->item(0, 2)->text(), QString::number(rho, 'f', 3));
        QStringList modes;
        for (ui::CompareRow* r : w.rows())
            modes << r->label().section(QStringLiteral(" · "), 0, 0);
        QCOMPARE(modes, (QStringList{QStringLiteral("ema"), QStringLiteral("fixed"), QStringLiteral("learnable")}));
    }

    void collapsedImportanceIsNamedInTheRowHeader()
    {
        core::Stage2Track flat;
        flat.importance.assign(200, 0.006f);
        flat.totalImportance = 1.2f;
        flat.importanceSpread = 0.0f;
        QVERIFY(ui::CompareRow::collapseText(flat).contains(QStringLiteral("spread")));

        core::Stage2Track zero = flat;
        zero.importance.assign(200, 1e-5f);
        zero.totalImportance = 200 * 1e-5f;
        QVERIFY(ui::CompareRow::collapseText(zero).contains(QStringLiteral("mean w")));

        core::Stage2Track peaked = flat;
        peaked.importance.assign(200, 0.1f);
        for (int i = 50; i < 70; ++i)
            peaked.importance[size_t(i)] = 0.9f;
        peaked.totalImportance = 180 * 0.1f + 20 * 0.9f;
        peaked.importanceSpread = 0.24f;
        QVERIFY(ui::CompareRow::collapseText(peaked).isEmpty());

        ui::CompareRow row(QStringLiteral("k"), QStringLiteral("ema · run"));
        row.setData(flat);
        const auto labels = row.findChildren<QLabel*>();
        bool shown = false;
        for (const QLabel* l : labels)
            shown = shown || l->text().contains(QStringLiteral("collapsed"));
        QVERIFY(shown);
    }

    void stage2FromAnotherDetectorIsAVisibleWarning()
    {
        // The demo's Stage 2 modules record the SHA-256 of its AASIST-L.pth; the
        // DataParallel save of the same weights (written here by PyTorch) is another file.
        const QString demo = QStringLiteral(SPOOFLENS_BINARY_DIR "/test-demo");
        const QString xai = demo + QStringLiteral("/xai_ema.pth");
        if (!QFile::exists(xai))
            QSKIP("demo assets not built (build/app/spooflens demo --out build/demo)");
        const QString py = test::pythonWithTorch();
        if (py.isEmpty())
            QFAIL("python3 with torch is needed (tools/install-deps.sh installs it)");
        QTemporaryDir tmp;
        const QString dp = tmp.filePath(QStringLiteral("aasist_l_dataparallel.pth"));
        QProcess p;
        p.start(py, {QStringLiteral("-c"),
                     QStringLiteral("import sys, torch; sd = torch.load(sys.argv[1], map_location='cpu'); "
                                    "torch.save({'module.' + k: v for k, v in sd.items()}, sys.argv[2])"),
                     demo + QStringLiteral("/AASIST-L.pth"), dp});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        ui::MainWindow w(false);
        w.show();
        w.openModels(dp, QString(), {xai});
        w.openAudio(QString::fromStdString(dataPath("asvspoof_bonafide_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle(), 120000);
        QCOMPARE(w.warningMessages().size(), 1);
        QVERIFY(w.warningMessages().front().contains(QStringLiteral("trained on another detector")));
        QCOMPARE(w.rows().size(), 1);
        QVERIFY(w.explanation()->tracks.front().detectorMismatch);
        QCOMPARE(w.comparePanel()->summaryTable()->item(0, 6)->text(), QStringLiteral("⚠ no: another detector"));
        QVERIFY(w.comparePanel()->summaryTable()->horizontalHeaderItem(6)->text().contains(QStringLiteral("trained on")));
    }
};

QTEST_MAIN(TestCompare)
#include "TestCompare.moc"
