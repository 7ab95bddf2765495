#pragma once
// Class prototypes of Stage 2 (docs/stage2.md §4): row 0 = spoof, row 1 = bona fide.
// INTERNAL header (includes torch).
#include "core/stage2/Stage2Objective.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>

namespace spooflens::core {

// PrototypeMode and its names: core/stage2/Stage2Objective.h (torch-free).

struct PrototypeManagerOptions {
    int64_t embedDim = 1024;
    PrototypeMode mode = PrototypeMode::Ema;
    double emaMomentum = 0.99;  ///< mu
};

/// `prototypes` (2, D) is a buffer in ema/fixed mode and a parameter in
/// learnable mode, under the reference name `prototypes`.
class PrototypeManagerImpl : public torch::nn::Module {
public:
    explicit PrototypeManagerImpl(const PrototypeManagerOptions& options);

    /// Cosine similarity of every frame with each prototype: h (B, T, D) -> (B, T, 2).
    torch::Tensor frameScores(const torch::Tensor& h) const;

    /// EMA step (mode ema only, no-op otherwise): for each class present in
    /// `labels` (B, int64, bona fide = 1), P_c <- mu P_c + (1 - mu) mean_{b,t}(h),
    /// then rows re-normalised. Call after the loss of a *training* step.
    void emaUpdate(const torch::Tensor& h, const torch::Tensor& labels);

    /// Fixed mode: sets P_c = normalise(classMeans[c]) (2, D).
    void setFromMeans(const torch::Tensor& classMeans);

    torch::Tensor& prototypes() { return m_prototypes; }
    const torch::Tensor& prototypes() const { return m_prototypes; }
    const PrototypeManagerOptions& options() const { return m_options; }

private:
    PrototypeManagerOptions m_options;
    torch::Tensor m_prototypes;
};
TORCH_MODULE(PrototypeManager);

} // namespace spooflens::core
