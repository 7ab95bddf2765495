// spooflens-gui: wiring only.
//   spooflens-gui [--attach RUN_DIR] [--screenshot OUT.png]
// --attach opens the training panel on a run folder (finished or running);
// with --screenshot it renders the panel, charts filled, to OUT.png and exits
// (0 on success, 1 with a message for a folder that is not a run).
#include "ui/training/RunMonitor.h"
#include "ui/training/TrainingCharts.h"
#include "ui/training/TrainingPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QImageWriter>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv)
{
    // A screenshot needs no display: render offscreen unless told otherwise.
    for (int i = 1; i < argc; ++i)
        if (QByteArray(argv[i]) == "--screenshot" && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName("spooflens-gui");
    QCommandLineParser parser;
    parser.setApplicationDescription("SpoofLens: explain audio deepfake detectors");
    parser.addHelpOption();
    const QCommandLineOption attachOpt("attach", "Open the training panel on a run folder.", "RUN_DIR");
    const QCommandLineOption shotOpt("screenshot", "Render to OUT.png and exit.", "OUT.png");
    parser.addOption(attachOpt);
    parser.addOption(shotOpt);
    parser.process(app);

    if (!parser.isSet(attachOpt)) {
        if (parser.isSet(shotOpt)) {
            std::fprintf(stderr, "spooflens-gui: --screenshot needs --attach RUN_DIR\n");
            return 2;
        }
        return 0;
    }

    spooflens::ui::TrainingPanel panel;
    panel.setWindowTitle("SpoofLens \u2014 training");
    panel.resize(1600, 900);
    QString error;
    if (!panel.attachRun(parser.value(attachOpt), &error)) {
        std::fprintf(stderr, "spooflens-gui: %s\n", qPrintable(error));
        return 1;
    }
    if (!parser.isSet(shotOpt)) {
        panel.show();
        return app.exec();
    }
    const QString out = parser.value(shotOpt);
    panel.show();
    QApplication::processEvents();
    panel.charts()->replotNow();
    QApplication::processEvents();
    const QPixmap pm = panel.grab();
    QImageWriter writer(out);
    if (!writer.write(pm.toImage())) {
        std::fprintf(stderr, "spooflens-gui: cannot write %s: %s\n", qPrintable(out), qPrintable(writer.errorString()));
        return 1;
    }
    return 0;
}
