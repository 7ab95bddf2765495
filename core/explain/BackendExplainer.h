#pragma once
// The detector-side explainers (occlusion, gradxinput, ig, rollout, gatr,
// random on the frame features through the frozen back-end; window,
// wave-occlusion, wave-gradxinput on the waveform through the whole detector)
// and the faithfulness curves. Torch-free header (pimpl); Explainer uses
// it per utterance, tests and benchmarks use it on synthetic h. Definitions:
// docs/explainers.md.
#include "core/detector/Detector.h"
#include "core/explain/Attribution.h"
#include "core/explain/Explanation.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spooflens::core {

/// Thread-safety: one BackendExplainer from one thread at a time, like Detector.
class BackendExplainer {
public:
    /// `h`: T x D row-major SSL features (copied). Throws AudioError if T is 0
    /// or exceeds the back-end's single-pass table, Error if D does not fit.
    /// `cancelled` is checked before every back-end pass (throws CancelledError).
    BackendExplainer(const Detector& detector, const std::vector<float>& h, int64_t frames, int64_t dim,
                     std::function<bool()> cancelled = {});
    ~BackendExplainer();

    int64_t frames() const;
    int64_t dim() const;

    /// AASIST: the utterance's spectral nodes (rows x D, DetectorResult::spectral),
    /// held fixed while the feature-space methods vary e_T. Required for AASIST.
    void setSpectral(const std::vector<float>& values, int64_t rows);
    /// The detector's input (after the cut) for the waveform methods (window,
    /// wave-occlusion, wave-gradxinput); must give the same frame count.
    void setWaveform(const std::vector<float>& samples);

    /// One detector-side method (not stage2 / stage2-contrast: ConfigError).
    /// Fills values, backendPasses, seconds (and completenessGap/targetDelta
    /// for ig); source = "detector".
    Attribution run(AttributionMethod method, const AttributionOptions& options = {});

    /// Deletion/insertion curves of p = softmax(logits)[0] for `values`
    /// (length T). `passes` (optional) receives the back-end passes spent.
    FaithfulnessCurves faithfulness(const std::vector<float>& values, int64_t* passes = nullptr);

    /// ROAD's MoRF and LeRF curves for `values` (length T; Attribution.h,
    /// RoadCurves). The noise (standard deviation `noise` x each dimension's
    /// range) is seeded by `seed` (and the curve and fraction): the same inputs
    /// give the same curves. 2 x 10 back-end passes.
    RoadCurves road(const std::vector<float>& values, uint64_t seed = 1234, double noise = kRoadNoise,
                    int64_t* passes = nullptr);

    /// Direct back-end evaluations (tests, benchmarks): logits of a batch of
    /// B feature maps, each T x D row-major (B x T x D values in all).
    std::vector<std::array<float, 2>> logits(const std::vector<float>& batch);
    /// Spoof margin m = logit[0] - logit[1] of the stored h.
    double margin();

    /// Back-end passes spent by this object so far (batch rows forwarded +
    /// rows backpropagated; see docs/explainers.md).
    int64_t passes() const;

    struct Impl;
private:
    std::unique_ptr<Impl> m_impl;
};

/// One step of the model-randomisation cascade (Adebayo et al., NeurIPS 2018):
/// a group of back-end layers, named by the checkpoint key prefixes it holds.
struct LayerCut {
    std::string name;                   ///< e.g. "fc5", "block3", "out_layer", "hs_gal2"
    std::vector<std::string> prefixes;  ///< checkpoint keys starting with one of these
};
/// The detector's back-end layer groups from the output down (the cascade's
/// order). XLS-R + TCM: fc5, block3, block2, block1, block0, input (LL,
/// first_bn, class token); AASIST: out_layer, hs_gal2, hs_gal1, gat.
std::vector<LayerCut> backendLayerCuts(const Detector& detector);

/// Re-initialises the first `count` groups of backendLayerCuts() of the loaded
/// detector for the lifetime of this object and restores the trained values
/// when it ends (also on an exception). The re-initialisation is PyTorch's
/// default for each kind of tensor (docs/metrics.md, "Model randomisation"),
/// from platform-independent random numbers seeded by `seed` and the tensor's
/// name, so a group gets the same values at every step of the cascade.
/// Only the back-end's tensors are copied (the SSL encoder is shared, not
/// touched). Thread-safety: the detector must not run on another thread
/// meanwhile (evaluate's detector passes and explainers share one thread).
class RandomisedBackend {
public:
    RandomisedBackend(const Detector& detector, size_t count, uint64_t seed);
    ~RandomisedBackend();
    RandomisedBackend(const RandomisedBackend&) = delete;
    RandomisedBackend& operator=(const RandomisedBackend&) = delete;
    /// Tensors re-initialised (tests).
    size_t tensors() const;

    struct Impl;
private:
    std::unique_ptr<Impl> m_impl;
};

/// `stage2` (w(t)) or `stage2-contrast` (s(t, spoof) - s(t, bona fide)) of one
/// Stage 2 track; source = its checkpoint path, no back-end pass.
Attribution stage2Attribution(AttributionMethod method, const Stage2Track& track);

} // namespace spooflens::core
