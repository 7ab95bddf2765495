#include "core/stage2/Stage2Loss.h"

#include <torch/torch.h>

namespace spooflens::core {

namespace {

using torch::indexing::None;
using torch::indexing::Slice;

torch::Tensor meanAbsStep(const torch::Tensor& w)
{
    if (w.size(1) < 2)
        return torch::zeros({}, w.options());
    return (w.index({Slice(), Slice(1, None)}) - w.index({Slice(), Slice(0, -1)})).abs().mean();
}

torch::Tensor frameContrastive(const Stage2Output& out, const torch::Tensor& y, double temperature)
{
    const torch::Tensor logp = torch::log_softmax(out.frameScores / temperature, -1);
    const torch::Tensor index = y.view({-1, 1, 1}).expand({out.frameScores.size(0), out.frameScores.size(1), 1});
    return -logp.gather(-1, index).squeeze(-1);
}

// Binary cross-entropy of w against a target in [0, 1], elementwise; w is
// clamped away from 0 and 1 so that a saturated sigmoid gives a finite loss.
torch::Tensor bce(const torch::Tensor& w, const torch::Tensor& target)
{
    const torch::Tensor wc = w.clamp(1e-6, 1.0 - 1e-6);
    return -(target * wc.log() + (1.0 - target) * (1.0 - wc).log());
}

Stage2LossTerms seedLoss(const Stage2Output& out, const torch::Tensor& y, const Stage2LossWeights& weights)
{
    Stage2LossTerms t;
    const torch::Tensor& w = out.importance;  // (B, T)
    t.frameLoss = frameContrastive(out, y, weights.temperature);
    t.contrastive = (w * t.frameLoss).sum(1).mean();

    const torch::Tensor bona = y.eq(1);
    const torch::Tensor spoof = y.eq(0);
    const torch::Tensor zero = torch::zeros({}, w.options());
    t.bonafideReg = bona.any().item<bool>() ? w.index({bona}).sum(1).mean() : zero;
    t.smooth = meanAbsStep(w);
    t.sparsity = spoof.any().item<bool>() ? w.index({spoof}).abs().mean() : zero;
    t.total = t.contrastive + weights.lambdaBonafide * t.bonafideReg + weights.lambdaSmooth * t.smooth
        + weights.lambdaSparsity * t.sparsity;
    return t;
}

// docs/stage2-objective.md, "attention_mil".
Stage2LossTerms attentionMilLoss(const Stage2Output& out, const torch::Tensor& y, const Stage2LossWeights& weights)
{
    Stage2LossTerms t;
    const torch::Tensor& w = out.importance;
    t.frameLoss = frameContrastive(out, y, weights.temperature);
    // u_c = sum_t w_norm(t) s(t, c): the prototype similarity of the w-pooled utterance.
    t.contrastive = torch::nn::functional::cross_entropy(out.utteranceScores / weights.temperature, y);
    const torch::Tensor bona = y.eq(1);
    const torch::Tensor spoof = y.eq(0);
    const torch::Tensor zero = torch::zeros({}, w.options());
    t.bonafideReg = bona.any().item<bool>() ? (w.index({bona}) - weights.priorBonafide).pow(2).mean() : zero;
    t.sparsity = spoof.any().item<bool>() ? (w.index({spoof}).mean(1) - weights.budgetSpoof).pow(2).mean() : zero;
    t.smooth = meanAbsStep(w);
    t.total = t.contrastive + weights.lambdaPrior * (t.bonafideReg + t.sparsity) + weights.lambdaSmooth * t.smooth;
    return t;
}

// docs/stage2-objective.md, "weak_frame".
Stage2LossTerms weakFrameLoss(const Stage2Output& out, const torch::Tensor& y, const Stage2LossWeights& weights)
{
    Stage2LossTerms t;
    const torch::Tensor& w = out.importance;
    const int64_t frames = w.size(1);
    t.frameLoss = frameContrastive(out, y, weights.temperature);
    const torch::Tensor bona = y.eq(1);
    const torch::Tensor spoof = y.eq(0);
    const torch::Tensor zero = torch::zeros({}, w.options());

    // Gate: w-normalised weights on spoof utterances, uniform on bona fide ones.
    const torch::Tensor isSpoof = spoof.to(w.dtype()).unsqueeze(1);  // (B, 1)
    const torch::Tensor gate = isSpoof * out.importanceNorm + (1.0 - isSpoof) / double(frames);
    t.contrastive = (gate * t.frameLoss).sum(1).mean();

    t.bonafideReg = bona.any().item<bool>()
        ? bce(w.index({bona}), torch::full({}, weights.priorBonafide, w.options())).mean()
        : zero;
    if (spoof.any().item<bool>()) {
        // q(t): the prototypes' spoof probability of the frame, a fixed target
        // (no gradient: letting q follow w would reopen the collapse q = w = 0).
        const torch::Tensor q = torch::softmax(out.frameScores.index({spoof}) / weights.temperature, -1)
                                    .index({Slice(), Slice(), 0})
                                    .detach();
        t.sparsity = bce(w.index({spoof}), q).mean();
    } else {
        t.sparsity = zero;
    }
    t.smooth = meanAbsStep(w);
    t.total = t.contrastive + weights.lambdaPrior * (t.bonafideReg + t.sparsity) + weights.lambdaSmooth * t.smooth;
    return t;
}

} // namespace

Stage2LossTerms stage2Loss(const Stage2Output& out, const torch::Tensor& labels,
                           const Stage2LossWeights& weights)
{
    const torch::Tensor y = labels.to(out.importance.device(), torch::kLong);
    switch (weights.objective) {
    case Stage2Objective::AttentionMil:
        return attentionMilLoss(out, y, weights);
    case Stage2Objective::WeakFrame:
        return weakFrameLoss(out, y, weights);
    case Stage2Objective::Seed:
        break;
    }
    return seedLoss(out, y, weights);
}

} // namespace spooflens::core
