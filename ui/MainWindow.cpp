#include "ui/MainWindow.h"

#include "ui/Demo.h"
#include "ui/Document.h"
#include "ui/TimelineController.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/analysis/GroundTruthLoader.h"
#include "ui/compare/CompareRow.h"
#include "ui/compare/ComparePanel.h"
#include "ui/compare/ExplainerSummary.h"
#include "ui/export/Exporter.h"
#include "ui/playback/AudioPlayer.h"
#include "ui/tracks/GroundTruthTrack.h"
#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/ScoreTrack.h"
#include "ui/tracks/SimilarityTrack.h"
#include "ui/tracks/SpectrogramTrack.h"
#include "ui/tracks/TimeRulerTrack.h"
#include "ui/tracks/WaveformTrack.h"
#include "ui/training/TrainingPanel.h"
#include "ui/widgets/ElidedLabel.h"

#include "core/audio/FrameGrid.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QScopedValueRollback>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTextDocument>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {
namespace {

constexpr int kMaxRecent = 10;

const QStringList kAudioSuffixes = {QStringLiteral("wav"),  QStringLiteral("flac"), QStringLiteral("ogg"),
                                    QStringLiteral("oga"),  QStringLiteral("opus"), QStringLiteral("mp3"),
                                    QStringLiteral("aiff"), QStringLiteral("aif"),  QStringLiteral("au")};

QString audioFilter()
{
    return QStringLiteral("Audio (*.wav *.flac *.ogg *.oga *.opus *.mp3 *.aiff *.aif *.au);;All files (*)");
}

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

MainWindow::MainWindow(bool persistSettings, QWidget* parent) : QMainWindow(parent), m_persist(persistSettings)
{
    setWindowTitle(QStringLiteral("SpoofLens"));
    setAcceptDrops(true);
    m_doc = new Document(this);
    m_timeline = new TimelineController(this);
    m_analysis = new AnalysisController(this);
    m_player = new AudioPlayer(this);

    auto* central = new QWidget(this);
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(4, 4, 4, 2);
    v->setSpacing(3);

    m_banner = new QLabel(central);
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #e8f0fb; border: 1px solid #9bb4d8; "
                                           "padding: 4px; }"));
    m_banner->setVisible(false);
    v->addWidget(m_banner);

    auto* messageRow = new QWidget(central);
    auto* mh = new QHBoxLayout(messageRow);
    mh->setContentsMargins(0, 0, 0, 0);
    m_message = new QLabel(messageRow);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::RichText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mh->addWidget(m_message, 1);
    m_messageClose = new QPushButton(QStringLiteral("Dismiss"), messageRow);
    m_messageClose->setFocusPolicy(Qt::NoFocus);
    mh->addWidget(m_messageClose);
    messageRow->setVisible(false);
    connect(m_messageClose, &QPushButton::clicked, this, [this] {
        m_messageLines.clear();
        showMessageLines();
    });
    v->addWidget(messageRow);

    m_info = new QLabel(central);
    m_info->setTextFormat(Qt::RichText);
    m_info->setWordWrap(true);
    v->addWidget(m_info);
    m_readout = new ElidedLabel(central);
    m_readout->setObjectName(QStringLiteral("pointerReadout"));
    {
        QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        m_readout->setFont(mono);
        QPalette rp = m_readout->palette();
        rp.setColor(QPalette::WindowText, QColor(0x33, 0x33, 0x33));
        m_readout->setPalette(rp);
    }
    v->addWidget(m_readout);

    // Pinned above the scrolling rows (issue 26): a time ruler and the ground
    // truth, so where one is and what is spoofed stay in view after zooming
    // and scrolling.
    m_pinned = new QWidget(central);
    m_pinned->setAutoFillBackground(true);
    QPalette pal = m_pinned->palette();
    pal.setColor(QPalette::Window, Qt::white);
    m_pinned->setPalette(pal);
    auto* pinned = new QVBoxLayout(m_pinned);
    pinned->setSpacing(1);
    m_ruler = new TimeRulerTrack(m_pinned);
    m_truth = new GroundTruthTrack(m_pinned);
    m_truth->setMinimumHeight(m_truth->preferredHeight());
    m_truth->setMaximumHeight(m_truth->preferredHeight());
    m_truth->setVisible(false);
    pinned->addWidget(m_ruler);
    pinned->addWidget(m_truth);
    m_timeline->addTrack(m_ruler);
    m_timeline->addTrack(m_truth);
    v->addWidget(m_pinned);

    m_panel = new QWidget;
    m_panel->setAutoFillBackground(true);
    m_panel->setPalette(pal);
    auto* pv = new QVBoxLayout(m_panel);
    pv->setContentsMargins(0, 0, 0, 0);
    pv->setSpacing(1);
    m_waveform = new WaveformTrack(m_panel);
    m_spectrogram = new SpectrogramTrack(m_panel);
    m_score = new ScoreTrack(m_panel);
    m_noStage2 = new QLabel(m_panel);
    m_noStage2->setWordWrap(true);
    m_noStage2->setContentsMargins(Track::kLeftMargin, 4, 4, 4);
    m_noStage2->setStyleSheet(QStringLiteral("QLabel { color: #555; }"));
    pv->addWidget(m_waveform, m_waveform->preferredHeight());
    pv->addWidget(m_spectrogram, m_spectrogram->preferredHeight());
    auto* rowsHolder = new QWidget(m_panel);
    m_rowsLayout = new QVBoxLayout(rowsHolder);
    m_rowsLayout->setContentsMargins(0, 0, 0, 0);
    m_rowsLayout->setSpacing(2);
    pv->addWidget(rowsHolder, 0);
    pv->addWidget(m_noStage2);
    pv->addWidget(m_score, m_score->preferredHeight());
    for (Track* t : {static_cast<Track*>(m_waveform), static_cast<Track*>(m_spectrogram), static_cast<Track*>(m_score)}) {
        // Small minimums: at 1024 x 700 an importance row fits beside them.
        t->setMinimumHeight(std::max(56, t->preferredHeight() / 2));
        m_timeline->addTrack(t);
    }
    m_score->setVisible(false);

    m_scroll = new QScrollArea(central);
    m_scroll->setWidget(m_panel);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    // The pinned tracks must put a time at the same x pixel as the scrolled
    // ones: the scroll bar is always there and the pinned strip leaves its width.
    m_scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    pinned->setContentsMargins(0, 0, m_scroll->verticalScrollBar()->sizeHint().width(), 0);
    v->addWidget(m_scroll, 1);
    setCentralWidget(central);

    // The tables and the deletion/insertion chart: docks below the tracks,
    // tabbed, movable and remembered (issue 26).
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
    m_compare = new ComparePanel(this);
    m_summary = new ExplainerSummary(this);
    m_compareDock = addPanelDock(QStringLiteral("Stage 2 modules"), QStringLiteral("stage2Dock"), m_compare);
    m_summaryDock = addPanelDock(QStringLiteral("Explainers"), QStringLiteral("explainersDock"), m_summary);
    tabifyDockWidget(m_compareDock, m_summaryDock);
    m_trainingDock = addPanelDock(QStringLiteral("Training"), QStringLiteral("trainingDock"), m_training = new TrainingPanel);
    tabifyDockWidget(m_summaryDock, m_trainingDock);
    for (QDockWidget* d : {m_compareDock, m_summaryDock, m_trainingDock})
        d->setVisible(false);
    connect(m_training, &TrainingPanel::openInViewerRequested, this,
            [this](const QString& checkpoint, const QString& detectorPath) {
                openModels(detectorPath, QString(), {checkpoint});
            });
    connect(m_training, &TrainingPanel::addToComparisonRequested, this,
            [this](const QString& checkpoint, const QString&) { addStage2({checkpoint}); });

    buildMenus();
    buildStatusBar();
    updateBottomAxis();
    updateInfoLine();
    updateReadout(std::nan(""));

    connect(m_analysis, &AnalysisController::audioReady, m_doc, &Document::setAudio);
    connect(m_analysis, &AnalysisController::audioReady, this, [this] {
        const auto stale = std::remove_if(m_messageLines.begin(), m_messageLines.end(),
                                          [this](const MessageLine& l) { return l.serial <= m_staleBefore; });
        if (stale != m_messageLines.end()) {
            m_messageLines.erase(stale, m_messageLines.end());
            showMessageLines();
        }
    });
    connect(m_analysis, &AnalysisController::modelsChanged, this, &MainWindow::onModels);
    connect(m_analysis, &AnalysisController::explanationReady, m_doc, &Document::setExplanation);
    connect(m_doc, &Document::audioChanged, this, &MainWindow::onAudio);
    connect(m_doc, &Document::rowsChanged, this, &MainWindow::syncRowWidgets);
    connect(m_doc, &Document::explanationChanged, this, &MainWindow::onExplanation);
    connect(m_doc, &Document::groundTruthChanged, this, &MainWindow::onGroundTruth);
    connect(m_analysis, &AnalysisController::error, this, &MainWindow::showError);
    connect(m_analysis, &AnalysisController::warning, this, &MainWindow::showWarning);
    connect(m_analysis, &AnalysisController::progress, this, [this](const QString& stage, double f) {
        m_statusStage->setText(stage);
        m_progress->setRange(0, f > 0 ? 1000 : 0);
        m_progress->setValue(int(f * 1000));
    });
    connect(m_analysis, &AnalysisController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
        if (!busy) {
            m_statusStage->setText(!m_cancelNote.isEmpty() ? m_cancelNote
                                   : m_doc->explanation()  ? QStringLiteral("Ready")
                                                           : QString());
            m_cancelNote.clear();
        }
    });

    connect(m_timeline, &TimelineController::crosshairMoved, this, &MainWindow::updateReadout);
    connect(m_timeline, &TimelineController::seekRequested, this, &MainWindow::seek);
    connect(m_player, &AudioPlayer::positionChanged, m_timeline, &TimelineController::setPlayhead);
    connect(m_player, &AudioPlayer::stateChanged, this, [this] { updatePlaybackStatus(); });
    connect(m_player, &AudioPlayer::errorOccurred, this, [this](const QString& msg) {
        showWarning(QStringLiteral("Playback: %1").arg(msg));
    });

    resize(1400, 950);
    loadViewSettings();
    updatePlaybackStatus();
}

MainWindow::~MainWindow()
{
    saveSettings();
}

// ---------------------------------------------------------------- menus

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
    QMenu* panels = view->addMenu(QStringLiteral("&Panels"));
    for (QDockWidget* d : {m_compareDock, m_summaryDock, m_trainingDock})
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
                       "T importance threshold · Esc cancel analysis"));
}

// ---------------------------------------------------------------- loading

void MainWindow::cancelAnalysis()
{
    if (!m_analysis->isBusy())
        return;
    m_analysis->cancel();
    // What was shown stays (the explanation streams in: score and Stage 2
    // first, then each explainer); the status says what is there.
    const core::Explanation* e = m_doc->explanation();
    const size_t wanted = m_analysis->methods().size();
    size_t done = 0;
    if (e)
        for (const auto m : m_analysis->methods())
            done += std::any_of(e->attributions.begin(), e->attributions.end(),
                                [&](const core::Attribution& a) { return a.method == core::methodName(m); });
    m_cancelNote = !e ? QStringLiteral("Cancelled before the detector finished: nothing to keep (Analysis \u25b8 "
                                       "Re-run analysis, Ctrl+R)")
                      : QStringLiteral("Cancelled: the detector score, the Stage 2 tracks and %1 of %2 explainers "
                                       "are kept (Analysis \u25b8 Re-run analysis, Ctrl+R, computes the rest)")
                            .arg(done)
                            .arg(wanted);
    m_statusStage->setText(m_cancelNote);
}

void MainWindow::openAudio(const QString& path)
{
    m_cancelNote.clear();  // a new analysis: the last cancel is history
    // What was said about earlier files goes once this one's audio is in.
    m_staleBefore = m_messageSerial;
    // The demo's banner describes the demo utterance, not other files.
    if (m_banner->isVisible() && QFileInfo(path).absoluteFilePath() != QFileInfo(m_demoUtterance).absoluteFilePath())
        showBanner(QString());
    m_statusStage->setText(QStringLiteral("Loading %1").arg(QFileInfo(path).fileName()));
    m_analysis->openAudio(path);
}

void MainWindow::openModels(const QString& detector, const QString& detectorConfig, const QStringList& stage2)
{
    m_cancelNote.clear();
    m_analysis->openModels(detector, detectorConfig, stage2);
}

void MainWindow::addStage2(const QStringList& paths)
{
    if (!m_analysis->hasDetector()) {
        showError(QStringLiteral("Open a detector checkpoint first: a Stage 2 module explains a detector's "
                                 "embeddings (File ▸ Open detector checkpoint…)."));
        return;
    }
    QStringList all = m_analysis->stage2Paths();
    for (const QString& p : paths)
        if (!all.contains(p))
            all << p;
    m_analysis->setStage2(all);
}

void MainWindow::openDemo()
{
    const DemoAssets demo = findDemoAssets();
    m_demoUtterance = demo.complete ? demo.utterance : demo.fallbackAudio;
    showBanner(demoBannerText(demo));
    if (demo.complete) {
        // The demo shows the classic localisation baseline beside Stage 2, with
        // the chance line, unless explainers were chosen already.
        if (m_analysis->methods().empty()) {
            m_analysis->setMethods({core::AttributionMethod::Window, core::AttributionMethod::Random});
            m_demoWindowFirst = true;  // shown right under the ground truth (onExplanation)
        }
        openModels(demo.detector, QString(), demo.stage2);
        openAudio(demo.utterance);
    } else if (!demo.fallbackAudio.isEmpty()) {
        openAudio(demo.fallbackAudio);
    } else {
        showError(QStringLiteral("Neither the demo (%1) nor the source tree's test audio is available: "
                                 "open an audio file with File ▸ Open audio…")
                      .arg(demo.dir));
    }
}

bool MainWindow::restoreModels()
{
    if (!m_persist)
        return false;
    QSettings s;
    const QString det = s.value(QStringLiteral("models/detector")).toString();
    if (det.isEmpty() || !QFileInfo(det).isFile())
        return false;
    openModels(det, s.value(QStringLiteral("models/detectorConfig")).toString(),
               s.value(QStringLiteral("models/stage2")).toStringList());
    return true;
}

bool MainWindow::isIdle() const
{
    if (m_analysis->isBusy())
        return false;
    for (Track* t : tracks())
        if (t->isBusy())
            return false;
    return true;
}

QString MainWindow::bannerText() const
{
    return m_banner->isVisible() ? m_banner->text() : QString();
}

QList<Track*> MainWindow::tracks() const
{
    QList<Track*> out{m_truth, m_waveform, m_spectrogram};
    for (CompareRow* r : m_rows) {
        out << r->importance();
        if (r->similarity())
            out << r->similarity();
    }
    out << m_score;
    return out;
}

AudioPtr MainWindow::audio() const
{
    return m_doc->audio();
}

const core::Explanation* MainWindow::explanation() const
{
    return m_doc->explanation();
}

void MainWindow::onAudio()
{
    const AudioPtr audio = m_doc->audio();
    if (!audio)
        return;
    // A new file: the document has dropped the previous explanation.
    m_score->clear();
    m_score->setVisible(false);
    m_compare->clear();
    std::shared_ptr<const std::vector<float>> samples(audio, &audio->samples);
    m_timeline->setDuration(m_doc->durationSeconds());
    m_waveform->setSamples(samples, core::kSampleRate);
    m_spectrogram->setSamples(samples, core::kSampleRate);
    m_player->setAudio(audio->samples, core::kSampleRate);
    m_timeline->fit();
    setWindowTitle(QStringLiteral("SpoofLens — %1").arg(QFileInfo(m_doc->audioPath()).fileName()));
    rememberRecent(m_doc->audioPath());
    updateInfoLine();
    updateBottomAxis();
    updatePlaybackStatus();
    findGroundTruth();
    emit audioShown();
}

void MainWindow::findGroundTruth()
{
    // Labels for a new file: from the --labels / opened multi-utterance file
    // by utterance id, else an Audacity track next to the audio.
    const QString audioPath = m_doc->audioPath();
    const QString utterance = QFileInfo(audioPath).completeBaseName();
    const auto samples = int64_t(m_doc->audio()->samples.size());
    QString path = m_labelsFile;
    if (path.isEmpty())
        path = findLabelsNextTo(audioPath);
    if (path.isEmpty())
        return;
    try {
        m_doc->setGroundTruth(loadGroundTruth(path, utterance, samples));
    } catch (const std::exception& e) {
        // Labels asked for are an error; a file merely found next to the audio a warning.
        const QString msg = QStringLiteral("Ground truth not shown: %1").arg(QString::fromUtf8(e.what()));
        if (m_labelsFile.isEmpty())
            showWarning(msg);
        else
            showError(msg);
    }
}

QString MainWindow::openLabels(const QString& path, bool everyFile)
{
    if (everyFile)
        m_labelsFile = path;
    const AudioPtr audio = m_doc->audio();
    if (!audio)
        return {};  // applied when the audio is in
    try {
        m_doc->setGroundTruth(loadGroundTruth(path, QFileInfo(m_doc->audioPath()).completeBaseName(),
                                              int64_t(audio->samples.size())));
    } catch (const std::exception& e) {
        const QString msg = QString::fromUtf8(e.what());
        showError(msg);
        return msg;
    }
    return {};
}

void MainWindow::onGroundTruth()
{
    if (const GroundTruthView* truth = m_doc->groundTruth()) {
        m_truth->setGroundTruth(*truth);
        m_truth->setVisible(true);
    } else {
        m_truth->clear();
        m_truth->setVisible(false);
    }
    m_summary->update(*m_doc);  // localisation columns need the labels
    showPanel(m_summaryDock, !m_summary->isEmpty());
    updateBottomAxis();
}

void MainWindow::onModels(const ModelState& state)
{
    m_models = state;
    // Each family's own score threshold (XLS-R + TCM: tcm_add's -3.73; AASIST: the
    // authors publish none), unless the user set one.
    if (state.hasDetector && !state.detector.thresholdSource.empty()
        && m_score->thresholdOrigin() != QLatin1String("set by the user"))
        setScoreThreshold(state.detector.threshold, QString::fromStdString(state.detector.thresholdSource));
    m_doc->setStage2Modules(state.stage2);  // rows follow the loaded modules
    for (CompareRow* r : m_rows)
        if (r->kind() == RowKind::Stage2) {
            const int i = m_doc->rowIndex(r->key());
            r->setWarning(i >= 0 && m_doc->rows()[size_t(i)].detectorMismatch
                              ? QStringLiteral("⚠ trained on another detector (SHA-256 differs)")
                              : QString());
        }
    if (m_persist) {
        QSettings s;
        s.setValue(QStringLiteral("models/detector"), m_analysis->detectorPath());
        s.setValue(QStringLiteral("models/detectorConfig"), m_analysis->detectorConfigPath());
        s.setValue(QStringLiteral("models/stage2"), m_analysis->stage2Paths());
    }
    updateInfoLine();
    updateBottomAxis();
}

void MainWindow::syncRowWidgets()
{
    // One widget per document row, in the document's order.
    const auto& rows = m_doc->rows();
    auto inDocument = [&](const QString& key) { return m_doc->rowIndex(key) >= 0; };
    for (int i = m_rows.size() - 1; i >= 0; --i)
        if (!inDocument(m_rows[i]->key())) {
            CompareRow* r = m_rows.takeAt(i);
            m_timeline->removeTrack(r->importance());
            if (r->similarity())
                m_timeline->removeTrack(r->similarity());
            r->hide();
            r->deleteLater();
        }
    QList<CompareRow*> ordered;
    for (const RowInfo& info : rows) {
        CompareRow* row = nullptr;
        for (CompareRow* r : m_rows)
            if (r->key() == info.key)
                row = r;
        if (!row) {
            row = new CompareRow(info.key, info.label, m_panel, info.kind);
            if (info.kind == RowKind::Stage2)
                row->importance()->setThreshold(m_importanceThreshold, true);
            for (Track* t : {static_cast<Track*>(row->importance()), static_cast<Track*>(row->similarity())}) {
                if (!t)
                    continue;
                t->setMinimumHeight(std::max(64, int(t->preferredHeight() * 0.72)));
                m_timeline->addTrack(t);
            }
            connect(row, &CompareRow::moveUpRequested, this, [this, row] {
                const int i = m_rows.indexOf(row);
                moveRow(i, i - 1);
            });
            connect(row, &CompareRow::moveDownRequested, this, [this, row] {
                const int i = m_rows.indexOf(row);
                moveRow(i, i + 1);
            });
            connect(row, &CompareRow::removeRequested, this, [this, row] { removeRow(m_rows.indexOf(row)); });
            connect(row, &CompareRow::visibilityToggled, this, [this] { updateBottomAxis(); });
        }
        if (info.kind == RowKind::Stage2)
            row->setWarning(info.detectorMismatch ? QStringLiteral("⚠ trained on another detector (SHA-256 differs)")
                                                  : QString());
        ordered << row;
    }
    m_rows = ordered;
    for (CompareRow* r : m_rows)
        m_rowsLayout->removeWidget(r);
    for (CompareRow* r : m_rows)
        m_rowsLayout->addWidget(r);
    fillRows();
    updateBottomAxis();
}

void MainWindow::onExplanation()
{
    const core::Explanation* e = m_doc->explanation();
    if (e)
        m_score->setExplanation(*e, m_doc->durationSeconds());
    else
        m_score->clear();
    m_score->setVisible(e != nullptr);
    if (e && m_demoWindowFirst) {
        for (size_t i = 0; i < m_doc->rows().size(); ++i)
            if (m_doc->rows()[i].method == QLatin1String("window")) {
                m_demoWindowFirst = false;
                if (i > 0)
                    m_doc->moveRow(int(i), 0);
                break;
            }
    }
    fillRows();
    updateInfoLine();
    updateBottomAxis();
    if (e) {
        m_statusStage->setText(QStringLiteral("Ready"));
        emit explanationShown();
    }
}

void MainWindow::fillRows()
{
    const core::Explanation* e = m_doc->explanation();
    for (CompareRow* r : m_rows) {
        if (e)
            r->setFrameGrid(e->grid);
        if (r->kind() == RowKind::Stage2) {
            if (const core::Stage2Track* t = m_doc->stage2Track(r->key()))
                r->setData(*t);
            else
                r->clearData();
        } else if (const core::Attribution* a = m_doc->attribution(r->key())) {
            r->setAttribution(*a);
        } else {
            r->clearData();
        }
    }
    m_summary->update(*m_doc);
    showPanel(m_summaryDock, !m_summary->isEmpty());
    if (!m_doc->explanation()) {
        showPanel(m_compareDock, false);
        return;
    }
    const auto tracksInOrder = m_doc->stage2TracksInOrder();
    m_compare->setRows(tracksInOrder, m_doc->stage2Labels());
    showPanel(m_compareDock, !tracksInOrder.empty());
}

void MainWindow::moveRow(int from, int to)
{
    m_doc->moveRow(from, to);
}

void MainWindow::removeRow(int index)
{
    const std::optional<RowInfo> removed = m_doc->removeRow(index);
    if (removed && removed->kind == RowKind::Attribution) {
        // The method is no longer asked for once none of its rows is left
        // (nothing is recomputed for that).
        bool left = false;
        for (const RowInfo& r : m_doc->rows())
            left = left || r.method == removed->method;
        if (!left) {
            auto methods = m_analysis->methods();
            methods.erase(std::remove_if(methods.begin(), methods.end(),
                                         [&](core::AttributionMethod m) {
                                             return QString::fromStdString(core::methodName(m)) == removed->method;
                                         }),
                          methods.end());
            m_analysis->setMethods(methods, /*reexplain=*/false);
        }
    } else if (removed && removed->kind == RowKind::Stage2) {
        QStringList keep;
        for (const RowInfo& r : m_doc->rows())
            if (r.kind == RowKind::Stage2)
                keep << r.key;
        m_analysis->setStage2(keep);
    }
}

void MainWindow::setImportanceThreshold(double value)
{
    m_importanceThreshold = std::clamp(value, 0.0, 1.0);
    for (CompareRow* r : m_rows)
        if (r->kind() == RowKind::Stage2)
            r->importance()->setThreshold(m_importanceThreshold, true);
    saveSettings();
}

void MainWindow::setScoreThreshold(double value, const QString& origin)
{
    m_score->setThreshold(value, origin);
    updateInfoLine();
    saveSettings();
}

// ---------------------------------------------------------------- display

QDockWidget* MainWindow::addPanelDock(const QString& title, const QString& objectName, QWidget* content)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    // A table dock the user closes stays closed until reopened from View ▸ Panels.
    connect(dock, &QDockWidget::visibilityChanged, this, [this, dock](bool visible) {
        if (m_panelAutoToggle)
            return;
        if (visible)
            m_closedPanels.removeAll(dock->objectName());
        else if (dock->isHidden() && !m_closedPanels.contains(dock->objectName()))
            m_closedPanels << dock->objectName();
    });
    return dock;
}

void MainWindow::showPanel(QDockWidget* dock, bool hasContent)
{
    const QScopedValueRollback<bool> guard(m_panelAutoToggle, true);
    if (!hasContent) {
        dock->setVisible(false);
        return;
    }
    if (m_closedPanels.contains(dock->objectName()) || !dock->isHidden())
        return;
    dock->setVisible(true);
    if (!m_docksSized) {
        // First time on screen without a remembered layout: a quarter of the
        // window, so a table shows five to ten rows and the chart is readable
        // while the tracks keep most of the height.
        m_docksSized = true;
        resizeDocks({dock}, {m_dockHeight > 0 ? m_dockHeight : std::clamp(height() / 4, 160, 400)}, Qt::Vertical);
    }
}

void MainWindow::updateBottomAxis()
{
    Track* bottom = nullptr;
    for (Track* t : tracks())
        if (!t->isHidden())
            bottom = t;
    for (Track* t : tracks())
        t->setShowTimeLabels(t == bottom);
    if (!m_models.hasDetector)
        m_noStage2->setText(QStringLiteral("No detector loaded: open one with File ▸ Open detector checkpoint… "
                                           "(the tcm_add authors' avg_5_best.pth, AASIST.pth or AASIST-L.pth, or the demo's detector) to "
                                           "see the detector's score and, with Stage 2 modules, importance w(t) "
                                           "and prototype similarities."));
    else
        m_noStage2->setText(QStringLiteral("No Stage 2 module loaded: add one or more with File ▸ Add Stage 2 "
                                           "checkpoints… to see importance w(t) and prototype similarities."));
    m_noStage2->setVisible(m_rows.isEmpty());
}

void MainWindow::updateInfoLine()
{
    QStringList parts;
    if (const AudioPtr a = m_doc->audio()) {
        const core::Explanation* e = m_doc->explanation();
        const core::FrameGrid grid = e ? e->grid : core::FrameGrid::xlsr();
        parts << QStringLiteral("<b>%1</b> — %2, %3 Hz, %4 ch, %5 s, %6 frames of %7 ms")
                     .arg(QFileInfo(m_doc->audioPath()).fileName().toHtmlEscaped(),
                          QString::fromStdString(a->format).toHtmlEscaped())
                     .arg(a->sampleRateIn)
                     .arg(a->channelsIn)
                     .arg(a->durationSeconds, 0, 'f', 2)
                     .arg(a->frames(grid))
                     .arg(grid.hopSeconds() * 1000, 0, 'g', 4);
    } else {
        parts << QStringLiteral("No audio loaded: File ▸ Open audio…, drop a file here, or pass it on the command line.");
    }
    if (m_models.hasDetector) {
        const auto& d = m_models.detector;
        parts << QStringLiteral("Detector <b>%1</b> (%2, D=%3, SHA-256 %4…)")
                     .arg(QFileInfo(QString::fromStdString(d.checkpointPath)).fileName().toHtmlEscaped(),
                          QString::fromStdString(d.preset).toHtmlEscaped())
                     .arg(d.embedDim)
                     .arg(QString::fromStdString(d.sha256).left(12));
    }
    if (m_doc->explanation()) {
        const bool bona = m_score->verdict() == QLatin1String("bona fide");
        parts << QStringLiteral("<span style='color:%1'><b>%2</b></span>")
                     .arg(bona ? QStringLiteral("#116611") : QStringLiteral("#aa1111"), m_score->summaryText().toHtmlEscaped());
    }
    m_info->setText(parts.join(QStringLiteral("<br>")));
}

void MainWindow::updateReadout(double seconds)
{
    if (std::isnan(seconds) || !m_doc->audio()) {
        m_readout->setText(QStringLiteral("Pointer: —   (wheel: zoom · drag: pan · shift+drag: select · click: seek · "
                                          "space: play/pause)"));
        return;
    }
    QStringList parts{QStringLiteral("t = %1 s").arg(seconds, 0, 'f', 3)};
    const core::Explanation* e = m_doc->explanation();
    const int64_t frame = e ? e->grid.frameAt(seconds) : -1;
    if (e && frame >= 0 && frame < e->frames)
        parts << QStringLiteral("frame %1").arg(frame);
    const QString wave = m_waveform->readout(seconds);
    if (!wave.isEmpty())
        parts << wave;
    const QString truth = m_truth->readout(seconds);
    if (!truth.isEmpty())
        parts << truth;
    for (CompareRow* r : m_rows) {
        const QString w = r->importance()->readout(seconds);
        const QString s = r->similarity() ? r->similarity()->readout(seconds) : QString();
        if (!w.isEmpty() || !s.isEmpty())
            parts << QStringLiteral("[%1] %2 %3").arg(r->label(), w, s);
    }
    const QString score = m_score->readout(seconds);
    if (!score.isEmpty())
        parts << score;
    m_readout->setText(parts.join(QStringLiteral("  │  ")));
}

void MainWindow::updatePlaybackStatus()
{
    if (!m_player->isAvailable()) {
        m_playbackStatus->setText(QStringLiteral("Playback unavailable: %1").arg(m_player->errorString()));
        return;
    }
    QString state;
    switch (m_player->state()) {
    case AudioPlayer::State::Playing: state = QStringLiteral("playing"); break;
    case AudioPlayer::State::Paused: state = QStringLiteral("paused"); break;
    case AudioPlayer::State::Stopped: state = QStringLiteral("stopped"); break;
    }
    m_playbackStatus->setText(QStringLiteral("Playback %1 · %2").arg(state, m_player->deviceDescription()));
}

void MainWindow::showBanner(const QString& html)
{
    m_banner->setText(html);
    m_banner->setVisible(!html.isEmpty());
}

void MainWindow::addMessageLine(const QString& html)
{
    // The same line again (a key pressed again, a second attempt) is not
    // stacked: it moves to the end as the newest.
    for (int i = 0; i < m_messageLines.size(); ++i)
        if (m_messageLines[i].html == html) {
            m_messageLines.removeAt(i);
            break;
        }
    m_messageLines.push_back({++m_messageSerial, html});
    while (m_messageLines.size() > 4)
        m_messageLines.removeFirst();
    showMessageLines();
}

void MainWindow::showMessageLines()
{
    QStringList lines;
    for (const MessageLine& l : m_messageLines)
        lines << l.html;
    m_message->setText(lines.join(QStringLiteral("<br>")));
    m_message->parentWidget()->setVisible(!lines.isEmpty());
}

QString MainWindow::statusText() const
{
    return m_statusStage->text();
}

QStringList MainWindow::shownMessages() const
{
    QStringList out;
    for (const MessageLine& l : m_messageLines) {
        QTextDocument d;
        d.setHtml(l.html);
        out << d.toPlainText();
    }
    return out;
}

void MainWindow::showError(const QString& message)
{
    m_errors << message;
    addMessageLine(QStringLiteral("<span style='color:#b00000'><b>Error:</b> %1</span>").arg(message.toHtmlEscaped()));
    m_statusStage->setText(QStringLiteral("Error"));
    emit messageShown(message);
}

void MainWindow::showWarning(const QString& message)
{
    m_warnings << message;
    addMessageLine(QStringLiteral("<span style='color:#a05000'><b>Warning:</b> %1</span>").arg(message.toHtmlEscaped()));
    emit messageShown(message);
}

// ---------------------------------------------------------------- playback

void MainWindow::togglePlay()
{
    if (!m_doc->audio())
        return;
    if (m_player->state() == AudioPlayer::State::Playing)
        m_player->pause();
    else if (!m_player->play())
        showWarning(QStringLiteral("Playback unavailable: %1").arg(m_player->errorString()));
    updatePlaybackStatus();
}

void MainWindow::playSelection()
{
    if (!m_doc->audio() || !m_timeline->hasSelection())
        return;
    if (!m_player->playRegion(m_timeline->selectionStart(), m_timeline->selectionEnd()))
        showWarning(QStringLiteral("Playback unavailable: %1").arg(m_player->errorString()));
    updatePlaybackStatus();
}

void MainWindow::seek(double seconds)
{
    m_player->seek(seconds);
    m_timeline->setPlayhead(seconds);
}

// ---------------------------------------------------------------- dialogs

static QString lastDir()
{
    return QSettings().value(QStringLiteral("paths/lastDir")).toString();
}

static void setLastDir(const QString& file)
{
    QSettings().setValue(QStringLiteral("paths/lastDir"), QFileInfo(file).absolutePath());
}

void MainWindow::openAudioDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open audio"), lastDir(), audioFilter());
    if (path.isEmpty())
        return;
    setLastDir(path);
    openAudio(path);
}

void MainWindow::openLabelsDialog()
{
    const QString path = QFileDialog::getOpenFileName(
        this, QStringLiteral("Open labels (ground truth)"), lastDir(),
        QStringLiteral("Labels (*.txt *.lab *.npy *.csv *.tsv);;All files (*)"));
    if (path.isEmpty())
        return;
    setLastDir(path);
    // A file of many utterances (PartialSpoof .npy, CSV) also serves the next files opened.
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool many = suffix == QLatin1String("npy") || suffix == QLatin1String("csv") || suffix == QLatin1String("tsv");
    openLabels(path, many);
}

void MainWindow::setMethods(const QStringList& names)
{
    m_cancelNote.clear();
    std::vector<core::AttributionMethod> methods;
    for (const QString& n : names) {
        const core::AttributionMethod m = core::parseMethod(n.trimmed().toStdString());
        if (std::find(methods.begin(), methods.end(), m) == methods.end())
            methods.push_back(m);
    }
    m_analysis->setMethods(methods);
}

QStringList MainWindow::methods() const
{
    QStringList out;
    for (core::AttributionMethod m : m_analysis->methods())
        out << QString::fromStdString(core::methodName(m));
    return out;
}

void MainWindow::explainersDialog()
{
    QDialog dlg(this);
    dlg.setWindowTitle(QStringLiteral("Explainers"));
    auto* form = new QVBoxLayout(&dlg);
    auto* intro = new QLabel(QStringLiteral("Each explainer gives one value per frame of the detector (XLS-R 20 ms, AASIST 136.7 ms), higher = more evidence "
                                            "that the frame is spoofed (explained: the detector's spoof margin "
                                            "logit[0] − logit[1]). Each becomes a row; the table below the tracks "
                                            "shows its deletion/insertion AUC."),
                             &dlg);
    intro->setWordWrap(true);
    form->addWidget(intro);
    const QStringList chosen = methods();
    QList<QCheckBox*> boxes;
    for (core::AttributionMethod m : core::allMethods()) {
        const QString name = QString::fromStdString(core::methodName(m));
        auto* box = new QCheckBox(name, &dlg);
        box->setChecked(chosen.contains(name));
        if (core::methodNeedsStage2(m))
            box->setToolTip(QStringLiteral("One row per loaded Stage 2 module"));
        boxes << box;
        form->addWidget(box);
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted)
        return;
    QStringList names;
    for (QCheckBox* b : boxes)
        if (b->isChecked())
            names << b->text();
    try {
        setMethods(names);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

static QString askDetectorCheckpoint(QWidget* parent)
{
    const QString ckpt = QFileDialog::getOpenFileName(
        parent, QStringLiteral("Open detector checkpoint (e.g. avg_5_best.pth)"), lastDir(),
        QStringLiteral("PyTorch checkpoints (*.pth *.pt);;All files (*)"));
    if (!ckpt.isEmpty())
        setLastDir(ckpt);
    return ckpt;
}

void MainWindow::openDetectorWithConfigDialog()
{
    const QString ckpt = askDetectorCheckpoint(this);
    if (ckpt.isEmpty())
        return;
    const QString config = QFileDialog::getOpenFileName(
        this, QStringLiteral("Detector configuration (YAML with backend.attention_heads, or the AASIST authors' JSON)"),
        QFileInfo(ckpt).absolutePath(), QStringLiteral("Configurations (*.yaml *.yml *.conf *.json);;All files (*)"));
    if (!config.isEmpty())
        openModels(ckpt, config, m_analysis->stage2Paths());
}

// No question about a configuration: the family and every shape come from the
// checkpoint's key table; only non-default XLS-R attention heads need one
// (File > Open detector with configuration...).
void MainWindow::openDetectorDialog()
{
    const QString ckpt = askDetectorCheckpoint(this);
    if (!ckpt.isEmpty())
        openModels(ckpt, QString(), m_analysis->stage2Paths());
}

void MainWindow::addStage2Dialog()
{
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, QStringLiteral("Add Stage 2 checkpoints"), lastDir(),
        QStringLiteral("PyTorch checkpoints (*.pth *.pt);;All files (*)"));
    if (paths.isEmpty())
        return;
    setLastDir(paths.front());
    addStage2(paths);
}

void MainWindow::exportDialog(const QString& filter, const QString& suffix)
{
    const QString audioPath = m_doc->audioPath();
    QString base = audioPath.isEmpty() ? QStringLiteral("spooflens") : QFileInfo(audioPath).completeBaseName();
    if (suffix == QLatin1String("txt"))
        base += QStringLiteral("_labels");
    const QString suggested = QDir(lastDir()).filePath(base + QLatin1Char('.') + suffix);
    QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export"), suggested, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    setLastDir(path);
    double dpi = 96;
    if (suffix == QLatin1String("png")) {
        bool ok = false;
        dpi = QInputDialog::getInt(this, QStringLiteral("PNG resolution"),
                                   QStringLiteral("Resolution in dots per inch (96 = as on screen, 300 for print):"),
                                   m_persist ? QSettings().value(QStringLiteral("export/dpi"), 300).toInt() : 300,
                                   int(kMinExportDpi), int(kMaxExportDpi), 1, &ok);
        if (!ok)
            return;
        if (m_persist)
            QSettings().setValue(QStringLiteral("export/dpi"), int(dpi));
    }
    QStringList written;
    const QString err = exportTo(path, dpi, &written);
    if (!err.isEmpty())
        showError(err);
    else if (written.size() == 1)
        m_statusStage->setText(QStringLiteral("Wrote %1").arg(path));
    else
        m_statusStage->setText(QStringLiteral("Wrote %1 label files (one per row): %2")
                                   .arg(written.size())
                                   .arg(QFileInfo(written.front()).fileName() + QStringLiteral(", …")));
}

QString MainWindow::exportTo(const QString& path, double dpi, QStringList* written)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png") || suffix == QLatin1String("svg") || suffix == QLatin1String("pdf")) {
        const QString err = exportView({m_truth, m_panel}, tracks(), path, dpi);
        if (err.isEmpty() && written)
            *written = QStringList{path};
        return err;
    }
    const std::optional<core::Explanation> shownOpt = m_doc->shownExplanation();
    if (!shownOpt)
        return QStringLiteral("Nothing to export yet: the explanation has not been computed (a detector and an "
                              "audio file are needed).");
    const core::Explanation& shown = *shownOpt;
    if (suffix == QLatin1String("csv") || suffix == QLatin1String("txt") || suffix == QLatin1String("labels")
        || suffix == QLatin1String("json")) {
        // The ground truth shown, when it is on the explanation's grid.
        std::optional<ExportTruth> truth;
        if (const GroundTruthView* g = m_doc->groundTruth();
            g && g->grid == shown.grid && int64_t(g->frameLabels.size()) == shown.frames) {
            truth.emplace();
            truth->frames.assign(g->frameLabels.begin(), g->frameLabels.end());
            truth->source = g->source;
        }
        return exportData(shown, m_importanceThreshold, path, truth ? &*truth : nullptr, written);
    }
    return tr("Unknown export format '.%1': use .png, .svg, .pdf, .csv, .txt (Audacity labels) or .json.")
        .arg(suffix);
}

void MainWindow::spectrogramDialog()
{
    QDialog dlg(this);
    dlg.setWindowTitle(QStringLiteral("Spectrogram"));
    auto* form = new QFormLayout(&dlg);
    auto spin = [&](double value, double lo, double hi, const QString& suffix) {
        auto* s = new QDoubleSpinBox(&dlg);
        s->setRange(lo, hi);
        s->setDecimals(1);
        s->setValue(value);
        s->setSuffix(suffix);
        return s;
    };
    const auto p = m_spectrogram->params();
    auto* win = spin(p.windowSeconds * 1000, 2, 500, QStringLiteral(" ms"));
    auto* hop = spin(p.hopSeconds * 1000, 1, 500, QStringLiteral(" ms"));
    auto* bottom = spin(m_spectrogram->dbBottom(), -200, 50, QStringLiteral(" dB"));
    auto* top = spin(m_spectrogram->dbTop(), -150, 100, QStringLiteral(" dB"));
    auto* autoTop = new QCheckBox(QStringLiteral("Top = loudest bin of the file (keeps the range width)"), &dlg);
    autoTop->setChecked(m_spectrogram->dbAutoTop());
    form->addRow(QStringLiteral("Window (Hann)"), win);
    form->addRow(QStringLiteral("Hop"), hop);
    form->addRow(QStringLiteral("Colour scale bottom"), bottom);
    form->addRow(QStringLiteral("Colour scale top"), top);
    form->addRow(autoTop);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted)
        return;
    SpectrogramParams np;
    np.windowSeconds = win->value() / 1000.0;
    np.hopSeconds = hop->value() / 1000.0;
    m_spectrogram->setDbRange(bottom->value(), std::max(bottom->value() + 1, top->value()), autoTop->isChecked());
    if (np.windowSeconds != p.windowSeconds || np.hopSeconds != p.hopSeconds)
        m_spectrogram->setParams(np);
    saveSettings();
}

void MainWindow::importanceThresholdDialog()
{
    bool ok = false;
    const double v = QInputDialog::getDouble(this, QStringLiteral("Importance threshold"),
                                             QStringLiteral("Shade and export regions where w(t) exceeds:"),
                                             m_importanceThreshold, 0.0, 1.0, 3, &ok);
    if (ok)
        setImportanceThreshold(v);
}

void MainWindow::scoreThresholdDialog()
{
    bool ok = false;
    // The loaded detector family's default (XLS-R + TCM: tcm_add's -3.73).
    const bool known = m_models.hasDetector && !m_models.detector.thresholdSource.empty();
    const double def = known ? m_models.detector.threshold : kDefaultScoreThreshold;
    const QString defOrigin =
        known ? QString::fromStdString(m_models.detector.thresholdSource) : QString::fromUtf8(kDefaultThresholdOrigin);
    const double v = QInputDialog::getDouble(
        this, QStringLiteral("Detector score threshold"),
        QStringLiteral("Bona fide when the score (bona fide logit) is at least:\n(default %1: %2)").arg(def).arg(defOrigin),
        m_score->threshold(), -1000, 1000, 3, &ok);
    if (!ok)
        return;
    const QString origin = std::abs(v - def) < 1e-9 ? defOrigin : QStringLiteral("set by the user");
    setScoreThreshold(v, origin);
}

// ---------------------------------------------------------------- settings, recent files, drops

void MainWindow::rememberRecent(const QString& path)
{
    if (!m_persist)
        return;
    QSettings s;
    QStringList recent = s.value(QStringLiteral("recentFiles")).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    recent.removeAll(abs);
    recent.prepend(abs);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    s.setValue(QStringLiteral("recentFiles"), recent);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    for (const QString& p : recent) {
        QAction* a = m_recentMenu->addAction(QFileInfo(p).fileName());
        a->setToolTip(p);
        connect(a, &QAction::triggered, this, [this, p] { openAudio(p); });
    }
    if (recent.isEmpty())
        m_recentMenu->addAction(QStringLiteral("(none)"))->setEnabled(false);
}

void MainWindow::saveSettings()
{
    if (!m_persist)
        return;
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/docks"), saveState());
    for (QDockWidget* d : {m_compareDock, m_summaryDock})
        if (d->isVisible() && !d->isFloating())
            m_dockHeight = d->height();
    if (m_dockHeight > 0)
        s.setValue(QStringLiteral("window/tableDockHeight"), m_dockHeight);
    s.setValue(QStringLiteral("window/closedPanels"), m_closedPanels);
    s.setValue(QStringLiteral("window/explainersSplit"), m_summary->splitter()->saveState());
    s.setValue(QStringLiteral("view/importanceThreshold"), m_importanceThreshold);
    s.setValue(QStringLiteral("view/scoreThreshold"), m_score->threshold());
    s.setValue(QStringLiteral("view/scoreThresholdOrigin"), m_score->thresholdOrigin());
    s.setValue(QStringLiteral("view/followPlayhead"), m_timeline->followPlayhead());
    s.setValue(QStringLiteral("playback/loop"), m_player->loop());
    const auto p = m_spectrogram->params();
    s.setValue(QStringLiteral("spectrogram/window"), p.windowSeconds);
    s.setValue(QStringLiteral("spectrogram/hop"), p.hopSeconds);
    s.setValue(QStringLiteral("spectrogram/dbBottom"), m_spectrogram->dbBottom());
    s.setValue(QStringLiteral("spectrogram/dbTop"), m_spectrogram->dbTop());
    s.setValue(QStringLiteral("spectrogram/autoTop"), m_spectrogram->dbAutoTop());
    s.setValue(QStringLiteral("spectrogram/gradient"), int(m_spectrogram->gradientPreset()));
}

void MainWindow::loadViewSettings()
{
    if (!m_persist)
        return;
    QSettings s;
    if (s.contains(QStringLiteral("window/geometry")))
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    if (s.contains(QStringLiteral("window/docks"))) {
        const QScopedValueRollback<bool> guard(m_panelAutoToggle, true);
        restoreState(s.value(QStringLiteral("window/docks")).toByteArray());
        // The table docks follow their content: shown when the file has rows.
        m_compareDock->setVisible(false);
        m_summaryDock->setVisible(false);
    }
    m_closedPanels = s.value(QStringLiteral("window/closedPanels")).toStringList();
    m_dockHeight = std::clamp(s.value(QStringLiteral("window/tableDockHeight"), 0).toInt(), 0, 4000);
    m_summary->splitter()->restoreState(s.value(QStringLiteral("window/explainersSplit")).toByteArray());
    m_importanceThreshold = s.value(QStringLiteral("view/importanceThreshold"), 0.5).toDouble();
    m_score->setThreshold(s.value(QStringLiteral("view/scoreThreshold"), kDefaultScoreThreshold).toDouble(),
                          s.value(QStringLiteral("view/scoreThresholdOrigin"), QString::fromUtf8(kDefaultThresholdOrigin))
                              .toString());
    const bool follow = s.value(QStringLiteral("view/followPlayhead"), true).toBool();
    m_timeline->setFollowPlayhead(follow);
    m_followAction->setChecked(follow);
    const bool loop = s.value(QStringLiteral("playback/loop"), false).toBool();
    m_player->setLoop(loop);
    m_loopAction->setChecked(loop);
    SpectrogramParams p;
    p.windowSeconds = std::clamp(s.value(QStringLiteral("spectrogram/window"), p.windowSeconds).toDouble(), 0.002, 0.5);
    p.hopSeconds = std::clamp(s.value(QStringLiteral("spectrogram/hop"), p.hopSeconds).toDouble(), 0.001, 0.5);
    m_spectrogram->setParams(p);
    m_spectrogram->setDbRange(s.value(QStringLiteral("spectrogram/dbBottom"), -90.0).toDouble(),
                              s.value(QStringLiteral("spectrogram/dbTop"), 0.0).toDouble(),
                              s.value(QStringLiteral("spectrogram/autoTop"), true).toBool());
    m_spectrogram->setGradient(QCPColorGradient::GradientPreset(
        s.value(QStringLiteral("spectrogram/gradient"), int(QCPColorGradient::gpThermal)).toInt()));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_player->stop();
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    QStringList stage2;
    QString detector, config;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile())
            continue;
        const QString path = url.toLocalFile();
        const QString suffix = QFileInfo(path).suffix().toLower();
        if (suffix == QLatin1String("pth") || suffix == QLatin1String("pt")) {
            // The first checkpoint dropped without a detector loaded is the detector.
            if (!m_analysis->hasDetector() && detector.isEmpty())
                detector = path;
            else
                stage2 << path;
        } else if (suffix == QLatin1String("yaml") || suffix == QLatin1String("yml")) {
            config = path;
        } else {
            openAudio(path);  // anything else is tried as audio; a bad file gives a message
        }
    }
    if (!detector.isEmpty() || !config.isEmpty()) {
        const QString det = detector.isEmpty() ? m_analysis->detectorPath() : detector;
        if (!det.isEmpty())
            openModels(det, config.isEmpty() ? m_analysis->detectorConfigPath() : config,
                       m_analysis->stage2Paths() + stage2);
    } else if (!stage2.isEmpty()) {
        addStage2(stage2);
    }
    event->acceptProposedAction();
}

} // namespace spooflens::ui
