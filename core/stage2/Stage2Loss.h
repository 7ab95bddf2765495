#pragma once
// Stage 2 objectives: the seed objective (docs/stage2.md §5, "implemented exactly")
// and the two objectives without a trivial minimum of docs/stage2-objective.md.
// INTERNAL header (includes torch).
#include "core/stage2/Stage2Model.h"
#include "core/stage2/Stage2Objective.h"

#include <torch/types.h>

namespace spooflens::core {

/// Defaults = the seed objective with the reference weights (the trainer fills
/// every field from TrainConfig, whose default objective is not the seed).
struct Stage2LossWeights {
    double temperature = 0.07;      ///< tau
    double lambdaBonafide = 0.1;    ///< `lambda_bonafide_reg` (seed only)
    double lambdaSmooth = 0.1;      ///< `lambda_temporal_smooth` (every objective)
    double lambdaSparsity = 0.01;   ///< `lambda_sparsity` (seed only)
    Stage2Objective objective = Stage2Objective::Seed;  ///< `objective`
    double lambdaPrior = 1.0;       ///< `lambda_prior`: weight of the importance priors (new objectives)
    double priorBonafide = 0.05;    ///< `importance_prior_bonafide`: rho_b, low uniform w of bona fide frames
    double budgetSpoof = 0.3;       ///< `importance_budget_spoof`: rho_s, mean w of a spoof utterance (attention_mil)
};

/// 0-d tensors (differentiable) plus the per-frame loss. The four slots keep
/// their metrics.jsonl names for every objective; what each holds per
/// objective is listed in docs/stage2-objective.md.
struct Stage2LossTerms {
    torch::Tensor frameLoss;     ///< l(t) = -log softmax(s(t,.)/tau)[y] (B, T)
    /// seed: mean_b sum_t w l; attention_mil: CE of the w-pooled utterance scores;
    /// weak_frame: prototype contrastive loss gated by w on spoof utterances.
    torch::Tensor contrastive;
    /// seed: mean_bona sum_t w; new objectives: bona fide w against the low prior rho_b.
    torch::Tensor bonafideReg;
    torch::Tensor smooth;        ///< mean |w(t+1) - w(t)| (every objective)
    /// seed: mean_spoof |w|; attention_mil: (mean_t w - rho_s)^2 on spoof utterances;
    /// weak_frame: BCE of spoof-utterance w against the prototype target q(t).
    torch::Tensor sparsity;
    torch::Tensor total;
};

/// labels (B) int64, bona fide = 1, spoof = 0 (any device). Dispatches on weights.objective.
Stage2LossTerms stage2Loss(const Stage2Output& out, const torch::Tensor& labels,
                           const Stage2LossWeights& weights);

} // namespace spooflens::core
