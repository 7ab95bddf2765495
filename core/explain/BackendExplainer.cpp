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

namespace spooflens::core {

struct BackendExplainer::Impl {
    std::shared_ptr<DetectorModel> model;
    torch::Tensor h;     ///< (1, T, D) on the model's device, float32, no grad
    torch::Tensor mean;  ///< (1, 1, D): utterance mean of h
    int64_t frames = 0, dim = 0;
    std::function<bool()> cancelled;
    int64_t passes = 0;

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
            out.push_back(model->backendForward(make(first, n)));
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
        const torch::Tensor m = BackendExplainer::Impl::margins(ctx.model->backendForward(x));
        const torch::Tensor g = torch::autograd::grad({m.sum()}, {x})[0];
        ctx.passes += 2;
        out.values = toVector((g * x).sum(-1)[0]);
    }
};

class IntegratedGradientsMethod final : public ExplainerMethod {
public:
    void compute(BackendExplainer::Impl& ctx, const AttributionOptions& o, Attribution& out) const override
    {
        if (o.igSteps < 1)
            throw ConfigError("ig: steps must be at least 1 (got " + std::to_string(o.igSteps) + ")");
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
            const torch::Tensor m = BackendExplainer::Impl::margins(ctx.model->backendForward(x));
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
        ctx.model->backendForward(ctx.h, &attention);
        ctx.passes += 1;
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
        const torch::Tensor m = BackendExplainer::Impl::margins(ctx.model->backendForward(x, &attention));
        const std::vector<torch::Tensor> grads = torch::autograd::grad({m.sum()}, attention);
        ctx.passes += 2;
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

std::unique_ptr<ExplainerMethod> makeMethod(AttributionMethod m)
{
    switch (m) {
    case AttributionMethod::Occlusion: return std::make_unique<OcclusionMethod>();
    case AttributionMethod::GradXInput: return std::make_unique<GradXInputMethod>();
    case AttributionMethod::IntegratedGradients: return std::make_unique<IntegratedGradientsMethod>();
    case AttributionMethod::Rollout: return std::make_unique<RolloutMethod>();
    case AttributionMethod::Gatr: return std::make_unique<GatrMethod>();
    case AttributionMethod::Random: return std::make_unique<RandomMethod>();
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
