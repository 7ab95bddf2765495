// AASIST / AASIST-L in LibTorch (docs/aasist.md). The arithmetic follows the
// authors' models/AASIST.py step by step, including two facts of that code:
// the sinc filters are computed (not stored), and in every residual block
// after the first, conv1 reads the block's input (bn1 + SELU are unused).
#include "core/detector/Aasist.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace spooflens::core {

int64_t AasistOptions::temporalNodes(int64_t samples) const
{
    int64_t n = samples - kernel() + 1;  // valid convolution of the sinc bank
    if (n < 0)
        return 0;
    for (int i = 0; i < 7; ++i)          // front max-pool (3, 3) and six (1, 3)
        n /= 3;
    return n;
}

torch::Tensor aasistSincFilters(int64_t filters, int64_t kernel, int sampleRate)
{
    // Band edges: `filters` + 1 points equally spaced on the mel scale between
    // the mel values of 0 Hz and the Nyquist frequency (the authors take them
    // from a 512-point FFT grid, whose ends are exactly those).
    const auto toMel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    const auto toHz = [](double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); };
    const double melMin = toMel(0.0), melMax = toMel(double(sampleRate / 2));
    std::vector<double> edges(size_t(filters) + 1);
    const double step = (melMax - melMin) / double(filters);
    for (int64_t i = 0; i <= filters; ++i)
        edges[size_t(i)] = toHz(i == filters ? melMax : double(i) * step + melMin);

    // The authors' arithmetic runs in float32 (torch.arange support, NumPy's
    // float32 sinc); it is followed here so the filters agree to the last bits.
    torch::Tensor bank = torch::empty({filters, kernel}, torch::kFloat32);
    auto b = bank.accessor<float, 2>();
    const int64_t half = (kernel - 1) / 2;
    const auto sinc = [](float x) {
        const float y = float(M_PI) * (x == 0.0f ? 1.0e-20f : x);
        return std::sin(y) / y;
    };
    for (int64_t i = 0; i < filters; ++i) {
        const double fLow = edges[size_t(i)], fHigh = edges[size_t(i) + 1];
        for (int64_t k = 0; k < kernel; ++k) {
            const float n = float(k - half);
            const float high = float(2.0 * fHigh / sampleRate) * sinc(float(2.0 * fHigh) * n / float(sampleRate));
            const float low = float(2.0 * fLow / sampleRate) * sinc(float(2.0 * fLow) * n / float(sampleRate));
            const double hamming = 0.54 - 0.46 * std::cos(2.0 * M_PI * double(k) / double(kernel - 1));
            b[i][k] = float(hamming) * (high - low);
        }
    }
    return bank;
}

namespace {

ConvParams addConv2d(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out, int64_t kh,
                     int64_t kw)
{
    auto m = addPathSegment(parent, name);
    return {addParam(*m, "weight", {out, in, kh, kw}), addParam(*m, "bias", {out})};
}

AasistModelImpl::GatLayer addGat(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out,
                                 double temperature)
{
    auto m = addPathSegment(parent, name);
    AasistModelImpl::GatLayer g;
    g.attWeight = addParam(*m, "att_weight", {out, 1});
    g.attProj = addLinear(*m, "att_proj", in, out);
    g.projWith = addLinear(*m, "proj_with_att", in, out);
    g.projWithout = addLinear(*m, "proj_without_att", in, out);
    g.bn = addBatchNorm(*m, "bn", out);
    g.temperature = temperature;
    return g;
}

AasistModelImpl::HtrgLayer addHtrg(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out,
                                   double temperature)
{
    auto m = addPathSegment(parent, name);
    AasistModelImpl::HtrgLayer h;
    h.w11 = addParam(*m, "att_weight11", {out, 1});
    h.w22 = addParam(*m, "att_weight22", {out, 1});
    h.w12 = addParam(*m, "att_weight12", {out, 1});
    h.wM = addParam(*m, "att_weightM", {out, 1});
    h.type1 = addLinear(*m, "proj_type1", in, in);
    h.type2 = addLinear(*m, "proj_type2", in, in);
    h.attProj = addLinear(*m, "att_proj", in, out);
    h.attProjM = addLinear(*m, "att_projM", in, out);
    h.projWith = addLinear(*m, "proj_with_att", in, out);
    h.projWithout = addLinear(*m, "proj_without_att", in, out);
    h.projWithM = addLinear(*m, "proj_with_attM", in, out);
    h.projWithoutM = addLinear(*m, "proj_without_attM", in, out);
    h.bn = addBatchNorm(*m, "bn", out);
    h.temperature = temperature;
    return h;
}

LinearParams addPool(torch::nn::Module& parent, const std::string& name, int64_t in)
{
    auto m = addPathSegment(parent, name);
    return addLinear(*m, "proj", in, 1);
}

/// Batch norm over the last dimension of (B, N, D) (the authors' `_apply_BN`).
torch::Tensor nodeNorm(const BatchNormParams& bn, const torch::Tensor& x)
{
    return bn(x.reshape({-1, x.size(-1)})).view(x.sizes());
}

/// Pairwise products x_i * x_j of every node pair: (B, N, N, D).
torch::Tensor pairwise(const torch::Tensor& x)
{
    const torch::Tensor e = x.unsqueeze(2).expand({-1, -1, x.size(1), -1});
    return e * e.transpose(1, 2);
}

// The attention arithmetic below keeps the authors' tensor shapes and
// reduction dimensions (4-D maps, softmax over dim -2, one matmul per board
// block): the same kernels then give the same roundings, which keeps near-ties
// of the later max-poolings and top-k poolings on the same side.

torch::Tensor gatForward(const AasistModelImpl::GatLayer& g, const torch::Tensor& x, torch::Tensor* attention)
{
    torch::Tensor att = torch::matmul(torch::tanh(g.attProj(pairwise(x))), g.attWeight);  // (B, N, N, 1)
    att = torch::softmax(att / g.temperature, -2).squeeze(-1);
    if (attention)
        *attention = att;
    const torch::Tensor y = g.projWith(torch::matmul(att, x)) + g.projWithout(x);
    return torch::selu(nodeNorm(g.bn, y));
}

struct HtrgOut {
    torch::Tensor x1, x2, master;
};

HtrgOut htrgForward(const AasistModelImpl::HtrgLayer& h, const torch::Tensor& in1, const torch::Tensor& in2,
                    const torch::Tensor& master)
{
    const int64_t n1 = in1.size(1), n2 = in2.size(1), n = n1 + n2;
    const torch::Tensor x = torch::cat({h.type1(in1), h.type2(in2)}, 1);

    // Node-pair attention: one weight vector per block of the (type1, type2) board.
    const torch::Tensor a = torch::tanh(h.attProj(pairwise(x)));  // (B, N, N, out)
    torch::Tensor board = torch::zeros({x.size(0), n, n, 1}, a.options());
    const auto block = [&](int64_t r0, int64_t rn, int64_t c0, int64_t cn, const torch::Tensor& w) {
        board.slice(1, r0, r0 + rn).slice(2, c0, c0 + cn).copy_(torch::matmul(a.slice(1, r0, r0 + rn).slice(2, c0, c0 + cn), w));
    };
    block(0, n1, 0, n1, h.w11);
    block(n1, n2, n1, n2, h.w22);
    block(0, n1, n1, n2, h.w12);
    block(n1, n2, 0, n1, h.w12);
    const torch::Tensor att = torch::softmax(board / h.temperature, -2).squeeze(-1);

    // Master node: attention over every node, then its own projection.
    torch::Tensor attM = torch::matmul(torch::tanh(h.attProjM(x * master)), h.wM);  // (B, N, 1)
    attM = torch::softmax(attM / h.temperature, -2);
    const torch::Tensor newMaster =
        h.projWithM(torch::matmul(attM.squeeze(-1).unsqueeze(1), x)) + h.projWithoutM(master);

    torch::Tensor y = h.projWith(torch::matmul(att, x)) + h.projWithout(x);
    y = torch::selu(nodeNorm(h.bn, y));
    return {y.narrow(1, 0, n1), y.narrow(1, n1, n2), newMaster};
}

/// Keeps the max(floor(N k), 1) nodes of highest sigmoid score, scaled by it,
/// in descending score order (the authors' `top_k_graph`).
torch::Tensor graphPool(const LinearParams& proj, double ratio, const torch::Tensor& h)
{
    const torch::Tensor scores = torch::sigmoid(proj(h));  // (B, N, 1)
    const int64_t keep = std::max<int64_t>(static_cast<int64_t>(double(h.size(1)) * ratio), 1);
    const torch::Tensor idx = std::get<1>(torch::topk(scores, keep, 1)).expand({-1, -1, h.size(2)});
    return (h * scores).gather(1, idx);
}

} // namespace

AasistModelImpl::AasistModelImpl(const AasistOptions& o) : m_options(o)
{
    const int64_t c = o.channels();
    m_posS = addParam(*this, "pos_S", {1, o.spectralNodes, c});
    m_master1 = addParam(*this, "master1", {1, 1, o.gatDim0});
    m_master2 = addParam(*this, "master2", {1, 1, o.gatDim0});
    m_firstBn = addBatchNorm(*this, "first_bn", 1);
    auto encoder = addPathSegment(*this, "encoder");
    for (size_t i = 0; i < o.blocks.size(); ++i) {
        auto block = addPathSegment(*addPathSegment(*encoder, std::to_string(i)), "0");
        const int64_t in = o.blocks[i][0], out = o.blocks[i][1];
        Block b;
        b.first = i == 0;
        if (!b.first)
            addBatchNorm(*block, "bn1", in);  // stored, never used by the authors' forward
        b.conv1 = addConv2d(*block, "conv1", in, out, 2, 3);
        b.bn2 = addBatchNorm(*block, "bn2", out);
        b.conv2 = addConv2d(*block, "conv2", out, out, 2, 3);
        b.downsample = in != out;
        if (b.downsample)
            b.convDown = addConv2d(*block, "conv_downsample", in, out, 1, 3);
        m_blocks.push_back(b);
    }
    m_gatS = addGat(*this, "GAT_layer_S", c, o.gatDim0, o.temperatures[0]);
    m_gatT = addGat(*this, "GAT_layer_T", c, o.gatDim0, o.temperatures[1]);
    m_st11 = addHtrg(*this, "HtrgGAT_layer_ST11", o.gatDim0, o.gatDim1, o.temperatures[2]);
    m_st12 = addHtrg(*this, "HtrgGAT_layer_ST12", o.gatDim1, o.gatDim1, o.temperatures[2]);
    m_st21 = addHtrg(*this, "HtrgGAT_layer_ST21", o.gatDim0, o.gatDim1, o.temperatures[2]);
    m_st22 = addHtrg(*this, "HtrgGAT_layer_ST22", o.gatDim1, o.gatDim1, o.temperatures[2]);
    m_poolS = addPool(*this, "pool_S", o.gatDim0);
    m_poolT = addPool(*this, "pool_T", o.gatDim0);
    m_poolHS1 = addPool(*this, "pool_hS1", o.gatDim1);
    m_poolHT1 = addPool(*this, "pool_hT1", o.gatDim1);
    m_poolHS2 = addPool(*this, "pool_hS2", o.gatDim1);
    m_poolHT2 = addPool(*this, "pool_hT2", o.gatDim1);
    m_out = addLinear(*this, "out_layer", 5 * o.gatDim1, 2);
}

void AasistModelImpl::prepare()
{
    m_sinc = aasistSincFilters(m_options.sincFilters, m_options.kernel())
                 .view({m_options.sincFilters, 1, m_options.kernel()})
                 .to(m_posS.device());
    m_fast.clear();
    if (!m_posS.device().is_cpu() || m_posS.scalar_type() != torch::kFloat32)
        return;
    torch::NoGradGuard noGrad;
    const auto lastFormat = [](const torch::Tensor& w) { return w.contiguous(torch::MemoryFormat::ChannelsLast); };
    for (const Block& b : m_blocks) {
        // Eval-mode batch norm after conv1 is an affine map per channel: fold it in.
        const torch::Tensor scale = b.bn2.weight / torch::sqrt(b.bn2.runningVar + 1e-5);
        FastBlock f;
        f.w1 = b.conv1.weight * scale.view({-1, 1, 1, 1});
        f.b1 = (b.conv1.bias - b.bn2.runningMean) * scale + b.bn2.bias;
        f.w2 = lastFormat(b.conv2.weight);
        f.b2 = b.conv2.bias.contiguous();
        if (b.downsample) {
            f.wd = b.convDown.weight;
            f.bd = b.convDown.bias.contiguous();
        }
        if (b.conv1.weight.size(1) == 1) {
            // One input channel: taps x out-channels tables for the direct loop.
            f.w1 = f.w1.flatten(1).t().contiguous();
            if (b.downsample)
                f.wd = f.wd.flatten(1).t().contiguous();
        } else {
            f.w1 = lastFormat(f.w1);
            if (b.downsample)
                f.wd = lastFormat(f.wd);
        }
        f.b1 = f.b1.contiguous();
        m_fast.push_back(std::move(f));
    }
}

namespace {

/// Four floats in one SIMD register (GCC/Clang vector extension: SSE on x86-64,
/// NEON on ARM); the default -O2 does not vectorise the channel loop by itself.
using Float4 = float __attribute__((vector_size(16)));

/// One output row of convOneChannel: `rows[k]` is the input row under kernel
/// row k (nullptr where the padding is), `C` channels, a multiple of 4.
template <int64_t C>
void oneChannelRow(const float* const* rows, int64_t kh, int64_t w, const float* taps, const float* bias, float* out)
{
    constexpr int64_t V = C / 4;
    Float4 b[V];
    std::memcpy(b, bias, sizeof b);
    for (int64_t j = 0; j < w; ++j) {
        Float4 acc[V];
        for (int64_t q = 0; q < V; ++q)
            acc[q] = b[q];
        for (int64_t ki = 0; ki < kh; ++ki) {
            if (!rows[ki])
                continue;
            for (int64_t kj = 0; kj < 3; ++kj) {
                const int64_t col = j + kj - 1;
                if (col < 0 || col >= w)
                    continue;
                const float v = rows[ki][col];
                const Float4 vv = {v, v, v, v};
                const float* t = taps + (ki * 3 + kj) * C;
                for (int64_t q = 0; q < V; ++q) {
                    Float4 tq;
                    std::memcpy(&tq, t + 4 * q, sizeof tq);
                    acc[q] += vv * tq;
                }
            }
        }
        std::memcpy(out + j * C, acc, sizeof acc);
    }
}

/// Convolution of a one-channel map (B, 1, H, W) with a (kh x 3) kernel, kh <= 2,
/// padding (padH, 1), stride 1, as a direct loop that writes channels-last output
/// directly (AASIST's first block; docs/aasist.md, "Speed"). `taps` is (kh * 3, C) (tap-major),
/// `bias` (C), C one of 24, 32, 64 (the authors' configurations) or any other count.
/// Returns (B, C, Ho, W) in channels-last memory, Ho = H + 2 padH - kh + 1.
torch::Tensor convOneChannel(const torch::Tensor& x, const torch::Tensor& taps, const torch::Tensor& bias, int64_t kh,
                             int64_t padH)
{
    const torch::Tensor in = x.contiguous();
    const int64_t batch = in.size(0), h = in.size(2), w = in.size(3), c = taps.size(1);
    const int64_t ho = h + 2 * padH - kh + 1;
    torch::Tensor out = torch::empty({batch, ho, w, c}, in.options());
    const float* src = in.data_ptr<float>();
    const float* tp = taps.data_ptr<float>();
    const float* b = bias.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, batch * ho, 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t n = r / ho, i = r % ho;
            const float* rows[2] = {nullptr, nullptr};
            for (int64_t ki = 0; ki < kh; ++ki) {
                const int64_t row = i + ki - padH;
                if (row >= 0 && row < h)
                    rows[ki] = src + (n * h + row) * w;
            }
            float* o = dst + r * w * c;
            switch (c) {
            case 24: oneChannelRow<24>(rows, kh, w, tp, b, o); break;
            case 32: oneChannelRow<32>(rows, kh, w, tp, b, o); break;
            case 64: oneChannelRow<64>(rows, kh, w, tp, b, o); break;
            default:
                for (int64_t j = 0; j < w; ++j) {
                    float* oj = o + j * c;
                    std::copy(b, b + c, oj);
                    for (int64_t ki = 0; ki < kh; ++ki)
                        for (int64_t kj = 0; kj < 3; ++kj) {
                            const int64_t col = j + kj - 1;
                            if (!rows[ki] || col < 0 || col >= w)
                                continue;
                            for (int64_t k = 0; k < c; ++k)
                                oj[k] += rows[ki][col] * tp[(ki * 3 + kj) * c + k];
                        }
                }
            }
        }
    });
    return out.permute({0, 3, 1, 2});
}

/// Max-pool (1, 3) of a channels-last (B, C, H, W) map, as max_pool2d would.
torch::Tensor maxPoolWidth3(const torch::Tensor& x)
{
    const int64_t w3 = x.size(3) / 3;
    const torch::Tensor v = x.permute({0, 2, 3, 1}).narrow(2, 0, w3 * 3).view({x.size(0), x.size(2), w3, 3, x.size(1)});
    // Two element-wise maxima over contiguous channel vectors (a reduction over the
    // strided window dimension is several times slower).
    return torch::maximum(torch::maximum(v.select(3, 0), v.select(3, 1)), v.select(3, 2)).permute({0, 3, 1, 2});
}

} // namespace

torch::Tensor AasistModelImpl::encodeBlocksFast(const torch::Tensor& input) const
{
    const std::vector<int64_t> stride{1, 1}, pad11{1, 1}, pad01{0, 1};
    torch::Tensor x = input;
    for (size_t i = 0; i < m_blocks.size(); ++i) {
        const FastBlock& f = m_fast[i];
        const bool oneChannel = x.size(1) == 1;
        torch::Tensor y = oneChannel ? convOneChannel(x, f.w1, f.b1, 2, 1)
                                     : torch::conv2d(x, f.w1, f.b1, stride, pad11);
        torch::selu_(y);
        y = torch::conv2d(y, f.w2, f.b2, stride, pad01);
        if (m_blocks[i].downsample)
            y.add_(oneChannel ? convOneChannel(x, f.wd, f.bd, 1, 0) : torch::conv2d(x, f.wd, f.bd, stride, pad01));
        else
            y.add_(x);
        x = maxPoolWidth3(y);
    }
    return x.contiguous();
}

void AasistModelImpl::setSincFilters(const torch::Tensor& bank)
{
    TORCH_CHECK(bank.dim() == 2 && bank.size(0) == m_options.sincFilters && bank.size(1) == m_options.kernel(),
                "setSincFilters: expected (", m_options.sincFilters, ", ", m_options.kernel(), ")");
    m_sinc = bank.to(m_posS.device(), torch::kFloat32).contiguous().view({m_options.sincFilters, 1, m_options.kernel()});
}

torch::Tensor AasistModelImpl::encode(const torch::Tensor& waves, AasistOutputs* out) const
{
    torch::Tensor x = torch::conv1d(waves.unsqueeze(1), m_sinc);         // (B, F, N - 128)
    x = torch::max_pool2d(torch::abs(x.unsqueeze(1)), {3, 3});           // (B, 1, F/3, L)
    x = torch::selu(m_firstBn(x));
    if (out)
        out->frontHead = x.squeeze(1);
    if (!m_fast.empty() && !torch::GradMode::is_enabled() && x.device().is_cpu() && x.scalar_type() == torch::kFloat32)
        return encodeBlocksFast(x);
    const std::vector<int64_t> stride{1, 1}, pad11{1, 1}, pad01{0, 1};
    for (const Block& b : m_blocks) {
        torch::Tensor y = torch::conv2d(x, b.conv1.weight, b.conv1.bias, stride, pad11);
        y = torch::selu(b.bn2(y));
        y = torch::conv2d(y, b.conv2.weight, b.conv2.bias, stride, pad01);
        const torch::Tensor identity =
            b.downsample ? torch::conv2d(x, b.convDown.weight, b.convDown.bias, stride, pad01) : x;
        x = torch::max_pool2d(y + identity, {1, 3});
    }
    return x;  // (B, C, 23, T')
}

AasistOutputs AasistModelImpl::forward(const torch::Tensor& waves, bool keepIntermediates) const
{
    AasistOutputs out;
    const torch::Tensor e = encode(waves, keepIntermediates ? &out : nullptr);
    const torch::Tensor mag = torch::abs(e);
    out.spectral = std::get<0>(torch::max(mag, 3)).transpose(1, 2) + m_posS;  // (B, 23, C)
    out.temporal = std::get<0>(torch::max(mag, 2)).transpose(1, 2);           // (B, T', C)
    if (keepIntermediates)
        out.encoder = e;
    out.logits = backend(out.temporal, out.spectral, nullptr, keepIntermediates ? &out.lastHidden : nullptr);
    return out;
}

torch::Tensor AasistModelImpl::backend(const torch::Tensor& temporal, const torch::Tensor& spectral,
                                       torch::Tensor* temporalAttention, torch::Tensor* lastHidden) const
{
    const double* r = m_options.poolRatios.data();
    const torch::Tensor outS = graphPool(m_poolS, r[0], gatForward(m_gatS, spectral, nullptr));
    const torch::Tensor outT = graphPool(m_poolT, r[1], gatForward(m_gatT, temporal, temporalAttention));

    // Two inference branches, each with its own master node (the authors pass
    // the unexpanded parameter; it broadcasts over the batch).
    const auto branch = [&](const HtrgLayer& first, const HtrgLayer& second, const torch::Tensor& master,
                            const LinearParams& poolS, const LinearParams& poolT) {
        HtrgOut a = htrgForward(first, outT, outS, master);
        const torch::Tensor s1 = graphPool(poolS, r[2], a.x2);
        const torch::Tensor t1 = graphPool(poolT, r[2], a.x1);
        const HtrgOut aug = htrgForward(second, t1, s1, a.master);
        return HtrgOut{t1 + aug.x1, s1 + aug.x2, a.master + aug.master};
    };
    const HtrgOut b1 = branch(m_st11, m_st12, m_master1, m_poolHS1, m_poolHT1);
    const HtrgOut b2 = branch(m_st21, m_st22, m_master2, m_poolHS2, m_poolHT2);

    const torch::Tensor t = torch::max(b1.x1, b2.x1), s = torch::max(b1.x2, b2.x2);
    const torch::Tensor master = torch::max(b1.master, b2.master).expand({t.size(0), 1, -1});
    const torch::Tensor hidden = torch::cat({std::get<0>(torch::max(torch::abs(t), 1)), t.mean(1),
                                             std::get<0>(torch::max(torch::abs(s), 1)), s.mean(1), master.squeeze(1)},
                                            1);
    if (lastHidden)
        *lastHidden = hidden;
    return m_out(hidden);
}

} // namespace spooflens::core
