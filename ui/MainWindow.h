#pragma once
// The explanation viewer. It arranges tracks on one time axis and wires the
// controllers (TimelineController: view and cursors; AnalysisController:
// loading and inference on a worker thread; AudioPlayer: sound) to them. It
// draws nothing itself. GUI thread only; no slot lets an exception escape.
#include "core/explain/Explanation.h"
#include "ui/analysis/AnalysisTypes.h"

#include <QMainWindow>
#include <QPointer>

#include <optional>

class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QVBoxLayout;
class QAction;

namespace spooflens::ui {

class AnalysisController;
class AudioPlayer;
class ComparePanel;
class CompareRow;
class ScoreTrack;
class SpectrogramTrack;
class TimelineController;
class Track;
class WaveformTrack;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `persistSettings`: read and write QSettings (off for --screenshot, so a
    /// screenshot does not depend on, or change, the user's settings).
    explicit MainWindow(bool persistSettings = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    void openAudio(const QString& path);
    /// Loads a detector (+ optional YAML) and Stage 2 files; keeps the audio.
    void openModels(const QString& detector, const QString& detectorConfig, const QStringList& stage2);
    /// Adds Stage 2 files to the ones loaded (needs a detector).
    void addStage2(const QStringList& paths);
    /// The embedded demo, or the fallback utterance with a banner saying how to build it.
    void openDemo();
    /// Reloads the detector and Stage 2 files remembered in QSettings, if any.
    bool restoreModels();

    /// No loading, inference or spectrogram computation pending.
    bool isIdle() const;
    /// Error messages shown so far (plain words), newest last.
    QStringList errorMessages() const { return m_errors; }
    QStringList warningMessages() const { return m_warnings; }
    QString bannerText() const;

    /// Writes the view (.png/.svg/.pdf) or the data (.csv frame tracks,
    /// .txt Audacity labels, .json) by suffix. Empty string on success.
    QString exportTo(const QString& path);

    // For tests and the screenshot mode.
    TimelineController* timeline() const { return m_timeline; }
    AnalysisController* analysis() const { return m_analysis; }
    AudioPlayer* player() const { return m_player; }
    WaveformTrack* waveformTrack() const { return m_waveform; }
    SpectrogramTrack* spectrogramTrack() const { return m_spectrogram; }
    ScoreTrack* scoreTrack() const { return m_score; }
    QList<CompareRow*> rows() const { return m_rows; }
    ComparePanel* comparePanel() const { return m_compare; }
    QWidget* trackPanel() const { return m_panel; }
    QList<Track*> tracks() const;   ///< display order, hidden ones included
    AudioPtr audio() const { return m_audio; }
    const core::Explanation* explanation() const { return m_explanation ? &*m_explanation : nullptr; }
    double importanceThreshold() const { return m_importanceThreshold; }
    void setImportanceThreshold(double value);
    void setScoreThreshold(double value, const QString& origin);
    void moveRow(int from, int to);
    void removeRow(int index);

signals:
    void audioShown();
    void explanationShown();
    void messageShown(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void buildStatusBar();
    void onAudio(AudioPtr audio);
    void onModels(const ModelState& state);
    void onExplanation(const core::Explanation& e);
    void showError(const QString& message);
    void showWarning(const QString& message);
    void showBanner(const QString& html);
    void updateRowsFromExplanation();
    void updateBottomAxis();
    void updateInfoLine();
    void updateReadout(double seconds);
    void updatePlaybackStatus();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    QStringList rowLabels() const;
    std::vector<core::Stage2Track> rowTracks() const;
    void saveSettings();
    void loadViewSettings();
    void openAudioDialog();
    void openDetectorDialog();
    void addStage2Dialog();
    void exportDialog(const QString& filter, const QString& suffix);
    void spectrogramDialog();
    void importanceThresholdDialog();
    void scoreThresholdDialog();
    void togglePlay();
    void playSelection();
    void seek(double seconds);
    void showShortcuts();

    bool m_persist = true;
    TimelineController* m_timeline = nullptr;
    AnalysisController* m_analysis = nullptr;
    AudioPlayer* m_player = nullptr;

    QLabel* m_banner = nullptr;
    QLabel* m_message = nullptr;
    QPushButton* m_messageClose = nullptr;
    QLabel* m_info = nullptr;
    QLabel* m_readout = nullptr;
    QScrollArea* m_scroll = nullptr;
    QWidget* m_panel = nullptr;
    QVBoxLayout* m_rowsLayout = nullptr;
    QLabel* m_noStage2 = nullptr;
    WaveformTrack* m_waveform = nullptr;
    SpectrogramTrack* m_spectrogram = nullptr;
    ScoreTrack* m_score = nullptr;
    QList<CompareRow*> m_rows;
    ComparePanel* m_compare = nullptr;

    QLabel* m_statusStage = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_playbackStatus = nullptr;
    QMenu* m_recentMenu = nullptr;
    QAction* m_loopAction = nullptr;
    QAction* m_followAction = nullptr;

    AudioPtr m_audio;
    QString m_audioPath;
    ModelState m_models;
    std::optional<core::Explanation> m_explanation;
    double m_importanceThreshold = 0.5;
    QStringList m_errors, m_warnings;
    QStringList m_messageLines;
};

} // namespace spooflens::ui
