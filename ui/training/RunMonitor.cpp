#include "ui/training/RunMonitor.h"

#include "core/training/RunRecords.h"
#include "core/training/TrainConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <exception>

namespace spooflens::ui {

namespace {

// The loss terms under the names the charts use ("total", "contrastive", ...).
std::map<QString, double> lossMap(const core::LossTerms& t)
{
    return {{QStringLiteral("total"), t.total},
            {QStringLiteral("contrastive"), t.contrastive},
            {QStringLiteral("bonafide_reg"), t.bonafideReg},
            {QStringLiteral("smooth"), t.smooth},
            {QStringLiteral("sparsity"), t.sparsity}};
}

StepRecord stepFrom(const core::StepMetrics& m)
{
    StepRecord s;
    s.step = m.step;
    s.epoch = m.epoch;
    s.batch = m.batch;
    s.batches = m.batches;
    s.seconds = m.seconds;
    s.loss = lossMap(m.loss);
    s.device = QString::fromStdString(m.device);
    s.featuresCached = m.featuresCached;
    s.featuresComputed = m.featuresComputed;
    return s;
}

EpochRecord epochFrom(const core::EpochMetrics& m)
{
    EpochRecord e;
    e.epoch = m.epoch;
    e.train = lossMap(m.train);
    e.val = lossMap(m.val);
    e.valAccuracy = m.valAccuracy;
    e.totalImportanceBonafide = m.meanTotalImportanceBonafide;
    e.totalImportanceSpoof = m.meanTotalImportanceSpoof;
    e.importanceMean = m.importanceMean;
    e.importanceSpread = m.importanceSpread;
    e.collapseMean = m.collapseMean;
    e.collapseSpread = m.collapseSpread;
    e.saturated = m.saturated;
    e.meanThreshold = m.meanThreshold;
    e.spreadThreshold = m.spreadThreshold;
    e.saturationThreshold = m.saturationThreshold;
    e.lr = m.learningRate;
    e.seconds = m.seconds;
    e.best = m.best;
    e.bestEpoch = m.bestEpoch;
    e.badEpochs = m.badEpochs;
    e.bestValLoss = m.bestValLoss;
    e.prototypeMode = QString::fromStdString(m.prototypeMode);
    return e;
}

} // namespace

RunMonitor::RunMonitor(QObject* parent) : QObject(parent)
{
    // Directory and file notifications do not arrive for every filesystem
    // (network shares, some sync tools): the timer is the fallback.
    m_poll.setInterval(500);
    connect(&m_poll, &QTimer::timeout, this, &RunMonitor::refresh);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &RunMonitor::refresh);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] {
        rewatch();
        refresh();
    });
}

bool RunMonitor::isRunFolder(const QString& dir, QString* why)
{
    const QFileInfo fi(dir);
    if (!fi.exists() || !fi.isDir()) {
        if (why)
            *why = tr("'%1' is not a folder").arg(dir);
        return false;
    }
    const QDir d(dir);
    for (const char* name : {core::kMetricsFile, core::kStepsFile, core::kRunConfigFile, core::kLastCheckpointFile})
        if (d.exists(QString::fromLatin1(name)))
            return true;
    if (why)
        *why = tr("'%1' is not a training run folder (no metrics.jsonl, steps.jsonl, config.yaml or last.pth)").arg(dir);
    return false;
}

bool RunMonitor::attach(const QString& dir)
{
    detach();
    QString why;
    if (!isRunFolder(dir, &why)) {
        m_error = why;
        return false;
    }
    // Only regular files are read: opening a FIFO named metrics.jsonl would
    // block the GUI thread until something writes to it.
    for (const char* name : {core::kMetricsFile, core::kStepsFile, core::kRunConfigFile}) {
        const QFileInfo f(QDir(dir).filePath(QString::fromLatin1(name)));
        if (f.exists() && !f.isFile()) {
            m_error = tr("'%1' is not a regular file (a FIFO, a folder or a device): a run folder's logs are files")
                          .arg(f.filePath());
            return false;
        }
    }
    m_dir = QFileInfo(dir).absoluteFilePath();
    m_stepsTail.path = QDir(m_dir).filePath(QString::fromLatin1(core::kStepsFile));
    m_metricsTail.path = QDir(m_dir).filePath(QString::fromLatin1(core::kMetricsFile));
    m_watcher.addPath(m_dir);
    rewatch();
    Q_EMIT reset();
    refresh();
    m_poll.start();
    return true;
}

void RunMonitor::detach()
{
    m_poll.stop();
    if (!m_watcher.files().isEmpty())
        m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty())
        m_watcher.removePaths(m_watcher.directories());
    m_dir.clear();
    m_error.clear();
    m_stepsTail = Tail{};
    m_metricsTail = Tail{};
    m_steps.clear();
    m_epochs.clear();
    m_info = RunInfo{};
    m_infoMtime = -1;
    m_malformed = 0;
    m_configError.clear();
}

void RunMonitor::rewatch()
{
    // A file that did not exist (or was replaced by rename) must be re-added.
    for (const QString& p : {m_stepsTail.path, m_metricsTail.path})
        if (!p.isEmpty() && QFileInfo::exists(p) && !m_watcher.files().contains(p))
            m_watcher.addPath(p);
}

bool RunMonitor::hasBest() const
{
    return !m_dir.isEmpty() && QFileInfo::exists(QDir(m_dir).filePath(QString::fromLatin1(core::kBestCheckpointFile)));
}

bool RunMonitor::hasLast() const
{
    return !m_dir.isEmpty() && QFileInfo::exists(QDir(m_dir).filePath(QString::fromLatin1(core::kLastCheckpointFile)));
}

QList<QByteArray> RunMonitor::readNew(Tail& t, bool& shrunk)
{
    QList<QByteArray> lines;
    const QFileInfo info(t.path);
    if (info.exists() && !info.isFile())
        return lines;  // replaced by a FIFO or a folder since attach: never block on it
    QFile f(t.path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (t.offset > 0)
            shrunk = true;  // removed: a fresh run restarted the logs
        return lines;
    }
    const qint64 size = f.size();
    if (size < t.offset) {
        shrunk = true;
        return lines;
    }
    if (size == t.offset)
        return lines;
    f.seek(t.offset);
    QByteArray chunk = f.read(size - t.offset);
    t.offset += chunk.size();
    chunk.prepend(t.partial);
    t.partial.clear();
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = chunk.indexOf('\n', start);
        if (nl < 0)
            break;
        const QByteArray line = chunk.mid(start, nl - start).trimmed();
        if (!line.isEmpty())
            lines.append(line);
        start = nl + 1;
    }
    // The writer may be in the middle of a line: keep the rest for next time.
    t.partial = chunk.mid(start);
    return lines;
}

void RunMonitor::readInfo()
{
    const QString path = QDir(m_dir).filePath(QString::fromLatin1(core::kRunConfigFile));
    const QFileInfo fi(path);
    const qint64 mtime = fi.exists() ? fi.lastModified().toMSecsSinceEpoch() : -1;
    if (mtime == m_infoMtime)
        return;
    m_infoMtime = mtime;
    QFile f(path);
    RunInfo info;
    m_configError.clear();
    if (fi.exists() && !fi.isFile()) {
        m_configError = tr("%1 is not a regular file").arg(path);
    } else if (f.open(QIODevice::ReadOnly)) {
        // The trainer's own parser (core::TrainConfig): the same keys, types and errors.
        try {
            const core::TrainConfig c = core::TrainConfig::parse(f.readAll().toStdString(), path.toStdString());
            info.prototypeMode = QString::fromStdString(c.prototypeMode);
            info.objective = QString::fromStdString(c.objective);
            info.numEpochs = c.numEpochs;
            info.batchSize = c.batchSize;
            info.patience = c.patience;
            info.device = QString::fromStdString(c.device);
            info.detector = QString::fromStdString(c.pretrainedCheckpoint);
        } catch (const std::exception& e) {
            m_configError = QString::fromStdString(e.what());
        }
    }
    m_info = info;
    Q_EMIT infoChanged();
}

void RunMonitor::refresh()
{
    if (m_dir.isEmpty())
        return;
    readInfo();
    rewatch();
    bool shrunk = false;
    QList<QByteArray> stepLines = readNew(m_stepsTail, shrunk);
    QList<QByteArray> metricLines = readNew(m_metricsTail, shrunk);
    if (shrunk) {
        // Start over: cheap for these file sizes, and always consistent.
        m_stepsTail = Tail{m_stepsTail.path, 0, {}};
        m_metricsTail = Tail{m_metricsTail.path, 0, {}};
        m_steps.clear();
        m_epochs.clear();
        m_malformed = 0;
        bool ignored = false;
        stepLines = readNew(m_stepsTail, ignored);
        metricLines = readNew(m_metricsTail, ignored);
        Q_EMIT reset();
    }
    // Lines go through the trainer's own parsers (core/training/RunRecords.h);
    // a complete line they reject (torn by a crash, garbage) is skipped and counted.
    const int malformedBefore = m_malformed;
    const int firstStep = m_steps.size();
    for (const QByteArray& l : stepLines) {
        core::StepMetrics sm;
        if (core::parseStepMetrics(l.toStdString(), sm))
            m_steps.append(stepFrom(sm));
        else
            ++m_malformed;
    }
    const int firstEpoch = m_epochs.size();
    for (const QByteArray& l : metricLines) {
        core::EpochMetrics em;
        if (core::parseEpochMetrics(l.toStdString(), em))
            m_epochs.append(epochFrom(em));
        else
            ++m_malformed;
    }
    if (m_malformed != malformedBefore)
        Q_EMIT malformedLinesChanged(m_malformed);
    if (m_steps.size() > firstStep)
        Q_EMIT stepsAppended(firstStep);
    if (m_epochs.size() > firstEpoch)
        Q_EMIT epochsAppended(firstEpoch);
}

} // namespace spooflens::ui
