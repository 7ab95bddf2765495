#include "core/stage2/Stage2Loss.h"

#include <torch/torch.h>

namespace spooflens::core {

Stage2LossTerms stage2Loss(const Stage2Output& out, const torch::Tensor& labels,
                           const Stage2LossWeights& weights)
{
    using torch::indexing::Slice;
    Stage2LossTerms t;
    const torch::Tensor& w = out.importance;  // (B, T)
    const torch::Tensor y = labels.to(w.device(), torch::kLong);
    const int64_t frames = w.size(1);

    const torch::Tensor logp = torch::log_softmax(out.frameScores / weights.temperature, -1);
    const torch::Tensor index = y.view({-1, 1, 1}).expand({w.size(0), frames, 1});
    t.frameLoss = -logp.gather(-1, index).squeeze(-1);
    t.contrastive = (w * t.frameLoss).sum(1).mean();

    const torch::Tensor bona = y.eq(1);
    const torch::Tensor spoof = y.eq(0);
    const torch::Tensor zero = torch::zeros({}, w.options());
    t.bonafideReg = bona.any().item<bool>() ? w.index({bona}).sum(1).mean() : zero;
    t.smooth = frames > 1
        ? (w.index({Slice(), Slice(1, torch::indexing::None)}) - w.index({Slice(), Slice(0, -1)})).abs().mean()
        : zero;
    t.sparsity = spoof.any().item<bool>() ? w.index({spoof}).abs().mean() : zero;
    t.total = t.contrastive + weights.lambdaBonafide * t.bonafideReg + weights.lambdaSmooth * t.smooth
        + weights.lambdaSparsity * t.sparsity;
    return t;
}

} // namespace spooflens::core
