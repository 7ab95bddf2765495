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
class QDockWidget;

namespace spooflens::ui {

class AnalysisController;
class ElidedLabel;
class AudioPlayer;
class Document;
class ComparePanel;
class CorpusPanel;
class CompareRow;
class ExplainerSummary;
class GroundTruthTrack;
class OverlayTrack;
class ScoreTrack;
class SpectrogramTrack;
class TimelineController;
class TimeRulerTrack;
class Track;
class TrainingPanel;
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
    /// Reads spoofed-segment labels for the loaded audio from `path` (an
    /// Audacity track, or a PartialSpoof / CSV file looked up by utterance id).
    /// With `everyFile`, later files are looked up in it too (--labels).
    /// Empty string on success, else the message also shown in the window.
    QString openLabels(const QString& path, bool everyFile = false);
    /// Explainers to run with every explanation (names of
    /// core/explain/Attribution.h: stage2, occlusion, ig, ...); each becomes a
    /// row. Throws core::ConfigError naming an unknown method.
    void setMethods(const QStringList& names);
    QStringList methods() const;
    /// The embedded demo, or the fallback utterance with a banner saying how to build it.
    void openDemo();
    /// Opens a corpus in the Corpus dock: a protocol, a folder of audio files
    /// or an evaluate output folder (core::readCorpus). Empty string on
    /// success, else the message also shown in the window (the corpus shown
    /// before stays).
    QString openCorpus(const QString& path);
    /// Opens the next (+1) or previous (-1) file of the corpus in the order
    /// shown (Page Down / Page Up). False at either end or without a corpus.
    bool openNextFile(int delta);
    /// Reloads the detector and Stage 2 files remembered in QSettings, if any.
    bool restoreModels();

    /// No loading, inference or spectrogram computation pending.
    bool isIdle() const;
    /// Error messages shown so far (plain words), newest last.
    QStringList errorMessages() const { return m_errors; }
    QStringList warningMessages() const { return m_warnings; }
    QString bannerText() const;
    /// The lines in the message area now (plain text), oldest first.
    QStringList shownMessages() const;
    QString statusText() const;
    /// Esc / Cancel: stops the analysis, keeps what was computed and says what that is.
    void cancelAnalysis();
    /// A line in the message area (red / orange); an identical line is not stacked.
    void showError(const QString& message);
    void showWarning(const QString& message);

    /// Writes the view (.png at `dpi`, .svg, .pdf: the pinned ground truth
    /// and the track panel, no buttons) or the data (.csv frame tracks, .txt
    /// Audacity labels: one file per row, .json) by suffix. Empty string on
    /// success; `written` (optional) receives the files written.
    QString exportTo(const QString& path, double dpi = 96, QStringList* written = nullptr);

    // For tests and the screenshot mode.
    TimelineController* timeline() const { return m_timeline; }
    AnalysisController* analysis() const { return m_analysis; }
    AudioPlayer* player() const { return m_player; }
    WaveformTrack* waveformTrack() const { return m_waveform; }
    SpectrogramTrack* spectrogramTrack() const { return m_spectrogram; }
    ScoreTrack* scoreTrack() const { return m_score; }
    GroundTruthTrack* groundTruthTrack() const { return m_truth; }
    QList<CompareRow*> rows() const { return m_rows; }
    ComparePanel* comparePanel() const { return m_compare; }
    ExplainerSummary* explainerSummary() const { return m_summary; }
    QWidget* trackPanel() const { return m_panel; }
    /// The strip above the scrolling rows: time ruler and ground truth.
    QWidget* pinnedPanel() const { return m_pinned; }
    TimeRulerTrack* timeRuler() const { return m_ruler; }
    /// The overlay view (View ▸ Overlay view, O): visible rows normalised in one pane.
    OverlayTrack* overlayTrack() const { return m_overlay; }
    void setOverlayVisible(bool on);
    bool overlayVisible() const;
    QScrollArea* trackScroll() const { return m_scroll; }
    /// The docks below the tracks (tables, chart, training panel).
    QDockWidget* stage2Dock() const { return m_compareDock; }
    QDockWidget* explainersDock() const { return m_summaryDock; }
    QDockWidget* trainingDock() const { return m_trainingDock; }
    TrainingPanel* trainingPanel() const { return m_training; }
    QDockWidget* corpusDock() const { return m_corpusDock; }
    CorpusPanel* corpusPanel() const { return m_corpus; }
    QList<Track*> tracks() const;   ///< display order, hidden ones included
    /// The loaded audio, explanation, ground truth and row order.
    Document* document() const { return m_doc; }
    AudioPtr audio() const;
    const core::Explanation* explanation() const;
    double importanceThreshold() const { return m_importanceThreshold; }
    void setImportanceThreshold(double value);
    void setScoreThreshold(double value, const QString& origin);
    void moveRow(int from, int to);
    void removeRow(int index);
    /// The folder of the last file opened or written (QSettings "paths/lastDir").
    static QString lastDir();
    static void setLastDir(const QString& file);

signals:
    void audioShown();
    void explanationShown();
    void messageShown(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    // Construction (MainWindowPanels.cpp, MainWindowMenus.cpp).
    void buildHeader(QWidget* central, QVBoxLayout* v);
    void buildTrackArea(QWidget* central, QVBoxLayout* v);
    void buildDocks();
    void connectSignals();
    void buildMenus();
    void buildStatusBar();
    // Corpus navigation (MainWindowCorpus.cpp).
    void buildCorpusDock();
    void openCorpusDialog(bool folder);
    /// Writes the shown file's score, module disagreement and frame AUCs into the corpus list.
    void updateCorpusEntry();

    void onAudio();
    void onModels(const ModelState& state);
    void onExplanation();
    void onGroundTruth();
    void findGroundTruth();
    void openLabelsDialog();
    void explainersDialog();
    void syncRowWidgets();
    void fillRows();
    /// Redraws the overlay from the rows shown and the ground truth.
    void updateOverlay();
    /// The Stage 2 table (with localisation columns when labels exist).
    void updateStage2Table();
    void showBanner(const QString& html);
    void updateBottomAxis();
    void updateInfoLine();
    void updateReadout(double seconds);
    void updatePlaybackStatus();
    /// The player's error as one sentence ("Audio playback unavailable: no audio output device found").
    QString playbackProblem() const;
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    void saveSettings();
    void loadViewSettings();
    void openAudioDialog();
    void openDetectorDialog();
    void openDetectorWithConfigDialog();
    void addStage2Dialog();
    void exportDialog(const QString& filter, const QString& suffix);
    void spectrogramDialog();
    void importanceThresholdDialog();
    void scoreThresholdDialog();
    void togglePlay();
    void playSelection();
    void seek(double seconds);
    void showShortcuts();
    QDockWidget* addPanelDock(const QString& title, const QString& objectName, QWidget* content);
    /// Shows a table dock when it has content (unless the user closed it), hides it when empty.
    void showPanel(QDockWidget* dock, bool hasContent);

    bool m_persist = true;
    bool m_demoWindowFirst = false;  ///< the demo: move the `window` explainer row to the top once it exists
    Document* m_doc = nullptr;
    TimelineController* m_timeline = nullptr;
    AnalysisController* m_analysis = nullptr;
    AudioPlayer* m_player = nullptr;

    QLabel* m_banner = nullptr;
    QLabel* m_message = nullptr;
    QPushButton* m_messageClose = nullptr;
    QLabel* m_info = nullptr;
    ElidedLabel* m_readout = nullptr;
    QScrollArea* m_scroll = nullptr;
    QWidget* m_pinned = nullptr;
    TimeRulerTrack* m_ruler = nullptr;
    QWidget* m_overlayBox = nullptr;   ///< legend line + overlay track (pinned, hidden by default)
    QLabel* m_overlayLegend = nullptr;
    OverlayTrack* m_overlay = nullptr;
    QAction* m_overlayAction = nullptr;
    QWidget* m_panel = nullptr;
    QVBoxLayout* m_rowsLayout = nullptr;
    QLabel* m_noStage2 = nullptr;
    WaveformTrack* m_waveform = nullptr;
    SpectrogramTrack* m_spectrogram = nullptr;
    ScoreTrack* m_score = nullptr;
    GroundTruthTrack* m_truth = nullptr;
    QString m_labelsFile;   ///< --labels / File ▸ Open labels… file used for every audio file
    QList<CompareRow*> m_rows;   ///< widgets of the document's rows, same order
    ComparePanel* m_compare = nullptr;
    ExplainerSummary* m_summary = nullptr;
    TrainingPanel* m_training = nullptr;
    QDockWidget* m_compareDock = nullptr;
    QDockWidget* m_summaryDock = nullptr;
    QDockWidget* m_trainingDock = nullptr;
    CorpusPanel* m_corpus = nullptr;
    QDockWidget* m_corpusDock = nullptr;
    QStringList m_closedPanels;      ///< object names of table docks the user closed
    bool m_panelAutoToggle = false;  ///< showPanel() is hiding or showing a dock
    bool m_docksSized = false;       ///< a table dock got its first height
    int m_dockHeight = 0;            ///< the table docks' remembered height (0: a quarter of the window)

    QLabel* m_statusStage = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_playbackStatus = nullptr;
    QMenu* m_recentMenu = nullptr;
    QAction* m_loopAction = nullptr;
    QAction* m_followAction = nullptr;

    ModelState m_models;
    double m_importanceThreshold = 0.5;
    QStringList m_errors, m_warnings;
    /// The message area: each line with its serial number (an open drops
    /// the lines shown before it once its audio is in; identical lines are
    /// shown once).
    struct MessageLine {
        quint64 serial = 0;
        QString html;
    };
    QList<MessageLine> m_messageLines;
    quint64 m_messageSerial = 0;
    quint64 m_staleBefore = 0;  ///< lines with serial <= this predate the file being opened
    QString m_demoUtterance;
    QString m_cancelNote;       ///< the status line after a cancel (until the next analysis ends)    ///< the banner belongs to this file only
    void addMessageLine(const QString& html);
    void showMessageLines();
};

} // namespace spooflens::ui
