#include "core/stage2/Stage2Model.h"

#include "core/Error.h"

#include <torch/torch.h>

#include <map>
#include <set>

namespace spooflens::core {

Stage2ModelImpl::Stage2ModelImpl(const Stage2Options& options)
    : m_options(options)
{
    ImportanceNetworkOptions io;
    io.embedDim = options.embedDim;
    io.hiddenDim = options.hiddenDim;
    io.dropout = options.dropout;
    m_importance = register_module("importance_net", ImportanceNetwork(io));
    PrototypeManagerOptions po;
    po.embedDim = options.embedDim;
    po.mode = options.mode;
    po.emaMomentum = options.emaMomentum;
    m_prototypes = register_module("prototype_manager", PrototypeManager(po));
}

torch::Tensor Stage2ModelImpl::features(const torch::Tensor& h) const
{
    if (m_options.featureNorm == Stage2FeatureNorm::None)
        return h;
    // Over the frame axis (-2) of each utterance, population variance; the
    // epsilon keeps a constant dimension (or T = 1) finite: it maps to 0.
    const torch::Tensor mean = h.mean(-2, /*keepdim=*/true);
    const torch::Tensor var = (h - mean).pow(2).mean(-2, /*keepdim=*/true);
    return (h - mean) * torch::rsqrt(var + 1e-5);
}

Stage2Output Stage2ModelImpl::forward(const torch::Tensor& input)
{
    const torch::Tensor h = features(input);
    Stage2Output out;
    out.importance = m_importance->forward(h);
    out.importanceNorm = out.importance / (out.importance.sum(1, /*keepdim=*/true) + 1e-9);
    out.frameScores = m_prototypes->frameScores(h);
    out.utteranceScores = (out.frameScores * out.importanceNorm.unsqueeze(-1)).sum(1);
    return out;
}

TensorList Stage2ModelImpl::stateDict() const
{
    TensorList out;
    for (const auto& item : named_parameters(/*recurse=*/true))
        out.emplace_back(item.key(), item.value().detach().to(torch::kCPU).contiguous().clone());
    for (const auto& item : named_buffers(/*recurse=*/true))
        out.emplace_back(item.key(), item.value().detach().to(torch::kCPU).contiguous().clone());
    // Reference order: importance_net.* first, then the prototypes.
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const bool pa = a.first.rfind("prototype_manager.", 0) == 0;
        const bool pb = b.first.rfind("prototype_manager.", 0) == 0;
        return !pa && pb;
    });
    return out;
}

void Stage2ModelImpl::loadStateDict(const TensorList& tensors, const std::string& source)
{
    std::map<std::string, torch::Tensor> targets;
    for (auto& item : named_parameters(true))
        targets[item.key()] = item.value();
    for (auto& item : named_buffers(true))
        targets[item.key()] = item.value();
    std::set<std::string> seen;
    torch::NoGradGuard noGrad;
    for (const auto& [name, tensor] : tensors) {
        auto it = targets.find(name);
        if (it == targets.end())
            throw CheckpointError(source + ": unexpected Stage 2 key '" + name + "'");
        if (it->second.sizes() != tensor.sizes()) {
            std::ostringstream msg;
            msg << source << ": Stage 2 key '" << name << "' has shape " << tensor.sizes()
                << ", expected " << it->second.sizes();
            throw CheckpointError(msg.str());
        }
        it->second.copy_(tensor.to(it->second.device(), it->second.dtype()));
        seen.insert(name);
    }
    for (const auto& [name, t] : targets) {
        (void)t;
        if (!seen.count(name))
            throw CheckpointError(source + ": missing Stage 2 key '" + name + "'");
    }
}

} // namespace spooflens::core
