#pragma once
// Per-frame attributions of the detector's decision by several explainers, and
// the deletion/insertion faithfulness curves read from them. Torch-free: ui/
// and the CLI include this. Definitions: docs/explainers.md.
//
// Orientation everywhere: higher value = more evidence that this frame is
// spoofed. The quantity explained is the spoof margin m = logit[0] - logit[1]
// (logit[1] is the bona fide score). Frames are the detector's (FrameGrid):
// XLS-R frame t covers samples [320 t, 320 t + 400), AASIST's [2187 t, 2187 t + 2315).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace spooflens::core {

/// The explainers. Names (CLI, files, GUI) are those of methodName().
enum class AttributionMethod {
    Stage2,          ///< "stage2": w(t) of each loaded Stage 2 module
    Stage2Contrast,  ///< "stage2-contrast": s(t, spoof) - s(t, bona fide) of each module
    Occlusion,       ///< "occlusion": drop of m when a window of h is replaced by the utterance mean
    GradXInput,      ///< "gradxinput": sum_d dm/dh(t,d) * h(t,d)
    IntegratedGradients,  ///< "ig": Integrated Gradients on h toward m
    Rollout,         ///< "rollout": attention rollout over the TCM blocks, class-token row
    Gatr,            ///< "gatr": gradient-weighted attention relevancy (Chefer et al.)
    Random,          ///< "random": seeded uniform noise, the chance line
    Window,          ///< "window": m of the whole detector on short sliding windows of the waveform
    WaveOcclusion,   ///< "wave-occlusion": drop of m when a span of waveform samples is zeroed
    WaveGradXInput,  ///< "wave-gradxinput": sum over the frame's samples of dm/dx(n) * x(n)
};

std::string methodName(AttributionMethod m);
/// Throws ConfigError naming the unknown text and listing the valid names.
AttributionMethod parseMethod(const std::string& text);
/// Every method, in the order above.
const std::vector<AttributionMethod>& allMethods();
/// True for the methods that need a loaded Stage 2 module (one track per module).
bool methodNeedsStage2(AttributionMethod m);
/// True for the methods that run the whole detector on the waveform
/// (window, wave-occlusion, wave-gradxinput).
bool methodNeedsWaveform(AttributionMethod m);

/// The most integration steps `ig` takes (--ig-steps): each step is a
/// back-end pass; 4096 is 128 x the default, 2e9 would never end.
constexpr int kMaxIgSteps = 4096;

/// Knobs of the explainers (defaults are those of docs/explainers.md).
struct AttributionOptions {
    int occlusionWindow = 5;     ///< frames replaced at once
    int occlusionStride = 1;     ///< frames between window starts
    int igSteps = 32;            ///< Riemann steps (midpoint rule), 1 .. kMaxIgSteps
    bool igZeroBaseline = false; ///< false: utterance mean of h(t); true: zeros
    uint64_t randomSeed = 1234;  ///< `random`: seed (mixed with the utterance length)
    double windowSeconds = 1.0;  ///< `window`: length of each scored window
    int64_t windowHopSamples = 0;  ///< `window`: 0 = one frame (AASIST) or 1600 samples (XLS-R, 100 ms)
    int64_t waveOcclusionSamples = 0;  ///< `wave-occlusion`: span zeroed at once (0 = one frame hop)
};

/// One explainer's values for one utterance.
struct Attribution {
    std::string method;          ///< methodName()
    std::string source;          ///< the Stage 2 checkpoint path, or "detector"
    std::vector<float> values;   ///< length T, higher = more evidence of spoof
    int64_t backendPasses = 0;   ///< back-end forward(+backward) passes spent
    double seconds = 0;          ///< wall time of this method
    /// `ig` only: |sum_t values - (m(h) - m(baseline))| and m(h) - m(baseline);
    /// NaN for the other methods.
    double completenessGap = std::numeric_limits<double>::quiet_NaN();
    double targetDelta = std::numeric_limits<double>::quiet_NaN();
};

/// Deletion and insertion curves of p = softmax(logits)[0] (spoof probability)
/// at fractions f = 0, 0.05, ..., 1 of the frames (k = round(f T)).
/// Deletion replaces the first k frames of the attribution order in h(t) by the
/// utterance mean of the original h(t); insertion starts from every frame
/// replaced and restores the first k. Back-end passes only.
struct FaithfulnessCurves {
    std::vector<double> fractions;
    std::vector<double> deletion;
    std::vector<double> insertion;
    double deletionAuc = 0;      ///< trapezoid over f (lower = more faithful)
    double insertionAuc = 0;     ///< trapezoid over f (higher = more faithful)
};

/// The 21 fractions 0, 0.05, ..., 1.
std::vector<double> faithfulnessFractions();

/// ROAD, "Remove And Debias" (Rong et al., ICML 2022; tleemann/road_evaluation):
/// curves of p = softmax(logits)[0] (spoof probability) as k = floor(f T)
/// frames of h(t) are removed, most relevant first (MoRF: the first k of the
/// attribution order) or least relevant first (LeRF: the last k), at the
/// fractions roadFractions(). A removed frame is not filled with a constant but
/// by noisy linear imputation over the frame axis (linearImputation, plus
/// Gaussian noise of standard deviation kRoadNoise x the range of h(t, d) over
/// the utterance, per dimension d). Back-end passes only (feature space, as the
/// deletion curves).
struct RoadCurves {
    std::vector<double> fractions;
    std::vector<double> morf;    ///< falls fast for a faithful explainer
    std::vector<double> lerf;    ///< stays high for a faithful explainer
    double morfAuc = std::numeric_limits<double>::quiet_NaN();  ///< trapezoid over f / 0.9 (mean height; lower = more faithful)
    double lerfAuc = std::numeric_limits<double>::quiet_NaN();  ///< the same (higher = more faithful)
    double gap() const { return lerfAuc - morfAuc; }            ///< LeRF - MoRF (higher = more faithful)
};

/// ROAD's removal fractions 0, 0.1, ..., 0.9 (the paper's 10 % steps; all
/// frames removed would leave nothing to impute from).
std::vector<double> roadFractions();
/// ROAD's noise: NoisyLinearImputer(noise=0.01) on images in [0, 1], i.e. 1 %
/// of the value range; here 1 % of each feature dimension's range over the utterance.
constexpr double kRoadNoise = 0.01;

/// Where a removed frame's value comes from: value = (1 - weight) x[left] +
/// weight x[right] (left, right: kept frames; -1 for a kept frame itself).
struct ImputationSource {
    int64_t left = -1;
    int64_t right = -1;
    double weight = 0;
};
/// ROAD's noisy linear imputation without its noise, on one axis: the removed
/// values solve x(t) = mean of x over t's neighbours inside [0, T) (the 1-D
/// form of road/imputations.py's sparse system: neighbours t - 1 and t + 1,
/// weights renormalised at the ends). Its solution: linear interpolation
/// between the kept frames around a run of removed frames, and the nearest
/// kept frame's value for a run at either end. Throws ConfigError when every
/// frame is removed (the system has no solution).
std::vector<ImputationSource> linearImputation(const std::vector<uint8_t>& removed);

/// Frame indices sorted by value, descending; ties: lower frame index first.
/// NaN values rank last.
std::vector<int64_t> attributionOrder(const std::vector<float>& values);

/// Trapezoid rule of y over x (same length, x ascending). 0 for fewer than 2 points.
double trapezoidAuc(const std::vector<double>& x, const std::vector<double>& y);

} // namespace spooflens::core
