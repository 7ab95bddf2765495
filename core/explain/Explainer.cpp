#include "core/explain/Explainer.h"

#include "core/Error.h"
#include "core/explain/BackendExplainer.h"
#include "core/explain/Metrics.h"
#include "core/stage2/Stage2Checkpoint.h"
#include "core/stage2/Stage2Model.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace spooflens::core {

struct Explainer::Impl {
    Detector detector;
    struct Module {
        Stage2Info info;
        Stage2Model model{nullptr};
    };
    std::vector<Module> modules;

    explicit Impl(const DetectorOptions& o) : detector(o) {}

    /// Detector + every Stage 2 module; `keep` (optional) receives the detector result (h).
    /// `precomputed` (optional): the detector's result for `audio`, used instead of running it.
    Explanation run(const AudioData& audio, CutMode cut, const std::function<void(double)>& progress,
                    const std::function<bool()>& cancelled, DetectorResult* keep,
                    DetectorResult* precomputed = nullptr);
    Explanation explain(const AudioData& audio, DetectorResult* precomputed, const ExplainRequest& request,
                        const std::function<void(double)>& progress, const std::function<bool()>& cancelled,
                        const PartialExplanation& partial = {});
};

namespace {

std::string runNameOf(const std::string& path)
{
    const fs::path p(path);
    // RUN_DIR/best.pth -> "RUN_DIR/best"; demo/xai_ema.pth -> "xai_ema".
    const std::string stem = p.stem().string();
    if ((stem == "best" || stem == "last") && p.has_parent_path())
        return p.parent_path().filename().string() + "/" + stem;
    return stem;
}

} // namespace

Explainer::Explainer(const DetectorOptions& detector)
    : m_impl(std::make_unique<Impl>(detector))
{
}

Explainer::~Explainer() = default;

const DetectorInfo& Explainer::detectorInfo() const
{
    return m_impl->detector.info();
}

Stage2Info Explainer::addStage2(const std::string& xaiPath)
{
    Stage2File f = readStage2File(xaiPath);
    const DetectorInfo& det = m_impl->detector.info();
    if (det.embedDim > 0 && f.embedDim != det.embedDim)
        throw CheckpointError(xaiPath + ": this Stage 2 module expects D = " + std::to_string(f.embedDim)
                              + " features, the detector gives D = " + std::to_string(det.embedDim));
    Stage2Options o;
    o.embedDim = f.embedDim;
    o.hiddenDim = f.hiddenDim;
    o.mode = f.prototypeMode.empty() ? PrototypeMode::Ema : parsePrototypeMode(f.prototypeMode);
    o.featureNorm = parseStage2FeatureNorm(f.featureNorm);
    Stage2Model model(o);
    model->loadStateDict(f.xai, xaiPath);
    model->eval();
    Impl::Module m;
    m.info.path = xaiPath;
    m.info.runName = runNameOf(xaiPath);
    m.info.prototypeMode = f.prototypeMode.empty() ? std::string("unknown") : f.prototypeMode;
    m.info.detectorSha256 = f.detectorSha256;
    m.info.detectorMismatch = !f.detectorSha256.empty() && !det.sha256.empty() && f.detectorSha256 != det.sha256;
    m.info.embedDim = f.embedDim;
    m.info.hiddenDim = f.hiddenDim;
    m.info.featureNorm = f.featureNorm;
    m.model = model;
    m_impl->modules.push_back(m);
    return m.info;
}

void Explainer::clearStage2()
{
    m_impl->modules.clear();
}

std::vector<Stage2Info> Explainer::stage2() const
{
    std::vector<Stage2Info> out;
    for (const auto& m : m_impl->modules)
        out.push_back(m.info);
    return out;
}

Explanation Explainer::Impl::run(const AudioData& audio, CutMode cut, const std::function<void(double)>& progress,
                                 const std::function<bool()>& cancelled, DetectorResult* keep,
                                 DetectorResult* precomputed)
{
    const auto checkCancel = [&] {
        if (cancelled && cancelled())
            throw CancelledError();
    };
    checkCancel();
    if (progress)
        progress(0.0);
    DetectorRequest req;
    req.cut = cut;
    DetectorResult r = precomputed ? std::move(*precomputed) : detector.run(audio.samples, req);
    checkCancel();
    Explanation e;
    e.path = audio.path;
    e.detectorFamily = detector.info().family;
    e.grid = detector.info().grid;
    e.hopSeconds = e.grid.hopSeconds();
    e.frames = r.frames;
    e.samples = r.samples;
    e.cut = cutModeName(cut);
    e.logits[0] = r.logits[0];
    e.logits[1] = r.logits[1];
    e.score = r.score;
    e.windowed = r.windowed;
    for (const auto& w : r.windows) {
        e.windowStartSeconds.push_back(double(w.startSample) / kSampleRate);
        e.windowEndSeconds.push_back(double(w.endSample) / kSampleRate);
        e.windowScores.push_back(w.score);
    }
    if (progress)
        progress(0.8);
    torch::NoGradGuard noGrad;
    const torch::Tensor h = torch::from_blob(r.ssl.data(), {1, r.frames, r.dim}, torch::kFloat);
    for (size_t i = 0; i < modules.size(); ++i) {
        checkCancel();
        auto& m = modules[i];
        if (m.info.embedDim != r.dim)
            throw CheckpointError(m.info.path + ": Stage 2 width " + std::to_string(m.info.embedDim)
                                  + " does not fit the detector features (" + std::to_string(r.dim) + ")");
        const Stage2Output out = m.model->forward(h);
        Stage2Track t;
        t.xaiPath = m.info.path;
        t.runName = m.info.runName;
        t.prototypeMode = m.info.prototypeMode;
        t.featureNorm = m.info.featureNorm;
        t.detectorSha256 = m.info.detectorSha256;
        t.detectorMismatch = m.info.detectorMismatch;
        const torch::Tensor w = out.importance[0].contiguous();
        const torch::Tensor s = out.frameScores[0].contiguous();
        t.importance.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
        const torch::Tensor s0 = s.select(1, 0).contiguous(), s1 = s.select(1, 1).contiguous();
        t.simSpoof.assign(s0.data_ptr<float>(), s0.data_ptr<float>() + s0.numel());
        t.simBonafide.assign(s1.data_ptr<float>(), s1.data_ptr<float>() + s1.numel());
        t.uttSimSpoof = out.utteranceScores[0][0].item<float>();
        t.uttSimBonafide = out.utteranceScores[0][1].item<float>();
        t.totalImportance = w.sum().item<float>();
        t.importanceSpread = w.numel() > 0 ? w.std(/*unbiased=*/false).item<float>() : 0.0f;
        t.predictedClass = t.uttSimBonafide > t.uttSimSpoof ? 1 : 0;
        e.tracks.push_back(std::move(t));
        if (progress)
            progress(0.8 + 0.2 * double(i + 1) / double(modules.size()));
    }
    if (progress)
        progress(1.0);
    if (keep)
        *keep = std::move(r);
    return e;
}

namespace {

/// Maps a sub-task's progress [0, 1] into [from, to] of the caller's.
std::function<void(double)> subProgress(const std::function<void(double)>& progress, double from, double to)
{
    if (!progress)
        return {};
    return [progress, from, to](double f) { progress(from + (to - from) * f); };
}

} // namespace

Explanation Explainer::explain(const AudioData& audio, CutMode cut, const std::function<void(double)>& progress,
                               const std::function<bool()>& cancelled) const
{
    return m_impl->run(audio, cut, progress, cancelled, nullptr);
}

Explanation Explainer::explain(const AudioData& audio, const ExplainRequest& request,
                               const std::function<void(double)>& progress,
                               const std::function<bool()>& cancelled) const
{
    return m_impl->explain(audio, nullptr, request, progress, cancelled);
}

Explanation Explainer::explain(const AudioData& audio, const ExplainRequest& request, const PartialExplanation& partial,
                               const std::function<void(double)>& progress,
                               const std::function<bool()>& cancelled) const
{
    return m_impl->explain(audio, nullptr, request, progress, cancelled, partial);
}

Explanation Explainer::explain(const AudioData& audio, DetectorResult&& detected, const ExplainRequest& request,
                               const std::function<void(double)>& progress,
                               const std::function<bool()>& cancelled) const
{
    if (detected.cut != request.cut)
        throw ConfigError("detector result of cut '" + cutModeName(detected.cut) + "' for an explanation of cut '"
                          + cutModeName(request.cut) + "'");
    return m_impl->explain(audio, &detected, request, progress, cancelled);
}

const Detector& Explainer::detector() const
{
    return m_impl->detector;
}

Explanation Explainer::Impl::explain(const AudioData& audio, DetectorResult* precomputed, const ExplainRequest& request,
                                     const std::function<void(double)>& progress,
                                     const std::function<bool()>& cancelled, const PartialExplanation& partial)
{
    const auto checkCancel = [&] {
        if (cancelled && cancelled())
            throw CancelledError();
    };
    // Validate the request before the detector runs.
    bool needsBackend = request.faithfulness || request.road || request.randomisation;
    for (AttributionMethod m : request.methods) {
        if (methodNeedsStage2(m) && modules.empty())
            throw ConfigError("explainer method '" + methodName(m) + "' needs at least one Stage 2 module (--xai)");
        if (!methodNeedsStage2(m))
            needsBackend = true;
    }
    const double baseShare = request.methods.empty() ? 1.0 : 0.3;
    DetectorResult r;
    Explanation e = run(audio, request.cut, subProgress(progress, 0.0, baseShare), cancelled, &r, precomputed);
    if (partial)
        partial(e, 0);
    if (request.methods.empty())
        return e;
    if (needsBackend && e.windowed) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.2f s", double(e.samples) / kSampleRate);
        throw AudioError(audio.path + ": " + seconds + " exceeds the detector's single-pass limit, so it ran in "
                         "windows; the detector-side explainers and faithfulness curves need one back-end pass over "
                         "the whole utterance (use --cut, a larger --single-pass-limit, or a shorter file; "
                         "docs/explainers.md)");
    }
    std::unique_ptr<BackendExplainer> backend;
    if (needsBackend) {
        backend = std::make_unique<BackendExplainer>(detector, r.ssl, r.frames, r.dim, cancelled);
        if (!r.spectral.empty())
            backend->setSpectral(r.spectral, r.spectralRows);
        bool waveMethods = false;
        for (AttributionMethod m : request.methods)
            waveMethods = waveMethods || methodNeedsWaveform(m);
        if (waveMethods) {
            if (audio.samples.empty())
                throw ConfigError("the waveform explainers need the audio samples of " + audio.path);
            backend->setWaveform(applyCut(audio.samples, request.cut));
        }
    }
    r.ssl.clear();
    r.ssl.shrink_to_fit();

    // One unit of progress per method (and per module for the Stage 2 ones).
    size_t units = 0;
    for (AttributionMethod m : request.methods)
        units += methodNeedsStage2(m) ? e.tracks.size() : 1;
    size_t done = 0;
    const auto step = [&] {
        ++done;
        if (progress)
            progress(baseShare + (1.0 - baseShare) * double(done) / double(units));
    };
    size_t methodsDone = 0;
    for (AttributionMethod m : request.methods) {
        if (methodNeedsStage2(m)) {
            for (const Stage2Track& t : e.tracks) {
                checkCancel();
                e.attributions.push_back(stage2Attribution(m, t));
                if (request.faithfulness)
                    e.faithfulness.push_back(backend->faithfulness(e.attributions.back().values));
                step();
            }
        } else {
            checkCancel();
            e.attributions.push_back(backend->run(m, request.options));
            if (request.faithfulness)
                e.faithfulness.push_back(backend->faithfulness(e.attributions.back().values));
            step();
        }
        if (partial)
            partial(e, ++methodsDone);
    }
    if (request.road)
        for (const Attribution& a : e.attributions) {
            checkCancel();
            e.road.push_back(backend->road(a.values, request.roadSeed));
        }
    if (request.randomisation) {
        // Adebayo et al. 2018, cascading: step c re-initialises groups 0 .. c (top first) and
        // runs every attribution's method again on the same h.
        const std::vector<LayerCut> cuts = backendLayerCuts(detector);
        for (const LayerCut& c : cuts)
            e.randomisationCuts.push_back(c.name);
        e.randomisation.assign(e.attributions.size(), {});
        for (size_t c = 0; c < cuts.size(); ++c) {
            const RandomisedBackend randomised(detector, c + 1, request.randomisationSeed);
            for (size_t i = 0; i < e.attributions.size(); ++i) {
                checkCancel();
                const Attribution& a = e.attributions[i];
                const AttributionMethod m = parseMethod(a.method);
                Attribution again;
                if (methodNeedsStage2(m)) {
                    // Stage 2 reads h from the SSL encoder, which the cascade leaves alone.
                    for (const Stage2Track& t : e.tracks)
                        if (t.xaiPath == a.source)
                            again = stage2Attribution(m, t);
                } else {
                    again = backend->run(m, request.options);
                }
                e.randomisation[i].push_back(spearman(a.values, again.values));
            }
        }
    }
    return e;
}

} // namespace spooflens::core
