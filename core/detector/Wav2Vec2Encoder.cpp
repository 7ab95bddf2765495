#include "core/detector/Wav2Vec2Encoder.h"

#include "core/util/Threads.h"

#include <cmath>
#include <optional>

namespace spooflens::core {

int64_t Wav2Vec2Options::receptiveField() const
{
    // Back from one output frame: rf' = (rf - 1) * stride + kernel.
    int64_t rf = 1;
    for (auto it = convLayers.rbegin(); it != convLayers.rend(); ++it)
        rf = (rf - 1) * it->stride + it->kernel;
    return rf;
}

int64_t Wav2Vec2Options::hop() const
{
    int64_t h = 1;
    for (const auto& c : convLayers)
        h *= c.stride;
    return h;
}

// ---------------------------------------------------------------------------
ConvBlockImpl::ConvBlockImpl(int64_t inChannels, const ConvLayerSpec& spec)
    : m_spec(spec), m_inChannels(inChannels)
{
    m_conv = addConv1d(*this, "0", inChannels, spec.channels, spec.kernel);
    auto seg = addPathSegment(*this, "2");  // fairseq: Sequential(TransposeLast, LayerNorm, TransposeLast)
    m_norm = addLayerNorm(*seg, "1", spec.channels);
}

void ConvBlockImpl::prepare()
{
    // Channel-last convolution as one GEMM: with x (B, L, Cin) contiguous, the
    // k rows of window t are k*Cin consecutive floats, so the unfolded input is
    // a strided view and the weight must be ordered tap-major (Cout, k, Cin).
    // The registered (Cout, Cin, k) weight becomes a view of that buffer, so
    // no second copy is kept.
    const int64_t cout = m_spec.channels, k = m_spec.kernel, cin = m_inChannels;
    m_gemmWeight = m_conv.weight.permute({0, 2, 1}).reshape({cout, k * cin}).contiguous();
    m_conv.weight.set_(m_gemmWeight.storage(), 0, {cout, cin, k}, {k * cin, 1, cin});
}

void ConvBlockImpl::collectTrainable(std::vector<torch::Tensor>& out) const
{
    out.push_back(m_gemmWeight);
    if (m_conv.bias.defined())
        out.push_back(m_conv.bias);
    out.push_back(m_norm.weight);
    out.push_back(m_norm.bias);
}

void ConvBlockImpl::makeReduced(torch::ScalarType dtype)
{
    m_reduced = true;
    m_dtype = dtype;
    // Block 0 sees the raw waveform with k*Cin = 10: its GEMM is cheap and stays float32.
    if (m_inChannels > 1) {
        m_gemm.weight = m_gemmWeight;
        m_gemm.bias = m_conv.bias;
        m_gemm.makeReduced(dtype);
    }
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& input) const
{
    const torch::Tensor x = (input.dim() == 2 ? input.unsqueeze(-1) : input).contiguous();
    const int64_t batch = x.size(0), length = x.size(1), cin = x.size(2);
    TORCH_CHECK(cin == m_inChannels, "conv block: expected ", m_inChannels, " input channels, got ", cin);
    TORCH_CHECK(length >= m_spec.kernel, "conv block: input of ", length, " steps is shorter than the kernel");
    const int64_t outLength = (length - m_spec.kernel) / m_spec.stride + 1;
    const torch::Tensor windows = x.as_strided({batch, outLength, m_spec.kernel * cin},
                                               {length * cin, m_spec.stride * cin, 1});
    // Step by step so each temporary is freed before the next is made: at
    // 60 s windows one of these is 192000 x 512 floats (393 MB).
    if (m_reduced) {
        // GEMM in the reduced dtype when its weight copy exists; LayerNorm and
        // GELU in float32 (ATen's bf16 LayerNorm is both slower and coarser).
        torch::Tensor y = m_gemm.weightKN.defined() ? m_gemm.reduced(windows).to(torch::kFloat32)
                                                    : torch::linear(windows, m_gemmWeight, m_conv.bias);
        y = torch::gelu(m_norm(y));
        return y.to(m_dtype);
    }
    torch::Tensor y = torch::linear(windows, m_gemmWeight, m_conv.bias);
    y = m_norm(y);
    return torch::gelu(y);
}

// ---------------------------------------------------------------------------
PositionalConvImpl::PositionalConvImpl(int64_t embedDim, int64_t kernel, int64_t groups)
    : m_kernel(kernel), m_groups(groups)
{
    auto seg = addPathSegment(*this, "0");  // fairseq: Sequential(conv, SamePad, GELU)
    m_weightG = addParam(*seg, "weight_g", {1, 1, kernel});
    m_weightV = addParam(*seg, "weight_v", {embedDim, embedDim / groups, kernel});
    m_bias = addParam(*seg, "bias", {embedDim});
}

void PositionalConvImpl::prepare()
{
    // torch.nn.utils.weight_norm(dim=2): w = v * (g / ||v||), the norm per tap
    // over all output channels and in-group channels. Same float32 operations
    // as torch's _weight_norm, done once instead of every forward.
    const torch::Tensor norm = m_weightV.pow(2).sum(torch::IntArrayRef{0, 1}, /*keepdim=*/true).sqrt();
    m_weight = (m_weightV * (m_weightG / norm)).contiguous();
}

void PositionalConvImpl::makeReduced(torch::ScalarType dtype)
{
    m_weightReduced = m_weight.to(dtype);
    m_biasReduced = m_bias.to(dtype);
}

torch::Tensor PositionalConvImpl::forward(const torch::Tensor& x) const
{
    const int64_t frames = x.size(1);
    if (m_weightReduced.defined()) {
        torch::Tensor y = torch::conv1d(x.to(m_weightReduced.scalar_type()).transpose(1, 2), m_weightReduced,
                                        m_biasReduced, 1, m_kernel / 2, 1, m_groups);
        if (m_kernel % 2 == 0)
            y = y.narrow(2, 0, frames);
        return x + torch::gelu(y).transpose(1, 2);  // float32 + reduced -> float32
    }
    torch::Tensor y = torch::conv1d(x.transpose(1, 2), m_weight, m_bias, /*stride=*/1,
                                    /*padding=*/m_kernel / 2, /*dilation=*/1, m_groups);
    if (m_kernel % 2 == 0)
        y = y.narrow(2, 0, frames);  // SamePad: an even kernel yields T + 1 frames; drop the last
    return x + torch::gelu(y).transpose(1, 2);
}

// ---------------------------------------------------------------------------
EncoderLayerImpl::EncoderLayerImpl(int64_t embedDim, int64_t heads, int64_t ffnDim)
    : m_embedDim(embedDim), m_heads(heads)
{
    auto attn = addPathSegment(*this, "self_attn");
    m_k = addLinear(*attn, "k_proj", embedDim, embedDim);
    m_v = addLinear(*attn, "v_proj", embedDim, embedDim);
    m_q = addLinear(*attn, "q_proj", embedDim, embedDim);
    m_out = addLinear(*attn, "out_proj", embedDim, embedDim);
    m_attnNorm = addLayerNorm(*this, "self_attn_layer_norm", embedDim);
    m_fc1 = addLinear(*this, "fc1", embedDim, ffnDim);
    m_fc2 = addLinear(*this, "fc2", ffnDim, embedDim);
    m_finalNorm = addLayerNorm(*this, "final_layer_norm", embedDim);
}

void EncoderLayerImpl::prepare()
{
    // One (3E, E) projection instead of three; the registered q/k/v tensors
    // become views of the stacked buffer so nothing is stored twice.
    const int64_t e = m_embedDim;
    m_qkv.weight = torch::cat({m_q.weight, m_k.weight, m_v.weight}, 0).contiguous();
    m_qkv.bias = torch::cat({m_q.bias, m_k.bias, m_v.bias}, 0).contiguous();
    const LinearParams* parts[3] = {&m_q, &m_k, &m_v};
    for (int64_t i = 0; i < 3; ++i) {
        torch::Tensor w = parts[i]->weight, b = parts[i]->bias;
        w.set_(m_qkv.weight.storage(), i * e * e, {e, e}, {e, 1});
        b.set_(m_qkv.bias.storage(), i * e, {e}, {1});
    }
}

void EncoderLayerImpl::collectTrainable(std::vector<torch::Tensor>& out) const
{
    for (const LinearParams* p : {&m_qkv, &m_out, &m_fc1, &m_fc2}) {
        out.push_back(p->weight);
        out.push_back(p->bias);
    }
    for (const NormParams* n : {&m_attnNorm, &m_finalNorm}) {
        out.push_back(n->weight);
        out.push_back(n->bias);
    }
}

void EncoderLayerImpl::makeReduced(torch::ScalarType dtype)
{
    m_reduced = true;
    m_dtype = dtype;
    // Fold fairseq's q scaling (applied after the bias) into q's rows of the copy.
    const double scaling = 1.0 / std::sqrt(static_cast<double>(m_embedDim / m_heads));
    LinearParams scaled;
    scaled.weight = torch::cat({m_q.weight * scaling, m_k.weight, m_v.weight}, 0);
    scaled.bias = torch::cat({m_q.bias * scaling, m_k.bias, m_v.bias}, 0);
    scaled.makeReduced(dtype);
    m_qkv.weightKN = scaled.weightKN;
    m_qkv.biasReduced = scaled.biasReduced;
    m_out.makeReduced(dtype);
    m_fc1.makeReduced(dtype);
    m_fc2.makeReduced(dtype);
}

torch::Tensor EncoderLayerImpl::forwardReduced(const torch::Tensor& x) const
{
    // x: the float32 residual stream. Each GEMM reads a reduced copy of its
    // input and writes the reduced dtype (float32 accumulation inside oneDNN);
    // the sums back into x are float32.
    const int64_t batch = x.size(0), frames = x.size(1), headDim = m_embedDim / m_heads;
    const torch::Tensor qkv = m_qkv.reduced(m_attnNorm(x).to(m_dtype)).view({batch, frames, 3, m_heads, headDim});
    const torch::Tensor q = qkv.select(2, 0).transpose(1, 2);  // (B, H, T, d), already scaled
    const torch::Tensor k = qkv.select(2, 1).transpose(1, 2);
    const torch::Tensor v = qkv.select(2, 2).transpose(1, 2);
    const torch::Tensor attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1, torch::kFloat32).to(m_dtype);
    const torch::Tensor o = torch::matmul(attn, v).transpose(1, 2).reshape({batch, frames, m_embedDim});
    const torch::Tensor h = x + m_out.reduced(o);
    return h + m_fc2.reduced(torch::gelu(m_fc1.reduced(m_finalNorm(h).to(m_dtype))));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x) const
{
    if (m_reduced)
        return forwardReduced(x);
    const int64_t batch = x.size(0), frames = x.size(1), headDim = m_embedDim / m_heads;
    const double scaling = 1.0 / std::sqrt(static_cast<double>(headDim));
    const torch::Tensor qkv = m_qkv(m_attnNorm(x)).view({batch, frames, 3, m_heads, headDim});
    // fairseq scales q after its bias.
    const torch::Tensor q = (qkv.select(2, 0) * scaling).transpose(1, 2);  // (B, H, T, d)
    const torch::Tensor k = qkv.select(2, 1).transpose(1, 2);
    const torch::Tensor v = qkv.select(2, 2).transpose(1, 2);
    const torch::Tensor attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);
    const torch::Tensor o = torch::matmul(attn, v).transpose(1, 2).reshape({batch, frames, m_embedDim});
    const torch::Tensor h = x + m_out(o);
    return h + m_fc2(torch::gelu(m_fc1(m_finalNorm(h))));
}

// ---------------------------------------------------------------------------
Wav2Vec2EncoderImpl::Wav2Vec2EncoderImpl(const Wav2Vec2Options& options)
    : m_options(options)
{
    auto extractor = addPathSegment(*this, "feature_extractor");
    auto convLayers = addPathSegment(*extractor, "conv_layers");
    int64_t in = 1;
    for (size_t c = 0; c < options.convLayers.size(); ++c) {
        m_convBlocks.push_back(convLayers->register_module(std::to_string(c), ConvBlock(in, options.convLayers[c])));
        in = options.convLayers[c].channels;
    }
    m_featureNorm = addLayerNorm(*this, "layer_norm", in);
    m_proj = addLinear(*this, "post_extract_proj", in, options.embedDim);
    auto encoder = addPathSegment(*this, "encoder");
    m_posConv = encoder->register_module("pos_conv",
                                         PositionalConv(options.embedDim, options.posConvKernel, options.posConvGroups));
    auto layers = addPathSegment(*encoder, "layers");
    for (int64_t i = 0; i < options.layers; ++i)
        m_layers.push_back(layers->register_module(std::to_string(i),
                                                   EncoderLayer(options.embedDim, options.heads, options.ffnDim)));
    m_finalNorm = addLayerNorm(*encoder, "layer_norm", options.embedDim);
}

void Wav2Vec2EncoderImpl::prepare()
{
    for (auto& c : m_convBlocks)
        c->prepare();
    m_posConv->prepare();
    for (auto& l : m_layers)
        l->prepare();
}

void Wav2Vec2EncoderImpl::makeReduced(torch::ScalarType dtype)
{
    m_reduced = true;
    m_dtype = dtype;
    for (auto& c : m_convBlocks)
        c->makeReduced(dtype);
    m_proj.makeReduced(dtype);
    m_posConv->makeReduced(dtype);
    for (auto& l : m_layers)
        l->makeReduced(dtype);
}

std::vector<torch::Tensor> Wav2Vec2EncoderImpl::trainableTensors() const
{
    TORCH_CHECK(!m_reduced, "trainableTensors: the encoder runs in reduced precision");
    std::vector<torch::Tensor> out;
    for (const auto& c : m_convBlocks)
        c->collectTrainable(out);
    for (const torch::Tensor& t : {m_featureNorm.weight, m_featureNorm.bias, m_proj.weight, m_proj.bias})
        out.push_back(t);
    for (const auto& l : m_layers)
        l->collectTrainable(out);
    out.push_back(m_finalNorm.weight);
    out.push_back(m_finalNorm.bias);
    std::vector<torch::Tensor> defined;
    for (auto& t : out)
        if (t.defined()) {
            TORCH_CHECK(t.is_leaf(), "trainableTensors: a derived tensor cannot be trained");
            t.set_requires_grad(true);
            defined.push_back(t);
        }
    return defined;
}

torch::Tensor Wav2Vec2EncoderImpl::forward(const torch::Tensor& waves, std::vector<torch::Tensor>* layerOutputs,
                                           Intermediates* intermediates) const
{
    // bf16: oneDNN's GEMMs and convolutions, also where the process turned
    // oneDNN off for its wrong float32 convolutions (core/util/Threads.h).
    std::optional<ScopedReducedPrecisionKernels> reducedKernels;
    if (m_reduced)
        reducedKernels.emplace();
    torch::Tensor x = waves;
    for (const auto& c : m_convBlocks)
        x = c->forward(x);  // channel-last throughout: (B, L, C)
    record(intermediates, "ssl_cnn", x);
    if (m_reduced)
        x = m_proj.reduced(m_featureNorm(x.to(torch::kFloat32)).to(m_dtype)).to(torch::kFloat32);
    else
        x = m_proj(m_featureNorm(x));
    record(intermediates, "ssl_proj", x);
    x = m_posConv->forward(x);
    record(intermediates, "ssl_posconv_added", x);
    for (size_t i = 0; i < m_layers.size(); ++i) {
        x = m_layers[i]->forward(x);
        record(intermediates, "ssl_layer" + std::to_string(i), x);
        if (layerOutputs)
            layerOutputs->push_back(x);
    }
    x = m_finalNorm(x);
    record(intermediates, "ssl_final", x);
    return x;
}

} // namespace spooflens::core
