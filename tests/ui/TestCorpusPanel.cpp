// Corpus navigation in the window (issue 26): a protocol of the tests' demo
// opened in the Corpus dock, Page Down / Page Up through the order shown,
// each analysed file's score, module disagreement and frame AUCs written into
// the list (and dropped when the models change), sorting by a column, and an
// evaluate folder (the real CLI) whose run's values stay as they were.
// ctest-labels: gui
#include "core/explain/Agreement.h"
#include "core/explain/Corpus.h"
#include "core/explain/Evaluation.h"
#include "core/explain/Metrics.h"
#include "tests/support/Cli.h"
#include "tests/support/TrainingSet.h"
#include "ui/Document.h"
#include "ui/MainWindow.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/corpus/CorpusPanel.h"
#include "ui/widgets/TableActions.h"

#include <QDockWidget>
#include <QFont>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace spooflens;

namespace {

QString demo(const QString& relative)
{
    return qEnvironmentVariable("SPOOFLENS_DEMO_DIR") + QLatin1Char('/') + relative;
}

QString column(const QTableView* t, int row, int col)
{
    return t->model()->index(row, col).data().toString();
}

int findColumn(const QTableView* t, const QString& header)
{
    for (int c = 0; c < t->model()->columnCount(); ++c)
        if (t->model()->headerData(c, Qt::Horizontal).toString() == header)
            return c;
    return -1;
}

} // namespace

class TestCorpusPanel : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    QString writeProtocol(const QString& name, const QStringList& lines)
    {
        const QString path = m_tmp.filePath(name);
        if (!test::writeProtocol(path, lines))
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    /// The window's analysis of its file is complete (score, both modules, the explainer).
    static bool analysed(const ui::MainWindow& w, const QString& path)
    {
        const core::Explanation* e = w.explanation();
        return w.isIdle() && e && QString::fromStdString(e->path) == path && e->tracks.size() == 2
               && e->attributions.size() == 1;
    }

private slots:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("SPOOFLENS_DEMO_DIR"))
            QFAIL("SPOOFLENS_DEMO_DIR is not set: the BuildDemo fixture names the tests' demo");
    }

    void protocolNavigationAndLiveValues()
    {
        const QString audio = demo(QStringLiteral("data/audio/"));
        const QString protocol = writeProtocol(
            QStringLiteral("p.txt"), {audio + "partial_eval_005.wav eval spoof", audio + "spoof_eval_flite_rms_s20.wav eval spoof",
                                      audio + "missing_file.wav eval spoof", audio + "bona_eval_005.wav eval bonafide"});
        ui::MainWindow w(false);
        w.resize(1400, 900);
        w.show();
        w.setMethods({QStringLiteral("random")});
        w.openModels(demo("AASIST-L.pth"), QString(), {demo("xai_ema.pth"), demo("xai_fixed.pth")});
        QCOMPARE(w.openCorpus(protocol), QString());
        QTRY_VERIFY(w.corpusDock()->isVisible());
        ui::CorpusPanel* p = w.corpusPanel();
        const QTableView* t = p->table();
        QCOMPARE(t->model()->rowCount(), 4);
        QCOMPARE(column(t, 2, 1), QStringLiteral("missing_file"));
        QCOMPARE(p->corpus().playable(), int64_t(3));

        // Page Down with no file of the corpus open: the first one.
        const QString first = QString::fromStdString(p->corpus().entries[0].path);
        QVERIFY(QTest::qWaitForWindowActive(&w));  // window shortcuts need an active window
        QTest::keyClick(&w, Qt::Key_PageDown);
        QTRY_VERIFY_WITH_TIMEOUT(analysed(w, first) && w.document()->groundTruth(), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!std::isnan(p->corpus().entries[0].score), 10000);
        QCOMPARE(p->currentEntry(), int64_t(0));
        {
            const core::Explanation& e = *w.explanation();
            const core::CorpusEntry& c = p->corpus().entries[0];
            QCOMPARE(c.score, double(e.score));
            QCOMPARE(c.disagreement, 1.0 - core::spearmanCorrelation(e.tracks[0].importance, e.tracks[1].importance));
            // Frame AUC of each module's w(t) and of the explainer against the labels next to the audio.
            const std::vector<uint8_t> spoof(w.document()->groundTruth()->frameLabels.begin(),
                                             w.document()->groundTruth()->frameLabels.end());
            const double ema = core::rocAuc(std::vector<double>(e.tracks[0].importance.begin(), e.tracks[0].importance.end()), spoof);
            QVERIFY(ema >= 0 && ema <= 1);
            const int emaColumn = findColumn(t, QStringLiteral("AUC stage2:xai_ema"));
            QVERIFY(emaColumn >= ui::CorpusPanel::kFirstAucColumn);
            QCOMPARE(c.auc[size_t(emaColumn - ui::CorpusPanel::kFirstAucColumn)], ema);
            QVERIFY(findColumn(t, QStringLiteral("AUC stage2:xai_fixed")) > 0);
            QVERIFY(findColumn(t, QStringLiteral("AUC random:detector")) > 0);
            QCOMPARE(column(t, 0, 3), QString::number(e.score, 'f', 3));
            QVERIFY(t->model()->index(0, 3).data(Qt::FontRole).value<QFont>().italic());  // computed here
            QVERIFY(t->selectionModel()->isRowSelected(0, {}));
        }

        // N twice: the second file, then the missing one is skipped for the fourth.
        QTest::keyClick(&w, Qt::Key_N);
        QTRY_VERIFY_WITH_TIMEOUT(analysed(w, QString::fromStdString(p->corpus().entries[1].path)), 120000);
        QTest::keyClick(&w, Qt::Key_N);
        const QString last = QString::fromStdString(p->corpus().entries[3].path);
        QTRY_VERIFY_WITH_TIMEOUT(analysed(w, last), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!std::isnan(p->corpus().entries[3].score), 10000);
        QVERIFY(!w.openNextFile(+1));  // the end of the list
        QCOMPARE(w.document()->audioPath(), last);

        // Sorted by score, highest first: the unknown (missing file) last, and
        // Page Up goes to the row above in that order.
        p->table()->sortByColumn(3, Qt::DescendingOrder);
        const std::vector<size_t> order = p->shownOrder();
        QCOMPARE(order.back(), size_t(2));
        for (size_t r = 0; r + 2 < order.size(); ++r)
            QVERIFY(p->corpus().entries[order[r]].score >= p->corpus().entries[order[r + 1]].score);
        size_t row = 0;
        while (order[row] != 3)
            ++row;
        QVERIFY(t->selectionModel()->isRowSelected(int(row), {}));  // the current file's row follows the sort
        if (row > 0) {
            QTest::keyClick(&w, Qt::Key_PageUp);
            QTRY_VERIFY_WITH_TIMEOUT(analysed(w, QString::fromStdString(p->corpus().entries[order[row - 1]].path)), 120000);
        } else {
            QVERIFY(!w.openNextFile(-1));
        }

        // Other models: the values computed with the old ones leave the list
        // (the file shown is analysed again and gets new ones).
        w.openModels(demo("AASIST-L.pth"), QString(), {demo("xai_ema.pth")});
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.explanation() && w.explanation()->tracks.size() == 1
                                     && w.explanation()->attributions.size() == 1,
                                 120000);
        int known = 0;
        for (const core::CorpusEntry& c : p->corpus().entries)
            known += !std::isnan(c.score);
        QCOMPARE(known, 1);

        // A path that is no corpus: a message naming it, and the list stays.
        const QString bad = m_tmp.filePath(QStringLiteral("nothing-here"));
        const QString err = w.openCorpus(bad);
        QVERIFY2(err.contains(bad), qPrintable(err));
        QVERIFY(w.errorMessages().last().contains(bad));
        QCOMPARE(t->model()->rowCount(), 4);
    }

    void evaluateFolderKeepsItsRun()
    {
        const QString audio = demo(QStringLiteral("data/audio/"));
        const QString protocol = writeProtocol(
            QStringLiteral("e.txt"), {audio + "partial_eval_005.wav eval spoof", audio + "partial_eval_asvspoof_bonafide_sample.wav eval spoof"});
        const QString out = m_tmp.filePath(QStringLiteral("evaluate"));
        const test::CliRun r = test::runCli({"evaluate", "--detector", demo("AASIST-L.pth"), "--xai", demo("xai_ema.pth"),
                                             "--xai", demo("xai_fixed.pth"), "--method", "stage2", "--method", "random",
                                             "--protocol", protocol, "--out", out, "--resamples", "50", "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::vector<core::EvalRecord> records = core::readEvalRecords((out + "/utterances.jsonl").toStdString(), false);
        QCOMPARE(records.size(), size_t(2));

        ui::MainWindow w(false);
        w.resize(1400, 900);
        w.show();
        QCOMPARE(w.openCorpus(out), QString());
        ui::CorpusPanel* p = w.corpusPanel();
        QTableView* t = p->table();
        QCOMPARE(t->model()->rowCount(), 2);
        const int ema = findColumn(t, QStringLiteral("AUC stage2:xai_ema"));
        QVERIFY(ema > 0);
        // Sorted by the module's AUC, best first.
        t->sortByColumn(ema, Qt::DescendingOrder);
        QVERIFY(column(t, 0, ema).toDouble() >= column(t, 1, ema).toDouble());
        const QString top = column(t, 0, 1);
        const core::EvalRecord& rec = records[records[0].utterance == top.toStdString() ? 0 : 1];
        QCOMPARE(column(t, 0, 3), QString::number(rec.score, 'f', 3));
        QCOMPARE(column(t, 0, ema), QString::number(rec.tracks[0].loc.frameAuc, 'f', 3));
        // The table copies as text with its headers.
        QVERIFY(ui::tableText(t, ui::TableFormat::Tsv, false).startsWith(QStringLiteral("#\tutterance\tlabel\tscore\tdisagreement\tAUC stage2:xai_ema")));

        // Enter on a row opens its file; the run's values stay (other models
        // may be loaded in the window), shown upright.
        w.setMethods({QStringLiteral("random")});
        w.openModels(demo("AASIST-L.pth"), QString(), {demo("xai_ema.pth"), demo("xai_fixed.pth")});
        t->setFocus();
        t->selectRow(0);
        t->setCurrentIndex(t->model()->index(0, 1));
        QTest::keyClick(t, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(analysed(w, QString::fromStdString(rec.path)), 120000);
        QCOMPARE(column(t, 0, 3), QString::number(rec.score, 'f', 3));
        QVERIFY(!t->model()->index(0, 3).data(Qt::FontRole).value<QFont>().italic());
    }
};

QTEST_MAIN(TestCorpusPanel)
#include "TestCorpusPanel.moc"
