#pragma once
// The records and the summary of `spooflens evaluate` (docs/metrics.md):
// one EvalRecord per utterance (a line of OUT/utterances.jsonl), and the
// per-track aggregates, charts and report computed from a set of records.
// Torch-free; the CLI runs the detector and hands Explanations in.
//
// A merged run equals a single run: the summary depends only on the set of
// records (they are sorted by utterance id before anything is aggregated),
// and a record holds no wall-clock or run-specific data.
#include "core/explain/Explanation.h"
#include "core/explain/Metrics.h"

#include <array>
#include <cstdint>
#include <utility>
#include <string>
#include <vector>

namespace spooflens::core {

struct EvalTrack {
    std::string method;
    std::string source;
    double deletionAuc = kNaN;
    double insertionAuc = kNaN;
    LocalisationMetrics loc;           ///< NaN unless the utterance has both kinds of frames
    double rangeEer = kNaN;            ///< range-based EER of this utterance alone (its own threshold)
    std::array<double, 3> rcq{kNaN, kNaN, kNaN};  ///< RCQ of this utterance by RcqRegion (percent)
    std::vector<double> deletion, insertion;  ///< curves at faithfulnessFractions() (empty: none)
    RoadCurves road;                   ///< at roadFractions() (empty curves: none)
    std::vector<double> randomisation; ///< Spearman per EvalRecord::randomisationCuts (empty: none)
    std::vector<float> values;         ///< the attribution; kept only for labelled utterances
};

struct EvalRecord {
    std::string utterance;             ///< id = file stem
    std::string path;                  ///< audio path as resolved
    std::string label;                 ///< "bonafide" | "spoof"
    double score = kNaN;               ///< logit[1]
    double logits[2] = {kNaN, kNaN};
    int64_t frames = 0;
    FrameGrid grid;                    ///< the detector's frames (hop/window/offset_samples in the JSON)
    bool hasLabels = false;            ///< ground truth known for this utterance
    std::vector<uint8_t> frameLabels;  ///< 1 = spoof frame (when hasLabels)
    int64_t samples = 0;               ///< input samples the detector saw (0: not recorded)
    /// The reference: merged spoof intervals in seconds (when hasLabels and
    /// recorded; older records give them from the frame labels' hop cells).
    std::vector<std::pair<double, double>> spoofSeconds;
    bool hasSpoofSeconds = false;
    std::vector<std::string> randomisationCuts;  ///< layer groups of the randomisation check (top first)
    std::vector<EvalTrack> tracks;
};

/// The reference spoof intervals (s) and input length (samples) of a labelled
/// record: as recorded, or, for a record without them, the hop cells of its
/// spoof frames and the samples its frames span.
std::vector<std::pair<double, double>> referenceSpoofSeconds(const EvalRecord& r);
int64_t referenceSamples(const EvalRecord& r);

/// The per-utterance metrics computed from a labelled record's attribution
/// values (localisation incl. frame decisions, range EER, RCQ) into `t`.
void computeLabelMetrics(const EvalRecord& r, EvalTrack& t);

/// Builds a record from an explanation (attributions, faithfulness and ROAD
/// curves, randomisation). `frameLabels` may be null (no ground truth); its
/// length must be the frame count. `spoofSeconds`: the labels' merged spoof
/// intervals (null: derived from the frame labels).
EvalRecord makeEvalRecord(const Explanation& e, const std::string& utterance, const std::string& label,
                          const std::vector<uint8_t>* frameLabels,
                          const std::vector<std::pair<double, double>>* spoofSeconds = nullptr);

/// One JSON line (no newline). Keys: utterance, path, label, score, logits,
/// frames, samples, spoof_frames (frame intervals [start, end) or null),
/// spoof_seconds ([start, end] in s, or null), randomisation_cuts, tracks: list of
/// {method, source, deletion_auc, insertion_auc, frame_auc, frame_eer, ap,
/// pointing_game, relevance_mass, iou_topk, frame_f1, frame_precision,
/// frame_recall, range_eer, rcq_bonafide, rcq_spoof, rcq_transition,
/// road_morf_auc, road_lerf_auc, road_gap, deletion, insertion, road_morf,
/// road_lerf, randomisation, values}; undefined values are null. Keys added
/// since the first version may be absent when read (null).
std::string evalRecordToJson(const EvalRecord& r);
/// Parses a line written by evalRecordToJson. Throws ConfigError at `at`.
EvalRecord evalRecordFromJson(const std::string& line, const std::string& at);

/// Reads OUT/utterances.jsonl. A torn last line (no final newline, or not
/// valid JSON: a run killed while writing) is dropped and, with `repair`, cut
/// from the file so appending can resume. A bad line elsewhere throws
/// ConfigError naming file and line. A missing file gives no records.
std::vector<EvalRecord> readEvalRecords(const std::string& path, bool repair, bool* droppedTornLine = nullptr);

struct EvalSummaryOptions {
    uint64_t seed = 1234;              ///< bootstrap seed
    int resamples = 1000;              ///< bootstrap resamples
    DcfParameters dcf;                 ///< ASVspoof 5 defaults
    std::string detector;              ///< recorded in the summary
    /// Entries of --labels for utterances the run does not evaluate (ignored);
    /// -1: no --labels (the key `labels_ignored` is then absent).
    int64_t labelsIgnored = -1;
};

/// Aggregates `records` (any order; duplicates by utterance id must not occur)
/// and writes OUT/summary.json, OUT/deletion.{svg,png}, OUT/insertion.{svg,png},
/// OUT/roc.{svg,png} and OUT/report.md. Returns the summary JSON text.
std::string writeEvalSummary(std::vector<EvalRecord> records, const std::string& outDir,
                             const EvalSummaryOptions& options);

} // namespace spooflens::core
