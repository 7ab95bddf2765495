#pragma once
// XLS-R / wav2vec 2.0 encoder in fairseq's layout (docs/detector.md §3),
// inference (the demo builder alone trains the tiny preset's, docs/demo.md). INTERNAL header (includes torch): core's .cpp files only.
//
// Registered names equal the checkpoint keys below `ssl_model.model.`:
//   feature_extractor.conv_layers.{c}.0.{weight,bias}   conv
//   feature_extractor.conv_layers.{c}.2.1.{weight,bias} per-block LayerNorm
//   layer_norm.*, post_extract_proj.*                    feature projection
//   encoder.pos_conv.0.{weight_g,weight_v,bias}          weight-normed pos conv
//   encoder.layers.{i}.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm}
//   encoder.layer_norm.*                                 final LayerNorm
#include "core/detector/ModuleTree.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace spooflens::core {

struct ConvLayerSpec {
    int64_t channels = 512;
    int64_t kernel = 3;
    int64_t stride = 2;
};

struct Wav2Vec2Options {
    std::vector<ConvLayerSpec> convLayers;  ///< XLS-R: (512,10,5) + (512,3,2)x4 + (512,2,2)x2
    int64_t embedDim = 1024;                ///< E
    int64_t layers = 24;
    int64_t heads = 16;                     ///< not in the checkpoint: from DetectorConfig
    int64_t ffnDim = 4096;
    int64_t posConvKernel = 128;
    int64_t posConvGroups = 16;

    /// Receptive field and hop of the conv stack in samples (400 and 320 for wav2vec 2.0).
    int64_t receptiveField() const;
    int64_t hop() const;
};

/// conv_layers.{c}: Conv1d (no padding) -> LayerNorm over channels -> GELU.
class ConvBlockImpl : public torch::nn::Module {
public:
    ConvBlockImpl(int64_t inChannels, const ConvLayerSpec& spec);
    /// x (B, L, Cin) channel-last (block 0: (B, N) samples) -> (B, L', Cout).
    torch::Tensor forward(const torch::Tensor& x) const;
    void prepare();  ///< re-lays the weight out for the GEMM; call after loading
    /// The tensors forward() reads (GEMM weight, bias, LayerNorm), for trainableTensors().
    void collectTrainable(std::vector<torch::Tensor>& out) const;
    /// Reduced precision (docs/precision.md): blocks after the first run their
    /// GEMM on a `dtype` copy of the weight; every block then returns `dtype`.
    void makeReduced(torch::ScalarType dtype);

private:
    bool m_reduced = false;
    torch::ScalarType m_dtype = torch::kFloat32;
    LinearParams m_gemm;                    // reduced copy of (m_gemmWeight, bias)
    ConvLayerSpec m_spec;
    int64_t m_inChannels;
    ConvParams m_conv;                      // conv_layers.{c}.0
    NormParams m_norm;                      // conv_layers.{c}.2.1
    torch::Tensor m_gemmWeight;             // (Cout, k*Cin) tap-major; 0.weight is a view of it
};
TORCH_MODULE(ConvBlock);

/// encoder.pos_conv.0: Conv1d(E, E, K, padding K/2, groups G) with weight norm
/// over dim 2; the effective weight is folded once by prepare().
class PositionalConvImpl : public torch::nn::Module {
public:
    PositionalConvImpl(int64_t embedDim, int64_t kernel, int64_t groups);
    /// x (B, T, E) -> x + GELU(SamePad(conv(x))).
    torch::Tensor forward(const torch::Tensor& x) const;
    void prepare();
    void makeReduced(torch::ScalarType dtype);  ///< x stays float32; the conv runs in `dtype`

private:
    torch::Tensor m_weightReduced, m_biasReduced;  // set by makeReduced
    int64_t m_kernel, m_groups;
    torch::Tensor m_weightG;   // encoder.pos_conv.0.weight_g (1, 1, K)
    torch::Tensor m_weightV;   // encoder.pos_conv.0.weight_v (E, E/G, K)
    torch::Tensor m_bias;      // encoder.pos_conv.0.bias (E)
    torch::Tensor m_weight;    // folded g * v / ||v||, norm per tap k over dims 0 and 1
};
TORCH_MODULE(PositionalConv);

/// encoder.layers.{i}: pre-LN transformer layer (layer_norm_first = true).
class EncoderLayerImpl : public torch::nn::Module {
public:
    EncoderLayerImpl(int64_t embedDim, int64_t heads, int64_t ffnDim);
    torch::Tensor forward(const torch::Tensor& x) const;
    void prepare();  ///< stacks q/k/v into one projection (one GEMM instead of three)
    void collectTrainable(std::vector<torch::Tensor>& out) const;
    /// Reduced precision: GEMMs and attention products in `dtype` (q's scaling
    /// folded into its weights), LayerNorm, softmax and the residual in float32.
    void makeReduced(torch::ScalarType dtype);

private:
    torch::Tensor forwardReduced(const torch::Tensor& x) const;
    bool m_reduced = false;
    torch::ScalarType m_dtype = torch::kFloat32;
    int64_t m_embedDim, m_heads;
    LinearParams m_q, m_k, m_v, m_out;  // self_attn.{q,k,v,out}_proj
    NormParams m_attnNorm;              // self_attn_layer_norm
    LinearParams m_fc1, m_fc2;
    NormParams m_finalNorm;             // final_layer_norm
    LinearParams m_qkv;                 // (3E, E): q, k, v stacked; *_proj are views of it
};
TORCH_MODULE(EncoderLayer);

/// The whole SSL model (`ssl_model.model`): raw waveform -> h(t).
class Wav2Vec2EncoderImpl : public torch::nn::Module {
public:
    explicit Wav2Vec2EncoderImpl(const Wav2Vec2Options& options);

    /// waves (B, N) float32 -> (B, T, E) after the final LayerNorm.
    /// `layerOutputs`: if given, receives each layer's output (B, T, E) before the final LN.
    torch::Tensor forward(const torch::Tensor& waves, std::vector<torch::Tensor>* layerOutputs = nullptr,
                          Intermediates* intermediates = nullptr) const;
    void prepare();
    /// Switches the encoder to reduced precision (docs/precision.md); input
    /// and output stay float32. Call after prepare() and after moving the module.
    void makeReduced(torch::ScalarType dtype);
    const Wav2Vec2Options& options() const { return m_options; }

    /// Demo building only (docs/demo.md, "The demo detector"): marks the float32
    /// tensors that forward() reads as requiring a gradient and returns them, so
    /// an optimiser can update them in place. After prepare() the registered
    /// conv and q/k/v tensors are views of those buffers, so the registered
    /// names see every update. The positional conv stays frozen (its
    /// weight-normed weight is folded by prepare()). Not for reduced precision.
    std::vector<torch::Tensor> trainableTensors() const;

private:
    bool m_reduced = false;
    torch::ScalarType m_dtype = torch::kFloat32;
    Wav2Vec2Options m_options;
    std::vector<ConvBlock> m_convBlocks;        // feature_extractor.conv_layers.{c}
    NormParams m_featureNorm;                   // layer_norm (before the projection)
    LinearParams m_proj;                        // post_extract_proj
    PositionalConv m_posConv{nullptr};          // encoder.pos_conv
    std::vector<EncoderLayer> m_layers;         // encoder.layers.{i}
    NormParams m_finalNorm;                     // encoder.layer_norm
};
TORCH_MODULE(Wav2Vec2Encoder);

} // namespace spooflens::core
