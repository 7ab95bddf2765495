#pragma once
// Plain results of the explanation pipeline, handed to ui/ and the CLI.
// Torch-free. Times: frame t is centred at grid.centreSeconds(t) (XLS-R:
// (320 t + 200) / 16000 s; AASIST: (2187 t + 1157.5) / 16000 s).
#include "core/audio/FrameGrid.h"
#include "core/explain/Attribution.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

/// One Stage 2 module's explanation of one utterance.
struct Stage2Track {
    std::string xaiPath;           ///< the Stage 2 checkpoint
    std::string runName;           ///< its run folder / file stem
    std::string prototypeMode;     ///< "ema" | "fixed" | "learnable"
    std::string featureNorm = "none";  ///< model.feature_norm: "utterance" = w and the similarities see h normalised per utterance
    std::string detectorSha256;    ///< recorded at training time (may be empty)
    bool detectorMismatch = false; ///< recorded SHA differs from the loaded detector
    std::vector<float> importance;   ///< w(t) in [0, 1], length T
    std::vector<float> simSpoof;     ///< cos(h(t), P_spoof), length T
    std::vector<float> simBonafide;  ///< cos(h(t), P_bonafide), length T
    float uttSimSpoof = 0;           ///< u_spoof = sum_t s(t, spoof) w_norm(t)
    float uttSimBonafide = 0;        ///< u_bonafide
    float totalImportance = 0;       ///< sum_t w(t)
    float importanceSpread = 0;      ///< std of w(t) over frames
    int predictedClass = 0;          ///< argmax u_c (1 = bona fide, 0 = spoof)
};

struct Explanation {
    std::string path;
    std::string detectorFamily = "xlsr-tcm";  ///< DetectorInfo::family
    FrameGrid grid;                  ///< the detector's frames: t covers [offset + t hop, ... + window)
    double hopSeconds = 0.02;        ///< grid.hopSeconds()
    int64_t frames = 0;
    int64_t samples = 0;
    std::string cut;                 ///< "full" | "64600" | "66800"
    float logits[2] = {0, 0};
    float score = 0;                 ///< detector bona fide logit
    bool windowed = false;
    std::vector<float> windowStartSeconds, windowEndSeconds, windowScores;
    std::vector<Stage2Track> tracks; ///< one per loaded Stage 2 module
    /// One per requested method; `stage2` and `stage2-contrast` give one per
    /// loaded Stage 2 module (source = its path), the others one (source = "detector").
    std::vector<Attribution> attributions;
    /// Parallel to `attributions` when ExplainRequest::faithfulness was set, else empty.
    std::vector<FaithfulnessCurves> faithfulness;
    /// Parallel to `attributions` when ExplainRequest::road was set, else empty.
    std::vector<RoadCurves> road;
    /// ExplainRequest::randomisation: the cascade's layer groups (top first) and,
    /// parallel to `attributions`, the Spearman rank correlation of each
    /// attribution with the same method's on the detector whose first c + 1
    /// groups are re-initialised (c = 0 .. cuts - 1). Else empty.
    std::vector<std::string> randomisationCuts;
    std::vector<std::vector<double>> randomisation;
};

} // namespace spooflens::core
