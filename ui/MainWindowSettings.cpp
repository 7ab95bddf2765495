// MainWindow: every QSettings key of the viewer in one place (window layout,
// view, spectrogram, playback, recent files, last folder), and closing.
#include "ui/MainWindow.h"

#include "ui/TimelineController.h"
#include "ui/compare/ExplainerSummary.h"
#include "ui/playback/AudioPlayer.h"
#include "ui/tracks/ScoreTrack.h"
#include "ui/tracks/SpectrogramTrack.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QMenu>
#include <QScopedValueRollback>
#include <QSettings>
#include <QSplitter>

#include <algorithm>

namespace spooflens::ui {
namespace {

constexpr int kMaxRecent = 10;

} // namespace

QString MainWindow::lastDir()
{
    return QSettings().value(QStringLiteral("paths/lastDir")).toString();
}

void MainWindow::setLastDir(const QString& file)
{
    QSettings().setValue(QStringLiteral("paths/lastDir"), QFileInfo(file).absolutePath());
}

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
    s.setValue(QStringLiteral("view/overlay"), overlayVisible());
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
        m_corpusDock->setVisible(false);  // until a corpus is opened
    }
    m_closedPanels = s.value(QStringLiteral("window/closedPanels")).toStringList();
    m_dockHeight = std::clamp(s.value(QStringLiteral("window/tableDockHeight"), 0).toInt(), 0, 4000);
    m_summary->splitter()->restoreState(s.value(QStringLiteral("window/explainersSplit")).toByteArray());
    m_importanceThreshold = s.value(QStringLiteral("view/importanceThreshold"), 0.5).toDouble();
    m_score->setThreshold(s.value(QStringLiteral("view/scoreThreshold"), kDefaultScoreThreshold).toDouble(),
                          s.value(QStringLiteral("view/scoreThresholdOrigin"), QString::fromUtf8(kDefaultThresholdOrigin))
                              .toString());
    setOverlayVisible(s.value(QStringLiteral("view/overlay"), false).toBool());
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

} // namespace spooflens::ui
