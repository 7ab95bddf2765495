#include "ui/MainWindow.h"

#include "ui/Demo.h"
#include "ui/TimelineController.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/compare/CompareRow.h"
#include "ui/compare/ComparePanel.h"
#include "ui/export/Exporter.h"
#include "ui/playback/AudioPlayer.h"
#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/ScoreTrack.h"
#include "ui/tracks/SimilarityTrack.h"
#include "ui/tracks/SpectrogramTrack.h"
#include "ui/tracks/WaveformTrack.h"

#include "core/audio/FrameGrid.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
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
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
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

QString rowLabel(const core::Stage2Info& info)
{
    const QString mode = info.prototypeMode.empty() ? QStringLiteral("?") : QString::fromStdString(info.prototypeMode);
    const QString run = info.runName.empty() ? QFileInfo(QString::fromStdString(info.path)).completeBaseName()
                                             : QString::fromStdString(info.runName);
    return QStringLiteral("%1 · %2").arg(mode, run);
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
    connect(m_messageClose, &QPushButton::clicked, this, [this, messageRow] {
        m_messageLines.clear();
        messageRow->setVisible(false);
    });
    v->addWidget(messageRow);

    m_info = new QLabel(central);
    m_info->setTextFormat(Qt::RichText);
    m_info->setWordWrap(true);
    v->addWidget(m_info);
    m_readout = new QLabel(central);
    m_readout->setTextFormat(Qt::PlainText);
    m_readout->setStyleSheet(QStringLiteral("QLabel { color: #333; font-family: monospace; }"));
    v->addWidget(m_readout);

    m_panel = new QWidget;
    m_panel->setAutoFillBackground(true);
    QPalette pal = m_panel->palette();
    pal.setColor(QPalette::Window, Qt::white);
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
        t->setMinimumHeight(std::max(80, int(t->preferredHeight() * 0.8)));
        m_timeline->addTrack(t);
    }
    m_score->setVisible(false);

    m_scroll = new QScrollArea(central);
    m_scroll->setWidget(m_panel);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_compare = new ComparePanel(central);
    m_compare->setVisible(false);
    m_compare->setMaximumHeight(150);
    auto* split = new QSplitter(Qt::Vertical, central);
    split->addWidget(m_scroll);
    split->addWidget(m_compare);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    v->addWidget(split, 1);
    setCentralWidget(central);

    buildMenus();
    buildStatusBar();
    updateBottomAxis();
    updateInfoLine();
    updateReadout(std::nan(""));

    connect(m_analysis, &AnalysisController::audioReady, this, [this](AudioPtr a) { onAudio(std::move(a)); });
    connect(m_analysis, &AnalysisController::modelsChanged, this, &MainWindow::onModels);
    connect(m_analysis, &AnalysisController::explanationReady, this, &MainWindow::onExplanation);
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
        if (!busy)
            m_statusStage->setText(m_explanation ? QStringLiteral("Ready") : QString());
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
    action(file, QStringLiteral("Add &Stage 2 checkpoints…"), QKeySequence(QStringLiteral("Ctrl+Shift+O")),
           [this] { addStage2Dialog(); });
    action(file, QStringLiteral("Remove all Stage 2 modules"), QKeySequence(), [this] {
        if (m_models.hasDetector)
            m_analysis->setStage2({});
    });
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
    action(exp, QStringLiteral("Regions above threshold as Audacity labels…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("Audacity labels (*.txt)"), QStringLiteral("txt")); });
    action(exp, QStringLiteral("Explanation as JSON…"), QKeySequence(),
           [this] { exportDialog(QStringLiteral("JSON (*.json)"), QStringLiteral("json")); });
    file->addSeparator();
    action(file, QStringLiteral("&Quit"), QKeySequence::Quit, [this] { close(); });

    QMenu* view = menuBar()->addMenu(QStringLiteral("&View"));
    action(view, QStringLiteral("&Fit whole file"), QKeySequence(QStringLiteral("F")), [this] { m_timeline->fit(); });
    action(view, QStringLiteral("Zoom &in"), QKeySequence(QStringLiteral("+")), [this] { m_timeline->zoomIn(); });
    action(view, QStringLiteral("Zoom &out"), QKeySequence(QStringLiteral("-")), [this] { m_timeline->zoomOut(); });
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
           [this] { m_analysis->cancel(); });
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
    connect(m_cancel, &QPushButton::clicked, this, [this] { m_analysis->cancel(); });
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

void MainWindow::openAudio(const QString& path)
{
    m_statusStage->setText(QStringLiteral("Loading %1").arg(QFileInfo(path).fileName()));
    m_audioPath = path;
    m_analysis->openAudio(path);
}

void MainWindow::openModels(const QString& detector, const QString& detectorConfig, const QStringList& stage2)
{
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
    showBanner(demoBannerText(demo));
    if (demo.complete) {
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
    QList<Track*> out{m_waveform, m_spectrogram};
    for (CompareRow* r : m_rows)
        out << r->importance() << r->similarity();
    out << m_score;
    return out;
}

void MainWindow::onAudio(AudioPtr audio)
{
    m_audio = std::move(audio);
    m_audioPath = QString::fromStdString(m_audio->path);
    // A new file: the previous explanation no longer applies.
    m_explanation.reset();
    for (CompareRow* r : m_rows) {
        r->importance()->clear();
        r->similarity()->clear();
    }
    m_score->clear();
    m_score->setVisible(false);
    m_compare->clear();
    std::shared_ptr<const std::vector<float>> samples(m_audio, &m_audio->samples);
    const double duration = double(m_audio->samples.size()) / core::kSampleRate;
    m_timeline->setDuration(duration);
    m_waveform->setSamples(samples, core::kSampleRate);
    m_spectrogram->setSamples(samples, core::kSampleRate);
    m_player->setAudio(m_audio->samples, core::kSampleRate);
    m_timeline->fit();
    setWindowTitle(QStringLiteral("SpoofLens — %1").arg(QFileInfo(m_audioPath).fileName()));
    rememberRecent(m_audioPath);
    updateInfoLine();
    updateBottomAxis();
    updatePlaybackStatus();
    emit audioShown();
}

void MainWindow::onModels(const ModelState& state)
{
    m_models = state;
    // Rows follow the loaded modules; existing rows (and their order) stay.
    QStringList keys;
    for (const auto& info : state.stage2)
        keys << QString::fromStdString(info.path);
    for (int i = m_rows.size() - 1; i >= 0; --i)
        if (!keys.contains(m_rows[i]->key())) {
            CompareRow* r = m_rows.takeAt(i);
            m_timeline->removeTrack(r->importance());
            m_timeline->removeTrack(r->similarity());
            r->deleteLater();
        }
    for (const auto& info : state.stage2) {
        const QString key = QString::fromStdString(info.path);
        CompareRow* row = nullptr;
        for (CompareRow* r : m_rows)
            if (r->key() == key)
                row = r;
        if (!row) {
            row = new CompareRow(key, rowLabel(info), m_panel);
            row->importance()->setThreshold(m_importanceThreshold, true);
            for (Track* t : {static_cast<Track*>(row->importance()), static_cast<Track*>(row->similarity())}) {
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
            m_rows << row;
            m_rowsLayout->addWidget(row);
        }
        row->setWarning(info.detectorMismatch ? QStringLiteral("⚠ trained on another detector (SHA-256 differs)")
                                              : QString());
    }
    if (m_persist) {
        QSettings s;
        s.setValue(QStringLiteral("models/detector"), m_analysis->detectorPath());
        s.setValue(QStringLiteral("models/detectorConfig"), m_analysis->detectorConfigPath());
        s.setValue(QStringLiteral("models/stage2"), m_analysis->stage2Paths());
    }
    updateRowsFromExplanation();
    updateInfoLine();
    updateBottomAxis();
}

void MainWindow::onExplanation(const core::Explanation& e)
{
    m_explanation = e;
    if (m_audio)
        m_score->setExplanation(e, double(m_audio->samples.size()) / core::kSampleRate);
    m_score->setVisible(true);
    updateRowsFromExplanation();
    updateInfoLine();
    updateBottomAxis();
    m_statusStage->setText(QStringLiteral("Ready"));
    emit explanationShown();
}

void MainWindow::updateRowsFromExplanation()
{
    if (!m_explanation) {
        m_compare->setVisible(false);
        return;
    }
    for (int i = 0; i < m_rows.size(); ++i) {
        const core::Stage2Track* found = nullptr;
        for (const auto& t : m_explanation->tracks)
            if (QString::fromStdString(t.xaiPath) == m_rows[i]->key())
                found = &t;
        if (!found && size_t(i) < m_explanation->tracks.size() && m_explanation->tracks.size() == size_t(m_rows.size()))
            found = &m_explanation->tracks[size_t(i)];
        if (found)
            m_rows[i]->setData(*found);
    }
    const auto tracksInOrder = rowTracks();
    m_compare->setRows(tracksInOrder, rowLabels());
    m_compare->setVisible(!tracksInOrder.empty());
}

std::vector<core::Stage2Track> MainWindow::rowTracks() const
{
    std::vector<core::Stage2Track> out;
    if (!m_explanation)
        return out;
    for (int i = 0; i < m_rows.size(); ++i) {
        bool found = false;
        for (const auto& t : m_explanation->tracks)
            if (QString::fromStdString(t.xaiPath) == m_rows[i]->key()) {
                out.push_back(t);
                found = true;
                break;
            }
        if (!found && m_explanation->tracks.size() == size_t(m_rows.size()))
            out.push_back(m_explanation->tracks[size_t(i)]);
    }
    return out;
}

QStringList MainWindow::rowLabels() const
{
    QStringList labels;
    for (CompareRow* r : m_rows)
        labels << r->label();
    return labels;
}

void MainWindow::moveRow(int from, int to)
{
    if (from < 0 || from >= m_rows.size() || to < 0 || to >= m_rows.size() || from == to)
        return;
    m_rows.move(from, to);
    for (CompareRow* r : m_rows)
        m_rowsLayout->removeWidget(r);
    for (CompareRow* r : m_rows)
        m_rowsLayout->addWidget(r);
    updateRowsFromExplanation();
    updateBottomAxis();
}

void MainWindow::removeRow(int index)
{
    if (index < 0 || index >= m_rows.size())
        return;
    QStringList keep;
    for (int i = 0; i < m_rows.size(); ++i)
        if (i != index)
            keep << m_rows[i]->key();
    CompareRow* r = m_rows.takeAt(index);
    m_timeline->removeTrack(r->importance());
    m_timeline->removeTrack(r->similarity());
    r->hide();
    r->deleteLater();
    if (m_explanation) {
        auto& tr = m_explanation->tracks;
        tr.erase(std::remove_if(tr.begin(), tr.end(),
                                [&](const core::Stage2Track& t) { return !keep.contains(QString::fromStdString(t.xaiPath)); }),
                 tr.end());
    }
    updateRowsFromExplanation();
    updateBottomAxis();
    m_analysis->setStage2(keep);
}

void MainWindow::setImportanceThreshold(double value)
{
    m_importanceThreshold = std::clamp(value, 0.0, 1.0);
    for (CompareRow* r : m_rows)
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
                                           "(the authors' avg_5_best.pth, or the demo's detector_tiny.pth) to "
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
    if (m_audio) {
        parts << QStringLiteral("<b>%1</b> — %2, %3 Hz, %4 ch, %5 s, %6 frames of 20 ms")
                     .arg(QFileInfo(m_audioPath).fileName().toHtmlEscaped(),
                          QString::fromStdString(m_audio->format).toHtmlEscaped())
                     .arg(m_audio->sampleRateIn)
                     .arg(m_audio->channelsIn)
                     .arg(m_audio->durationSeconds, 0, 'f', 2)
                     .arg(m_audio->frames());
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
    if (m_explanation) {
        const bool bona = m_score->verdict() == QLatin1String("bona fide");
        parts << QStringLiteral("<span style='color:%1'><b>%2</b></span>")
                     .arg(bona ? QStringLiteral("#116611") : QStringLiteral("#aa1111"), m_score->summaryText().toHtmlEscaped());
    }
    m_info->setText(parts.join(QStringLiteral("<br>")));
}

void MainWindow::updateReadout(double seconds)
{
    if (std::isnan(seconds) || !m_audio) {
        m_readout->setText(QStringLiteral("Pointer: —   (wheel: zoom · drag: pan · shift+drag: select · click: seek · "
                                          "space: play/pause)"));
        return;
    }
    QStringList parts{QStringLiteral("t = %1 s").arg(seconds, 0, 'f', 3)};
    const int64_t frame = core::frameAt(seconds);
    if (m_explanation && frame >= 0 && frame < m_explanation->frames)
        parts << QStringLiteral("frame %1").arg(frame);
    const QString wave = m_waveform->readout(seconds);
    if (!wave.isEmpty())
        parts << wave;
    for (CompareRow* r : m_rows) {
        const QString w = r->importance()->readout(seconds);
        const QString s = r->similarity()->readout(seconds);
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

void MainWindow::showError(const QString& message)
{
    m_errors << message;
    m_messageLines << QStringLiteral("<span style='color:#b00000'><b>Error:</b> %1</span>").arg(message.toHtmlEscaped());
    while (m_messageLines.size() > 4)
        m_messageLines.removeFirst();
    m_message->setText(m_messageLines.join(QStringLiteral("<br>")));
    m_message->parentWidget()->setVisible(true);
    m_statusStage->setText(QStringLiteral("Error"));
    emit messageShown(message);
}

void MainWindow::showWarning(const QString& message)
{
    m_warnings << message;
    m_messageLines << QStringLiteral("<span style='color:#a05000'><b>Warning:</b> %1</span>").arg(message.toHtmlEscaped());
    while (m_messageLines.size() > 4)
        m_messageLines.removeFirst();
    m_message->setText(m_messageLines.join(QStringLiteral("<br>")));
    m_message->parentWidget()->setVisible(true);
    emit messageShown(message);
}

// ---------------------------------------------------------------- playback

void MainWindow::togglePlay()
{
    if (!m_audio)
        return;
    if (m_player->state() == AudioPlayer::State::Playing)
        m_player->pause();
    else if (!m_player->play())
        showWarning(QStringLiteral("Playback unavailable: %1").arg(m_player->errorString()));
    updatePlaybackStatus();
}

void MainWindow::playSelection()
{
    if (!m_audio || !m_timeline->hasSelection())
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

void MainWindow::openDetectorDialog()
{
    const QString ckpt = QFileDialog::getOpenFileName(
        this, QStringLiteral("Open detector checkpoint (e.g. avg_5_best.pth)"), lastDir(),
        QStringLiteral("PyTorch checkpoints (*.pth *.pt);;All files (*)"));
    if (ckpt.isEmpty())
        return;
    setLastDir(ckpt);
    QString yaml;
    if (QMessageBox::question(this, QStringLiteral("Detector configuration"),
                              QStringLiteral("Does this detector need a YAML configuration (non-default "
                                             "attention heads)? Most checkpoints do not."),
                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No) == QMessageBox::Yes)
        yaml = QFileDialog::getOpenFileName(this, QStringLiteral("Detector configuration"), QFileInfo(ckpt).absolutePath(),
                                            QStringLiteral("YAML (*.yaml *.yml);;All files (*)"));
    openModels(ckpt, yaml, m_analysis->stage2Paths());
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
    QString base = m_audioPath.isEmpty() ? QStringLiteral("spooflens") : QFileInfo(m_audioPath).completeBaseName();
    if (suffix == QLatin1String("txt"))
        base += QStringLiteral("_labels");
    const QString suggested = QDir(lastDir()).filePath(base + QLatin1Char('.') + suffix);
    QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export"), suggested, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    setLastDir(path);
    const QString err = exportTo(path);
    if (!err.isEmpty())
        showError(err);
    else
        m_statusStage->setText(QStringLiteral("Wrote %1").arg(path));
}

QString MainWindow::exportTo(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png") || suffix == QLatin1String("svg") || suffix == QLatin1String("pdf"))
        return exportView(m_panel, tracks(), path);
    if (!m_explanation)
        return QStringLiteral("Nothing to export yet: the explanation has not been computed (a detector and an "
                              "audio file are needed).");
    core::Explanation shown = *m_explanation;
    shown.tracks = rowTracks();
    if (suffix == QLatin1String("csv"))
        return exportCsv(shown, rowLabels(), path);
    if (suffix == QLatin1String("txt") || suffix == QLatin1String("labels"))
        return exportLabels(shown, rowLabels(), m_importanceThreshold, path);
    if (suffix == QLatin1String("json"))
        return exportJson(shown, path);
    return QStringLiteral("Unknown export format '.%1': use .png, .svg, .pdf, .csv, .txt (Audacity labels) or .json.")
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
    const double v = QInputDialog::getDouble(
        this, QStringLiteral("Detector score threshold"),
        QStringLiteral("Bona fide when the score (bona fide logit) is at least:\n(default %1: %2)")
            .arg(kDefaultScoreThreshold)
            .arg(QString::fromUtf8(kDefaultThresholdOrigin)),
        m_score->threshold(), -1000, 1000, 3, &ok);
    if (!ok)
        return;
    const QString origin = std::abs(v - kDefaultScoreThreshold) < 1e-9 ? QString::fromUtf8(kDefaultThresholdOrigin)
                                                                       : QStringLiteral("set by the user");
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
