#pragma once
// Localisation and detection metrics of the explanation evaluation
// (`spooflens evaluate`, the viewer's summary). Torch-free. The exact
// definitions, with hand-computed examples, are in docs/metrics.md.
//
// Conventions: a "positive" is a spoof frame/segment for localisation (the
// attribution orientation is higher = more evidence of spoof) and a bona fide
// utterance for the detector's EER/minDCF (score = logit[1], higher = bona
// fide). A metric that is undefined for its input (no positives, no
// negatives, no positive attribution) is NaN; so is a ranking metric (AUC,
// AP, EER, minDCF, ROC curve, Spearman) over scores with a NaN among them.
//
// Thread-safety: stateless functions; safe to call concurrently.
#include "core/audio/FrameGrid.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// ROC-AUC = P(s+ > s-) + 0.5 P(s+ = s-) over all positive/negative pairs
/// (Mann-Whitney with ties as half). NaN without both classes.
double rocAuc(const std::vector<double>& scores, const std::vector<uint8_t>& positive);

/// EER: decide "positive" when score >= tau; over tau in the distinct scores
/// and +inf, P_miss(tau) = #pos < tau / #pos, P_fa(tau) = #neg >= tau / #neg;
/// at the tau minimising |P_miss - P_fa| (first such tau, ascending) the EER
/// is their mean. NaN without both classes.
double equalErrorRate(const std::vector<double>& scores, const std::vector<uint8_t>& positive);
/// Same, from the two classes' scores.
double equalErrorRate(const std::vector<double>& positiveScores, const std::vector<double>& negativeScores);

/// Average precision: sum over the distinct thresholds tau (descending) of
/// (R(tau) - R(previous)) * P(tau), with P, R the precision and recall of
/// "score >= tau". NaN without positives.
double averagePrecision(const std::vector<double>& scores, const std::vector<uint8_t>& positive);

struct RocPoint {
    double fpr = 0;
    double tpr = 0;
};
/// ROC curve from (0,0) to (1,1), one point per distinct threshold (descending). Empty without both classes.
std::vector<RocPoint> rocCurve(const std::vector<double>& scores, const std::vector<uint8_t>& positive);

/// 1 if the arg-max frame (ties: lowest index) is a spoof frame, else 0. NaN without spoof frames or frames.
double pointingGame(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof);
/// sum_{spoof t} max(a_t, 0) / sum_t max(a_t, 0). NaN without spoof frames or without positive attribution.
double relevanceMass(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof);
/// |top-k ∩ spoof| / |top-k ∪ spoof| with k = number of spoof frames, top-k by
/// attributionOrder (descending, ties: lower index first). NaN without spoof frames.
double iouTopK(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof);

/// Min-max normalisation of one utterance's attribution to [0, 1]:
/// (a - min) / (max - min) over the finite values (a non-finite value stays
/// NaN). Empty when there is no finite value or max == min (a constant map).
std::vector<double> minMaxNormalised(const std::vector<float>& attribution);

/// The threshold of the frame decisions: a frame is decided "spoof" when its
/// min-max-normalised attribution is >= this (docs/metrics.md, "Frame decisions").
constexpr double kFrameDecisionThreshold = 0.5;

/// Precision, recall and F1 of the frame decisions "spoof when
/// minMaxNormalised(a)(t) >= threshold" against the frame labels:
/// P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2 TP / (2 TP + FP + FN).
/// Each is NaN where its denominator is 0; all three are NaN for a constant map.
struct FrameDecisionMetrics {
    double precision = kNaN;
    double recall = kNaN;
    double f1 = kNaN;
};
FrameDecisionMetrics frameDecisionMetrics(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof,
                                          double threshold = kFrameDecisionThreshold);

/// Per-utterance localisation metrics of one attribution against frame labels.
struct LocalisationMetrics {
    double frameAuc = kNaN;
    double frameEer = kNaN;
    double ap = kNaN;
    double pointingGame = kNaN;
    double relevanceMass = kNaN;
    double iouTopK = kNaN;
    double frameF1 = kNaN;          ///< frameDecisionMetrics at kFrameDecisionThreshold
    double framePrecision = kNaN;
    double frameRecall = kNaN;
};
/// All nine; every one is NaN unless the utterance has both spoof and bona fide
/// frames (that is how `evaluate` reports them: null). Lengths must match
/// (throws ConfigError otherwise).
LocalisationMetrics localisationMetrics(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof);

/// The PartialSpoof segment resolutions of the segment-level EER, in ms.
const std::vector<int>& segmentResolutionsMs();

/// Max-pools attribution and labels over segments of `segmentFrames` SSL frames
/// (segment j = frames [j g, (j+1) g), the last one possibly shorter) and
/// appends one (score, label) per segment: label = 1 if any frame is spoof.
/// The same on any frame grid: segment j covers samples [j r, (j + 1) r) of
/// the frames' hop cells [offset + t hop, offset + (t + 1) hop) (r =
/// `segmentSamples`, PartialSpoof's resolution at 16 kHz), and pools the frames
/// whose cell meets it. On XLS-R's grid (hop 320) with r = g x 320 this is
/// poolSegments(..., g, ...); on AASIST's (hop 2187) a 20 ms segment takes the
/// value and label of the frame that holds it.
void poolSegmentsOnGrid(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof,
                        const FrameGrid& grid, int64_t segmentSamples, std::vector<double>& scoresOut,
                        std::vector<uint8_t>& labelsOut);
void poolSegments(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof, int segmentFrames,
                  std::vector<double>& scoresOut, std::vector<uint8_t>& labelsOut);

/// PartialSpoof's finest measuring resolution (ms), finer than any SSL frame:
/// scores are repeated onto its segments and the labels come from the
/// reference times (segmentLabelsFromTime), as PartialSpoof's SegmentEER.py
/// does when it up-samples a coarser prediction.
constexpr int kFinestSegmentResolutionMs = 10;

/// PartialSpoof's segment labels from reference times (rttm2vadvec of its
/// metric/rttm_tool.py): ceil(duration / r) segments of r samples; segment j
/// is spoof (1) when round(start / r) <= j < round(end / r) for a spoof
/// interval [start, end) (seconds, converted to samples at 16 kHz).
std::vector<uint8_t> segmentLabelsFromTime(const std::vector<std::pair<double, double>>& spoofSeconds,
                                           int64_t samples, int64_t segmentSamples);

/// Range-based EER (Zhang et al., Interspeech 2023; PartialSpoof's
/// metric/RangeEER.py on pyannote's DetectionCostFunction): at threshold tau
/// the hypothesis marks spoof the time of every frame with a(t) >= tau, frame t
/// covering its hop cell [offset + t hop, offset + (t + 1) hop) samples (the
/// cells tile the frames' span; time outside them is never marked); within the
/// evaluation map [0, duration], FNR = missed spoof time / spoof time and
/// FPR = falsely marked bona fide time / bona fide time, durations pooled over
/// every utterance added. EER = (FPR + FNR) / 2 at the first threshold
/// (ascending, over the distinct scores and +inf) that minimises |FPR - FNR|:
/// the exact crossing that RangeEER.py's bisection searches for.
class RangeEer {
public:
    /// Adds one utterance: attribution (length T, NaN never marks), its grid,
    /// its length in samples and its merged spoof intervals (seconds).
    void add(const std::vector<float>& attribution, const FrameGrid& grid, int64_t samples,
             const std::vector<std::pair<double, double>>& spoofSeconds);
    /// NaN without spoof time or without bona fide time.
    double eer() const;

private:
    std::vector<double> m_scores, m_spoof, m_bonafide;  ///< per frame: score, spoof / bona fide seconds in its cell
    double m_spoofTotal = 0, m_bonafideTotal = 0;       ///< within [0, duration], cells or not
};

/// Relative contribution quantification (RCQ; Liu et al., Interspeech 2024,
/// as WeDefense's wedefense/bin/XAI_Score_analysis.py computes it) over three
/// region types. Frame t's region: transition when its centre lies within
/// kRcqTransitionSeconds of a splice boundary (an end of a spoof interval
/// strictly inside the utterance), else spoof or bona fide by its frame label.
/// Values are the min-max-normalised attribution (the [0, 1] Grad-CAM scale the
/// paper uses). RCQ_r = (mean over r - mean over all counted frames) / mean over
/// all counted frames x 100 (percent). Sums add over utterances (WeDefense pools
/// the whole set); an utterance without a boundary adds nothing.
enum class RcqRegion { Bonafide = 0, Spoof = 1, Transition = 2 };
constexpr double kRcqTransitionSeconds = 0.05;
class Rcq {
public:
    void add(const std::vector<float>& attribution, const std::vector<uint8_t>& spoof, const FrameGrid& grid,
             int64_t samples, const std::vector<std::pair<double, double>>& spoofSeconds);
    /// Percent; NaN for a region without frames or when the overall mean is 0.
    double rcq(RcqRegion region) const;
    int64_t frames(RcqRegion region) const { return m_count[size_t(region)]; }

private:
    std::array<double, 3> m_sum{0, 0, 0};
    std::array<int64_t, 3> m_count{0, 0, 0};
};
const char* rcqRegionName(RcqRegion r);  ///< "bonafide", "spoof", "transition"

/// Spearman rank correlation: Pearson's r of the ranks (ties get their mean
/// rank). NaN for fewer than 2 values, different lengths, a non-finite value
/// or a constant input.
double spearman(const std::vector<float>& a, const std::vector<float>& b);

/// Detection cost parameters. Defaults: ASVspoof 5 (C_miss = 1, C_fa = 10, π_spoof = 0.05).
struct DcfParameters {
    double cMiss = 1;     ///< cost of rejecting a bona fide utterance
    double cFa = 10;      ///< cost of accepting a spoof
    double pSpoof = 0.05; ///< prior of a spoof
};
/// Normalised minimum DCF: min over tau (accept as bona fide when score >= tau;
/// tau in the distinct scores and +inf) of
/// [C_miss P_miss(tau) (1 - π) + C_fa P_fa(tau) π] / min(C_miss (1 - π), C_fa π).
/// NaN without both classes.
double minDcf(const std::vector<double>& bonafideScores, const std::vector<double>& spoofScores,
              const DcfParameters& params = {});

/// Mean with a percentile bootstrap confidence interval (resampling the
/// values with replacement `resamples` times; seeded, deterministic). NaN
/// values are ignored; n = the values used. n = 0: all NaN; n = 1: CI = [mean, mean].
struct MeanCi {
    double mean = kNaN;
    double low = kNaN;
    double high = kNaN;
    int64_t n = 0;
};
MeanCi bootstrapMean(const std::vector<double>& values, uint64_t seed = 1234, int resamples = 1000,
                     double level = 0.95);

} // namespace spooflens::core
