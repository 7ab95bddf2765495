#pragma once
// The records of a Stage 2 run folder, in one place (docs/reliability.md):
// the file names, one line of metrics.jsonl (EpochMetrics) and of steps.jsonl
// (StepMetrics) with their JSON writers and checked parsers, the trim and
// repair of the logs on resume, the validation statistics of an epoch, and
// the trainer's progress report (TrainProgress) with its one-line JSON form
// (`spooflens train --progress json`). The trainer writes these, the GUI's
// run monitor and training runner read them through the same functions.
// Torch-free.
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

/// File names inside a run folder.
inline constexpr const char* kMetricsFile = "metrics.jsonl";
inline constexpr const char* kStepsFile = "steps.jsonl";
inline constexpr const char* kRunConfigFile = "config.yaml";
inline constexpr const char* kLastCheckpointFile = "last.pth";
inline constexpr const char* kBestCheckpointFile = "best.pth";

/// `dir/name` as a string.
std::string runFile(const std::string& dir, const char* name);

/// The loss terms of one step or the mean over an epoch.
struct LossTerms {
    double total = 0, contrastive = 0, bonafideReg = 0, smooth = 0, sparsity = 0;
};

/// Per-epoch record (one line of RUN_DIR/metrics.jsonl).
struct EpochMetrics {
    int64_t epoch = 0;                       ///< 1-based
    using Terms = LossTerms;
    Terms train, val;
    double valAccuracy = 0;                  ///< argmax u_c == label, validation utterances
    double meanTotalImportanceBonafide = 0;  ///< mean over bona fide val utterances of sum_t w
    double meanTotalImportanceSpoof = 0;
    double importanceMean = 0;               ///< mean w over val frames
    double importanceSpread = 0;             ///< mean over val utterances of std_t w(t)
    bool collapseMean = false;               ///< importanceMean < threshold
    bool collapseSpread = false;             ///< importanceSpread < threshold
    bool saturated = false;                  ///< importanceMean > saturation threshold (w ≈ 1 everywhere)
    bool collapsed = false;                  ///< any of the three (ImportanceHealth::degenerate)
    double meanThreshold = 0, spreadThreshold = 0, saturationThreshold = 0;
    double learningRate = 0;
    double seconds = 0;
    bool best = false;
    int64_t bestEpoch = 0;                   ///< of the run so far
    double bestValLoss = 0;
    int64_t badEpochs = 0;
    std::string prototypeMode, objective;
    std::string json;                        ///< the metrics.jsonl line
};

/// One line of RUN_DIR/steps.jsonl: one optimiser step.
struct StepMetrics {
    int64_t step = 0;                        ///< global, 1-based
    int64_t epoch = 0, batch = 0, batches = 0;
    LossTerms loss;
    double seconds = 0;                      ///< since the start of the epoch
    std::string device;
    int64_t featuresCached = -1;             ///< -1: not logged
    int64_t featuresComputed = -1;
};

/// The metrics.jsonl line of `m` (without a newline; `m.json` is not read).
std::string epochMetricsJson(const EpochMetrics& m);
/// Parses one metrics.jsonl line. False (and `out` untouched) for a line that
/// is not a JSON object with an integer "epoch" >= 1, or whose known keys have
/// the wrong type (a torn or garbage line). Sets `out.json` to the line.
bool parseEpochMetrics(const std::string& line, EpochMetrics& out);

std::string stepMetricsJson(const StepMetrics& s);
/// As parseEpochMetrics, for steps.jsonl ("step" >= 1 is required).
bool parseStepMetrics(const std::string& line, StepMetrics& out);

/// Keeps only the lines of a jsonl log whose "epoch" is <= maxEpoch (a killed
/// run may have logged part of an epoch that the checkpoint does not hold);
/// drops empty and unparsable (torn) lines. Rewrites crash-safely, only when
/// something changed. No file: nothing to do.
void trimJsonl(const std::string& path, int64_t maxEpoch);

/// Appends `line` (the metrics line of `epoch`) to `path` unless a line of
/// that epoch is already there: the repair after a kill between the
/// checkpoint and its log line. Returns true when it appended.
bool appendEpochLineIfMissing(const std::string& path, int64_t epoch, const std::string& line);

/// What the validation pass measures of one batch (all utterances of it).
struct ValidationBatch {
    std::vector<int> labels;                 ///< 1 bona fide, 0 spoof
    std::vector<int64_t> predicted;          ///< argmax of the utterance scores
    std::vector<double> totalImportance;     ///< sum_t w(t) per utterance
    std::vector<double> importanceSpread;    ///< std_t w(t) per utterance (population)
    double importanceSum = 0;                ///< sum of w over the batch's frames
    double frames = 0;                       ///< frames in the batch
};

struct ValidationStats {
    double utterances = 0;
    double accuracy = 0;
    double meanTotalImportanceBonafide = 0, meanTotalImportanceSpoof = 0;
    double importanceMean = 0, importanceSpread = 0;
};

/// The epoch's validation statistics (EpochMetrics fields of the same names).
/// Pure; empty classes give 0.
ValidationStats validationStats(const std::vector<ValidationBatch>& batches);

/// The trainer's progress, reported through TrainOptions::progress on the
/// training thread (core writes no progress text itself).
struct TrainProgress {
    enum class Phase { PreparingFeatures, Training, Validating, Paused, Cancelled, Finished };
    Phase phase = Phase::Training;
    int64_t epoch = 0, epochs = 0;           ///< epoch in progress (1-based) of the configured number
    int64_t batch = 0, batches = 0;          ///< batches done in this epoch / per epoch
    int64_t step = 0;                        ///< global steps done
    double loss = 0;                         ///< total loss of the last step (Training)
    double etaSeconds = -1;                  ///< to the end of the epoch (Training) or the phase; -1: unknown
    int64_t done = 0, total = 0;             ///< PreparingFeatures: utterances done / to do
};

const char* trainPhaseName(TrainProgress::Phase phase);
/// One JSON object on one line: {"progress":"training","epoch":..,...}.
std::string trainProgressJson(const TrainProgress& p);
/// Parses a trainProgressJson line; false for anything else.
bool parseTrainProgress(const std::string& line, TrainProgress& out);

} // namespace spooflens::core
