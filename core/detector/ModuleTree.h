#pragma once
// Small helpers shared by the detector modules. INTERNAL (includes torch).
//
// The checkpoint's key names contain PyTorch Sequential indices and wrapper
// names (`conv_layers.0.2.1`, `ff1.fn.fn.net.0`, `attn.fn.qkv`). LibTorch
// forbids dots in a module name, so each path segment becomes one registered
// (possibly empty) module: the registered tree spells the checkpoint keys
// exactly and loading is a plain name lookup.
//
// Leaf layers are plain parameter sets created with torch::empty, not
// torch::nn::Linear & co.: those initialise their weights at construction,
// which would touch ~1.3 GB of memory only to be replaced by the checkpoint
// (the load must stay within 1.25x the file size). Untouched empty tensors
// cost no resident memory, and the loader swaps the checkpoint's storage in.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// Named intermediate values of one forward pass, in forward order (debugging
/// and golden tests; names as in ref_tiny.npz without the `int_<input>_` prefix).
using Intermediates = std::vector<std::pair<std::string, torch::Tensor>>;

/// Registers an empty module `name` under `parent` and returns it: a path
/// segment that carries no tensors itself (e.g. `fn` in `ff1.fn.fn.net.0`).
inline std::shared_ptr<torch::nn::Module> addPathSegment(torch::nn::Module& parent, const std::string& name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

/// Tensors share their TensorImpl with the registered ones, so a storage swapped
/// in by the loader (Tensor::set_) is seen here too.
struct LinearParams {
    torch::Tensor weight;  ///< (out, in)
    torch::Tensor bias;    ///< (out), undefined without bias
    /// Reduced-precision copies (docs/precision.md), made once by makeReduced:
    /// the weight transposed to (in, out) contiguous, so the GEMM reads it in
    /// its native layout on every call (oneDNN would re-order an (out, in)
    /// weight each time), and the bias in the same dtype.
    torch::Tensor weightKN, biasReduced;
    torch::Tensor operator()(const torch::Tensor& x) const { return torch::linear(x, weight, bias); }

    /// Builds the reduced copies; `scale` multiplies weight and bias first.
    void makeReduced(torch::ScalarType dtype, double scale = 1.0)
    {
        const torch::Tensor w = scale == 1.0 ? weight : weight * scale;
        weightKN = w.to(dtype).t().contiguous();  // convert first: the transposing copy moves half the bytes
        if (bias.defined())
            biasReduced = (scale == 1.0 ? bias : bias * scale).to(dtype);
    }
    /// x (..., in) in the reduced dtype -> (..., out) in the reduced dtype.
    torch::Tensor reduced(const torch::Tensor& x) const
    {
        const torch::Tensor x2 = x.reshape({-1, x.size(-1)});
        const torch::Tensor y = biasReduced.defined() ? torch::addmm(biasReduced, x2, weightKN) : torch::mm(x2, weightKN);
        std::vector<int64_t> sizes = x.sizes().vec();
        sizes.back() = weightKN.size(1);
        return y.view(sizes);
    }
};
struct NormParams {
    torch::Tensor weight, bias;
    /// LayerNorm over the last dimension, epsilon 1e-5 (docs/detector.md §1).
    torch::Tensor operator()(const torch::Tensor& x) const
    {
        return torch::layer_norm(x, {x.size(-1)}, weight, bias, 1e-5);
    }
};
struct ConvParams {
    torch::Tensor weight;  ///< (out, in / groups, kernel)
    torch::Tensor bias;
};
struct BatchNormParams {
    torch::Tensor weight, bias, runningMean, runningVar, numBatchesTracked;
    /// Eval-mode batch norm over dim 1, epsilon 1e-5.
    torch::Tensor operator()(const torch::Tensor& x) const
    {
        return torch::batch_norm(x, weight, bias, runningMean, runningVar, /*training=*/false,
                                 /*momentum=*/0.1, /*eps=*/1e-5, /*cudnn_enabled=*/false);
    }
};

inline torch::Tensor addParam(torch::nn::Module& m, const std::string& name, torch::IntArrayRef shape)
{
    return m.register_parameter(name, torch::empty(shape), /*requires_grad=*/false);
}

/// `name`.weight (out, in) and `name`.bias (out).
inline LinearParams addLinear(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out,
                              bool bias = true)
{
    auto m = addPathSegment(parent, name);
    LinearParams p;
    p.weight = addParam(*m, "weight", {out, in});
    if (bias)
        p.bias = addParam(*m, "bias", {out});
    return p;
}

inline NormParams addLayerNorm(torch::nn::Module& parent, const std::string& name, int64_t dim)
{
    auto m = addPathSegment(parent, name);
    return {addParam(*m, "weight", {dim}), addParam(*m, "bias", {dim})};
}

inline ConvParams addConv1d(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out,
                            int64_t kernel, int64_t groups = 1)
{
    auto m = addPathSegment(parent, name);
    return {addParam(*m, "weight", {out, in / groups, kernel}), addParam(*m, "bias", {out})};
}

inline BatchNormParams addBatchNorm(torch::nn::Module& parent, const std::string& name, int64_t channels)
{
    auto m = addPathSegment(parent, name);
    BatchNormParams p;
    p.weight = addParam(*m, "weight", {channels});
    p.bias = addParam(*m, "bias", {channels});
    p.runningMean = m->register_buffer("running_mean", torch::empty({channels}));
    p.runningVar = m->register_buffer("running_var", torch::empty({channels}));
    p.numBatchesTracked = m->register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
    return p;
}

/// Appends (name, value) to `sink` when intermediates were requested.
inline void record(Intermediates* sink, const std::string& name, const torch::Tensor& value)
{
    if (sink)
        sink->emplace_back(name, value);
}

} // namespace spooflens::core
