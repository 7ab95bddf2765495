#pragma once
// ConformerTCM back-end of tcm_add (docs/detector.md §4) and the root module of
// the whole detector (tcm_add model.py's `Model`). Inference only. INTERNAL
// header (includes torch).
//
// Registered names equal the checkpoint keys:
//   ssl_model.model.*                         the Wav2Vec2Encoder
//   LL.*, first_bn.*                          front (Linear D->144, BatchNorm2d(1))
//   conformer.positional_emb, conformer.class_token, conformer.fc5.*
//   conformer.encoder_blocks.{b}.ff1.fn.norm.*, .ff1.fn.fn.net.{0,3}.*  (ff2 alike)
//   conformer.encoder_blocks.{b}.attn.norm.*, .attn.fn.{pos_embed,qkv,proj,ht_proj,ht_norm}
//   conformer.encoder_blocks.{b}.conv.net.{0,2,4.conv,5,7}.*, .post_norm.*
#include "core/detector/ModuleTree.h"
#include "core/detector/Wav2Vec2Encoder.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace spooflens::core {

struct ConformerTcmOptions {
    int64_t inputDim = 1024;   ///< SSL width D (LL input); tcm_add hard-codes 1024
    int64_t embDim = 144;
    int64_t heads = 4;         ///< = attn.fn.pos_embed.shape[1]
    int64_t ffDim = 576;       ///< FF multiplier 4
    int64_t convInner = 288;   ///< conv expansion 2 (GLU output channels)
    int64_t kernel = 31;       ///< depthwise kernel
    int64_t blocks = 4;
    int64_t positions = 10000; ///< rows of conformer.positional_emb: the longest T one pass can take
    int64_t classes = 2;
};

/// ff1 / ff2: Scale(1/2, PreNorm(LayerNorm, Linear -> Swish -> Linear)). The
/// 1/2 is applied by the block.
class FeedForwardImpl : public torch::nn::Module {
public:
    FeedForwardImpl(int64_t dim, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x) const;

private:
    NormParams m_norm;    // fn.norm
    LinearParams m_w1;    // fn.fn.net.0
    LinearParams m_w2;    // fn.fn.net.3
};
TORCH_MODULE(FeedForward);

/// attn.fn: multi-head attention with one extra "head token" per head (TCM, §4.3).
class TcmAttentionImpl : public torch::nn::Module {
public:
    TcmAttentionImpl(int64_t dim, int64_t heads);
    /// x (B, N, E), already LayerNormed -> (B, N, E). `attention`: if given,
    /// receives the softmax maps (B, heads, N+heads, N+heads).
    torch::Tensor forward(const torch::Tensor& x, torch::Tensor* attention = nullptr) const;

private:
    int64_t m_dim, m_heads, m_headDim;
    torch::Tensor m_posEmbed;                 // pos_embed (1, heads, E)
    LinearParams m_qkv;       // qkv (3E, E), no bias
    LinearParams m_proj;      // proj
    LinearParams m_htProj;    // ht_proj (E, E/heads)
    NormParams m_htNorm;      // ht_norm (E/heads)
};
TORCH_MODULE(TcmAttention);

/// conv: LayerNorm -> pointwise conv -> GLU -> depthwise conv -> BatchNorm1d -> Swish -> pointwise conv.
class ConvModuleImpl : public torch::nn::Module {
public:
    ConvModuleImpl(int64_t dim, int64_t inner, int64_t kernel);
    torch::Tensor forward(const torch::Tensor& x) const;  ///< (B, N, E) -> (B, N, E)

private:
    int64_t m_kernel, m_inner;
    NormParams m_norm;          // net.0
    ConvParams m_pointwise1;    // net.2 (2*inner, E, 1)
    ConvParams m_depthwise;     // net.4.conv (inner, 1, kernel)
    BatchNormParams m_bn;       // net.5
    ConvParams m_pointwise2;    // net.7 (E, inner, 1)
};
TORCH_MODULE(ConvModule);

/// conformer.encoder_blocks.{b}.
class ConformerBlockImpl : public torch::nn::Module {
public:
    explicit ConformerBlockImpl(const ConformerTcmOptions& o);
    torch::Tensor forward(const torch::Tensor& x, torch::Tensor* attention = nullptr) const;

private:
    FeedForward m_ff1{nullptr}, m_ff2{nullptr};
    NormParams m_attnNorm;            // attn.norm
    TcmAttention m_attn{nullptr};     // attn.fn
    ConvModule m_conv{nullptr};       // conv
    NormParams m_postNorm;            // post_norm
};
TORCH_MODULE(ConformerBlock);

/// conformer: positional table, class token, blocks, fc5.
class ConformerImpl : public torch::nn::Module {
public:
    explicit ConformerImpl(const ConformerTcmOptions& o);
    /// y (B, T, E) after first_bn + SELU -> logits (B, classes).
    torch::Tensor forward(const torch::Tensor& y, std::vector<torch::Tensor>* attention = nullptr,
                          Intermediates* intermediates = nullptr) const;

private:
    torch::Tensor m_positions;   // positional_emb (1, positions, E): loaded, never regenerated
    torch::Tensor m_classToken;  // class_token (1, E)
    std::vector<ConformerBlock> m_blocks;
    LinearParams m_fc5;
};
TORCH_MODULE(Conformer);

/// The detector as tcm_add saves it: SSL encoder + LL + first_bn + conformer.
class TcmModelImpl : public torch::nn::Module {
public:
    TcmModelImpl(const Wav2Vec2Options& ssl, const ConformerTcmOptions& backend);

    struct Output {
        torch::Tensor ssl;     ///< (B, T, D)
        torch::Tensor logits;  ///< (B, classes)
    };
    Output forward(const torch::Tensor& waves, std::vector<torch::Tensor>* attention = nullptr,
                   std::vector<torch::Tensor>* layerOutputs = nullptr, Intermediates* intermediates = nullptr) const;
    /// Back-end only: h (B, T, D) -> logits.
    torch::Tensor backend(const torch::Tensor& ssl, std::vector<torch::Tensor>* attention = nullptr,
                          Intermediates* intermediates = nullptr) const;
    const Wav2Vec2Encoder& encoder() const { return m_encoder; }
    void prepare();
    /// Reduced-precision SSL encoder (docs/precision.md); the back-end stays float32.
    void makeReduced(torch::ScalarType dtype) { m_encoder->makeReduced(dtype); }

private:
    Wav2Vec2Encoder m_encoder{nullptr};        // ssl_model.model
    LinearParams m_ll;                         // LL
    BatchNormParams m_firstBn;                 // first_bn (BatchNorm2d(1))
    Conformer m_conformer{nullptr};            // conformer
};
TORCH_MODULE(TcmModel);

} // namespace spooflens::core
