#include "core/detector/Detector.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/DetectorImpl.h"
#include "core/detector/DetectorModel.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace spooflens::core {

std::string cutModeName(CutMode m)
{
    switch (m) {
    case CutMode::Full: return "full";
    case CutMode::Cut64600: return "64600";
    case CutMode::Cut66800: return "66800";
    }
    return "full";
}

CutMode parseCutMode(const std::string& text)
{
    if (text == "full")
        return CutMode::Full;
    if (text == "64600")
        return CutMode::Cut64600;
    if (text == "66800")
        return CutMode::Cut66800;
    throw ConfigError("unknown cut '" + text + "'; expected full, 64600 or 66800");
}

std::vector<float> applyCut(const std::vector<float>& samples, CutMode cut)
{
    if (cut == CutMode::Cut64600 || cut == CutMode::Cut66800)
        return repeatPad(samples, cut == CutMode::Cut64600 ? 64600 : 66800);
    return samples;
}

std::string precisionName(Precision p)
{
    return p == Precision::Bf16 ? "bf16" : "fp32";
}

Precision parsePrecision(const std::string& text)
{
    if (text == "fp32")
        return Precision::Fp32;
    if (text == "bf16")
        return Precision::Bf16;
    throw ConfigError("unknown precision '" + text + "'; expected fp32 or bf16");
}

Detector::Detector(const DetectorOptions& options) : m_impl(std::make_unique<Impl>())
{
    m_impl->options = options;
    m_impl->model = DetectorModel::load(options);
}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

const DetectorInfo& Detector::info() const
{
    return m_impl->model->info();
}

namespace {

void copyRows(const torch::Tensor& src, int64_t fromRow, int64_t rows, std::vector<float>& dst, int64_t toRow)
{
    // src (T, D) on any device
    const torch::Tensor part = src.narrow(0, fromRow, rows).to(torch::kCPU).contiguous();
    const int64_t d = part.size(1);
    std::memcpy(dst.data() + toRow * d, part.data_ptr<float>(), sizeof(float) * static_cast<size_t>(rows * d));
}

std::vector<float> toVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

} // namespace

std::vector<WindowPlan> planWindows(int64_t samples, int64_t windowSamples, const FrameGrid& grid)
{
    std::vector<WindowPlan> plan;
    const int64_t hop = grid.hop;
    const int64_t w = std::max<int64_t>(hop * 8, windowSamples / hop * hop);
    const int64_t margin = std::max<int64_t>(hop, w / 8 / hop * hop);
    const int64_t step = w - 2 * margin;
    std::vector<int64_t> starts{0};
    while (starts.back() + w < samples) {
        int64_t next = starts.back() + step;
        if (next + w >= samples)  // last window: flush with the end, on the frame grid
            next = (samples - w + hop - 1) / hop * hop;
        starts.push_back(next);
    }
    const int64_t total = grid.count(samples);
    int64_t keepFrom = 0;
    for (size_t k = 0; k < starts.size(); ++k) {
        WindowPlan p;
        p.startSample = starts[k];
        p.endSample = std::min(samples, starts[k] + w);
        p.firstFrame = starts[k] / hop;
        const int64_t frames = grid.count(p.endSample - p.startSample);
        p.keepFrom = keepFrom;
        if (k + 1 < starts.size()) {
            // the middle of the overlap with the next window
            p.keepTo = (starts[k + 1] / hop + p.firstFrame + frames) / 2;
        } else {
            p.keepTo = total;
        }
        keepFrom = p.keepTo;
        plan.push_back(p);
    }
    return plan;
}

void requireFiniteLogits(const float logits[2], const std::string& what)
{
    if (std::isfinite(logits[0]) && std::isfinite(logits[1]))
        return;
    throw Error(what + ": the detector's output is not finite (logits " + std::to_string(logits[0]) + ", "
                + std::to_string(logits[1]) + "): no score (its weights overflow on this input: a damaged or "
                "incompatible checkpoint?)");
}

DetectorResult Detector::run(const std::vector<float>& samples16k, const DetectorRequest& request) const
{
    const auto start = std::chrono::steady_clock::now();
    configureComputeThreads(m_impl->options.threads);
    const DetectorModel& model = *m_impl->model;
    const FrameGrid grid = model.info().grid;
    if (samples16k.size() < static_cast<size_t>(model.minSamples()))
        throw AudioError("audio has " + std::to_string(samples16k.size()) + " samples; the detector needs at least "
                         + std::to_string(model.minSamples()) + " (one frame of its grid at 16 kHz)");

    std::vector<float> padded;
    const std::vector<float>* wave = &samples16k;
    if (request.cut != CutMode::Full) {  // full: the caller's samples, no copy
        padded = applyCut(samples16k, request.cut);
        wave = &padded;
    }
    const int64_t n = static_cast<int64_t>(wave->size());

    DetectorResult result;
    result.cut = request.cut;
    result.samples = n;
    result.frames = grid.count(n);
    result.dim = model.embedDim();

    // One pass may take at most maxFramesPerPass frames (the TCM's positional table; AASIST's memory bound).
    const int64_t maxPass = (model.maxFramesPerPass() - 1) * grid.hop + grid.window + grid.offset;
    const double limitSeconds = m_impl->options.singlePassLimitSeconds;
    const int64_t limit = std::min<int64_t>(
        maxPass, limitSeconds > 0 ? static_cast<int64_t>(std::floor(limitSeconds * kSampleRate)) : maxPass);
    // from_blob does not copy; the model only reads its input.
    auto asTensor = [&](int64_t from, int64_t count) {
        return torch::from_blob(const_cast<float*>(wave->data() + from), {1, count}, torch::kFloat32);
    };

    if (n <= limit) {
        const DetectorForward f = model.forward(asTensor(0, n), request.wantAttention, request.wantLayerOutputs);
        result.ssl = toVector(f.ssl[0]);
        if (f.spectral.defined()) {
            result.spectral = toVector(f.spectral[0]);
            result.spectralRows = f.spectral.size(1);
        }
        const std::vector<float> logits = toVector(f.logits[0]);
        result.logits[0] = logits[0];
        result.logits[1] = logits[1];
        for (const auto& l : f.layers)
            result.layerOutputs.push_back(toVector(l[0]));
        for (const auto& a : f.attention)
            result.attention.push_back(toVector(a[0]));
        if (!f.attention.empty())
            result.attentionHeads = f.attention[0].size(1);
    } else {
        // Long file: overlapping windows, one window's activations at a time.
        result.windowed = true;
        const auto plan = planWindows(n, limit, grid);
        torch::Tensor spectralMax;  // AASIST: the element-wise max of the windows' spectral nodes
        const int64_t d = result.dim;
        result.ssl.assign(static_cast<size_t>(result.frames * d), 0.0f);
        if (request.wantLayerOutputs)
            result.layerOutputs.clear();
        double sum0 = 0, sum1 = 0;
        for (const WindowPlan& p : plan) {
            const DetectorForward f =
                model.forward(asTensor(p.startSample, p.endSample - p.startSample), false, request.wantLayerOutputs);
            const int64_t rows = p.keepTo - p.keepFrom;
            copyRows(f.ssl[0], p.keepFrom - p.firstFrame, rows, result.ssl, p.keepFrom);
            if (f.spectral.defined())
                spectralMax = spectralMax.defined() ? torch::max(spectralMax, f.spectral[0]) : f.spectral[0];
            if (request.wantLayerOutputs) {
                if (result.layerOutputs.empty())
                    result.layerOutputs.assign(f.layers.size(), std::vector<float>(static_cast<size_t>(result.frames * d)));
                for (size_t i = 0; i < f.layers.size(); ++i)
                    copyRows(f.layers[i][0], p.keepFrom - p.firstFrame, rows, result.layerOutputs[i], p.keepFrom);
            }
            const std::vector<float> logits = toVector(f.logits[0]);
            WindowScore ws;
            ws.startSample = p.startSample;
            ws.endSample = p.endSample;
            ws.logits[0] = logits[0];
            ws.logits[1] = logits[1];
            ws.score = logits[1];
            result.windows.push_back(ws);
            sum0 += logits[0];
            sum1 += logits[1];
        }
        // File score: the mean of the window logits (each window sees a
        // whole, tcm_add-style utterance; no window is privileged).
        result.logits[0] = static_cast<float>(sum0 / static_cast<double>(plan.size()));
        result.logits[1] = static_cast<float>(sum1 / static_cast<double>(plan.size()));
        if (spectralMax.defined()) {
            // e_S is a max over time, so the max over windows is the whole file's
            // (up to the windows' edges); pos_S is the same in every window.
            result.spectral = toVector(spectralMax);
            result.spectralRows = spectralMax.size(0);
        }
    }
    requireFiniteLogits(result.logits, m_impl->options.checkpointPath);
    result.score = result.logits[1];
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace spooflens::core
