// ctest-labels: fast gui
// Explainer rows in the window: the methods chosen are computed on the
// worker thread (core::Explainer), each becomes a row of the Stage 2 track
// class titled with method and orientation; the summary table shows core's
// deletion/insertion AUCs and, with the ground truth found next to the
// audio, core's frame AUC / AP / pointing game; it is sortable.
#include "core/explain/Metrics.h"
#include "tests/support/TestData.h"
#include "ui/Document.h"
#include "ui/MainWindow.h"
#include "ui/compare/CompareRow.h"
#include "ui/compare/ExplainerSummary.h"
#include "ui/tracks/ImportanceTrack.h"

#include <qcustomplot.h>

#include <QFile>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QDockWidget>
#include <QtTest>


using namespace spooflens;

class TestExplainerRows : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::unique_ptr<ui::MainWindow> m_w;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_tmp.isValid());
        // The spoof test utterance with a label file next to it (ground truth).
        const QString audio = m_tmp.filePath(QStringLiteral("utt.flac"));
        QVERIFY(QFile::copy(QString::fromStdString(test::dataPath("asvspoof_spoof_sample.flac")), audio));
        QFile labels(m_tmp.filePath(QStringLiteral("utt.txt")));
        QVERIFY(labels.open(QIODevice::WriteOnly));
        labels.write("0.40\t0.90\tspoof\n");
        labels.close();
        m_w = std::make_unique<ui::MainWindow>(false);
        m_w->resize(1300, 1100);
        m_w->show();
        // Two cheap methods (one gradient pass; seeded noise) keep the test fast.
        m_w->setMethods({QStringLiteral("gradxinput"), QStringLiteral("random")});
        m_w->openModels(QString::fromStdString(test::dataPath("fixtures/detector_tiny.pth")), QString(),
                        {QString::fromStdString(test::dataPath("fixtures/xai_tiny.pth"))});
        m_w->openAudio(audio);
        QTRY_VERIFY_WITH_TIMEOUT(m_w->explanation() && m_w->isIdle() && m_w->explanation()->attributions.size() == 2,
                                 240000);
        QVERIFY(m_w->document()->groundTruth());
    }

    void cleanupTestCase() { m_w.reset(); }

    void unknownMethodIsRefusedByName()
    {
        QVERIFY_EXCEPTION_THROWN(m_w->setMethods({QStringLiteral("shap")}), std::exception);
        QCOMPARE(m_w->methods(), (QStringList{"gradxinput", "random"}));
    }

    void eachAttributionIsARowWithTheRightLengthAndTitle()
    {
        const core::Explanation& e = *m_w->explanation();
        QCOMPARE(m_w->rows().size(), 1 + 2);
        QCOMPARE(m_w->rows().front()->kind(), ui::RowKind::Stage2);
        const QStringList methods{"gradxinput", "random"};
        for (int i = 0; i < 2; ++i) {
            ui::CompareRow* row = m_w->rows()[1 + i];
            QCOMPARE(row->kind(), ui::RowKind::Attribution);
            const core::Attribution* a = m_w->document()->attribution(row->key());
            QVERIFY(a);
            QCOMPARE(QString::fromStdString(a->method), methods[i]);
            QCOMPARE(int64_t(a->values.size()), e.frames);
            QCOMPARE(row->importance()->pointCount(), int(e.frames));
            QCOMPARE(row->importance()->pointValue(7), double(a->values[7]));
            QCOMPARE(row->importance()->pointTime(7), (320.0 * 7 + 200.0) / 16000.0);
            QVERIFY(row->importance()->title().startsWith(methods[i]));
            QVERIFY(row->importance()->title().contains(QStringLiteral("higher = more spoof evidence")));
        }
    }

    void summaryTableEqualsCoreMetrics()
    {
        ui::ExplainerSummary* summary = m_w->explainerSummary();
        // Its dock is open: it may be the tab behind the Stage 2 table (Qt 6.4
        // and 6.8 order them differently, and 6.8 hides the tab behind), so
        // it is brought to the front; a closed dock would stay hidden.
        m_w->explainersDock()->raise();
        QTRY_VERIFY(m_w->explainersDock()->isVisible());
        QTableWidget* table = summary->table();
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(summary->curveCount(), 4);
        const ui::GroundTruthView* truth = m_w->document()->groundTruth();
        const std::vector<uint8_t> spoof(truth->frameLabels.begin(), truth->frameLabels.end());
        for (int r = 0; r < table->rowCount(); ++r) {
            const QString key = table->item(r, ui::ExplainerSummary::Row)->data(Qt::UserRole).toString();
            const core::FaithfulnessCurves* c = m_w->document()->faithfulness(key);
            QVERIFY(c);
            QCOMPARE(c->deletionAuc, core::trapezoidAuc(c->fractions, c->deletion));
            QCOMPARE(table->item(r, ui::ExplainerSummary::Deletion)->text(), QString::number(c->deletionAuc, 'f', 3));
            QCOMPARE(table->item(r, ui::ExplainerSummary::Insertion)->text(), QString::number(c->insertionAuc, 'f', 3));
            const core::LocalisationMetrics m =
                core::localisationMetrics(m_w->document()->attribution(key)->values, spoof);
            QVERIFY(!std::isnan(m.frameAuc));
            QCOMPARE(table->item(r, ui::ExplainerSummary::FrameAuc)->text(), QString::number(m.frameAuc, 'f', 3));
            QCOMPARE(table->item(r, ui::ExplainerSummary::AveragePrecision)->text(), QString::number(m.ap, 'f', 3));
            QCOMPARE(table->item(r, ui::ExplainerSummary::PointingGame)->text(), QString::number(m.pointingGame, 'f', 0));
            QVERIFY(!std::isnan(m.frameF1));
            QCOMPARE(table->item(r, ui::ExplainerSummary::FrameF1)->text(), QString::number(m.frameF1, 'f', 3));
            // Range EER and RCQ: the core metrics on the document's ground truth (docs/metrics.md).
            core::RangeEer range;
            range.add(m_w->document()->attribution(key)->values, truth->grid, truth->samples,
                      truth->labels.spoofIntervals());
            QCOMPARE(table->item(r, ui::ExplainerSummary::RangeEer)->data(Qt::UserRole).toDouble(), range.eer());
            QVERIFY(table->item(r, ui::ExplainerSummary::RcqTransition)->data(Qt::UserRole).isValid());
        }
        // Sortable: sorting by deletion AUC orders the rows by it.
        table->sortItems(ui::ExplainerSummary::Deletion, Qt::AscendingOrder);
        for (int r = 1; r < table->rowCount(); ++r)
            QVERIFY(table->item(r - 1, ui::ExplainerSummary::Deletion)->data(Qt::UserRole).toDouble() <=
                    table->item(r, ui::ExplainerSummary::Deletion)->data(Qt::UserRole).toDouble());
    }
};

QTEST_MAIN(TestExplainerRows)
#include "TestExplainerRows.moc"
