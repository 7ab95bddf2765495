#pragma once
// The seed objective of Stage 2 (docs/stage2.md §5, "implemented exactly").
// INTERNAL header (includes torch).
#include "core/stage2/Stage2Model.h"

#include <torch/types.h>

namespace spooflens::core {

struct Stage2LossWeights {
    double temperature = 0.07;      ///< tau
    double lambdaBonafide = 0.1;    ///< `lambda_bonafide_reg`
    double lambdaSmooth = 0.1;      ///< `lambda_temporal_smooth`
    double lambdaSparsity = 0.01;   ///< `lambda_sparsity`
};

/// 0-d tensors (differentiable) plus the per-frame loss.
struct Stage2LossTerms {
    torch::Tensor frameLoss;     ///< l(t) (B, T)
    torch::Tensor contrastive;   ///< L_con = mean_b sum_t w l
    torch::Tensor bonafideReg;   ///< mean over bona fide utterances of sum_t w (0 if none)
    torch::Tensor smooth;        ///< mean |w(t+1) - w(t)|
    torch::Tensor sparsity;      ///< mean over spoof utterances and frames of |w| (0 if none)
    torch::Tensor total;
};

/// labels (B) int64, bona fide = 1, spoof = 0 (any device).
Stage2LossTerms stage2Loss(const Stage2Output& out, const torch::Tensor& labels,
                           const Stage2LossWeights& weights);

} // namespace spooflens::core
