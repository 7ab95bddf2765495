#include "ui/analysis/InferenceWorker.h"

#include "core/audio/AudioLength.h"

#include "core/Error.h"
#include "ui/LocalPath.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

QString describeError(const std::exception& e)
{
    const QString msg = QString::fromStdString(e.what());
    if (dynamic_cast<const core::AudioError*>(&e))
        return QStringLiteral("Could not use this audio file: %1").arg(msg);
    if (dynamic_cast<const core::CheckpointError*>(&e))
        return QStringLiteral("Could not use this checkpoint: %1").arg(msg);
    if (dynamic_cast<const core::ConfigError*>(&e))
        return QStringLiteral("Invalid configuration: %1").arg(msg);
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return QStringLiteral("Out of memory.");
    return msg;
}

InferenceWorker::InferenceWorker(std::shared_ptr<std::atomic<quint64>> latestGeneration)
    : m_latest(std::move(latestGeneration))
{
}

InferenceWorker::~InferenceWorker() = default;

bool InferenceWorker::stale(quint64 generation) const
{
    return m_latest->load() != generation;
}

ModelState InferenceWorker::state() const
{
    ModelState s;
    if (m_explainer) {
        s.hasDetector = true;
        s.detector = m_explainer->detectorInfo();
        s.stage2 = m_explainer->stage2();
    }
    return s;
}

void InferenceWorker::loadAudio(quint64 generation, const QString& path)
{
    try {
        emit progress(generation, tr("Loading %1").arg(QFileInfo(path).fileName()), 0.0);
        auto audio = std::make_shared<core::AudioData>(core::loadAudio(localPath(path)));
        emit audioLoaded(generation, audio);
        // A file that ended early is used as far as it goes, and the window says so (docs/reliability.md).
        const std::string early = core::endedEarlyWarning(*audio);
        if (!early.empty())
            emit warning(generation, QString::fromStdString(early));
    } catch (const std::exception& e) {
        emit failed(generation, QStringLiteral("audio"), describeError(e));
    } catch (...) {
        emit failed(generation, QStringLiteral("audio"), tr("Unknown error while loading %1").arg(path));
    }
    emit finished(generation);
}

void InferenceWorker::addStage2List(quint64 generation, const QStringList& stage2)
{
    for (const QString& path : stage2) {
        try {
            const core::Stage2Info info = m_explainer->addStage2(localPath(path));
            if (info.detectorMismatch)
                emit warning(generation,
                             QStringLiteral("%1 was trained on another detector (its recorded SHA-256 %2 "
                                            "differs from the loaded detector's %3): its explanation "
                                            "may not mean anything for this detector.")
                                 .arg(QFileInfo(path).fileName(),
                                      QString::fromStdString(info.detectorSha256).left(12),
                                      QString::fromStdString(m_explainer->detectorInfo().sha256).left(12)));
        } catch (const std::exception& e) {
            emit warning(generation, tr("Stage 2 file %1 not loaded. %2")
                                         .arg(QFileInfo(path).fileName(), describeError(e)));
        }
    }
}

void InferenceWorker::loadModels(quint64 generation, const QString& detector, const QString& detectorConfig,
                                 const QStringList& stage2, const QString& precision)
{
    try {
        emit progress(generation, tr("Loading detector %1").arg(QFileInfo(detector).fileName()), 0.0);
        core::DetectorOptions options;
        options.checkpointPath = localPath(detector);
        options.configPath = localPath(detectorConfig);
        options.device = "cpu";
        options.precision = core::parsePrecision(precision.toStdString());
        auto explainer = std::make_unique<core::Explainer>(options);
        m_explainer = std::move(explainer);
        addStage2List(generation, stage2);
        emit modelsChanged(generation, state());
    } catch (const std::exception& e) {
        emit failed(generation, QStringLiteral("models"), describeError(e));
    } catch (...) {
        emit failed(generation, QStringLiteral("models"), tr("Unknown error while loading %1").arg(detector));
    }
    emit finished(generation);
}

void InferenceWorker::setStage2(quint64 generation, const QStringList& stage2)
{
    try {
        if (!m_explainer) {
            emit failed(generation, QStringLiteral("models"),
                        tr("Open a detector checkpoint first: a Stage 2 module explains a detector's embeddings."));
        } else {
            m_explainer->clearStage2();
            addStage2List(generation, stage2);
            emit modelsChanged(generation, state());
        }
    } catch (const std::exception& e) {
        emit failed(generation, QStringLiteral("models"), describeError(e));
    } catch (...) {
        emit failed(generation, QStringLiteral("models"), tr("Unknown error while loading Stage 2 files"));
    }
    emit finished(generation);
}

void InferenceWorker::explain(quint64 generation, AudioPtr audio, core::ExplainRequest request)
{
    if (!m_explainer || !audio || stale(generation)) {
        emit finished(generation);
        return;
    }
    try {
        m_progressClock.start();
        QElapsedTimer elapsed;
        elapsed.start();
        const size_t total = request.methods.size();
        // The stage names what runs now: the detector, then each explainer in turn.
        QString stage = total == 0 ? tr("Running the detector")
                                   : tr("Running the detector (explainers next: %1)").arg(total);
        emit progress(generation, stage, 0.0);
        auto report = [this, generation, &stage, &elapsed](double f, bool now) {
            // Throttled to ~10 Hz: the GUI needs no more.
            if (now || m_progressClock.elapsed() >= 100) {
                m_progressClock.restart();
                QString text = stage;
                const double s = double(elapsed.elapsed()) / 1000.0;
                if (f > 0.02 && s > 1.0)
                    text += tr(" \u00b7 about %1 s left").arg(std::max(1.0, std::round(s * (1.0 - f) / f)));
                emit progress(generation, text, f);
            }
        };
        auto onProgress = [&report](double f) { report(f, false); };
        auto cancelled = [this, generation]() { return stale(generation); };
        request.cut = core::CutMode::Full;
        // Streamed: the score and the Stage 2 tracks are shown as soon as they
        // exist, each explainer as soon as it is done; a cancel keeps them.
        auto partial = [&](const core::Explanation& soFar, size_t done) {
            if (stale(generation))
                return;
            if (done < total) {
                stage = tr("Running %1 (%2 of %3)")
                            .arg(QString::fromStdString(core::methodName(request.methods[done])))
                            .arg(done + 1)
                            .arg(total);
                report(double(done) / double(total), true);
            }
            if (done < total)
                emit explained(generation, soFar);
        };
        core::Explanation e = request.methods.empty() && !request.faithfulness
                                  ? m_explainer->explain(*audio, core::CutMode::Full, onProgress, cancelled)
                                  : m_explainer->explain(*audio, request, partial, onProgress, cancelled);
        if (!stale(generation))
            emit explained(generation, std::move(e));
    } catch (const core::CancelledError&) {
        // A newer request superseded this one: nothing to report.
    } catch (const std::exception& e) {
        if (!stale(generation))
            emit failed(generation, QStringLiteral("explain"), describeError(e));
    } catch (...) {
        if (!stale(generation))
            emit failed(generation, QStringLiteral("explain"), tr("Unknown error during inference"));
    }
    emit finished(generation);
}

} // namespace spooflens::ui
