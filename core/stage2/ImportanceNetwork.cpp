#include "core/stage2/ImportanceNetwork.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace spooflens::core {

ImportanceNetworkImpl::ImportanceNetworkImpl(const ImportanceNetworkOptions& options)
    : m_options(options)
{
    namespace nn = torch::nn;
    const int64_t h = options.hiddenDim;
    const int64_t h2 = options.hiddenDim / 2;
    m_net = nn::Sequential(
        nn::Linear(options.embedDim, h), nn::LayerNorm(nn::LayerNormOptions({h})), nn::ReLU(),
        nn::Dropout(options.dropout), nn::Linear(h, h2), nn::LayerNorm(nn::LayerNormOptions({h2})),
        nn::ReLU(), nn::Dropout(options.dropout), nn::Linear(h2, 1), nn::Sigmoid());
    register_module("net", m_net);
}

torch::Tensor ImportanceNetworkImpl::forward(const torch::Tensor& h)
{
    return m_net->forward(h).squeeze(-1);
}

} // namespace spooflens::core
