#include "ui/analysis/AnalysisController.h"

#include "ui/analysis/InferenceWorker.h"

namespace spooflens::ui {

AnalysisController::AnalysisController(QObject* parent)
    : QObject(parent), m_latest(std::make_shared<std::atomic<quint64>>(0))
{
    qRegisterMetaType<AudioPtr>("spooflens::ui::AudioPtr");
    qRegisterMetaType<ModelState>("spooflens::ui::ModelState");
    qRegisterMetaType<core::Explanation>("spooflens::core::Explanation");
    qRegisterMetaType<core::ExplainRequest>("spooflens::core::ExplainRequest");

    m_worker = new InferenceWorker(m_latest);
    m_worker->moveToThread(&m_thread);
    m_thread.setObjectName(QStringLiteral("spooflens-inference"));
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &AnalysisController::workerLoadModels, m_worker, &InferenceWorker::loadModels);
    connect(this, &AnalysisController::workerSetStage2, m_worker, &InferenceWorker::setStage2);
    connect(this, &AnalysisController::workerExplain, m_worker, &InferenceWorker::explain);
    m_audioWorker = new InferenceWorker(m_latest);
    m_audioWorker->moveToThread(&m_audioThread);
    m_audioThread.setObjectName(QStringLiteral("spooflens-audio"));
    connect(&m_audioThread, &QThread::finished, m_audioWorker, &QObject::deleteLater);
    connect(this, &AnalysisController::workerLoadAudio, m_audioWorker, &InferenceWorker::loadAudio);
    connectWorker(m_worker);
    connectWorker(m_audioWorker);
    m_thread.start();
    m_audioThread.start();
}

void AnalysisController::connectWorker(InferenceWorker* worker)
{
    connect(worker, &InferenceWorker::audioLoaded, this, [this](quint64 gen, AudioPtr audio) {
        if (gen != m_audioGeneration)
            return;
        m_audio = std::move(audio);
        emit audioReady(m_audio);
        requestExplain();
    });
    connect(worker, &InferenceWorker::modelsChanged, this, [this](quint64, ModelState state) {
        m_models = std::move(state);
        if (!m_pendingDetector.isEmpty()) {
            m_detector = m_pendingDetector;
            m_detectorConfig = m_pendingConfig;
            m_pendingDetector.clear();
            m_pendingConfig.clear();
        }
        // Only the Stage 2 files that loaded stay in the list.
        m_stage2.clear();
        for (const auto& info : m_models.stage2)
            m_stage2 << QString::fromStdString(info.path);
        emit modelsChanged(m_models);
        requestExplain();
    });
    connect(worker, &InferenceWorker::explained, this, [this](quint64 gen, core::Explanation e) {
        if (gen == m_explainGeneration)
            emit explanationReady(e);
    });
    connect(worker, &InferenceWorker::failed, this, [this](quint64 gen, const QString& what, const QString& msg) {
        if ((what == QLatin1String("audio") && gen != m_audioGeneration) ||
            (what == QLatin1String("explain") && gen != m_explainGeneration))
            return;
        if (what == QLatin1String("models")) {
            m_pendingDetector.clear();
            m_pendingConfig.clear();
        }
        emit error(msg);
    });
    connect(worker, &InferenceWorker::warning, this, [this](quint64, const QString& msg) { emit warning(msg); });
    connect(worker, &InferenceWorker::progress, this,
            [this](quint64 gen, const QString& stage, double f) {
                if (gen == m_latest->load())
                    emit progress(stage, f);
            });
    connect(worker, &InferenceWorker::finished, this, [this](quint64) {
        if (--m_outstanding == 0)
            emit busyChanged(false);
    });
}

AnalysisController::~AnalysisController()
{
    m_latest->fetch_add(1);  // stop a running inference at its next check
    m_thread.quit();
    m_audioThread.quit();
    m_thread.wait();
    m_audioThread.wait();
}

quint64 AnalysisController::next()
{
    return m_latest->fetch_add(1) + 1;
}

void AnalysisController::started()
{
    if (m_outstanding++ == 0)
        emit busyChanged(true);
}

void AnalysisController::openAudio(const QString& path)
{
    const quint64 gen = next();
    m_audioGeneration = gen;
    started();
    emit workerLoadAudio(gen, path);
}

void AnalysisController::openModels(const QString& detector, const QString& detectorConfig, const QStringList& stage2)
{
    // m_detector/m_stage2 change when the worker reports what loaded.
    m_pendingDetector = detector;
    m_pendingConfig = detectorConfig;
    const quint64 gen = next();
    started();
    emit workerLoadModels(gen, detector, detectorConfig, stage2, m_precision);
}

void AnalysisController::setPrecision(const QString& precision)
{
    if (precision == m_precision)
        return;
    m_precision = precision;
    emit precisionChanged(m_precision);
    if (!m_detector.isEmpty())
        openModels(m_detector, m_detectorConfig, m_stage2);
}

void AnalysisController::setStage2(const QStringList& stage2)
{
    const quint64 gen = next();
    started();
    emit workerSetStage2(gen, stage2);
}

void AnalysisController::setMethods(const std::vector<core::AttributionMethod>& methods, bool reexplain)
{
    m_request.methods = methods;
    // The summary table reads deletion/insertion AUCs from the curves.
    m_request.faithfulness = !methods.empty();
    if (reexplain)
        requestExplain();
}

void AnalysisController::cancel()
{
    next();
    m_explainGeneration = 0;
}

void AnalysisController::requestExplain()
{
    if (!m_audio || !m_models.hasDetector)
        return;
    const quint64 gen = next();
    m_explainGeneration = gen;
    started();
    emit workerExplain(gen, m_audio, m_request);
}

} // namespace spooflens::ui
