#include "core/stage2/PrototypeManager.h"

#include "core/Error.h"

#include <torch/nn/functional/normalization.h>
#include <torch/torch.h>

namespace spooflens::core {

namespace {
torch::Tensor normaliseRows(const torch::Tensor& x)
{
    namespace F = torch::nn::functional;
    return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(-1));
}
} // namespace

PrototypeManagerImpl::PrototypeManagerImpl(const PrototypeManagerOptions& options)
    : m_options(options)
{
    torch::Tensor init = normaliseRows(torch::randn({2, options.embedDim}));
    if (options.mode == PrototypeMode::Learnable)
        m_prototypes = register_parameter("prototypes", init);
    else
        m_prototypes = register_buffer("prototypes", init);
}

torch::Tensor PrototypeManagerImpl::frameScores(const torch::Tensor& h) const
{
    // Rows are unit already in ema/fixed mode; learnable rows drift, so the
    // cosine needs them normalised too.
    const torch::Tensor p = normaliseRows(m_prototypes);
    // cos = (h(t) . p_c) / max(||h(t)||, 1e-12), as F.normalize would give, but
    // without writing a normalised copy of the (B, T, D) features: one GEMM
    // and one norm read h, nothing of that size is allocated (docs/precision.md,
    // Stage 2 step). Differentiable in h and p alike.
    const torch::Tensor dots = torch::matmul(h, p.t());                        // (B, T, 2)
    const torch::Tensor norms = h.norm(2, -1, /*keepdim=*/true).clamp_min(1e-12);  // (B, T, 1)
    return dots / norms;
}

void PrototypeManagerImpl::emaUpdate(const torch::Tensor& h, const torch::Tensor& labels)
{
    if (m_options.mode != PrototypeMode::Ema)
        return;
    torch::NoGradGuard noGrad;
    const double mu = m_options.emaMomentum;
    // Both rows are computed from the prototypes before this step; a class
    // absent from the batch keeps its row untouched (not even re-normalised).
    const torch::Tensor before = m_prototypes.clone();
    const torch::Tensor lab = labels.to(h.device());
    // Per-utterance sums over frames in one pass over h; the class means are
    // then sums of those rows (no masked copy of the (B, T, D) batch).
    const torch::Tensor rowSums = h.dim() == 3 ? h.sum(1) : h;  // (B, D)
    const double framesPerRow = h.dim() == 3 ? static_cast<double>(h.size(1)) : 1.0;
    for (int64_t c = 0; c < 2; ++c) {
        const torch::Tensor mask = lab.eq(c);
        const int64_t count = mask.sum().item<int64_t>();
        if (count == 0)
            continue;
        const torch::Tensor mean = rowSums.index({mask}).sum(0) / (static_cast<double>(count) * framesPerRow);
        const torch::Tensor row = mu * before[c] + (1.0 - mu) * mean.to(before.dtype());
        m_prototypes[c].copy_(normaliseRows(row));
    }
}

void PrototypeManagerImpl::setFromMeans(const torch::Tensor& classMeans)
{
    torch::NoGradGuard noGrad;
    m_prototypes.copy_(normaliseRows(classMeans.to(m_prototypes.device(), m_prototypes.dtype())));
}

} // namespace spooflens::core
