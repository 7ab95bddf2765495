#pragma once
// Owns the inference thread and its InferenceWorker. The GUI calls these
// methods; they queue work and return at once. Results come back as
// signals on the GUI thread. Stale results (superseded by a newer request or
// cancelled) are dropped. Models stay loaded when the audio file changes.
#include "ui/analysis/AnalysisTypes.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace spooflens::ui {

class InferenceWorker;

class AnalysisController : public QObject {
    Q_OBJECT
public:
    explicit AnalysisController(QObject* parent = nullptr);
    ~AnalysisController() override;

    void openAudio(const QString& path);
    /// Loads a detector (and optional YAML) and the Stage 2 files in order.
    void openModels(const QString& detector, const QString& detectorConfig, const QStringList& stage2);
    /// Replaces the Stage 2 modules (keeps the detector); re-explains.
    void setStage2(const QStringList& stage2);
    /// Detector arithmetic, "fp32" (default) or "bf16" (docs/precision.md);
    /// a loaded detector is reloaded in the new precision.
    void setPrecision(const QString& precision);
    QString precision() const { return m_precision; }
    /// The explainers to run with every explanation (names of
    /// core/explain/Attribution.h) and their deletion/insertion curves;
    /// re-explains the loaded audio. Gradient methods and IG run on the
    /// worker thread like the rest, with progress and cancel.
    /// `reexplain` false: only the next explanation uses them.
    void setMethods(const std::vector<core::AttributionMethod>& methods, bool reexplain = true);
    const std::vector<core::AttributionMethod>& methods() const { return m_request.methods; }
    /// Stops the running job (inference stops at its next progress check).
    void cancel();

    AudioPtr audio() const { return m_audio; }
    const ModelState& models() const { return m_models; }
    /// Stage 2 files loaded (as last reported by the worker).
    QStringList stage2Paths() const { return m_stage2; }
    QString detectorPath() const { return m_detector; }
    QString detectorConfigPath() const { return m_detectorConfig; }
    bool isBusy() const { return m_outstanding > 0; }
    /// Runs the explanation of the current audio again (after a cancel).
    void rerun() { requestExplain(); }
    /// A detector is loaded or being loaded.
    bool hasDetector() const { return m_models.hasDetector || !m_pendingDetector.isEmpty(); }

signals:
    void audioReady(spooflens::ui::AudioPtr audio);
    void modelsChanged(const spooflens::ui::ModelState& state);
    void explanationReady(const spooflens::core::Explanation& explanation);
    /// Plain-words error (the window shows it; nothing was thrown).
    void error(const QString& message);
    void warning(const QString& message);
    void progress(const QString& stage, double fraction);
    void busyChanged(bool busy);

    // Internal: queued into the worker thread.
    void workerLoadAudio(quint64 generation, const QString& path);
    void workerLoadModels(quint64 generation, const QString& detector, const QString& config, const QStringList& stage2,
                          const QString& precision);
    void precisionChanged(const QString& precision);
    void workerSetStage2(quint64 generation, const QStringList& stage2);
    void workerExplain(quint64 generation, spooflens::ui::AudioPtr audio, spooflens::core::ExplainRequest request);

private:
    quint64 next();
    void started();
    void requestExplain();

    void connectWorker(InferenceWorker* worker);

    QThread m_thread;
    InferenceWorker* m_worker = nullptr;
    // Audio is decoded on its own thread, so the waveform and spectrogram are
    // drawn while the detector is still loading or running (docs/speed.md).
    QThread m_audioThread;
    InferenceWorker* m_audioWorker = nullptr;
    std::shared_ptr<std::atomic<quint64>> m_latest;
    quint64 m_audioGeneration = 0, m_explainGeneration = 0;
    int m_outstanding = 0;
    AudioPtr m_audio;
    ModelState m_models;
    QString m_detector, m_detectorConfig;  // loaded (only changed on success)
    QString m_pendingDetector, m_pendingConfig;
    QStringList m_stage2;
    QString m_precision = QStringLiteral("fp32");
    core::ExplainRequest m_request;
};

} // namespace spooflens::ui
