// ctest-labels: fast
// Cancellation of Explainer::explain is a CancelledError (core/Error.h), not a
// failure message: checked before the detector runs and between Stage 2
// modules, on the tiny fixture detector and a real ASVspoof utterance.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/explain/Explainer.h"
#include "tests/support/TestData.h"

#include <QtTest>

using namespace spooflens;
using spooflens::test::dataPath;

class TestExplainCancel : public QObject {
    Q_OBJECT
    std::unique_ptr<core::Explainer> m_explainer;
    core::AudioData m_audio;

private slots:
    void initTestCase()
    {
        core::DetectorOptions opt;
        opt.checkpointPath = dataPath("fixtures/detector_tiny.pth");
        opt.device = "cpu";
        m_explainer = std::make_unique<core::Explainer>(opt);
        m_explainer->addStage2(dataPath("fixtures/xai_tiny.pth"));
        m_audio = core::loadAudio(dataPath("asvspoof_spoof_sample.flac"));
    }

    void cancelledBeforeTheDetectorRuns()
    {
        int asked = 0;
        int progressCalls = 0;
        try {
            m_explainer->explain(m_audio, core::CutMode::Full, [&](double) { ++progressCalls; },
                                 [&] { return ++asked > 0; });
            QFAIL("explain returned although it was cancelled");
        } catch (const core::CancelledError& e) {
            QCOMPARE(QString(e.what()), QStringLiteral("cancelled"));
        }
        QCOMPARE(asked, 1);
        QCOMPARE(progressCalls, 0);
    }

    void cancelledAfterTheDetectorIsACancelledErrorToo()
    {
        // The first check passes, the second (after the detector) cancels.
        int asked = 0;
        QVERIFY_THROWS_EXCEPTION(core::CancelledError,
                                 m_explainer->explain(m_audio, core::CutMode::Cut64600, {}, [&] { return ++asked > 1; }));
        QCOMPARE(asked, 2);
    }

    void notCancelledRunsToTheEnd()
    {
        int asked = 0;
        const core::Explanation e = m_explainer->explain(m_audio, core::CutMode::Cut64600, {}, [&] {
            ++asked;
            return false;
        });
        QCOMPARE(qint64(e.frames), qint64(201));
        QCOMPARE(e.tracks.size(), size_t(1));
        QVERIFY(asked >= 3);   // before and after the detector, and before the module
    }

    void otherErrorsAreNotCancellations()
    {
        core::AudioData tooShort = m_audio;
        tooShort.samples.resize(100);
        try {
            m_explainer->explain(tooShort, core::CutMode::Full);
            QFAIL("no error for 100 samples");
        } catch (const core::CancelledError&) {
            QFAIL("a too-short input reported as a cancellation");
        } catch (const core::Error&) {
        }
    }
};

QTEST_GUILESS_MAIN(TestExplainCancel)
#include "TestExplainCancel.moc"
