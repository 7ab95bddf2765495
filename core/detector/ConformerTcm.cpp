#include "core/detector/ConformerTcm.h"

#include <cmath>

namespace spooflens::core {
namespace {

// tcm_add's Swish: x * sigmoid(x), written out (not torch::silu) to keep its rounding.
torch::Tensor swish(const torch::Tensor& x)
{
    return x * torch::sigmoid(x);
}

} // namespace

// ---------------------------------------------------------------------------
FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t hidden)
{
    auto preNorm = addPathSegment(*this, "fn");   // Scale.fn = PreNorm
    m_norm = addLayerNorm(*preNorm, "norm", dim);
    auto net = addPathSegment(*addPathSegment(*preNorm, "fn"), "net");  // PreNorm.fn = FeedForward
    m_w1 = addLinear(*net, "0", dim, hidden);
    m_w2 = addLinear(*net, "3", hidden, dim);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) const
{
    return m_w2(swish(m_w1(m_norm(x))));
}

// ---------------------------------------------------------------------------
TcmAttentionImpl::TcmAttentionImpl(int64_t dim, int64_t heads)
    : m_dim(dim), m_heads(heads), m_headDim(dim / heads)
{
    m_posEmbed = addParam(*this, "pos_embed", {1, heads, dim});
    m_qkv = addLinear(*this, "qkv", dim, 3 * dim, /*bias=*/false);
    m_proj = addLinear(*this, "proj", dim, dim);
    m_htProj = addLinear(*this, "ht_proj", m_headDim, dim);
    m_htNorm = addLayerNorm(*this, "ht_norm", m_headDim);
}

torch::Tensor TcmAttentionImpl::forward(const torch::Tensor& x, torch::Tensor* attention) const
{
    const int64_t batch = x.size(0), tokens = x.size(1), d = m_headDim;

    // Head tokens: per head, the mean over all tokens (class token included)
    // of that head's channel slice, projected to the model width, normalised
    // chunk-wise with one shared LayerNorm(d), GELU, plus a learned position.
    const torch::Tensor summary = x.mean(1).view({batch, m_heads, d});
    torch::Tensor headTokens = m_htProj(summary);  // (B, H, E)
    headTokens = torch::gelu(m_htNorm(headTokens.view({batch, m_heads, m_dim / d, d})))
                     .view({batch, m_heads, m_dim});
    headTokens = headTokens + m_posEmbed;

    const torch::Tensor z = torch::cat({x, headTokens}, 1);  // (B, M, E), M = N + H
    const int64_t m = tokens + m_heads;
    const torch::Tensor qkv = m_qkv(z).view({batch, m, 3, m_heads, d});
    const torch::Tensor q = qkv.select(2, 0).transpose(1, 2);  // (B, H, M, d)
    const torch::Tensor k = qkv.select(2, 1).transpose(1, 2);
    const torch::Tensor v = qkv.select(2, 2).transpose(1, 2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const torch::Tensor attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1);
    if (attention)
        *attention = attn;
    const torch::Tensor o = torch::matmul(attn, v).transpose(1, 2).reshape({batch, m, m_dim});
    const torch::Tensor y = m_proj(o);

    // Drop the head tokens again: their mean and the frame tokens' mean (class
    // token excluded) go into the class token's row.
    const torch::Tensor cls = y.select(1, 0) + y.narrow(1, tokens, m_heads).mean(1) + y.narrow(1, 1, tokens - 1).mean(1);
    return torch::cat({cls.unsqueeze(1), y.narrow(1, 1, tokens - 1)}, 1);
}

// ---------------------------------------------------------------------------
ConvModuleImpl::ConvModuleImpl(int64_t dim, int64_t inner, int64_t kernel)
    : m_kernel(kernel), m_inner(inner)
{
    auto net = addPathSegment(*this, "net");
    m_norm = addLayerNorm(*net, "0", dim);
    m_pointwise1 = addConv1d(*net, "2", dim, 2 * inner, 1);
    m_depthwise = addConv1d(*addPathSegment(*net, "4"), "conv", inner, inner, kernel, /*groups=*/inner);
    m_bn = addBatchNorm(*net, "5", inner);
    m_pointwise2 = addConv1d(*net, "7", inner, dim, 1);
}

torch::Tensor ConvModuleImpl::forward(const torch::Tensor& x) const
{
    // Pointwise (k = 1) convolutions are per-token linears on the channel-last layout.
    torch::Tensor y = torch::linear(m_norm(x), m_pointwise1.weight.squeeze(-1), m_pointwise1.bias);
    const auto halves = y.chunk(2, -1);
    y = (halves[0] * torch::sigmoid(halves[1])).transpose(1, 2);  // GLU -> (B, inner, N)
    // "Same" padding of tcm_add: (k/2, k/2 - (k+1)%2) zeros; (15, 15) for k = 31.
    const int64_t left = m_kernel / 2, right = left - (m_kernel + 1) % 2;
    y = torch::constant_pad_nd(y, {left, right}, 0.0);
    const int64_t stride = 1, padding = 0, dilation = 1;
    y = torch::conv1d(y, m_depthwise.weight, m_depthwise.bias, stride, padding, dilation, /*groups=*/m_inner);
    y = swish(m_bn(y)).transpose(1, 2);
    return torch::linear(y, m_pointwise2.weight.squeeze(-1), m_pointwise2.bias);
}

// ---------------------------------------------------------------------------
ConformerBlockImpl::ConformerBlockImpl(const ConformerTcmOptions& o)
{
    m_ff1 = register_module("ff1", FeedForward(o.embDim, o.ffDim));
    auto attn = addPathSegment(*this, "attn");  // PreNorm(LayerNorm, Attention)
    m_attnNorm = addLayerNorm(*attn, "norm", o.embDim);
    m_attn = attn->register_module("fn", TcmAttention(o.embDim, o.heads));
    m_conv = register_module("conv", ConvModule(o.embDim, o.convInner, o.kernel));
    m_ff2 = register_module("ff2", FeedForward(o.embDim, o.ffDim));
    m_postNorm = addLayerNorm(*this, "post_norm", o.embDim);
}

torch::Tensor ConformerBlockImpl::forward(const torch::Tensor& input, torch::Tensor* attention) const
{
    torch::Tensor x = input + m_ff1->forward(input) * 0.5;
    x = x + m_attn->forward(m_attnNorm(x), attention);
    x = x + m_conv->forward(x);
    x = x + m_ff2->forward(x) * 0.5;
    return m_postNorm(x);
}

// ---------------------------------------------------------------------------
ConformerImpl::ConformerImpl(const ConformerTcmOptions& o)
{
    m_positions = addParam(*this, "positional_emb", {1, o.positions, o.embDim});
    m_classToken = addParam(*this, "class_token", {1, o.embDim});
    auto blocks = addPathSegment(*this, "encoder_blocks");
    for (int64_t b = 0; b < o.blocks; ++b)
        m_blocks.push_back(blocks->register_module(std::to_string(b), ConformerBlock(o)));
    m_fc5 = addLinear(*this, "fc5", o.embDim, o.classes);
}

torch::Tensor ConformerImpl::forward(const torch::Tensor& y, std::vector<torch::Tensor>* attention,
                                     Intermediates* intermediates) const
{
    const int64_t batch = y.size(0), frames = y.size(1), dim = y.size(2);
    TORCH_CHECK(frames <= m_positions.size(1), "the TCM positional table has ", m_positions.size(1),
                " rows; one pass cannot take ", frames, " frames");
    const torch::Tensor withPos = y + m_positions.narrow(1, 0, frames);
    record(intermediates, "conformer_in", withPos);
    torch::Tensor x = torch::cat({m_classToken.unsqueeze(0).expand({batch, 1, dim}), withPos}, 1);
    for (size_t b = 0; b < m_blocks.size(); ++b) {
        torch::Tensor att;
        x = m_blocks[b]->forward(x, attention ? &att : nullptr);
        if (attention)
            attention->push_back(att);
        record(intermediates, "block" + std::to_string(b), x);
    }
    const torch::Tensor cls = x.select(1, 0);
    record(intermediates, "cls_emb", cls);
    return m_fc5(cls);
}

// ---------------------------------------------------------------------------
TcmModelImpl::TcmModelImpl(const Wav2Vec2Options& ssl, const ConformerTcmOptions& backend)
{
    m_encoder = addPathSegment(*this, "ssl_model")->register_module("model", Wav2Vec2Encoder(ssl));
    m_ll = addLinear(*this, "LL", backend.inputDim, backend.embDim);
    m_firstBn = addBatchNorm(*this, "first_bn", 1);
    m_conformer = register_module("conformer", Conformer(backend));
}

void TcmModelImpl::prepare()
{
    m_encoder->prepare();
}

torch::Tensor TcmModelImpl::backend(const torch::Tensor& ssl, std::vector<torch::Tensor>* attention,
                                    Intermediates* intermediates) const
{
    torch::Tensor y = m_ll(ssl);
    record(intermediates, "ll", y);
    // BatchNorm2d(1) on y viewed as (B, 1, T, E): one scalar statistic for every element.
    y = m_firstBn(y.unsqueeze(1)).squeeze(1);
    y = torch::selu(y);
    record(intermediates, "bn_selu", y);
    return m_conformer->forward(y, attention, intermediates);
}

TcmModelImpl::Output TcmModelImpl::forward(const torch::Tensor& waves, std::vector<torch::Tensor>* attention,
                                           std::vector<torch::Tensor>* layerOutputs,
                                           Intermediates* intermediates) const
{
    Output out;
    out.ssl = m_encoder->forward(waves, layerOutputs, intermediates);
    out.logits = backend(out.ssl, attention, intermediates);
    return out;
}

} // namespace spooflens::core
