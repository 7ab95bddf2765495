#pragma once
// Follows a Stage 2 run folder (RUN_DIR/metrics.jsonl, steps.jsonl,
// config.yaml) written by `spooflens train` -- locally or on another machine
// and synced here. Reads only what was appended since the last look, keeps a
// torn last line until it is complete, and starts over when a file shrinks
// (a resumed run trims a partial epoch). Lives on the GUI thread: the files are
// small appends, read in a few microseconds per line.
#include <QFileSystemWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVector>

#include <map>

namespace spooflens::ui {

/// One line of steps.jsonl (parsed by core::parseStepMetrics), in the form the charts use.
struct StepRecord {
    qint64 step = 0;              ///< global step, 1-based
    qint64 epoch = 0;             ///< 1-based epoch this step belongs to
    qint64 batch = 0, batches = 0;
    double seconds = 0;           ///< since the start of the epoch
    std::map<QString, double> loss;  ///< "total", "contrastive", "bonafide_reg", "smooth", "sparsity"
    QString device;               ///< when the trainer logs it
    qint64 featuresCached = -1;   ///< cache hits so far (-1: not logged)
    qint64 featuresComputed = -1; ///< features computed by the detector so far (-1: not logged)
};

/// One line of metrics.jsonl (parsed by core::parseEpochMetrics), in the form the charts use.
struct EpochRecord {
    qint64 epoch = 0;
    std::map<QString, double> train, val;  ///< keys as StepRecord::loss
    double valAccuracy = 0;
    double totalImportanceBonafide = 0, totalImportanceSpoof = 0;  ///< mean over utterances of sum_t w(t)
    double importanceMean = 0, importanceSpread = 0;
    bool collapseMean = false, collapseSpread = false;
    bool saturated = false;                ///< mean w above the saturation threshold (w ≈ 1 everywhere)
    double meanThreshold = 0, spreadThreshold = 0, saturationThreshold = 0;
    double lr = 0, seconds = 0;
    bool best = false;
    qint64 bestEpoch = 0, badEpochs = 0;
    double bestValLoss = 0;
    QString prototypeMode;
};

/// A few keys of RUN_DIR/config.yaml the monitor needs (read with core::TrainConfig::parse).
struct RunInfo {
    QString prototypeMode;
    QString objective;       ///< model.objective (what the four loss slots hold)
    qint64 numEpochs = 0, batchSize = 0, patience = 0;
    QString device;
    QString detector;        ///< model.pretrained_checkpoint (absolute in a resolved config)
};

class RunMonitor : public QObject {
    Q_OBJECT
public:
    explicit RunMonitor(QObject* parent = nullptr);

    /// True when `dir` looks like a run folder (config.yaml, metrics.jsonl,
    /// steps.jsonl or last.pth); otherwise `why` says what is missing.
    static bool isRunFolder(const QString& dir, QString* why = nullptr);

    /// Starts following `dir` (reads what is there at once). False + error() for a non-run folder.
    bool attach(const QString& dir);
    void detach();
    QString runDir() const { return m_dir; }
    QString error() const { return m_error; }

    const QVector<StepRecord>& steps() const { return m_steps; }
    const QVector<EpochRecord>& epochs() const { return m_epochs; }
    const RunInfo& info() const { return m_info; }
    /// Complete log lines that are not a valid record (torn, garbage): skipped, counted here.
    int malformedLines() const { return m_malformed; }
    /// Why config.yaml could not be read ("" when it was, or is absent).
    QString configError() const { return m_configError; }
    bool hasBest() const;
    bool hasLast() const;

    /// Poll interval of the fallback timer (ms); the watcher usually fires first.
    void setPollInterval(int ms) { m_poll.setInterval(ms); }

public Q_SLOTS:
    /// Reads whatever was appended since the last call.
    void refresh();

Q_SIGNALS:
    void stepsAppended(int firstNew);   ///< steps()[firstNew..] are new
    void epochsAppended(int firstNew);
    void reset();                       ///< everything was re-read (a log shrank, a new attach)
    void infoChanged();
    void malformedLinesChanged(int count);

private:
    struct Tail {
        QString path;
        qint64 offset = 0;
        QByteArray partial;
    };
    /// Returns complete new lines; sets `shrunk` when the file got shorter.
    QList<QByteArray> readNew(Tail& t, bool& shrunk);
    void readInfo();
    void rewatch();

    QString m_dir, m_error;
    Tail m_stepsTail, m_metricsTail;
    QVector<StepRecord> m_steps;
    QVector<EpochRecord> m_epochs;
    RunInfo m_info;
    qint64 m_infoMtime = -1;
    int m_malformed = 0;
    QString m_configError;
    QFileSystemWatcher m_watcher;
    QTimer m_poll;
};

} // namespace spooflens::ui
