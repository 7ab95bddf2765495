// Measurement, not a pass/fail test (so it lives in bench/, not in CTest): an hour-long
// file (generated with sox into a temporary directory) opened in the window,
// then zoomed in and out; prints the time until every track is drawn and the
// frame rate of the zoom (all tracks redrawn per step). Also the time from
// opening a real 6.3 s utterance to all tracks drawn with the tiny fixture
// detector already loaded.
// Run by hand: QT_QPA_PLATFORM=offscreen build/bench/BenchTracksZoom
#include "tests/support/TestData.h"
#include "ui/MainWindow.h"
#include "ui/TimelineController.h"
#include "ui/tracks/Track.h"
#include "ui/tracks/WaveformTrack.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens;

class BenchTracksZoom : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    static void drawAll(ui::MainWindow& w)
    {
        for (ui::Track* t : w.tracks())
            if (t->isVisible())
                t->replot(QCustomPlot::rpImmediateRefresh);
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void shortFileToAllTracksDrawn()
    {
        ui::MainWindow w(false);
        w.resize(1400, 950);
        w.show();
        w.openModels(QString::fromStdString(test::dataPath("fixtures/detector_tiny.pth")), QString(),
                     {QString::fromStdString(test::dataPath("fixtures/xai_tiny.pth"))});
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 60000);
        QElapsedTimer clock;
        clock.start();
        w.openAudio(QString::fromStdString(test::dataPath("asvspoof_spoof_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle(), 120000);
        drawAll(w);
        qInfo("open 6.3 s file -> all tracks drawn (tiny detector loaded): %lld ms", static_cast<long long>(clock.elapsed()));
    }

    void hourLongFileZoom()
    {
        const QString path = m_tmp.filePath(QStringLiteral("hour.flac"));
        QProcess sox;
        sox.start(QStringLiteral("sox"), {QStringLiteral("-n"), QStringLiteral("-r"), QStringLiteral("16000"),
                                          QStringLiteral("-b"), QStringLiteral("16"), path, QStringLiteral("synth"),
                                          QStringLiteral("3600"), QStringLiteral("pinknoise"), QStringLiteral("vol"),
                                          QStringLiteral("0.3")});
        QVERIFY(sox.waitForFinished(300000));
        QCOMPARE(sox.exitCode(), 0);
        ui::MainWindow w(false);
        w.resize(1400, 950);
        w.show();
        QElapsedTimer clock;
        clock.start();
        w.openAudio(path);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio() && w.isIdle(), 300000);
        drawAll(w);
        qInfo("open 1 h file (no detector) -> waveform + spectrogram drawn: %lld ms", static_cast<long long>(clock.elapsed()));

        ui::TimelineController* tl = w.timeline();
        const int steps = 60;
        clock.restart();
        for (int i = 0; i < steps; ++i) {
            tl->zoom(i < steps / 2 ? 0.7 : 1 / 0.7, 1800.0);
            drawAll(w);
        }
        const double ms = double(clock.elapsed());
        qInfo("zooming 1 h file (waveform + spectrogram redrawn per step): %.1f frames/s (%.1f ms per frame)",
              steps * 1000.0 / ms, ms / steps);
        // Deep zoom: exact samples, spectrogram detail computed off-thread.
        tl->setView(1800.0, 1800.05);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 60000);
        QVERIFY(w.waveformTrack()->showsExactSamples());
        clock.restart();
        for (int i = 0; i < steps; ++i) {
            tl->pan(i % 2 ? 0.1 : -0.1);
            drawAll(w);
        }
        qInfo("panning at 50 ms view: %.1f frames/s", steps * 1000.0 / double(clock.elapsed()));
    }
};

QTEST_MAIN(BenchTracksZoom)
#include "BenchTracksZoom.moc"
