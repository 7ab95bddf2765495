#pragma once
// Stage 2 trainer: frozen detector -> (cached) SSL features -> Stage 2 module
// trained with the configured objective (docs/stage2-objective.md). Used by `spooflens train` and the GUI.
// Torch-free header.
#include "core/training/RunRecords.h"
#include "core/training/TrainConfig.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spooflens::core {

struct TrainOptions {
    TrainConfig config;
    std::string runDir;
    bool resume = false;          ///< continue RUN_DIR from last.pth (config from RUN_DIR/config.yaml)
    bool quiet = false;           ///< no calls of `progress`
    /// Set from another thread: stop after the current step (the last finished
    /// epoch stays resumable) / wait while true.
    std::atomic<bool>* stop = nullptr;
    std::atomic<bool>* pause = nullptr;
    std::function<void(const EpochMetrics&)> onEpoch;   ///< called on the training thread
    std::function<void(const std::string&)> log;         ///< default: stderr
    /// Live progress (phase, epoch, batch, loss, ETA), on the training thread,
    /// after every step and feature; none when empty. Core prints no progress
    /// itself: `spooflens train` draws its line (or JSON lines) from this.
    std::function<void(const TrainProgress&)> progress;
    /// Stop (as if `stop` was set) after this many epochs of this call (0 = no limit).
    int64_t maxEpochsThisCall = 0;
    /// The caller already holds the run folder's FolderLock (RunFolder.h,
    /// `spooflens train` takes it before its control watcher); otherwise
    /// trainStage2 takes it and a second writer gets an Error naming the holder.
    bool runDirLocked = false;
    /// A fresh run's configuration was read from RUN_DIR/config.yaml (the
    /// training panel writes it there): that file alone is not an earlier run.
    bool configInRunDir = false;
};

struct TrainResult {
    std::string runDir;
    int64_t epochsDone = 0;       ///< total epochs in the run (incl. before a resume)
    int64_t bestEpoch = 0;
    double bestValLoss = 0;
    bool stoppedEarly = false;    ///< patience exhausted
    bool interrupted = false;     ///< stop flag / maxEpochsThisCall
    std::vector<EpochMetrics> epochs;  ///< epochs of this call
};

/// Runs training. Throws ConfigError/CheckpointError/AudioError before the
/// first epoch for bad inputs (missing audio files are all listed up front).
/// Thread-safety: run on one worker thread; `stop`/`pause` are the only shared state.
TrainResult trainStage2(const TrainOptions& options);

struct CacheFillReport {
    int64_t utterances = 0;       ///< in this shard
    int64_t computed = 0;
    int64_t reused = 0;
    double seconds = 0;
    std::string cacheDir;
};

/// Extracts the SSL features of every utterance of the protocol (shard K of N:
/// utterances with index % N == K) into the feature cache. `progress`
/// (PreparingFeatures, after each utterance) is not called when `quiet`.
CacheFillReport fillFeatureCache(const TrainConfig& config, int64_t shardIndex = 0, int64_t shardCount = 1,
                                 bool quiet = false, const std::function<void(const std::string&)>& log = {},
                                 const std::function<void(const TrainProgress&)>& progress = {});

/// The crop policy string used in cache keys ("start:64600:repeat").
std::string cacheCropPolicy(const TrainConfig& config);

} // namespace spooflens::core
