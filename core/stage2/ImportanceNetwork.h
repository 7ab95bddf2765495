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

/// Dropout with a counter-based mask: element i of a call is kept when a hash of
/// (seed, i) falls below 1 - p, and kept elements are scaled by 1 / (1 - p), as
/// torch's dropout does. The seed is drawn once per call from LibTorch's default
/// CPU generator (so torch::manual_seed and the trainer's saved generator state
/// govern it); the mask does not depend on the thread count. Made because
/// ATen's CPU bernoulli_ draws its mask on one thread: 20 % of a Stage 2 step
/// at batch 24 x 201 frames (docs/cpu.md, "BLAS threads and dropout in the Stage 2 step"). Identity in eval mode.
class HashDropoutImpl : public torch::nn::Module {
public:
    explicit HashDropoutImpl(double p) : m_p(p) {}
    torch::Tensor forward(const torch::Tensor& x);
    double p() const { return m_p; }

private:
    double m_p;
};
TORCH_MODULE(HashDropout);

/// The keep mask of HashDropout (1 / (1 - p) where kept, 0 elsewhere) for
/// `numel` elements and `seed`, float32; exposed for the tests.
torch::Tensor hashDropoutMask(int64_t numel, double p, uint64_t seed);

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
