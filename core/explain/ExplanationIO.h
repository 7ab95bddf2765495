#pragma once
// The one serialiser of an Explanation: JSON, CSV and Audacity labels, used by
// `spooflens explain` and the GUI's export. Torch-free and free of CLI/GUI
// details. Schemas: docs/explainers.md ("Files").
#include "core/explain/Explanation.h"

#include <ostream>
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

/// The explanation as one JSON object (no trailing newline). `indent` < 0:
/// one line; otherwise pretty-printed with that indent.
///  - always: path, hop_s, frames, samples, cut, time_s (frame centres),
///    detector {score, logits, windowed[, windows {start_s, end_s, score}]},
///    tracks (every Stage 2 module), attributions (one entry per attribution:
///    method, source, values, backend_passes, seconds[, completeness_gap,
///    target_delta for ig]);
///  - with a Stage 2 module, the first module's importance, sim_spoof,
///    sim_bonafide, utterance_sim and xai {path, prototype_mode,
///    detector_sha256, detector_mismatch} at the top level;
///  - with faithfulness curves: faithfulness (parallel to attributions:
///    method, source, fractions, deletion, insertion, deletion_auc, insertion_auc).
std::string explanationToJson(const Explanation& e, int indent = -1);

/// The name of each Stage 2 module in exported column names and labels:
/// its file stem ("xai_ema"); where stems repeat, "parent/stem"; still
/// taken, "#k" appended. Parallel to e.tracks.
std::vector<std::string> moduleNames(const Explanation& e);

/// The source of `a` by name: "detector", or its Stage 2 module's name
/// (moduleNames), never a path.
std::string attributionSourceName(const Attribution& a, const Explanation& e);

/// Header of the attribution column of `a` in the CSV: "METHOD:SOURCE", SOURCE
/// = "detector" or the module's name (moduleNames), quoted CSV-style when it
/// holds a comma or a quote.
std::string attributionColumnName(const Attribution& a, const Explanation& e);

struct CsvOptions {
    /// Frame labels on the explanation's grid (1 = spoof), length e.frames;
    /// null or empty: no ground_truth column.
    const std::vector<uint8_t>* groundTruth = nullptr;
};

/// CSV, one row per frame, every column named (docs/explainers.md, Output
/// files): frame, time_s (centre), start_s, end_s (the frame's window on the
/// detector's grid, 6 decimals, exact at 16 kHz); for every Stage 2 module
/// importance:NAME, sim_spoof:NAME, sim_bonafide:NAME (NAME: moduleNames);
/// one column per attribution (attributionColumnName); detector_score (the
/// utterance's bona fide logit, on every row); ground_truth (0/1) when given.
/// Values %.9g. Throws ConfigError when the labels' length is not e.frames.
void writeExplanationCsv(std::ostream& out, const Explanation& e, const CsvOptions& options = {});

struct LabelOptions {
    double importanceThreshold = 0.5;  ///< Stage 2 tracks: regions where w(t) > this
    double topFraction = 0.1;          ///< attributions: regions of the top round(f T) frames
    /// Only this row (0 .. tracks-1: the Stage 2 modules, then the
    /// attributions in order); -1: every row.
    int onlyRow = -1;
};

/// Audacity label track (start<TAB>end<TAB>label, seconds with 6 decimals):
/// for each Stage 2 track the regions where w(t) exceeds the threshold, then
/// for each attribution the regions of its top-ranked frames (attributionOrder).
/// A region of frames [a, b] spans [centre(a) - 0.01 s, centre(b) + 0.01 s].
void writeExplanationLabels(std::ostream& out, const Explanation& e, const LabelOptions& options = {});

} // namespace spooflens::core
