// MainWindow: the menu bar, its actions and shortcuts, the status bar, playback keys.
#include "ui/MainWindow.h"

#include "ui/Document.h"
#include "ui/TimelineController.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/playback/AudioPlayer.h"
#include "ui/tracks/SpectrogramTrack.h"

#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>

namespace spooflens::ui {
namespace {

struct GradientName {
    const char* name;
    QCPColorGradient::GradientPreset preset;
};
const GradientName kGradients[] = {
    {"Thermal", QCPColorGradient::gpThermal}, {"Grayscale", QCPColorGradient::gpGrayscale},
    {"Hot", QCPColorGradient::gpHot},         {"Night", QCPColorGradient::gpNight},
    {"Jet", QCPColorGradient::gpJet},         {"Spectrum", QCPColorGradient::gpSpectrum},
    {"Ion", QCPColorGradient::gpIon},         {"Polar", QCPColorGradient::gpPolar},
};

} // namespace

void MainWindow::buildMenus()
{
    auto action = [this](QMenu* menu, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = menu->addAction(text);
        if (!key.isEmpty())
            a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu* file = menuBar()->addMenu(QStringLiteral("&File"));
    action(file, QStringLiteral("&Open audio…"), QKeySequence::Open, [this] { openAudioDialog(); });
    m_recentMenu = file->addMenu(QStringLiteral("Open &recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    file->addSeparator();
    action(file, QStringLiteral("Open &detector checkpoint…"), QKeySequence(QStringLiteral("Ctrl+D")),
           [this] { openDetectorDialog(); });
    action(file, QStringLiteral("Open detector with &configuration…"), QKeySequence(),
           [this] { openDetectorWithConfigDialog(); });
    action(file, QStringLiteral("Add &Stage 2 checkpoints…"), QKeySequence(QStringLiteral("Ctrl+Shift+O")),
           [this] { addStage2Dialog(); });
    action(file, QStringLiteral("Remove all Stage 2 modules"), QKeySequence(), [this] {
        if (m_models.hasDetector)
            m_analysis->setStage2({});
    });
    action(file, QStringLiteral("Open &labels (ground truth)…"), QKeySequence(QStringLiteral("Ctrl+L")),
           [this] { openLabelsDialog(); });
    action(file, QStringLiteral("Open the &demo"), QKeySequence(), [this] { openDemo(); });
    file->addSeparator();
    action(file, QStringLiteral("Open &corpus: a protocol…"), QKeySequence(QStringLiteral("Ctrl+Shift+P")),
           [this] { openCorpusDialog(false); });
    action(file, QStringLiteral("Open corpus: a folder or an &evaluate folder…"), QKeySequence(QStringLiteral("Ctrl+Shift+F")),
           [this] { openCorpusDialog(true); });
    action(file, QStringLiteral("&Next file of the corpus"), QKeySequence(Qt::Key_PageDown), [this] { openNextFile(+1); })
        ->setShortcuts({QKeySequence(Qt::Key_PageDown), QKeySequence(QStringLiteral("N"))});
    action(file, QStringLiteral("Pre&vious file of the corpus"), QKeySequence(Qt::Key_PageUp), [this] { openNextFile(-1); })
        ->setShortcuts({QKeySequence(Qt::Key_PageUp), QKeySequence(QStringLiteral("Shift+N"))});
    file->addSeparator();
    QMenu* exp = file->addMenu(QStringLiteral("&Export"));
    action(exp, QStringLiteral("View as PNG…"), QKeySequence(QStringLiteral("Ctrl+E")),
           [this] { exportDialog(QStringLiteral("PNG image (*.png)"), QStringLiteral("png")); });
    action(exp, QStringLiteral("View as SVG…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("SVG image (*.svg)"), QStringLiteral("svg")); });
    action(exp, QStringLiteral("View as PDF…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("PDF document (*.pdf)"), QStringLiteral("pdf")); });
    action(exp, QStringLiteral("Frame tracks as CSV…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("CSV (*.csv)"), QStringLiteral("csv")); });
    action(exp, QStringLiteral("Regions above threshold as Audacity labels (a file per row)…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("Audacity labels (*.txt)"), QStringLiteral("txt")); });
    action(exp, QStringLiteral("Explanation as JSON…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("JSON (*.json)"), QStringLiteral("json")); });
    file->addSeparator();
    action(file, QStringLiteral("&Quit"), QKeySequence::Quit, [this] { close(); });

    QMenu* view = menuBar()->addMenu(QStringLiteral("&View"));
    action(view, QStringLiteral("&Fit whole file"), QKeySequence(QStringLiteral("F")), [this] { m_timeline->fit(); });
    // "+" is Shift+= on most layouts: "=" and the standard Ctrl++ / Ctrl+- work too,
    // also while a table or a text field has the keyboard focus.
    action(view, QStringLiteral("Zoom &in"), QKeySequence(QStringLiteral("+")), [this] { m_timeline->zoomIn(); })
        ->setShortcuts({QKeySequence(QStringLiteral("+")), QKeySequence(QStringLiteral("=")), QKeySequence::ZoomIn});
    action(view, QStringLiteral("Zoom &out"), QKeySequence(QStringLiteral("-")), [this] { m_timeline->zoomOut(); })
        ->setShortcuts({QKeySequence(QStringLiteral("-")), QKeySequence::ZoomOut});
    action(view, QStringLiteral("Zoom to &selection"), QKeySequence(QStringLiteral("Z")),
           [this] { m_timeline->zoomToSelection(); });
    action(view, QStringLiteral("Pan left"), QKeySequence(Qt::Key_Left), [this] { m_timeline->pan(-0.25); });
    action(view, QStringLiteral("Pan right"), QKeySequence(Qt::Key_Right), [this] { m_timeline->pan(0.25); });
    action(view, QStringLiteral("Clear selection"), QKeySequence(QStringLiteral("Shift+Esc")),
           [this] { m_timeline->clearSelection(); });
    m_followAction = action(view, QStringLiteral("Follow &playhead"), QKeySequence(QStringLiteral("Ctrl+F")),
                            [this](bool on) { m_timeline->setFollowPlayhead(on); });
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    view->addSeparator();
    action(view, QStringLiteral("Spectrogram settings…"), QKeySequence(), [this] { spectrogramDialog(); });
    QMenu* maps = view->addMenu(QStringLiteral("Spectrogram colour map"));
    for (const auto& g : kGradients) {
        const auto preset = g.preset;
        action(maps, QString::fromLatin1(g.name), QKeySequence(), [this, preset] {
            m_spectrogram->setGradient(preset);
            saveSettings();
        });
    }

    view->addSeparator();
    m_overlayAction = action(view, QStringLiteral("&Overlay view (rows shown, normalised, over the ground truth)"),
                             QKeySequence(QStringLiteral("O")), [this](bool on) { setOverlayVisible(on); });
    m_overlayAction->setCheckable(true);
    QMenu* panels = view->addMenu(QStringLiteral("&Panels"));
    for (QDockWidget* d : {m_compareDock, m_summaryDock, m_trainingDock, m_corpusDock})
        panels->addAction(d->toggleViewAction());

    QMenu* play = menuBar()->addMenu(QStringLiteral("&Playback"));
    action(play, QStringLiteral("Play / pause"), QKeySequence(Qt::Key_Space), [this] { togglePlay(); });
    action(play, QStringLiteral("Play selection"), QKeySequence(QStringLiteral("P")), [this] { playSelection(); });
    action(play, QStringLiteral("Stop"), QKeySequence(QStringLiteral("S")), [this] {
        m_player->stop();
        m_timeline->setPlayhead(0);
    });
    action(play, QStringLiteral("Go to start"), QKeySequence(Qt::Key_Home), [this] { seek(0); });
    m_loopAction = action(play, QStringLiteral("&Loop"), QKeySequence(QStringLiteral("L")),
                          [this](bool on) { m_player->setLoop(on); });
    m_loopAction->setCheckable(true);

    QMenu* analysis = menuBar()->addMenu(QStringLiteral("&Analysis"));
    action(analysis, QStringLiteral("Cancel running analysis"), QKeySequence(Qt::Key_Escape),
           [this] { cancelAnalysis(); });
    action(analysis, QStringLiteral("&Re-run analysis"), QKeySequence(QStringLiteral("Ctrl+R")),
           [this] {
               m_cancelNote.clear();
               m_analysis->rerun();
           });
    action(analysis, QStringLiteral("&Explainers…"), QKeySequence(QStringLiteral("Ctrl+Shift+E")),
           [this] { explainersDialog(); });
    action(analysis, QStringLiteral("Importance threshold…"), QKeySequence(QStringLiteral("T")),
           [this] { importanceThresholdDialog(); });
    action(analysis, QStringLiteral("Detector score threshold…"), QKeySequence(),
           [this] { scoreThresholdDialog(); });
    // bf16 detector (docs/precision.md): several times faster on CPU, h(t) within its stated tolerance.
    QAction* bf16 = action(analysis, QStringLiteral("Fast detector (bf16)"), QKeySequence(), [this](bool on) {
        m_analysis->setPrecision(on ? QStringLiteral("bf16") : QStringLiteral("fp32"));
        if (m_persist)
            QSettings().setValue(QStringLiteral("models/precision"), m_analysis->precision());
    });
    bf16->setCheckable(true);
    connect(m_analysis, &AnalysisController::precisionChanged, bf16, [bf16](const QString& p) {
        const QSignalBlocker block(bf16);
        bf16->setChecked(p == QLatin1String("bf16"));
    });
    if (m_persist && QSettings().value(QStringLiteral("models/precision")).toString() == QLatin1String("bf16"))
        m_analysis->setPrecision(QStringLiteral("bf16"));

    menuBar()->addMenu(QStringLiteral("&Training"))->addAction(m_trainingDock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(QStringLiteral("&Help"));
    action(help, QStringLiteral("Keyboard and mouse"), QKeySequence::HelpContents, [this] { showShortcuts(); });
}

void MainWindow::buildStatusBar()
{
    m_statusStage = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(220);
    m_progress->setRange(0, 0);
    m_progress->setVisible(false);
    m_cancel = new QPushButton(QStringLiteral("Cancel"), this);
    m_cancel->setFocusPolicy(Qt::NoFocus);
    m_cancel->setVisible(false);
    connect(m_cancel, &QPushButton::clicked, this, [this] { cancelAnalysis(); });
    m_playbackStatus = new QLabel(this);
    statusBar()->addWidget(m_statusStage, 1);
    statusBar()->addWidget(m_progress);
    statusBar()->addWidget(m_cancel);
    statusBar()->addPermanentWidget(m_playbackStatus);
}

void MainWindow::showShortcuts()
{
    QMessageBox::information(
        this, QStringLiteral("Keyboard and mouse"),
        QStringLiteral("Wheel: zoom around the pointer · Shift+wheel: pan\n"
                       "Drag: pan · Shift+drag or right drag: select · Click: seek · Double click: fit\n"
                       "F fit · + / − zoom · Z zoom to selection · ← → pan\n"
                       "Space play/pause · P play selection · L loop · S stop · Home start · Ctrl+F follow playhead\n"
                       "T importance threshold · Esc cancel analysis\n"
                       "Page Down / N next file of the corpus · Page Up / Shift+N previous file"));
}

QString MainWindow::playbackProblem() const
{
    // Without a device the player's error already says so ("audio playback
    // unavailable: ..."); otherwise it says what went wrong with a stream.
    QString e = m_player->errorString();
    if (e.isEmpty())
        return QStringLiteral("Playback failed");
    if (m_player->isAvailable())
        return QStringLiteral("Playback failed: ") + e;
    e[0] = e[0].toUpper();
    return e;
}

void MainWindow::togglePlay()
{
    if (!m_doc->audio())
        return;
    if (m_player->state() == AudioPlayer::State::Playing)
        m_player->pause();
    else if (!m_player->play())
        showWarning(playbackProblem());
    updatePlaybackStatus();
}

void MainWindow::playSelection()
{
    if (!m_doc->audio() || !m_timeline->hasSelection())
        return;
    if (!m_player->playRegion(m_timeline->selectionStart(), m_timeline->selectionEnd()))
        showWarning(playbackProblem());
    updatePlaybackStatus();
}

void MainWindow::seek(double seconds)
{
    m_player->seek(seconds);
    m_timeline->setPlayhead(seconds);
}

} // namespace spooflens::ui
