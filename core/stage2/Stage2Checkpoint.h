#pragma once
// Stage 2 checkpoint files. INTERNAL header (includes torch via Checkpoint.h).
//
// Written by SpoofLens (`spooflens train`): a dict
//   {state_dict: OrderedDict(importance_net.net.*, prototype_manager.prototypes),
//    optimizer: AdamW state_dict (PyTorch layout), config: dict, epoch: int,
//    prototype_mode: str, detector_sha256: str, trainer_state: dict (resume only)}
// Read: that, a plain state dict (fixtures/xai_tiny.pth) and the seed's
// whole-model save (XAI keys + `frozen_detector.detector.*`, maybe `module.`-prefixed).
#include "core/checkpoint/Checkpoint.h"

#include <string>

namespace spooflens::core {

struct Stage2File {
    std::string path;
    std::string format;            ///< "spooflens" | "state_dict" | "seed_whole_model"
    TensorList xai;                ///< reference names, no prefix
    std::string prototypeMode;     ///< "" when the file does not say
    /// config.model.feature_norm ("none" | "utterance"); "none" when the file does not say
    std::string featureNorm = "none";
    std::string detectorSha256;    ///< "" when the file does not say
    int64_t epoch = -1;
    int64_t embedDim = 0;          ///< D (from importance_net.net.0.weight)
    int64_t hiddenDim = 0;         ///< H
    bool prototypesAreParameter = false;  ///< optimizer state covers the prototypes (learnable)
    Value config;                  ///< None if absent
    Value optimizer;               ///< None if absent
    Value trainerState;            ///< None if absent
    bool hasDetector = false;      ///< the file also holds `frozen_detector.detector.*`
};

/// Reads any of the three layouts. Throws CheckpointError naming the file.
Stage2File readStage2File(const std::string& path);

/// Writes our layout atomically (temporary file + rename).
void writeStage2File(const std::string& path, const TensorList& stateDict, const Value& optimizer,
                     const Value& config, int64_t epoch, const std::string& prototypeMode,
                     const std::string& detectorSha256, const Value& trainerState = Value::none());

} // namespace spooflens::core
