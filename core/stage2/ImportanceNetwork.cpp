#include "core/stage2/ImportanceNetwork.h"

#include "core/util/SplitMix.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <limits>

namespace spooflens::core {

torch::Tensor hashDropoutMask(int64_t numel, double p, uint64_t seed)
{
    torch::Tensor mask = torch::empty({numel}, torch::kFloat);
    float* out = mask.data_ptr<float>();
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    // Kept when the top 53 bits, as a fraction of 2^53, are below 1 - p.
    const uint64_t threshold = static_cast<uint64_t>((1.0 - p) * 9007199254740992.0);  // 2^53
    // Element i gets splitmix64's output for counter value base + (i + 1) * increment.
    const uint64_t base = splitMix64(seed);
    at::parallel_for(0, numel, 16384, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            out[i] = (splitMix64(base + kSplitMixIncrement * static_cast<uint64_t>(i + 1)) >> 11) < threshold ? scale : 0.0f;
    });
    return mask;
}

torch::Tensor HashDropoutImpl::forward(const torch::Tensor& x)
{
    if (!is_training() || m_p <= 0.0)
        return x;
    if (m_p >= 1.0)
        return x * 0.0;
    // One draw from the default generator per call (the torch stream, so seeds
    // and saved generator states work as for torch's dropout).
    const uint64_t seed = static_cast<uint64_t>(
        torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::TensorOptions().dtype(torch::kLong)).item<int64_t>());
    const torch::Tensor mask = hashDropoutMask(x.numel(), m_p, seed).to(x.device(), x.scalar_type()).view(x.sizes());
    return x * mask;
}

ImportanceNetworkImpl::ImportanceNetworkImpl(const ImportanceNetworkOptions& options)
    : m_options(options)
{
    namespace nn = torch::nn;
    const int64_t h = options.hiddenDim;
    const int64_t h2 = options.hiddenDim / 2;
    m_net = nn::Sequential(
        nn::Linear(options.embedDim, h), nn::LayerNorm(nn::LayerNormOptions({h})), nn::ReLU(),
        HashDropout(options.dropout), nn::Linear(h, h2), nn::LayerNorm(nn::LayerNormOptions({h2})),
        nn::ReLU(), HashDropout(options.dropout), nn::Linear(h2, 1), nn::Sigmoid());
    register_module("net", m_net);
}

torch::Tensor ImportanceNetworkImpl::forward(const torch::Tensor& h)
{
    return m_net->forward(h).squeeze(-1);
}

} // namespace spooflens::core
