#pragma once
// Lives on the AnalysisController's QThread: loads audio and models and runs
// the Explainer. Never touches widgets; every slot catches everything and
// reports failures as plain-words signals. Cancellation: the controller bumps
// a shared generation counter; a job whose generation is stale stops at the
// next progress check.
#include "ui/analysis/AnalysisTypes.h"

#include <QElapsedTimer>
#include <QObject>

#include <atomic>
#include <memory>

namespace spooflens::ui {

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    explicit InferenceWorker(std::shared_ptr<std::atomic<quint64>> latestGeneration);
    ~InferenceWorker() override;

public slots:
    void loadAudio(quint64 generation, const QString& path);
    /// Replaces the detector; Stage 2 files are then added in order.
    void loadModels(quint64 generation, const QString& detector, const QString& detectorConfig,
                    const QStringList& stage2, const QString& precision = QStringLiteral("fp32"));
    /// Keeps the detector, replaces the Stage 2 list.
    void setStage2(quint64 generation, const QStringList& stage2);
    /// Detector, Stage 2 modules and the request's explainers (core::Explainer::explain).
    void explain(quint64 generation, spooflens::ui::AudioPtr audio, spooflens::core::ExplainRequest request);

signals:
    void audioLoaded(quint64 generation, spooflens::ui::AudioPtr audio);
    void modelsChanged(quint64 generation, spooflens::ui::ModelState state);
    void explained(quint64 generation, spooflens::core::Explanation explanation);
    /// `what`: "audio", "models" or "explain"; the message is for people.
    void failed(quint64 generation, const QString& what, const QString& message);
    /// Non-fatal problem (a Stage 2 file that could not be added, SHA mismatch).
    void warning(quint64 generation, const QString& message);
    void progress(quint64 generation, const QString& stage, double fraction);
    void finished(quint64 generation);

private:
    bool stale(quint64 generation) const;
    void addStage2List(quint64 generation, const QStringList& stage2);
    ModelState state() const;

    std::shared_ptr<std::atomic<quint64>> m_latest;
    std::unique_ptr<core::Explainer> m_explainer;
    QElapsedTimer m_progressClock;
};

/// A message a person can act on, from any exception thrown by core.
QString describeError(const std::exception& e);

} // namespace spooflens::ui
