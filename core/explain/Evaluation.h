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

#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

struct EvalTrack {
    std::string method;
    std::string source;
    double deletionAuc = kNaN;
    double insertionAuc = kNaN;
    LocalisationMetrics loc;           ///< NaN unless the utterance has both kinds of frames
    std::vector<double> deletion, insertion;  ///< curves at faithfulnessFractions() (empty: none)
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
    std::vector<EvalTrack> tracks;
};

/// Builds a record from an explanation (attributions + faithfulness curves).
/// `frameLabels` may be null (no ground truth); its length must be the frame count.
EvalRecord makeEvalRecord(const Explanation& e, const std::string& utterance, const std::string& label,
                          const std::vector<uint8_t>* frameLabels);

/// One JSON line (no newline). Keys: utterance, path, label, score, logits,
/// frames, spoof_frames (frame intervals [start, end) or null), tracks: list of
/// {method, source, deletion_auc, insertion_auc, frame_auc, frame_eer, ap,
/// pointing_game, relevance_mass, iou_topk, deletion, insertion, values};
/// undefined values are null.
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
