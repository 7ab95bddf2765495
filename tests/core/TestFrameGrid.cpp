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
        QCOMPARE(qint64(frameCount(samples)), frames);
    }

    void frameAtInvertsFrameCentre()
    {
        for (int64_t t = 0; t < 200000; t += 997) {
            const double c = frameCentreSeconds(t);
            QCOMPARE(qint64(frameAt(c)), qint64(t));
            // Anything within a third of a hop of the centre is the same frame.
            QCOMPARE(qint64(frameAt(c - 0.0066)), qint64(t));
            QCOMPARE(qint64(frameAt(c + 0.0066)), qint64(t));
        }
        QCOMPARE(frameCentreSeconds(0), 0.0125);
        QCOMPARE(frameCentreSeconds(1), 0.0325);
    }

    void frameAtOutsideTheGridIsNotClamped()
    {
        QCOMPARE(qint64(frameAt(0.0)), qint64(-1));   // (0 - 200) / 320 rounds to -1
        QCOMPARE(qint64(frameAt(0.003)), qint64(0));  // (48 - 200) / 320 = -0.475 -> 0
        QCOMPARE(qint64(frameAt(-1.0)), qint64(-51));
    }
};

QTEST_GUILESS_MAIN(TestFrameGrid)
#include "TestFrameGrid.moc"
