#pragma once
// Resume state of the trainer and the PyTorch-layout optimizer state.
// INTERNAL header (includes torch).
#include "core/checkpoint/Checkpoint.h"
#include "core/training/TrainConfig.h"

#include <torch/optim/adamw.h>

#include <random>
#include <string>
#include <vector>

namespace spooflens::core {

struct TrainerState {
    int64_t epoch = 0;             ///< last finished epoch
    int64_t bestEpoch = 0;
    double bestValLoss = 0;
    int64_t badEpochs = 0;
    int64_t globalStep = 0;
    bool stoppedEarly = false;
    std::string rngStd;            ///< std::mt19937_64 state (text)
    torch::Tensor rngTorch;        ///< CPU generator state (uint8)
    torch::Tensor rngCuda;         ///< CUDA generator state of device 0 (uint8); undefined without CUDA
    std::string pendingMetricsLine;  ///< metrics line of `epoch`, in case the kill came before it was logged
};

Value trainerStateToValue(const TrainerState& s);
TrainerState trainerStateFromValue(const Value& v, const std::string& source);
void saveRngState(TrainerState& s, const std::mt19937_64& rng);
void restoreRng(const TrainerState& s, std::mt19937_64& rng);

/// `optimizer.state_dict()` as PyTorch writes it for AdamW (params numbered in `params` order).
Value optimizerStateToValue(torch::optim::AdamW& optimizer, const std::vector<torch::Tensor>& params,
                            const TrainConfig& config);
void loadOptimizerState(torch::optim::AdamW& optimizer, const std::vector<torch::Tensor>& params,
                        const Value& state, const std::string& source);

/// The resolved configuration as a nested dict (section -> key -> value).
Value configToValue(const TrainConfig& config);

/// The keys whose value in `now` differs from `recorded` (configToValue of
/// the configuration a run was trained with, as last.pth records it), one
/// line each: "model.objective: seed (recorded) vs weak_frame (config.yaml)".
/// Keys that do not change what an epoch computes may change between calls
/// (kResumableConfigKeys); keys the recorded configuration lacks (an older
/// SpoofLens) are not compared.
std::vector<std::string> changedConfigKeys(const Value& recorded, const Value& now);

/// "section.key" of the keys a resume may change: num_epochs and patience
/// (when to stop), device and threads (where it runs), model.name and data.name
/// (labels).
const std::vector<std::string>& resumableConfigKeys();

/// Checks a restored trainer state for values no run writes (a damaged or
/// edited last.pth): epoch >= 1 and equal to `fileEpoch` (the checkpoint's
/// own epoch), best epoch in 1..epoch, a finite best loss, bad epochs in
/// 0..epoch, global step >= epoch. Throws CheckpointError naming `source` and the value.
void checkTrainerState(const TrainerState& s, int64_t fileEpoch, const std::string& source);

} // namespace spooflens::core
