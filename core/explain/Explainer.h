#pragma once
// Facade used by the GUI and the CLI: detector + any number of Stage 2
// modules -> a plain Explanation per utterance. Torch-free header.
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Explanation.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spooflens::core {

/// Summary of a loaded Stage 2 module.
struct Stage2Info {
    std::string path;
    std::string runName;
    std::string prototypeMode;
    std::string detectorSha256;   ///< recorded in the checkpoint (may be empty)
    bool detectorMismatch = false;
    int64_t embedDim = 0;
    int64_t hiddenDim = 0;
    std::string featureNorm = "none";  ///< model.feature_norm of the module (docs/stage2-objective.md)
};

/// What to compute for one utterance (see docs/explainers.md).
struct ExplainRequest {
    CutMode cut = CutMode::Full;
    std::vector<AttributionMethod> methods;  ///< explainers to run; empty: Stage 2 tracks only
    AttributionOptions options;
    bool faithfulness = false;               ///< also deletion/insertion curves per attribution
    bool road = false;                       ///< also ROAD's MoRF/LeRF curves per attribution (20 back-end passes each)
    uint64_t roadSeed = 1234;                ///< ROAD's imputation noise
    /// Model-randomisation check (docs/metrics.md): every requested method again
    /// on the detector with its back-end layer groups re-initialised cumulatively
    /// from the top (backendLayerCuts: 6 steps for XLS-R + TCM, 4 for AASIST),
    /// compared by Spearman rank correlation. Costs one run of the methods per step.
    bool randomisation = false;
    uint64_t randomisationSeed = 1234;       ///< the re-initialised weights
};

/// Thread-safety: use one Explainer from one thread at a time (a worker thread).
class Explainer {
public:
    explicit Explainer(const DetectorOptions& detector);  ///< throws CheckpointError/ConfigError
    ~Explainer();

    const DetectorInfo& detectorInfo() const;

    /// Adds a Stage 2 checkpoint (ours, a plain PyTorch state dict, or the
    /// seed's whole-model save). Throws CheckpointError if its width does not
    /// fit the detector. Returns its summary (mismatch of SHA-256 is a warning).
    Stage2Info addStage2(const std::string& xaiPath);
    void clearStage2();
    std::vector<Stage2Info> stage2() const;

    /// Runs detector + every Stage 2 module. `progress(fraction)` may be called;
    /// if `cancelled()` returns true the call throws CancelledError.
    Explanation explain(const AudioData& audio, CutMode cut = CutMode::Full,
                        const std::function<void(double)>& progress = {},
                        const std::function<bool()>& cancelled = {}) const;

    /// As above, plus the requested attributions (and faithfulness curves).
    /// Progress covers every method; cancellation is checked between back-end passes.
    Explanation explain(const AudioData& audio, const ExplainRequest& request,
                        const std::function<void(double)>& progress = {},
                        const std::function<bool()>& cancelled = {}) const;

    /// As above, handing out the explanation as it grows: `partial(soFar,
    /// methodsDone)` is called once the detector and the Stage 2 modules have
    /// run (methodsDone = 0), then after each method of request.methods
    /// (methodsDone = how many are in soFar.attributions' methods). On
    /// cancellation what was handed out stays valid; the call throws
    /// CancelledError. The returned explanation equals the last partial.
    using PartialExplanation = std::function<void(const Explanation& soFar, size_t methodsDone)>;
    Explanation explain(const AudioData& audio, const ExplainRequest& request, const PartialExplanation& partial,
                        const std::function<void(double)>& progress = {},
                        const std::function<bool()>& cancelled = {}) const;
    /// As above, with the detector's result for `audio` (under request.cut)
    /// computed beforehand, e.g. batched by runDetectorBatched
    /// (core/detector/BatchRun.h); `audio.samples` is not read and may be empty.
    Explanation explain(const AudioData& audio, DetectorResult&& detected, const ExplainRequest& request,
                        const std::function<void(double)>& progress = {},
                        const std::function<bool()>& cancelled = {}) const;

    /// The loaded detector (to batch its passes; one thread at a time, as the Explainer).
    const Detector& detector() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace spooflens::core
