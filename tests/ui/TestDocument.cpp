// ctest-labels: fast gui
// The viewer's Document: one owner of the audio, the explanation, the ground
// truth and the row order; its change signals; the window's rows follow it.
#include "tests/support/TestData.h"
#include "ui/Document.h"
#include "ui/MainWindow.h"
#include "ui/compare/CompareRow.h"
#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/SimilarityTrack.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace spooflens;

namespace {

core::Stage2Info module(const std::string& path, const std::string& mode)
{
    core::Stage2Info info;
    info.path = path;
    info.runName = path;
    info.prototypeMode = mode;
    return info;
}

core::Stage2Track track(const std::string& path, int frames, float level)
{
    core::Stage2Track t;
    t.xaiPath = path;
    t.importance.assign(size_t(frames), level);
    t.simSpoof.assign(size_t(frames), 0.1f);
    t.simBonafide.assign(size_t(frames), -0.1f);
    return t;
}

core::Attribution attribution(const std::string& method, int frames, float slope)
{
    core::Attribution a;
    a.method = method;
    a.source = "detector";
    for (int i = 0; i < frames; ++i)
        a.values.push_back(slope * float(i));
    return a;
}

QStringList keys(const ui::Document& d)
{
    QStringList out;
    for (const ui::RowInfo& r : d.rows())
        out << r.key;
    return out;
}

} // namespace

class TestDocument : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void stage2RowsFollowTheModulesAndKeepTheirOrder()
    {
        ui::Document d;
        QSignalSpy rows(&d, &ui::Document::rowsChanged);
        d.setStage2Modules({module("a.pth", "ema"), module("b.pth", "fixed")});
        QCOMPARE(rows.count(), 1);
        QCOMPARE(keys(d), (QStringList{"a.pth", "b.pth"}));
        QCOMPARE(d.rows()[1].label, QStringLiteral("fixed · b.pth"));
        d.setStage2Modules({module("a.pth", "ema"), module("b.pth", "fixed")});
        QCOMPARE(rows.count(), 1);  // nothing changed, no signal
        d.moveRow(0, 1);
        QCOMPARE(rows.count(), 2);
        QCOMPARE(keys(d), (QStringList{"b.pth", "a.pth"}));
        d.moveRow(0, 5);  // out of range: ignored
        QCOMPARE(rows.count(), 2);
        d.setStage2Modules({module("a.pth", "ema"), module("b.pth", "fixed"), module("c.pth", "learnable")});
        QCOMPARE(keys(d), (QStringList{"b.pth", "a.pth", "c.pth"}));
        d.setStage2Modules({module("c.pth", "learnable"), module("a.pth", "ema")});
        QCOMPARE(keys(d), (QStringList{"a.pth", "c.pth"}));
        QCOMPARE(rows.count(), 4);
    }

    void explanationDataIsMatchedToRowsByKey()
    {
        ui::Document d;
        d.setStage2Modules({module("a.pth", "ema"), module("b.pth", "fixed")});
        QSignalSpy rows(&d, &ui::Document::rowsChanged);
        QSignalSpy expl(&d, &ui::Document::explanationChanged);
        core::Explanation e;
        e.frames = 10;
        // The explanation lists the modules in another order than the rows.
        e.tracks = {track("b.pth", 10, 0.2f), track("a.pth", 10, 0.7f)};
        e.attributions = {attribution("occlusion", 10, 1.f), attribution("random", 10, -1.f)};
        d.setExplanation(e);
        QCOMPARE(expl.count(), 1);
        QCOMPARE(rows.count(), 1);  // the two explainer rows were added
        QCOMPARE(keys(d), (QStringList{"a.pth", "b.pth", "occlusion@detector", "random@detector"}));
        QCOMPARE(d.rows()[2].kind, ui::RowKind::Attribution);
        QCOMPARE(d.rows()[2].method, QStringLiteral("occlusion"));
        QCOMPARE(d.stage2Track(QStringLiteral("a.pth"))->importance.front(), 0.7f);
        QCOMPARE(d.rowValues(QStringLiteral("random@detector"))->at(3), -3.f);
        QCOMPARE(d.stage2TracksInOrder().front().xaiPath, std::string("a.pth"));
        QCOMPARE(d.stage2Labels(), (QStringList{"ema · a.pth", "fixed · b.pth"}));

        // A module added later goes after the Stage 2 rows, before the explainers.
        d.setStage2Modules({module("a.pth", "ema"), module("b.pth", "fixed"), module("c.pth", "ema")});
        QCOMPARE(keys(d), (QStringList{"a.pth", "b.pth", "c.pth", "occlusion@detector", "random@detector"}));
        QVERIFY(d.stage2Track(QStringLiteral("c.pth")) == nullptr);

        // The shown explanation follows the row order.
        d.moveRow(4, 0);
        const auto shown = d.shownExplanation();
        QVERIFY(shown);
        QCOMPARE(shown->attributions.size(), size_t(2));
        QCOMPARE(shown->attributions.front().method, std::string("random"));
        QCOMPARE(shown->tracks.front().xaiPath, std::string("a.pth"));

        // Removing a row removes its data.
        const int occ = d.rowIndex(QStringLiteral("occlusion@detector"));
        const auto removed = d.removeRow(occ);
        QVERIFY(removed);
        QCOMPARE(removed->kind, ui::RowKind::Attribution);
        QVERIFY(d.attribution(QStringLiteral("occlusion@detector")) == nullptr);
        QCOMPARE(d.explanation()->attributions.size(), size_t(1));
        QCOMPARE(expl.count(), 2);
        QVERIFY(!d.removeRow(99));
    }

    void newAudioDropsExplanationAndGroundTruthButKeepsRows()
    {
        ui::Document d;
        d.setStage2Modules({module("a.pth", "ema")});
        core::Explanation e;
        e.tracks = {track("a.pth", 4, 0.5f)};
        e.attributions = {attribution("gradxinput", 4, 1.f)};
        d.setExplanation(e);
        ui::GroundTruthView truth;
        truth.segmentStart = {0.1};
        truth.segmentEnd = {0.2};
        d.setGroundTruth(truth);
        QSignalSpy audio(&d, &ui::Document::audioChanged);
        QSignalSpy expl(&d, &ui::Document::explanationChanged);
        QSignalSpy gt(&d, &ui::Document::groundTruthChanged);
        QSignalSpy rows(&d, &ui::Document::rowsChanged);
        auto data = std::make_shared<core::AudioData>();
        data->path = "x.wav";
        data->samples.assign(16000, 0.f);
        d.setAudio(data);
        QCOMPARE(audio.count(), 1);
        QCOMPARE(expl.count(), 1);
        QCOMPARE(gt.count(), 1);
        QCOMPARE(rows.count(), 0);
        QVERIFY(!d.explanation());
        QVERIFY(!d.groundTruth());
        QCOMPARE(keys(d), (QStringList{"a.pth", "gradxinput@detector"}));
        QCOMPARE(d.durationSeconds(), 1.0);
        QCOMPARE(d.audioPath(), QStringLiteral("x.wav"));
    }

    void windowRowsFollowTheDocument()
    {
        // Real window, real detector and Stage 2 fixture; explainer rows are
        // given to the document directly (their computation is core's).
        ui::MainWindow w(false);
        w.resize(1200, 900);
        w.show();
        w.openModels(QString::fromStdString(test::dataPath("fixtures/detector_tiny.pth")), QString(),
                     {QString::fromStdString(test::dataPath("fixtures/xai_tiny.pth"))});
        w.openAudio(QString::fromStdString(test::dataPath("asvspoof_spoof_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle(), 120000);
        QCOMPARE(w.rows().size(), 1);
        core::Explanation e = *w.explanation();
        const int frames = int(e.frames);
        e.attributions = {attribution("occlusion", frames, 0.5f), attribution("random", frames, 1.f)};
        w.document()->setExplanation(e);
        QCOMPARE(w.rows().size(), 3);
        ui::CompareRow* occ = w.rows()[1];
        QCOMPARE(occ->kind(), ui::RowKind::Attribution);
        QVERIFY(occ->similarity() == nullptr);
        QCOMPARE(occ->importance()->pointCount(), frames);
        QCOMPARE(occ->importance()->pointValue(frames - 1), 0.5 * (frames - 1));
        QVERIFY(occ->importance()->title().startsWith(QStringLiteral("occlusion")));
        QVERIFY(occ->importance()->title().contains(QStringLiteral("higher = more spoof evidence")));
        QCOMPARE(w.tracks().size(), 4 + 2 + 2 + 1);  // ground truth, overlay, waveform, spectrogram, Stage 2 (2), explainers (2), score
        // Reordering in the window reorders the document, and back.
        w.moveRow(2, 0);
        QCOMPARE(w.document()->rows().front().key, QStringLiteral("random@detector"));
        QCOMPARE(w.rows().front()->key(), QStringLiteral("random@detector"));
        // Removing an explainer row keeps the Stage 2 module loaded.
        w.removeRow(0);
        QCOMPARE(w.rows().size(), 2);
        QVERIFY(w.isIdle());
        QCOMPARE(w.explanation()->tracks.size(), size_t(1));
        QCOMPARE(w.explanation()->attributions.size(), size_t(1));
    }
};

QTEST_MAIN(TestDocument)
#include "TestDocument.moc"
