// spooflens-gui: wiring only. Parses the command line, opens the window on
// the given files (or the embedded demo) and, with --screenshot, writes a PNG
// of the window once every computation has finished.
#include "QuietStart.h"
#include "core/explain/Attribution.h"
#include "core/util/FileCheck.h"
#include "ui/LocalPath.h"
#include "ui/MainWindow.h"
#include "ui/TimelineController.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/tracks/Track.h"
#include "ui/training/TrainingCharts.h"
#include "ui/training/TrainingPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QMenuBar>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImageWriter>
#include <QTimer>

#include <cstdio>
#include <memory>

using spooflens::ui::MainWindow;

int main(int argc, char** argv)
{
    // A screenshot needs no display: render offscreen unless told otherwise.
    for (int i = 1; i < argc; ++i)
        if (QByteArray(argv[i]) == "--screenshot" && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    prepareQuietStart();
    QApplication app(argc, argv);
    installQuietMessageFilter();
    QApplication::setOrganizationName(QStringLiteral("SpoofLens"));
    QApplication::setApplicationName(QStringLiteral("spooflens-gui"));
    QApplication::setApplicationVersion(QStringLiteral(SPOOFLENS_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("SpoofLens: explains an audio deepfake detector's decision on one utterance.\n"
                       "With no arguments it opens the embedded demo."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Render the window once everything is computed, write it "
                                                       "to OUT.png and exit."),
                                        QStringLiteral("OUT.png"));
    const QCommandLineOption detector(QStringLiteral("detector"),
                                      QStringLiteral("Detector checkpoint (e.g. avg_5_best.pth)."), QStringLiteral("CKPT"));
    const QCommandLineOption detectorConfig(QStringLiteral("detector-config"),
                                            QStringLiteral("Optional detector YAML (attention heads)."),
                                            QStringLiteral("YAML"));
    const QCommandLineOption xai(QStringLiteral("xai"), QStringLiteral("Stage 2 checkpoint (repeat for several)."),
                                 QStringLiteral("FILE"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size (default 1400x1200 for --screenshot)."),
                                  QStringLiteral("WxH"));
    const QCommandLineOption attach(QStringLiteral("attach"),
                                    QStringLiteral("Open the training panel on a Stage 2 run folder (finished or "
                                                   "running); with --screenshot, render only the panel."),
                                    QStringLiteral("RUN_DIR"));
    const QCommandLineOption view(QStringLiteral("view"),
                                  QStringLiteral("Show START..END seconds instead of the whole file (e.g. 61.2:61.7)."),
                                  QStringLiteral("START:END"));
    const QCommandLineOption precision(QStringLiteral("precision"),
                                       QStringLiteral("Detector arithmetic: fp32 (reference, default) or bf16 (faster)."),
                                       QStringLiteral("fp32|bf16"));
    const QCommandLineOption labels(QStringLiteral("labels"),
                                    QStringLiteral("Ground truth: an Audacity label track, or a PartialSpoof "
                                                   "*_seglab_*.npy / CSV file looked up by utterance id."),
                                    QStringLiteral("FILE"));
    // The list comes from core's one table of explainers.
    QStringList methodList;
    for (const auto m : spooflens::core::allMethods())
        methodList << QString::fromStdString(spooflens::core::methodName(m));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("Explainer to show as a row (repeat for several): %1.")
                                        .arg(methodList.join(QStringLiteral(", "))),
                                    QStringLiteral("M"));
    const QCommandLineOption overlay(QStringLiteral("overlay"),
                                     QStringLiteral("Show the overlay view (View ▸ Overlay view): the rows normalised in "
                                                    "one pane over the ground truth."));
    const QCommandLineOption corpus(QStringLiteral("corpus"),
                                    QStringLiteral("Open a corpus in the Corpus panel: a protocol, a folder of audio "
                                                   "files or a `spooflens evaluate` output folder; without FILE, its "
                                                   "first file is opened."),
                                    QStringLiteral("PATH"));
    parser.addOptions({screenshot, detector, detectorConfig, xai, size, view, attach, precision, labels, method, overlay,
                       corpus});
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("Audio file to open. With --screenshot, several: each is opened in turn "
                                                "once the previous one is drawn (the models stay loaded) and the shot "
                                                "shows the last."),
                                 QStringLiteral("[FILE...]"));
    parser.process(app);

    const QStringList files = parser.positionalArguments();
    if (files.size() > 1 && !parser.isSet(screenshot)) {
        std::fprintf(stderr, "spooflens-gui: give at most one audio file (got %lld)\n", static_cast<long long>(files.size()));
        return 2;
    }
    if ((parser.isSet(xai) || parser.isSet(detectorConfig) || parser.isSet(method)) && !parser.isSet(detector)) {
        std::fprintf(stderr, "spooflens-gui: --xai, --detector-config and --method need --detector\n");
        return 2;
    }
    if (parser.isSet(precision) && parser.value(precision) != QLatin1String("fp32")
        && parser.value(precision) != QLatin1String("bf16")) {
        std::fprintf(stderr, "spooflens-gui: --precision must be fp32 or bf16 (got '%s')\n",
                     qPrintable(parser.value(precision)));
        return 2;
    }
    for (const QString& m : parser.values(method)) {
        try {
            spooflens::core::parseMethod(m.toStdString());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "spooflens-gui: --method: %s\n", e.what());
            return 2;
        }
    }
    // Model files are checked here, before any window: a missing (or FIFO,
    // directory, link loop) --detector, --detector-config or --xai is the same
    // error with the same exit status (docs/reliability.md).
    const auto badFile = [](const char* flag, const QString& path) {
        const std::string why = spooflens::core::whyNotRegularFile(spooflens::ui::localPath(path), "a checkpoint file");
        if (!why.empty())
            std::fprintf(stderr, "spooflens-gui: %s %s: %s\n", flag, qPrintable(path), why.c_str());
        return !why.empty();
    };
    if (parser.isSet(detector) && badFile("--detector", parser.value(detector)))
        return 1;
    if (parser.isSet(detectorConfig) && badFile("--detector-config", parser.value(detectorConfig)))
        return 1;
    for (const QString& x : parser.values(xai))
        if (badFile("--xai", x))
            return 1;
    if (parser.isSet(labels) && !QFileInfo::exists(parser.value(labels))) {
        std::fprintf(stderr, "spooflens-gui: --labels: %s does not exist\n", qPrintable(parser.value(labels)));
        return 1;
    }
    const QString shotPath = parser.value(screenshot);
    const bool shooting = parser.isSet(screenshot);
    if (shooting && QFileInfo(shotPath).suffix().toLower() != QLatin1String("png")) {
        std::fprintf(stderr, "spooflens-gui: --screenshot needs a .png file name\n");
        return 2;
    }

    if (parser.isSet(attach) && shooting) {
        // The training panel alone, charts filled from the run folder.
        spooflens::ui::TrainingPanel panel;
        panel.resize(1600, 900);
        QString error;
        if (!panel.attachRun(parser.value(attach), &error)) {
            std::fprintf(stderr, "spooflens-gui: %s\n", qPrintable(error));
            return 1;
        }
        panel.show();
        QApplication::processEvents();
        panel.charts()->replotNow();
        QApplication::processEvents();
        const QImage image = panel.grab().toImage();
        QImageWriter writer(shotPath, "png");
        if (!writer.write(image)) {
            std::fprintf(stderr, "spooflens-gui: cannot write %s: %s\n", qPrintable(shotPath),
                         qPrintable(writer.errorString()));
            return 1;
        }
        std::fprintf(stderr, "spooflens-gui: wrote %s (%dx%d)\n", qPrintable(shotPath), image.width(), image.height());
        return 0;
    }

    QElapsedTimer clock;
    clock.start();
    MainWindow window(/*persistSettings=*/!shooting);
    if (shooting)
        window.resize(1400, 1200);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2 && wh[0].toInt() > 200 && wh[1].toInt() > 200)
            window.resize(wh[0].toInt(), wh[1].toInt());
    }
    if (parser.isSet(precision))
        window.analysis()->setPrecision(parser.value(precision));
    if (parser.isSet(overlay))
        window.setOverlayVisible(true);
    if (parser.isSet(labels))
        window.openLabels(parser.value(labels), /*everyFile=*/true);
    if (parser.isSet(corpus)) {
        const QString error = window.openCorpus(parser.value(corpus));
        if (!error.isEmpty()) {
            std::fprintf(stderr, "spooflens-gui: --corpus: %s\n", qPrintable(error));
            return 1;
        }
    }
    if (parser.isSet(detector)) {
        window.setMethods(parser.values(method));  // checked above
        window.openModels(parser.value(detector), parser.value(detectorConfig), parser.values(xai));
    }
    if (!files.isEmpty()) {
        window.openAudio(files.front());
        if (!parser.isSet(detector))
            window.restoreModels();
    } else if (parser.isSet(corpus)) {
        window.openNextFile(+1);
        if (!parser.isSet(detector))
            window.restoreModels();
    } else if (!parser.isSet(detector)) {
        window.openDemo();
    }
    // The training panel (a dock of the window, Training menu) opens with --attach.
    if (parser.isSet(attach)) {
        window.trainingDock()->setVisible(true);
        window.trainingDock()->raise();
        QString error;
        if (!window.trainingPanel()->attachRun(parser.value(attach), &error)) {
            std::fprintf(stderr, "spooflens-gui: %s\n", qPrintable(error));
            return 1;
        }
    }
    double viewStart = 0, viewEnd = 0;
    if (parser.isSet(view)) {
        const QStringList se = parser.value(view).split(QLatin1Char(':'));
        bool ok1 = false, ok2 = false;
        if (se.size() == 2) {
            viewStart = se[0].toDouble(&ok1);
            viewEnd = se[1].toDouble(&ok2);
        }
        if (!ok1 || !ok2 || !(viewEnd > viewStart)) {
            std::fprintf(stderr, "spooflens-gui: --view needs START:END in seconds with END > START\n");
            return 2;
        }
    }
    bool viewPending = parser.isSet(view);
    // The view is applied once the audio is in (the file sets the time axis).
    QObject::connect(&window, &MainWindow::audioShown, &window, [&] {
        if (viewPending) {
            viewPending = false;
            window.timeline()->setView(viewStart, viewEnd);
        }
    });
    if (shooting) {
        // Timings of a screenshot run (bench/bench_gui_open.sh): when the waveform,
        // the loaded detector and the explanation arrived.
        QObject::connect(&window, &MainWindow::audioShown, &window, [&clock] {
            std::fprintf(stderr, "spooflens-gui: audio shown %lld ms after start\n", static_cast<long long>(clock.elapsed()));
        });
        QObject::connect(window.analysis(), &spooflens::ui::AnalysisController::modelsChanged, &window, [&clock] {
            std::fprintf(stderr, "spooflens-gui: models loaded %lld ms after start\n", static_cast<long long>(clock.elapsed()));
        });
        // The analysis streams: first the detector and Stage 2, then each explainer.
        QObject::connect(window.analysis(), &spooflens::ui::AnalysisController::explanationReady, &window,
                         [&clock, &window](const spooflens::core::Explanation& e) {
                             if (e.attributions.empty())
                                 std::fprintf(stderr, "spooflens-gui: explanation ready %lld ms after start\n",
                                              static_cast<long long>(clock.elapsed()));
                             else
                                 std::fprintf(stderr, "spooflens-gui: explainers ready: %zu of %zu, %lld ms after start\n",
                                              e.attributions.size(), window.analysis()->methods().size(),
                                              static_cast<long long>(clock.elapsed()));
                         });
    }
    window.show();
    if (!shooting)
        return app.exec();

    // Screenshot mode: wait until loading, inference and spectrogram are all
    // done (idle for a few consecutive checks), then grab the window.
    int idleChecks = 0;
    int exitCode = 0;
    qsizetype nextFile = 1;  // screenshot mode opens the other files in turn
    QElapsedTimer sinceOpen;
    qint64 firstIdle = 0, firstIdleSinceOpen = 0;
    QTimer poll;
    poll.setInterval(50);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (clock.elapsed() > 600000) {
            std::fprintf(stderr, "spooflens-gui: gave up waiting for the computations after 600 s\n");
            exitCode = 1;
            app.quit();
            return;
        }
        idleChecks = window.isIdle() ? idleChecks + 1 : 0;
        if (idleChecks == 1) {
            firstIdle = clock.elapsed();
            firstIdleSinceOpen = sinceOpen.isValid() ? sinceOpen.elapsed() : 0;
        }
        if (idleChecks < 3)
            return;
        // The times are those of the first of the idle checks (the other two
        // only confirm it).
        if (nextFile == 1)
            std::fprintf(stderr, "spooflens-gui: everything computed and drawn %lld ms after start\n",
                         static_cast<long long>(firstIdle));
        else
            std::fprintf(stderr, "spooflens-gui: file %lld: everything computed and drawn %lld ms after opening\n",
                         static_cast<long long>(nextFile), static_cast<long long>(firstIdleSinceOpen));
        if (nextFile < files.size()) {
            // The next file with the detector and Stage 2 modules kept loaded.
            idleChecks = 0;
            sinceOpen.start();
            const qsizetype n = nextFile + 1;
            auto once = std::make_shared<QMetaObject::Connection>();
            *once = QObject::connect(&window, &MainWindow::audioShown, &window, [once, n, &sinceOpen] {
                std::fprintf(stderr, "spooflens-gui: file %lld: audio shown %lld ms after opening\n",
                             static_cast<long long>(n), static_cast<long long>(sinceOpen.elapsed()));
                QObject::disconnect(*once);
            });
            window.openAudio(files.at(nextFile++));
            return;
        }
        poll.stop();
        for (auto* t : window.tracks())
            t->replot(QCustomPlot::rpImmediateRefresh);
        const QImage image = window.grab().toImage();
        QImageWriter writer(shotPath, "png");
        if (!writer.write(image)) {
            std::fprintf(stderr, "spooflens-gui: cannot write %s: %s\n", qPrintable(shotPath),
                         qPrintable(writer.errorString()));
            exitCode = 1;
        } else {
            std::fprintf(stderr, "spooflens-gui: wrote %s (%dx%d)\n", qPrintable(shotPath), image.width(), image.height());
        }
        // A --xai file that exists but did not load (not a Stage 2 checkpoint,
        // another detector's shape) fails the run as a bad --detector does.
        const QStringList loaded = [&window] {
            QStringList l;
            for (const auto& info : window.analysis()->models().stage2)
                l << QFileInfo(QString::fromStdString(info.path)).absoluteFilePath();
            return l;
        }();
        for (const QString& x : parser.values(xai))
            if (!loaded.contains(QFileInfo(x).absoluteFilePath())) {
                std::fprintf(stderr, "spooflens-gui: error: --xai %s: not loaded (see the warning below)\n",
                             qPrintable(x));
                exitCode = 1;
            }
        for (const QString& e : window.errorMessages()) {
            std::fprintf(stderr, "spooflens-gui: error: %s\n", qPrintable(e));
            exitCode = 1;
        }
        for (const QString& w : window.warningMessages())
            std::fprintf(stderr, "spooflens-gui: warning: %s\n", qPrintable(w));
        app.quit();
    });
    poll.start();
    app.exec();
    return exitCode;
}
