#pragma once
// AASIST / AASIST-L (Jung et al., ICASSP 2022), the second detector family
// (docs/aasist.md). Inference and input gradients only. INTERNAL header
// (includes torch): core's .cpp files only.
//
// Registered names equal the authors' state-dict keys:
//   pos_S, master1, master2, first_bn.*
//   encoder.{i}.0.{bn1 (i > 0), conv1, bn2, conv2, conv_downsample (in != out)}.*
//   GAT_layer_{S,T}.{att_weight, att_proj, proj_with_att, proj_without_att, bn}.*
//   HtrgGAT_layer_ST{11,12,21,22}.{att_weight{11,22,12,M}, proj_type{1,2}, att_proj, att_projM,
//                                  proj_with_att, proj_without_att, proj_with_attM, proj_without_attM, bn}.*
//   pool_{S,T,hS1,hT1,hS2,hT2}.proj.*, out_layer.*
// The sinc filter bank is not stored: it is computed from mel-spaced band edges.
#include "core/detector/ModuleTree.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

/// The authors' `model_config` values. What the shapes tell (encoder widths,
/// graph dims) is read from the checkpoint; the rest comes from the variant's
/// defaults or a configuration file.
struct AasistOptions {
    int64_t sincFilters = 70;     ///< filts[0]
    int64_t firstConv = 128;      ///< first_conv (the kernel is made odd: 129)
    std::vector<std::array<int64_t, 2>> blocks;  ///< (in, out) of encoder.0 .. encoder.5
    int64_t gatDim0 = 64, gatDim1 = 32;          ///< gat_dims
    std::array<double, 4> poolRatios{0.5, 0.7, 0.5, 0.5};
    std::array<double, 4> temperatures{2.0, 2.0, 100.0, 100.0};
    int64_t spectralNodes = 23;   ///< rows of pos_S

    int64_t kernel() const { return firstConv % 2 == 0 ? firstConv + 1 : firstConv; }
    int64_t channels() const { return blocks.empty() ? 0 : blocks.back()[1]; }
    /// Time steps of e_T for `samples` inputs: each of the 7 poolings floors a division by 3.
    int64_t temporalNodes(int64_t samples) const;
};

/// The band-pass filters of the authors' `CONV` (Hamming-windowed sinc pairs at
/// mel-spaced band edges), (filters, kernel) float32.
torch::Tensor aasistSincFilters(int64_t filters, int64_t kernel, int sampleRate = 16000);

struct AasistOutputs {
    torch::Tensor logits;      ///< (B, 2): [spoof, bona fide]
    torch::Tensor temporal;    ///< e_T (B, T', C)
    torch::Tensor spectral;    ///< e_S + pos_S (B, 23, C): the graph back-end's second input
    torch::Tensor encoder;     ///< (B, C, 23, T') if requested
    torch::Tensor frontHead;   ///< (B, 23, L) after first_bn + SELU, if requested
    torch::Tensor lastHidden;  ///< (B, 5 gat_dims[1]), if requested
};

class AasistModelImpl : public torch::nn::Module {
public:
    explicit AasistModelImpl(const AasistOptions& options);

    /// waves (B, N) float32 -> logits and node embeddings (caller's grad mode).
    AasistOutputs forward(const torch::Tensor& waves, bool keepIntermediates = false) const;
    /// The graph back-end: e_T (B, T', C) and spectral (B, 23, C) -> logits (B, 2).
    /// `temporalAttention`: if given, receives GAT_layer_T's attention (B, T', T').
    torch::Tensor backend(const torch::Tensor& temporal, const torch::Tensor& spectral,
                          torch::Tensor* temporalAttention = nullptr, torch::Tensor* lastHidden = nullptr) const;
    /// Computes the sinc filters (not in the checkpoint); call after loading and moving.
    void prepare();
    /// Conformance tests only: replaces the computed filter bank (filters, kernel)
    /// by given values, e.g. NumPy's float32 rounding of the same formula.
    void setSincFilters(const torch::Tensor& bank);
    const torch::Tensor& sincFilters() const { return m_sinc; }
    const AasistOptions& options() const { return m_options; }

    struct Block {
        bool first = false, downsample = false;
        BatchNormParams bn2;
        ConvParams conv1, conv2, convDown;
    };
    struct GatLayer {
        torch::Tensor attWeight;
        LinearParams attProj, projWith, projWithout;
        BatchNormParams bn;
        double temperature = 1.0;
    };
    struct HtrgLayer {
        torch::Tensor w11, w22, w12, wM;
        LinearParams type1, type2, attProj, attProjM, projWith, projWithout, projWithM, projWithoutM;
        BatchNormParams bn;
        double temperature = 1.0;
    };

private:
    torch::Tensor encode(const torch::Tensor& waves, AasistOutputs* out) const;
    /// The residual blocks without autograd on CPU in float32 (docs/aasist.md, "Speed"):
    /// batch norm folded into conv1, channels-last convolutions, the one-channel first
    /// block as a direct loop. Same arithmetic as the reference up to float32 rounding.
    torch::Tensor encodeBlocksFast(const torch::Tensor& x) const;

    /// Derived by prepare() for encodeBlocksFast; empty when the model is not on the CPU.
    struct FastBlock {
        torch::Tensor w1, b1, w2, b2, wd, bd;  // w1/b1: conv1 with bn2 folded in
    };
    std::vector<FastBlock> m_fast;

    AasistOptions m_options;
    torch::Tensor m_sinc;  // (filters, 1, kernel), computed by prepare()
    torch::Tensor m_posS, m_master1, m_master2;
    BatchNormParams m_firstBn;
    std::vector<Block> m_blocks;
    GatLayer m_gatS, m_gatT;
    HtrgLayer m_st11, m_st12, m_st21, m_st22;
    LinearParams m_poolS, m_poolT, m_poolHS1, m_poolHT1, m_poolHS2, m_poolHT2;
    LinearParams m_out;
};
TORCH_MODULE(AasistModel);

} // namespace spooflens::core
