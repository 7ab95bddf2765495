// MainWindow: the header lines (banner, messages, info, pointer readout), the pinned
// ruler and ground truth, the scrolling track panel, the table docks.
#include "ui/MainWindow.h"

#include "ui/Document.h"
#include "ui/TimelineController.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/compare/CompareRow.h"
#include "ui/compare/ComparePanel.h"
#include "ui/compare/ExplainerSummary.h"
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

#include <QDockWidget>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QTextDocument>
#include <QVBoxLayout>

#include <QAction>
#include <QEvent>

#include <algorithm>
#include <cmath>
#include <functional>

namespace spooflens::ui {
namespace {

/// Calls `closed` when the dock gets a close event (its × button), not when
/// it is merely hidden.
class DockCloseWatch : public QObject {
public:
    DockCloseWatch(QObject* parent, std::function<void()> closed) : QObject(parent), m_closed(std::move(closed)) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Close)
            m_closed();
        return QObject::eventFilter(watched, event);
    }

private:
    std::function<void()> m_closed;
};

} // namespace

void MainWindow::buildHeader(QWidget* central, QVBoxLayout* v)
{
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
}

void MainWindow::buildTrackArea(QWidget* central, QVBoxLayout* v)
{
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
    m_overlayBox = new QWidget(m_pinned);
    auto* ov = new QVBoxLayout(m_overlayBox);
    ov->setContentsMargins(0, 0, 0, 0);
    ov->setSpacing(0);
    m_overlayLegend = new QLabel(m_overlayBox);
    m_overlayLegend->setTextFormat(Qt::RichText);
    m_overlayLegend->setWordWrap(true);
    m_overlayLegend->setContentsMargins(Track::kLeftMargin, 2, 4, 0);
    m_overlay = new OverlayTrack(m_overlayBox);
    m_overlay->setMinimumHeight(m_overlay->preferredHeight());
    m_overlay->setMaximumHeight(m_overlay->preferredHeight());
    ov->addWidget(m_overlayLegend);
    ov->addWidget(m_overlay);
    m_overlayBox->setVisible(false);
    connect(m_overlay, &OverlayTrack::legendChanged, m_overlayLegend, &QLabel::setText);
    pinned->addWidget(m_ruler);
    pinned->addWidget(m_truth);
    pinned->addWidget(m_overlayBox);
    m_timeline->addTrack(m_ruler);
    m_timeline->addTrack(m_truth);
    m_timeline->addTrack(m_overlay);
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
}

void MainWindow::buildDocks()
{
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
}

QDockWidget* MainWindow::addPanelDock(const QString& title, const QString& objectName, QWidget* content)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    // A table dock the user closes (its × button or View ▸ Panels) stays closed
    // until reopened from View ▸ Panels. Only those two actions count: Qt 6.8
    // also hides a dock that goes behind another tab, which is no close.
    dock->installEventFilter(new DockCloseWatch(dock, [this, dock] {
        if (!m_panelAutoToggle && !m_closedPanels.contains(dock->objectName()))
            m_closedPanels << dock->objectName();
    }));
    connect(dock->toggleViewAction(), &QAction::triggered, this, [this, dock](bool shown) {
        if (shown)
            m_closedPanels.removeAll(dock->objectName());
        else if (!m_closedPanels.contains(dock->objectName()))
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
    // The selection first (start, end, duration, frames), as Sonic Visualiser shows it.
    QString selection;
    const core::Explanation* e = m_doc->explanation();
    if (m_doc->audio() && m_timeline->hasSelection()) {
        const double lo = m_timeline->selectionStart(), hi = m_timeline->selectionEnd();
        selection = QStringLiteral("Selection %1–%2 s (%3 s")
                        .arg(lo, 0, 'f', 3)
                        .arg(hi, 0, 'f', 3)
                        .arg(hi - lo, 0, 'f', 3);
        if (e && e->frames > 0) {
            const int64_t a = std::clamp<int64_t>(e->grid.frameAt(lo), 0, e->frames - 1);
            const int64_t b = std::clamp<int64_t>(e->grid.frameAt(hi), 0, e->frames - 1);
            selection += QStringLiteral(", frames %1–%2").arg(a).arg(b);
        }
        selection += QLatin1Char(')');
    }
    if (std::isnan(seconds) || !m_doc->audio()) {
        m_readout->setText(!selection.isEmpty() ? selection
                                                : QStringLiteral("Pointer: —   (wheel: zoom · drag: pan · shift+drag: "
                                                                 "select · click: seek · space: play/pause)"));
        return;
    }
    QStringList parts;
    if (!selection.isEmpty())
        parts << selection;
    parts << QStringLiteral("t = %1 s").arg(seconds, 0, 'f', 3);
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
        m_playbackStatus->setText(playbackProblem());
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

} // namespace spooflens::ui
