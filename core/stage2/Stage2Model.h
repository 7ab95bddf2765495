#pragma once
// The Stage 2 XAI module: importance network + class prototypes, under the
// reference names (`importance_net.net.*`, `prototype_manager.prototypes`).
// INTERNAL header (includes torch).
#include "core/checkpoint/Checkpoint.h"
#include "core/stage2/ImportanceNetwork.h"
#include "core/stage2/PrototypeManager.h"
#include "core/stage2/Stage2Objective.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace spooflens::core {

struct Stage2Options {
    int64_t embedDim = 1024;
    int64_t hiddenDim = 256;
    double dropout = 0.1;
    PrototypeMode mode = PrototypeMode::Ema;
    double emaMomentum = 0.99;
    Stage2FeatureNorm featureNorm = Stage2FeatureNorm::None;  ///< `model.feature_norm`
};

/// Output of one forward pass; all (B, ...) on the module's device.
struct Stage2Output {
    torch::Tensor importance;      ///< w (B, T)
    torch::Tensor importanceNorm;  ///< w / (sum_t w + 1e-9) (B, T)
    torch::Tensor frameScores;     ///< s(t, c) (B, T, 2), c = 0 spoof, 1 bona fide
    torch::Tensor utteranceScores; ///< u_c (B, 2)
};

class Stage2ModelImpl : public torch::nn::Module {
public:
    explicit Stage2ModelImpl(const Stage2Options& options);
    /// h (B, T, D) float32. Dropout is active in train() mode only. The
    /// importance network and the prototypes see features(h).
    Stage2Output forward(const torch::Tensor& h);
    /// h (B, T, D) or (T, D) as the module sees it: h itself, or with
    /// feature_norm = utterance every dimension of every utterance shifted to
    /// mean 0 and scaled to variance 1 over its frames (T). The trainer feeds
    /// the prototype updates (EMA, fixed class means) with it too.
    torch::Tensor features(const torch::Tensor& h) const;

    ImportanceNetwork& importanceNet() { return m_importance; }
    PrototypeManager& prototypeManager() { return m_prototypes; }
    const Stage2Options& options() const { return m_options; }

    /// The state dict under the reference names, in registration order (CPU copies).
    TensorList stateDict() const;
    /// Loads a state dict (reference names; exact key set and shapes). Throws
    /// CheckpointError naming `source` and the offending key.
    void loadStateDict(const TensorList& tensors, const std::string& source);

private:
    Stage2Options m_options;
    ImportanceNetwork m_importance{nullptr};
    PrototypeManager m_prototypes{nullptr};
};
TORCH_MODULE(Stage2Model);

} // namespace spooflens::core
