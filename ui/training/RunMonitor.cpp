#include "ui/training/RunMonitor.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace spooflens::ui {

namespace {

std::map<QString, double> lossTerms(const QJsonObject& o)
{
    std::map<QString, double> r;
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.key().startsWith(QLatin1String("loss_")) && it.value().isDouble())
            r[it.key().mid(5)] = it.value().toDouble();
    return r;
}

bool parseObject(const QByteArray& line, QJsonObject& out)
{
    QJsonParseError err{};
    const QJsonDocument d = QJsonDocument::fromJson(line, &err);
    if (err.error != QJsonParseError::NoError || !d.isObject())
        return false;
    out = d.object();
    return true;
}

StepRecord stepFrom(const QJsonObject& o)
{
    StepRecord s;
    s.step = o.value("step").toInteger();
    s.epoch = o.value("epoch").toInteger();
    s.batch = o.value("batch").toInteger();
    s.batches = o.value("batches").toInteger();
    s.seconds = o.value("seconds").toDouble();
    s.loss = lossTerms(o);
    s.device = o.value("device").toString();
    s.featuresCached = o.contains("features_cached") ? o.value("features_cached").toInteger() : -1;
    s.featuresComputed = o.contains("features_computed") ? o.value("features_computed").toInteger() : -1;
    return s;
}

EpochRecord epochFrom(const QJsonObject& o)
{
    EpochRecord e;
    e.epoch = o.value("epoch").toInteger();
    e.train = lossTerms(o.value("train").toObject());
    const QJsonObject val = o.value("val").toObject();
    e.val = lossTerms(val);
    e.valAccuracy = val.value("accuracy").toDouble();
    const QJsonObject mti = o.value("mean_total_importance").toObject();
    e.totalImportanceBonafide = mti.value("bonafide").toDouble();
    e.totalImportanceSpoof = mti.value("spoof").toDouble();
    e.importanceMean = o.value("importance_mean").toDouble();
    e.importanceSpread = o.value("importance_spread").toDouble();
    const QJsonObject c = o.value("collapse").toObject();
    e.collapseMean = c.value("mean_below_threshold").toBool();
    e.collapseSpread = c.value("spread_below_threshold").toBool();
    e.meanThreshold = c.value("mean_threshold").toDouble();
    e.spreadThreshold = c.value("spread_threshold").toDouble();
    e.saturated = c.value("saturated").toBool();
    e.saturationThreshold = c.value("saturation_threshold").toDouble();
    e.lr = o.value("lr").toDouble();
    e.seconds = o.value("seconds").toDouble();
    e.best = o.value("best").toBool();
    e.bestEpoch = o.value("best_epoch").toInteger();
    e.badEpochs = o.value("bad_epochs").toInteger();
    e.bestValLoss = o.value("best_val_loss").toDouble();
    e.prototypeMode = o.value("prototype_mode").toString();
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
            *why = QStringLiteral("'%1' is not a folder").arg(dir);
        return false;
    }
    const QDir d(dir);
    for (const char* name : {"metrics.jsonl", "steps.jsonl", "config.yaml", "last.pth"})
        if (d.exists(QString::fromLatin1(name)))
            return true;
    if (why)
        *why = QStringLiteral("'%1' is not a training run folder (no metrics.jsonl, steps.jsonl, config.yaml or last.pth)")
                   .arg(dir);
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
    m_dir = QFileInfo(dir).absoluteFilePath();
    m_stepsTail.path = QDir(m_dir).filePath("steps.jsonl");
    m_metricsTail.path = QDir(m_dir).filePath("metrics.jsonl");
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
    return !m_dir.isEmpty() && QFileInfo::exists(QDir(m_dir).filePath("best.pth"));
}

bool RunMonitor::hasLast() const
{
    return !m_dir.isEmpty() && QFileInfo::exists(QDir(m_dir).filePath("last.pth"));
}

QList<QByteArray> RunMonitor::readNew(Tail& t, bool& shrunk)
{
    QList<QByteArray> lines;
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
    const QString path = QDir(m_dir).filePath("config.yaml");
    const QFileInfo fi(path);
    const qint64 mtime = fi.exists() ? fi.lastModified().toMSecsSinceEpoch() : -1;
    if (mtime == m_infoMtime)
        return;
    m_infoMtime = mtime;
    QFile f(path);
    RunInfo info;
    if (f.open(QIODevice::ReadOnly)) {
        // The resolved config written by the trainer is flat "  key: value" lines.
        static const QRegularExpression re(QStringLiteral("^\\s+([a-z_]+):\\s*(.*)$"));
        for (const QByteArray& raw : f.readAll().split('\n')) {
            const auto m = re.match(QString::fromUtf8(raw));
            if (!m.hasMatch())
                continue;
            const QString k = m.captured(1);
            QString v = m.captured(2).trimmed();
            if (v.size() >= 2 && (v.startsWith('"') || v.startsWith('\'')))
                v = v.mid(1, v.size() - 2);
            if (k == "prototype_mode")
                info.prototypeMode = v;
            else if (k == "num_epochs")
                info.numEpochs = v.toLongLong();
            else if (k == "batch_size")
                info.batchSize = v.toLongLong();
            else if (k == "patience")
                info.patience = v.toLongLong();
            else if (k == "device")
                info.device = v;
            else if (k == "pretrained_checkpoint")
                info.detector = v;
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
        bool ignored = false;
        stepLines = readNew(m_stepsTail, ignored);
        metricLines = readNew(m_metricsTail, ignored);
        Q_EMIT reset();
    }
    const int firstStep = m_steps.size();
    for (const QByteArray& l : stepLines) {
        QJsonObject o;
        if (parseObject(l, o))
            m_steps.append(stepFrom(o));
    }
    const int firstEpoch = m_epochs.size();
    for (const QByteArray& l : metricLines) {
        QJsonObject o;
        if (parseObject(l, o))
            m_epochs.append(epochFrom(o));
    }
    if (m_steps.size() > firstStep)
        Q_EMIT stepsAppended(firstStep);
    if (m_epochs.size() > firstEpoch)
        Q_EMIT epochsAppended(firstEpoch);
}

} // namespace spooflens::ui
