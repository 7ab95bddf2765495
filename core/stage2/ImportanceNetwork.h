#pragma once
// Stage 2 importance network h(t) -> w(t) in [0, 1] (docs/stage2.md §3).
// INTERNAL header (includes torch): core's .cpp files only.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace spooflens::core {

struct ImportanceNetworkOptions {
    int64_t embedDim = 1024;   ///< D, width of the SSL features
    int64_t hiddenDim = 256;   ///< H (`model.importance_hidden_dim`); second layer has H/2
    double dropout = 0.1;
};

/// Linear(D,H) LayerNorm ReLU Dropout Linear(H,H/2) LayerNorm ReLU Dropout
/// Linear(H/2,1) Sigmoid, registered as `net.{0..9}` so the parameter names are
/// the reference ones (`net.{0,1,4,5,8}.{weight,bias}`).
class ImportanceNetworkImpl : public torch::nn::Module {
public:
    explicit ImportanceNetworkImpl(const ImportanceNetworkOptions& options);
    /// h (B, T, D) -> w (B, T), no trailing singleton dimension.
    torch::Tensor forward(const torch::Tensor& h);
    const ImportanceNetworkOptions& options() const { return m_options; }

private:
    ImportanceNetworkOptions m_options;
    torch::nn::Sequential m_net{nullptr};
};
TORCH_MODULE(ImportanceNetwork);

} // namespace spooflens::core
