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
#include "ui/tracks/OverlayTrack.h"
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
#include <limits>

namespace spooflens::ui {

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

    buildHeader(central, v);
    buildTrackArea(central, v);
    setCentralWidget(central);
    buildDocks();
    buildCorpusDock();
    buildMenus();
    buildStatusBar();
    updateBottomAxis();
    updateInfoLine();
    updateReadout(std::nan(""));

    connectSignals();

    resize(1400, 950);
    loadViewSettings();
    updatePlaybackStatus();
}

void MainWindow::connectSignals()
{
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
    connect(m_timeline, &TimelineController::selectionChanged, this,
            [this] { updateReadout(std::numeric_limits<double>::quiet_NaN()); });
    connect(m_timeline, &TimelineController::seekRequested, this, &MainWindow::seek);
    connect(m_player, &AudioPlayer::positionChanged, m_timeline, &TimelineController::setPlayhead);
    connect(m_player, &AudioPlayer::stateChanged, this, [this] { updatePlaybackStatus(); });
    connect(m_player, &AudioPlayer::errorOccurred, this, [this](const QString& msg) {
        showWarning(QStringLiteral("Playback: %1").arg(msg));
    });
}

MainWindow::~MainWindow()
{
    saveSettings();
}

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
    QList<Track*> out{m_truth, m_overlay, m_waveform, m_spectrogram};
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
    updateStage2Table();
    updateOverlay();
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
            connect(row, &CompareRow::visibilityToggled, this, [this] {
                updateBottomAxis();
                updateOverlay();
            });
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
    updateStage2Table();
    updateOverlay();
}

void MainWindow::updateStage2Table()
{
    const core::Explanation* e = m_doc->explanation();
    if (!e) {
        showPanel(m_compareDock, false);
        return;
    }
    const auto tracksInOrder = m_doc->stage2TracksInOrder();
    std::vector<uint8_t> spoof;
    if (const GroundTruthView* g = m_doc->groundTruth(); g && g->grid == e->grid)
        spoof.assign(g->frameLabels.begin(), g->frameLabels.end());
    m_compare->setRows(tracksInOrder, m_doc->stage2Labels(), spoof.empty() ? nullptr : &spoof);
    showPanel(m_compareDock, !tracksInOrder.empty());
}

void MainWindow::setOverlayVisible(bool on)
{
    m_overlayBox->setVisible(on);
    if (m_overlayAction->isChecked() != on)
        m_overlayAction->setChecked(on);
    updateOverlay();
}

bool MainWindow::overlayVisible() const
{
    return !m_overlayBox->isHidden();
}

void MainWindow::updateOverlay()
{
    if (!overlayVisible())
        return;
    const core::Explanation* e = m_doc->explanation();
    std::vector<OverlayTrack::Curve> curves;
    if (e) {
        m_overlay->setFrameGrid(e->grid);
        for (CompareRow* r : m_rows) {
            const std::vector<float>* v = m_doc->rowValues(r->key());
            if (v && !r->importance()->isHidden())
                curves.push_back({r->label(), *v});
        }
    }
    m_overlay->setCurves(curves);
    m_overlay->setGroundTruth(m_doc->groundTruth());
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

} // namespace spooflens::ui
