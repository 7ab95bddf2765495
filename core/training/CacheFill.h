#pragma once
// `spooflens cache`: fills the SSL feature cache of a protocol, batched and
// with audio decoding overlapped with compute (core/detector/BatchRun.h,
// docs/speed.md). Torch-free header.
#include "core/detector/BatchRun.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"

#include <cstdint>
#include <functional>
#include <string>

namespace spooflens::core {

struct CacheFillOptions {
    int64_t shardIndex = 0;   ///< K of --shard K/N: utterances with index % N == K
    int64_t shardCount = 1;   ///< N
    bool quiet = false;       ///< no progress line on stderr
    int batch = kDefaultDetectorBatch;  ///< utterances per forward pass (all crops have equal length)
    std::function<void(const std::string&)> log;  ///< default: stderr
    /// PreparingFeatures after each utterance; not called when `quiet`. Unset:
    /// a progress line on stderr (unless `quiet`).
    std::function<void(const TrainProgress&)> progress;
};

/// The frozen detector a training config names (model.pretrained_checkpoint,
/// model.detector_config, device, threads). Throws ConfigError when the
/// checkpoint is not set. Shared by the trainer and `spooflens cache`.
DetectorOptions detectorOptionsFor(const TrainConfig& config);
/// The feature cache folder of a config: cache.dir, default "feature_cache".
std::string featureCacheDir(const TrainConfig& config);

/// Extracts the features of every utterance of the shard that is not cached
/// yet (a damaged entry is recomputed, with a message). The entries equal
/// those of a batch-1 run within docs/speed.md's tolerance.
CacheFillReport fillFeatureCache(const TrainConfig& config, const CacheFillOptions& options);

} // namespace spooflens::core
