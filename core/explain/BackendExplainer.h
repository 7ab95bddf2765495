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

/// `stage2` (w(t)) or `stage2-contrast` (s(t, spoof) - s(t, bona fide)) of one
/// Stage 2 track; source = its checkpoint path, no back-end pass.
Attribution stage2Attribution(AttributionMethod method, const Stage2Track& track);

} // namespace spooflens::core
