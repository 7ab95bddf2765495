// ctest-labels: fast
// The frame grid of docs/detector.md §1 (core/audio/FrameGrid.h): frame
// counts of the cut modes, frame centres, and frameAt as their inverse.
#include "core/audio/FrameGrid.h"

#include <QtTest>

using namespace spooflens::core;

class TestFrameGrid : public QObject {
    Q_OBJECT
private slots:
    void frameCountOfKnownLengths_data()
    {
        QTest::addColumn<qint64>("samples");
        QTest::addColumn<qint64>("frames");
        QTest::newRow("below one window") << qint64(399) << qint64(0);
        QTest::newRow("one window") << qint64(400) << qint64(1);
        QTest::newRow("one hop short of two") << qint64(719) << qint64(1);
        QTest::newRow("two") << qint64(720) << qint64(2);
        QTest::newRow("cut 64600") << qint64(64600) << qint64(201);
        QTest::newRow("cut 66800") << qint64(66800) << qint64(208);
        QTest::newRow("7.04 s") << qint64(112640) << qint64(351);
    }
    void frameCountOfKnownLengths()
    {
        QFETCH(qint64, samples);
        QFETCH(qint64, frames);
        QCOMPARE(qint64(FrameGrid::xlsr().count(samples)), frames);
    }

    void frameAtInvertsFrameCentre()
    {
        for (int64_t t = 0; t < 200000; t += 997) {
            const double c = FrameGrid::xlsr().centreSeconds(t);
            QCOMPARE(qint64(FrameGrid::xlsr().frameAt(c)), qint64(t));
            // Anything within a third of a hop of the centre is the same frame.
            QCOMPARE(qint64(FrameGrid::xlsr().frameAt(c - 0.0066)), qint64(t));
            QCOMPARE(qint64(FrameGrid::xlsr().frameAt(c + 0.0066)), qint64(t));
        }
        QCOMPARE(FrameGrid::xlsr().centreSeconds(0), 0.0125);
        QCOMPARE(FrameGrid::xlsr().centreSeconds(1), 0.0325);
    }

    void frameAtOutsideTheGridIsNotClamped()
    {
        QCOMPARE(qint64(FrameGrid::xlsr().frameAt(0.0)), qint64(-1));   // (0 - 200) / 320 rounds to -1
        QCOMPARE(qint64(FrameGrid::xlsr().frameAt(0.003)), qint64(0));  // (48 - 200) / 320 = -0.475 -> 0
        QCOMPARE(qint64(FrameGrid::xlsr().frameAt(-1.0)), qint64(-51));
    }

    void aasistGridIsThatOfItsTemporalNodes()
    {
        // e_T of the authors' fixtures: 29 nodes for 64 600 samples, 51 for
        // 112 640, 46 for 101 520; T' = floor((N - 128) / 2187).
        const FrameGrid g = FrameGrid::aasist();
        QCOMPARE(g.hop, int64_t(2187));
        QCOMPARE(g.window, int64_t(2315));
        for (int64_t n : {int64_t(64600), int64_t(112640), int64_t(101520), int64_t(2314), int64_t(2315),
                          int64_t(4501), int64_t(4502), int64_t(3600LL * 16000)})
            QCOMPARE(g.count(n), std::max<int64_t>(0, (n - 128) / 2187));
        QCOMPARE(g.count(64600), int64_t(29));
        // Centres, and frameAt as their inverse.
        QCOMPARE(g.centreSeconds(0), 1157.5 / 16000.0);
        for (int64_t t = 0; t < 100; ++t)
            QCOMPARE(g.frameAt(g.centreSeconds(t) + 0.06), t);
        // An offset shifts every frame.
        const FrameGrid shifted{320, 400, 80};
        QCOMPARE(shifted.count(480), int64_t(1));
        QCOMPARE(shifted.count(479), int64_t(0));
        QCOMPARE(shifted.startSample(2), int64_t(720));
        QCOMPARE(shifted.frameAt(shifted.centreSeconds(7)), int64_t(7));
    }
};

QTEST_GUILESS_MAIN(TestFrameGrid)
#include "TestFrameGrid.moc"
