// The explainer methods: one class per method behind ExplainerMethod, all
// sharing one torch-internal context (h (1, T, D), its utterance mean, the
// frozen back-end and the pass counter). Definitions: docs/explainers.md.
#include "core/explain/BackendExplainer.h"

#include "core/Error.h"
#include "core/detector/DetectorImpl.h"
#include "core/util/SplitMix.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace spooflens::core {

struct BackendExplainer::Impl {
    std::shared_ptr<DetectorModel> model;
    FrameGrid grid;
    torch::Tensor h;     ///< (1, T, D) on the model's device, float32, no grad
    torch::Tensor spectral;  ///< AASIST: (1, 23, D) spectral nodes, held fixed; else undefined
    torch::Tensor wave;      ///< (N,) the detector's input waveform, for the waveform methods
    torch::Tensor mean;  ///< (1, 1, D): utterance mean of h
    int64_t frames = 0, dim = 0;
    std::function<bool()> cancelled;
    int64_t passes = 0;

    /// The back-end on feature maps x (B, T, D) (AASIST: with the utterance's spectral nodes).
    torch::Tensor backend(const torch::Tensor& x, std::vector<torch::Tensor>* attention = nullptr) const
    {
        return model->backendForward(x, attention, spectral);
    }

    const torch::Tensor& waveform() const
    {
        if (!wave.defined())
            throw ConfigError("the waveform explainers (window, wave-occlusion, wave-gradxinput) need the audio samples");
        return wave;
    }

    /// Spoof margins of the whole detector on `count` waveforms made on demand:
    /// make(first, n) -> (n, L). No gradients; about 32 s of audio per pass.
    torch::Tensor waveMargins(int64_t count, int64_t length, const std::function<torch::Tensor(int64_t, int64_t)>& make)
    {
        torch::NoGradGuard noGrad;
        const int64_t rows = std::clamp<int64_t>(512000 / std::max<int64_t>(length, 1), 1, 64);
        std::vector<torch::Tensor> out;
        for (int64_t first = 0; first < count; first += rows) {
            checkCancel();
            const int64_t n = std::min(rows, count - first);
            out.push_back(margins(model->forward(make(first, n)).logits));
            passes += n;
        }
        return out.empty() ? torch::empty({0}) : torch::cat(out, 0);
    }

    void checkCancel() const
    {
        if (cancelled && cancelled())
            throw CancelledError();
    }

    /// Batch rows per back-end pass: bounded by the memory of the largest
    /// activations (attention maps, 4 x (T+5)^2 per block, kept for backward
    /// when `grad`), at most 64.
    int64_t rowsPerPass(bool grad) const
    {
        const double tokens = double(frames + 5);
        double perRow = double(frames) * double(dim) + 4.0 * tokens * tokens + 600.0 * tokens;
        if (grad)
            perRow *= 12.0;  // 4 blocks' maps and activations kept, plus their gradients
        const double budget = 3.0e7;  // float elements (~120 MB)
        return std::clamp<int64_t>(int64_t(budget / perRow), 1, 64);
    }

    /// Logits (count, 2) of `count` feature maps made on demand, chunk by chunk:
    /// make(first, n) -> (n, T, D). No gradients; one pass per row.
    torch::Tensor logitsOf(int64_t count, const std::function<torch::Tensor(int64_t, int64_t)>& make)
    {
        torch::NoGradGuard noGrad;
        const int64_t rows = rowsPerPass(false);
        std::vector<torch::Tensor> out;
        for (int64_t first = 0; first < count; first += rows) {
            checkCancel();
            const int64_t n = std::min(rows, count - first);
            out.push_back(backend(make(first, n)));
            passes += n;
        }
        return out.empty() ? torch::empty({0, 2}) : torch::cat(out, 0);
    }

    static torch::Tensor margins(const torch::Tensor& logits)
    {
        return logits.select(1, 0) - logits.select(1, 1);
    }

    double marginOfH()
    {
        const torch::Tensor l = logitsOf(1, [&](int64_t, int64_t) { return h; });
        return margins(l)[0].item<double>();
    }
};

namespace {

std::vector<float> toVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

/// Maps one block's (heads-averaged) token-mixing matrix over the M = N + H
/// tokens the attention sees ([class, T frames, H head tokens]) to the N = T + 1
/// tokens that enter and leave the block (docs/explainers.md, "head tokens"):
///  - a head token is built from the mean of all N input tokens, so its column
///    is spread uniformly (1/N) over the N token columns;
///  - the block's class-token output is Y[class] + mean(Y[head tokens]) +
///    mean(Y[frames]), so the class row is the mean of those three rows;
///  - frame rows are kept.
torch::Tensor reduceToBlockTokens(const torch::Tensor& a, int64_t n)
{
    const int64_t m = a.size(0), headTokens = m - n;
    const torch::Tensor c = a.narrow(1, 0, n) + a.narrow(1, n, headTokens).sum(1, true) / double(n);  // (M, N)
    const torch::Tensor cls = (c[0] + c.narrow(0, n, headTokens).mean(0) + c.narrow(0, 1, n - 1).mean(0)) / 3.0;
    return torch::cat({cls.unsqueeze(0), c.narrow(0, 1, n - 1)}, 0);  // (N, N)
}

/// The small internal interface every method implements.
class ExplainerMethod {
public:
    virtual ~ExplainerMethod() = default;
    /// Fills out.values (length T) and any method-specific fields.
    virtual void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const = 0;
};

class OcclusionMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        if (o.occlusionWindow < 1 || o.occlusionStride < 1)
            throw ConfigError("occlusion: window and stride must be at least 1 frame (got "
                              + std::to_string(o.occlusionWindow) + ", " + std::to_string(o.occlusionStride) + ")");
        const int64_t t = ctx.frames, w = std::min<int64_t>(o.occlusionWindow, t);
        std::vector<int64_t> starts;
        for (int64_t s = 0; s + w <= t; s += o.occlusionStride)
            starts.push_back(s);
        if (starts.back() + w < t)
            starts.push_back(t - w);  // the last frames are covered too
        const double m0 = ctx.marginOfH();
        const torch::Tensor fill = ctx.mean[0].expand({w, ctx.dim});
        const torch::Tensor logits = ctx.logitsOf(int64_t(starts.size()), [&](int64_t first, int64_t n) {
            torch::Tensor x = ctx.h.expand({n, t, ctx.dim}).clone();
            for (int64_t i = 0; i < n; ++i)
                x[i].narrow(0, starts[size_t(first + i)], w).copy_(fill);
            return x;
        });
        const std::vector<float> m = toVector(BackendExplainer::Impl::margins(logits));
        std::vector<double> sum(size_t(t), 0.0), count(size_t(t), 0.0);
        for (size_t i = 0; i < starts.size(); ++i)
            for (int64_t f = starts[i]; f < starts[i] + w; ++f) {
                sum[size_t(f)] += m0 - double(m[i]);
                count[size_t(f)] += 1.0;
            }
        out.values.resize(size_t(t));
        for (size_t f = 0; f < size_t(t); ++f)
            out.values[f] = float(sum[f] / count[f]);
    }
};

class GradXInputMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions&, Attribution& out) const override
    {
        ctx.checkCancel();
        torch::AutoGradMode grad(true);
        const torch::Tensor x = ctx.h.clone().requires_grad_(true);
        const torch::Tensor m = BackendExplainer::Impl::margins(ctx.backend(x));
        const torch::Tensor g = torch::autograd::grad({m.sum()}, {x})[0];
        ctx.passes += 2;
        out.values = toVector((g * x).sum(-1)[0]);
    }
};

class IntegratedGradientsMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        if (o.igSteps < 1 || o.igSteps > kMaxIgSteps)
            throw ConfigError("ig: steps must be in 1 .. " + std::to_string(kMaxIgSteps) + " (got "
                              + std::to_string(o.igSteps) + ")");
        const torch::Tensor base = o.igZeroBaseline ? torch::zeros_like(ctx.h) : ctx.mean.expand_as(ctx.h).clone();
        const torch::Tensor diff = ctx.h - base;
        torch::Tensor gradSum = torch::zeros_like(ctx.h);
        const int64_t steps = o.igSteps, rows = ctx.rowsPerPass(true);
        for (int64_t first = 0; first < steps; first += rows) {
            ctx.checkCancel();
            const int64_t n = std::min(rows, steps - first);
            // Midpoint rule: alpha_k = (k + 1/2) / steps.
            const torch::Tensor alpha =
                ((torch::arange(first, first + n, ctx.h.options()) + 0.5) / double(steps)).view({n, 1, 1});
            torch::AutoGradMode grad(true);
            const torch::Tensor x = (base + alpha * diff).detach().requires_grad_(true);
            const torch::Tensor m = BackendExplainer::Impl::margins(ctx.backend(x));
            const torch::Tensor g = torch::autograd::grad({m.sum()}, {x})[0];
            gradSum += g.sum(0, true).detach();
            ctx.passes += 2 * n;
        }
        const torch::Tensor attr = (diff * gradSum / double(steps)).sum(-1)[0];
        out.values = toVector(attr);
        const torch::Tensor ends = BackendExplainer::Impl::margins(
            ctx.logitsOf(2, [&](int64_t first, int64_t n) { return torch::cat({ctx.h, base}, 0).narrow(0, first, n); }));
        out.targetDelta = ends[0].item<double>() - ends[1].item<double>();
        double total = 0;
        for (float v : out.values)
            total += double(v);
        out.completenessGap = std::abs(total - out.targetDelta);
    }
};

class RolloutMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions&, Attribution& out) const override
    {
        ctx.checkCancel();
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> attention;
        ctx.backend(ctx.h, &attention);
        ctx.passes += 1;
        if (ctx.model->isAasist()) {
            // One map, GAT_layer_T's node attention A (T x T, rows sum to 1):
            // the attention each node receives, averaged over the nodes (A + I)/2.
            const torch::Tensor a = (attention[0][0].to(torch::kFloat64) + torch::eye(ctx.frames, torch::kFloat64)) / 2.0;
            out.values = toVector(a.mean(0));
            return;
        }
        const int64_t n = ctx.frames + 1;
        const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(ctx.h.device());
        const torch::Tensor eye = torch::eye(n, opts);
        torch::Tensor r = eye;
        for (const torch::Tensor& a : attention) {
            torch::Tensor mix = reduceToBlockTokens(a[0].to(torch::kFloat64).mean(0), n) + eye;
            mix = mix / mix.sum(-1, true);
            r = torch::matmul(mix, r);
        }
        out.values = toVector(r[0].narrow(0, 1, ctx.frames));
    }
};

class GatrMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions&, Attribution& out) const override
    {
        ctx.checkCancel();
        torch::AutoGradMode grad(true);
        const torch::Tensor x = ctx.h.clone().requires_grad_(true);
        std::vector<torch::Tensor> attention;
        const torch::Tensor m = BackendExplainer::Impl::margins(ctx.backend(x, &attention));
        const std::vector<torch::Tensor> grads = torch::autograd::grad({m.sum()}, attention);
        ctx.passes += 2;
        if (ctx.model->isAasist()) {
            // GAT_layer_T: relevance relu(dm/dA * A) summed over the attending
            // nodes, per attended node (docs/aasist.md, "gatr").
            const torch::Tensor rel =
                torch::relu(grads[0][0].detach().to(torch::kFloat64) * attention[0][0].detach().to(torch::kFloat64));
            out.values = toVector(rel.sum(0));
            return;
        }
        const int64_t n = ctx.frames + 1;
        const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(ctx.h.device());
        torch::Tensor r = torch::eye(n, opts);
        for (size_t b = 0; b < attention.size(); ++b) {
            const torch::Tensor rel =
                torch::relu(grads[b][0].detach().to(torch::kFloat64) * attention[b][0].detach().to(torch::kFloat64))
                    .mean(0);
            r = r + torch::matmul(reduceToBlockTokens(rel, n), r);
        }
        out.values = toVector(r[0].narrow(0, 1, ctx.frames));
    }
};

class RandomMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        // splitmix64 of (seed, T): the same on every platform.
        uint64_t state = o.randomSeed ^ (uint64_t(ctx.frames) * kSplitMixIncrement);
        out.values.resize(size_t(ctx.frames));
        for (float& v : out.values) {
            state += kSplitMixIncrement;
            v = float(double(splitMix64(state) >> 40) / double(1ULL << 24));  // uniform [0, 1)
        }
    }
};

/// Per-frame mean of span values: value k covers samples [start_k, start_k + len);
/// frame t takes the mean over the spans that overlap its window (none: 0).
std::vector<float> spansToFrames(const FrameGrid& grid, int64_t frames, const std::vector<int64_t>& starts,
                                 int64_t len, const std::vector<float>& values)
{
    std::vector<double> sum(size_t(frames), 0.0), count(size_t(frames), 0.0);
    for (size_t k = 0; k < starts.size(); ++k) {
        // frames whose [start, start + window) meets [starts[k], starts[k] + len)
        const int64_t lo = std::max<int64_t>(0, (starts[k] - grid.offset - grid.window) / grid.hop);
        const int64_t hi = std::min<int64_t>(frames - 1, (starts[k] + len - 1 - grid.offset) / grid.hop);
        for (int64_t t = lo; t <= hi; ++t) {
            const int64_t a = grid.startSample(t), b = a + grid.window;
            if (b > starts[k] && a < starts[k] + len) {
                sum[size_t(t)] += double(values[k]);
                count[size_t(t)] += 1.0;
            }
        }
    }
    std::vector<float> out(size_t(frames), 0.0f);
    for (size_t t = 0; t < out.size(); ++t)
        out[t] = count[t] > 0 ? float(sum[t] / count[t]) : 0.0f;
    return out;
}

/// Window starts every `hop` samples over n samples, the last one flush with the end.
std::vector<int64_t> spanStarts(int64_t n, int64_t len, int64_t hop)
{
    std::vector<int64_t> starts;
    for (int64_t s = 0; s + len <= n; s += hop)
        starts.push_back(s);
    if (starts.empty() || starts.back() + len < n)
        starts.push_back(std::max<int64_t>(0, n - len));
    return starts;
}

class WindowMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        const torch::Tensor& x = ctx.waveform();
        const int64_t n = x.size(0);
        if (!(o.windowSeconds > 0) || !std::isfinite(o.windowSeconds))
            throw ConfigError("window: the window length must be positive (got " + std::to_string(o.windowSeconds) + " s)");
        const int64_t len = std::min<int64_t>(n, std::max<int64_t>(ctx.model->minSamples(),
                                                                   std::llround(o.windowSeconds * kSampleRate)));
        const int64_t hop = o.windowHopSamples > 0 ? o.windowHopSamples
                                                   : (ctx.model->isAasist() ? ctx.grid.hop : std::max<int64_t>(ctx.grid.hop, 1600));
        const std::vector<int64_t> starts = spanStarts(n, len, hop);
        const torch::Tensor m = ctx.waveMargins(int64_t(starts.size()), len, [&](int64_t first, int64_t k) {
            std::vector<torch::Tensor> rows;
            for (int64_t i = first; i < first + k; ++i)
                rows.push_back(x.narrow(0, starts[size_t(i)], len));
            return torch::stack(rows, 0);
        });
        out.values = spansToFrames(ctx.grid, ctx.frames, starts, len, toVector(m));
    }
};

class WaveOcclusionMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        const torch::Tensor& x = ctx.waveform();
        const int64_t n = x.size(0);
        const int64_t len = std::min<int64_t>(n, o.waveOcclusionSamples > 0 ? o.waveOcclusionSamples : ctx.grid.hop);
        const std::vector<int64_t> starts = spanStarts(n, len, len);
        const double m0 = ctx.waveMargins(1, n, [&](int64_t, int64_t) { return x.unsqueeze(0); })[0].item<double>();
        const torch::Tensor m = ctx.waveMargins(int64_t(starts.size()), n, [&](int64_t first, int64_t k) {
            torch::Tensor b = x.unsqueeze(0).repeat({k, 1});
            for (int64_t i = 0; i < k; ++i)
                b[i].narrow(0, starts[size_t(first + i)], len).zero_();
            return b;
        });
        out.values = spansToFrames(ctx.grid, ctx.frames, starts, len, toVector(m0 - m));
    }
};

class WaveGradXInputMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions&, Attribution& out) const override
    {
        ctx.checkCancel();
        const torch::Tensor& wave = ctx.waveform();
        torch::AutoGradMode grad(true);
        const torch::Tensor x = wave.unsqueeze(0).clone().requires_grad_(true);
        const torch::Tensor m = BackendExplainer::Impl::margins(ctx.model->logitsWithGrad(x));
        const torch::Tensor g = torch::autograd::grad({m.sum()}, {x})[0];
        ctx.passes += 2;
        const std::vector<float> gx = toVector((g * x)[0]);
        // Each sample to the frame whose hop cell holds it (the tail to the last frame).
        out.values.assign(size_t(ctx.frames), 0.0f);
        for (size_t i = 0; i < gx.size(); ++i) {
            const int64_t t = std::clamp<int64_t>((int64_t(i) - ctx.grid.offset) / ctx.grid.hop, 0, ctx.frames - 1);
            out.values[size_t(t)] += gx[i];
        }
    }
};

std::unique_ptr<ExplainerMethod> makeMethod(AttributionMethod m)
{
    switch (m) {
    case AttributionMethod::Occlusion: return std::make_unique<OcclusionMethod>();
    case AttributionMethod::GradXInput: return std::make_unique<GradXInputMethod>();
    case AttributionMethod::IntegratedGradients: return std::make_unique<IntegratedGradientsMethod>();
    case AttributionMethod::Rollout: return std::make_unique<RolloutMethod>();
    case AttributionMethod::Gatr: return std::make_unique<GatrMethod>();
    case AttributionMethod::Random: return std::make_unique<RandomMethod>();
    case AttributionMethod::Window: return std::make_unique<WindowMethod>();
    case AttributionMethod::WaveOcclusion: return std::make_unique<WaveOcclusionMethod>();
    case AttributionMethod::WaveGradXInput: return std::make_unique<WaveGradXInputMethod>();
    case AttributionMethod::Stage2:
    case AttributionMethod::Stage2Contrast: break;
    }
    throw ConfigError("explainer method '" + methodName(m) + "' needs a Stage 2 module (--xai)");
}

} // namespace

BackendExplainer::BackendExplainer(const Detector& detector, const std::vector<float>& h, int64_t frames, int64_t dim,
                                   std::function<bool()> cancelled)
    : m_impl(std::make_unique<Impl>())
{
    Impl& d = *m_impl;
    d.model = detector.impl().model;
    d.grid = detector.info().grid;
    if (frames < 1 || int64_t(h.size()) != frames * dim)
        throw AudioError("explainers: expected T x D = " + std::to_string(frames) + " x " + std::to_string(dim)
                         + " features, got " + std::to_string(h.size()) + " values");
    if (dim != d.model->embedDim())
        throw Error("explainers: features of width " + std::to_string(dim) + " do not fit the detector (D = "
                    + std::to_string(d.model->embedDim()) + ")");
    if (frames > d.model->maxFramesPerPass())
        throw AudioError("explainers: " + std::to_string(frames) + " frames exceed one back-end pass ("
                         + std::to_string(d.model->maxFramesPerPass()) + " frames)");
    d.frames = frames;
    d.dim = dim;
    d.cancelled = std::move(cancelled);
    torch::NoGradGuard noGrad;
    d.h = torch::from_blob(const_cast<float*>(h.data()), {1, frames, dim}, torch::kFloat32).clone().to(d.model->device());
    d.mean = d.h.mean(1, true);
}

BackendExplainer::~BackendExplainer() = default;

void BackendExplainer::setSpectral(const std::vector<float>& values, int64_t rows)
{
    Impl& d = *m_impl;
    if (rows < 1 || int64_t(values.size()) != rows * d.dim)
        throw Error("explainers: expected " + std::to_string(rows) + " x " + std::to_string(d.dim)
                    + " spectral node values, got " + std::to_string(values.size()));
    torch::NoGradGuard noGrad;
    d.spectral = torch::from_blob(const_cast<float*>(values.data()), {1, rows, d.dim}, torch::kFloat32)
                     .clone()
                     .to(d.model->device());
}

void BackendExplainer::setWaveform(const std::vector<float>& samples)
{
    Impl& d = *m_impl;
    if (d.grid.count(int64_t(samples.size())) != d.frames)
        throw Error("explainers: a waveform of " + std::to_string(samples.size()) + " samples gives "
                    + std::to_string(d.grid.count(int64_t(samples.size()))) + " frames, the features "
                    + std::to_string(d.frames));
    torch::NoGradGuard noGrad;
    d.wave = torch::from_blob(const_cast<float*>(samples.data()), {int64_t(samples.size())}, torch::kFloat32)
                 .clone()
                 .to(d.model->device());
}

int64_t BackendExplainer::frames() const
{
    return m_impl->frames;
}

int64_t BackendExplainer::dim() const
{
    return m_impl->dim;
}

int64_t BackendExplainer::passes() const
{
    return m_impl->passes;
}

Attribution BackendExplainer::run(AttributionMethod method, const AttributionOptions& options)
{
    const auto method_ = makeMethod(method);
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t passes0 = m_impl->passes;
    Attribution a;
    a.method = methodName(method);
    a.source = "detector";
    method_->compute(*m_impl, options, a);
    a.backendPasses = m_impl->passes - passes0;
    a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return a;
}

FaithfulnessCurves BackendExplainer::faithfulness(const std::vector<float>& values, int64_t* passes)
{
    Impl& d = *m_impl;
    if (int64_t(values.size()) != d.frames)
        throw Error("faithfulness: " + std::to_string(values.size()) + " attribution values for "
                    + std::to_string(d.frames) + " frames");
    const int64_t passes0 = d.passes;
    FaithfulnessCurves c;
    c.fractions = faithfulnessFractions();
    const int64_t k = int64_t(c.fractions.size());
    const std::vector<int64_t> order = attributionOrder(values);
    const torch::Tensor orderT =
        torch::tensor(order, torch::TensorOptions().dtype(torch::kLong)).to(d.h.device());
    const torch::Tensor h0 = d.h[0], fill = d.mean[0].expand({d.frames, d.dim});
    const torch::Tensor logits = d.logitsOf(2 * k, [&](int64_t first, int64_t n) {
        std::vector<torch::Tensor> rows;
        for (int64_t r = first; r < first + n; ++r) {
            const bool deletion = r < k;
            const int64_t kept = std::llround(c.fractions[size_t(r % k)] * double(d.frames));
            const torch::Tensor idx = orderT.narrow(0, 0, kept);
            torch::Tensor x = deletion ? h0.clone() : fill.clone();
            x.index_copy_(0, idx, (deletion ? fill : h0).index_select(0, idx));
            rows.push_back(x);
        }
        return torch::stack(rows, 0);
    });
    const std::vector<float> p = toVector(torch::softmax(logits.to(torch::kFloat64), -1).select(1, 0));
    for (int64_t i = 0; i < k; ++i) {
        c.deletion.push_back(double(p[size_t(i)]));
        c.insertion.push_back(double(p[size_t(k + i)]));
    }
    c.deletionAuc = trapezoidAuc(c.fractions, c.deletion);
    c.insertionAuc = trapezoidAuc(c.fractions, c.insertion);
    if (passes)
        *passes = d.passes - passes0;
    return c;
}

namespace {

/// Uniform (0, 1] and [0, 1) doubles from splitmix64 counters; Box-Muller pairs.
/// Platform-independent, unlike std::normal_distribution.
std::vector<float> standardNormal(size_t n, uint64_t seed)
{
    std::vector<float> out(n);
    uint64_t state = seed;
    const double twoPi = 6.283185307179586476925286766559;
    for (size_t i = 0; i < n; i += 2) {
        state += kSplitMixIncrement;
        const double u1 = double((splitMix64(state) >> 11) + 1) / 9007199254740992.0;  // (0, 1]
        state += kSplitMixIncrement;
        const double u2 = double(splitMix64(state) >> 11) / 9007199254740992.0;        // [0, 1)
        const double r = std::sqrt(-2.0 * std::log(u1));
        out[i] = float(r * std::cos(twoPi * u2));
        if (i + 1 < n)
            out[i + 1] = float(r * std::sin(twoPi * u2));
    }
    return out;
}

} // namespace

RoadCurves BackendExplainer::road(const std::vector<float>& values, uint64_t seed, double noiseScale, int64_t* passes)
{
    Impl& d = *m_impl;
    if (int64_t(values.size()) != d.frames)
        throw Error("road: " + std::to_string(values.size()) + " attribution values for " + std::to_string(d.frames)
                    + " frames");
    const int64_t passes0 = d.passes;
    RoadCurves c;
    c.fractions = roadFractions();
    const int64_t k = int64_t(c.fractions.size());
    const std::vector<int64_t> order = attributionOrder(values);
    torch::NoGradGuard noGrad;
    const torch::Tensor h0 = d.h[0];  // (T, D)
    // Noise scale per dimension: kRoadNoise x its range over the utterance.
    const torch::Tensor sigma = (std::get<0>(h0.max(0)) - std::get<0>(h0.min(0))) * noiseScale;  // (D)
    const torch::Tensor logits = d.logitsOf(2 * k, [&](int64_t first, int64_t n) {
        std::vector<torch::Tensor> rows;
        for (int64_t r = first; r < first + n; ++r) {
            const bool morf = r < k;
            const auto removedCount = int64_t(std::floor(c.fractions[size_t(r % k)] * double(d.frames) + 1e-9));
            std::vector<uint8_t> removed(size_t(d.frames), 0);
            for (int64_t i = 0; i < removedCount; ++i)
                removed[size_t(order[size_t(morf ? i : d.frames - 1 - i)])] = 1;
            torch::Tensor x = h0.clone();
            if (removedCount > 0) {
                const std::vector<ImputationSource> src = linearImputation(removed);
                std::vector<int64_t> idx, left, right;
                std::vector<float> w;
                for (int64_t t = 0; t < d.frames; ++t)
                    if (removed[size_t(t)]) {
                        idx.push_back(t);
                        left.push_back(src[size_t(t)].left);
                        right.push_back(src[size_t(t)].right);
                        w.push_back(float(src[size_t(t)].weight));
                    }
                const auto longs = torch::TensorOptions().dtype(torch::kLong);
                const torch::Tensor li = torch::tensor(left, longs).to(x.device());
                const torch::Tensor ri = torch::tensor(right, longs).to(x.device());
                const torch::Tensor wt = torch::tensor(w).to(x.device()).unsqueeze(1);
                const uint64_t noiseSeed = splitMix64(seed ^ (uint64_t(r + 1) * kSplitMixIncrement));
                const torch::Tensor noise =
                    torch::from_blob(standardNormal(idx.size() * size_t(d.dim), noiseSeed).data(),
                                     {int64_t(idx.size()), d.dim}, torch::kFloat32)
                        .clone()
                        .to(x.device());
                const torch::Tensor filled = h0.index_select(0, li) * (1 - wt) + h0.index_select(0, ri) * wt
                                             + noise * sigma.unsqueeze(0);
                x.index_copy_(0, torch::tensor(idx, longs).to(x.device()), filled);
            }
            rows.push_back(x);
        }
        return torch::stack(rows, 0);
    });
    const std::vector<float> p = toVector(torch::softmax(logits.to(torch::kFloat64), -1).select(1, 0));
    for (int64_t i = 0; i < k; ++i) {
        c.morf.push_back(double(p[size_t(i)]));
        c.lerf.push_back(double(p[size_t(k + i)]));
    }
    const double span = c.fractions.back() - c.fractions.front();
    c.morfAuc = trapezoidAuc(c.fractions, c.morf) / span;
    c.lerfAuc = trapezoidAuc(c.fractions, c.lerf) / span;
    if (passes)
        *passes = d.passes - passes0;
    return c;
}

std::vector<std::array<float, 2>> BackendExplainer::logits(const std::vector<float>& batch)
{
    Impl& d = *m_impl;
    const int64_t per = d.frames * d.dim;
    if (batch.empty() || int64_t(batch.size()) % per != 0)
        throw Error("logits: the batch is not a whole number of T x D feature maps");
    const int64_t b = int64_t(batch.size()) / per;
    const torch::Tensor all =
        torch::from_blob(const_cast<float*>(batch.data()), {b, d.frames, d.dim}, torch::kFloat32).to(d.h.device());
    const std::vector<float> l =
        toVector(d.logitsOf(b, [&](int64_t first, int64_t n) { return all.narrow(0, first, n); }));
    std::vector<std::array<float, 2>> out(static_cast<size_t>(b));
    for (size_t i = 0; i < size_t(b); ++i)
        out[i] = {l[2 * i], l[2 * i + 1]};
    return out;
}

double BackendExplainer::margin()
{
    return m_impl->marginOfH();
}

std::vector<LayerCut> backendLayerCuts(const Detector& detector)
{
    if (detector.info().isAasist())
        return {{"out_layer", {"out_layer."}},
                {"hs_gal2", {"HtrgGAT_layer_ST12.", "HtrgGAT_layer_ST22."}},
                {"hs_gal1",
                 {"HtrgGAT_layer_ST11.", "HtrgGAT_layer_ST21.", "pool_hS1.", "pool_hT1.", "pool_hS2.", "pool_hT2.",
                  "master1", "master2"}},
                {"gat", {"GAT_layer_S.", "GAT_layer_T.", "pool_S.", "pool_T."}}};
    std::vector<LayerCut> cuts{{"fc5", {"conformer.fc5."}}};
    for (int64_t b = detector.info().backendBlocks - 1; b >= 0; --b)
        cuts.push_back({"block" + std::to_string(b), {"conformer.encoder_blocks." + std::to_string(b) + "."}});
    cuts.push_back({"input", {"LL.", "first_bn.", "conformer.class_token"}});
    return cuts;
}

struct RandomisedBackend::Impl {
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;  ///< (model tensor, its trained values)
};

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint64_t nameSeed(uint64_t seed, const std::string& name)
{
    uint64_t h = seed;
    for (unsigned char ch : name)
        h = splitMix64(h ^ ch);
    return h;
}

/// U(-b, b) or N(0, std) values of `like`'s shape from splitmix64 (seed, name).
torch::Tensor uniformLike(const torch::Tensor& like, double bound, uint64_t seed)
{
    std::vector<float> v(size_t(like.numel()));
    uint64_t state = seed;
    for (float& x : v) {
        state += kSplitMixIncrement;
        x = float((double(splitMix64(state) >> 11) / 9007199254740992.0 * 2.0 - 1.0) * bound);
    }
    return torch::from_blob(v.data(), like.sizes(), torch::kFloat32).clone().to(like.device());
}

torch::Tensor normalLike(const torch::Tensor& like, double stddev, uint64_t seed)
{
    std::vector<float> v = standardNormal(size_t(like.numel()), seed);
    return (torch::from_blob(v.data(), like.sizes(), torch::kFloat32).clone() * stddev).to(like.device());
}

} // namespace

RandomisedBackend::RandomisedBackend(const Detector& detector, size_t count, uint64_t seed)
    : m_impl(std::make_unique<Impl>())
{
    const std::vector<LayerCut> cuts = backendLayerCuts(detector);
    if (count > cuts.size())
        throw ConfigError("model randomisation: " + std::to_string(count) + " layer groups asked, the back-end has "
                          + std::to_string(cuts.size()));
    const auto named = detector.impl().model->namedTensors();
    std::map<std::string, torch::Tensor> byName(named.begin(), named.end());
    const auto inCut = [&](const std::string& key) {
        for (size_t c = 0; c < count; ++c)
            for (const std::string& p : cuts[c].prefixes)
                if (key.compare(0, p.size(), p) == 0)
                    return true;
        return false;
    };
    torch::NoGradGuard noGrad;
    try {
        for (const auto& [key, tensor] : named) {
            if (!inCut(key) || !tensor.is_floating_point())
                continue;
            const uint64_t s = nameSeed(seed, key);
            torch::Tensor fresh;
            const std::string stem = key.substr(0, key.rfind('.') + 1);  // "a.b." of "a.b.weight"
            if (endsWith(key, "running_mean")) {
                fresh = torch::zeros_like(tensor);
            } else if (endsWith(key, "running_var")) {
                fresh = torch::ones_like(tensor);
            } else if (endsWith(key, ".weight") && tensor.dim() >= 2) {
                // nn.Linear / nn.Conv default: kaiming_uniform_(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
                const double fanIn = double(tensor.numel() / tensor.size(0));
                fresh = uniformLike(tensor, 1.0 / std::sqrt(fanIn), s);
            } else if (endsWith(key, ".weight")) {
                fresh = torch::ones_like(tensor);  // LayerNorm / BatchNorm scale
            } else if (endsWith(key, ".bias")) {
                const auto w = byName.find(stem + "weight");
                if (w != byName.end() && w->second.dim() >= 2)
                    fresh = uniformLike(tensor, 1.0 / std::sqrt(double(w->second.numel() / w->second.size(0))), s);
                else
                    fresh = torch::zeros_like(tensor);  // norm shift
            } else if (key.find("att_weight") != std::string::npos && tensor.dim() == 2) {
                // AASIST: nn.init.xavier_normal_ on (in, 1).
                fresh = normalLike(tensor, std::sqrt(2.0 / double(tensor.size(0) + tensor.size(1))), s);
            } else {
                fresh = normalLike(tensor, 1.0, s);  // tokens, master nodes, head-token positions: torch.randn
            }
            m_impl->saved.emplace_back(tensor, tensor.clone());
            tensor.copy_(fresh);
        }
    } catch (...) {
        for (auto& [t, v] : m_impl->saved)
            t.copy_(v);
        throw;
    }
}

RandomisedBackend::~RandomisedBackend()
{
    torch::NoGradGuard noGrad;
    for (auto& [t, v] : m_impl->saved)
        t.copy_(v);
}

size_t RandomisedBackend::tensors() const
{
    return m_impl->saved.size();
}

Attribution stage2Attribution(AttributionMethod method, const Stage2Track& track)
{
    Attribution a;
    a.method = methodName(method);
    a.source = track.xaiPath;
    if (method == AttributionMethod::Stage2) {
        a.values = track.importance;
    } else if (method == AttributionMethod::Stage2Contrast) {
        a.values.resize(track.simSpoof.size());
        for (size_t i = 0; i < a.values.size(); ++i)
            a.values[i] = track.simSpoof[i] - track.simBonafide[i];
    } else {
        throw ConfigError("explainer method '" + methodName(method) + "' is not a Stage 2 method");
    }
    return a;
}

} // namespace spooflens::core
