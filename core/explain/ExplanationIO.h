#pragma once
// The one serialiser of an Explanation: JSON, CSV and Audacity labels, used by
// `spooflens explain` and the GUI's export. Torch-free and free of CLI/GUI
// details. Schemas: docs/explainers.md ("Files").
#include "core/explain/Explanation.h"

#include <ostream>
#include <string>

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

/// Header of the attribution column of `a` in the CSV: "METHOD:SOURCE"
/// (quoted CSV-style when it holds a comma or a quote).
std::string attributionColumnName(const Attribution& a);

/// CSV, one row per frame. Columns: time_s (frame centre, 4 decimals, exact);
/// with a Stage 2 module, the first module's importance, sim_spoof,
/// sim_bonafide; for every further module importance:SOURCE,
/// sim_spoof:SOURCE, sim_bonafide:SOURCE (SOURCE = its xai path); then one
/// column per attribution (attributionColumnName). Values %.9g.
void writeExplanationCsv(std::ostream& out, const Explanation& e);

struct LabelOptions {
    double importanceThreshold = 0.5;  ///< Stage 2 tracks: regions where w(t) > this
    double topFraction = 0.1;          ///< attributions: regions of the top round(f T) frames
};

/// Audacity label track (start<TAB>end<TAB>label, seconds with 6 decimals):
/// for each Stage 2 track the regions where w(t) exceeds the threshold, then
/// for each attribution the regions of its top-ranked frames (attributionOrder).
/// A region of frames [a, b] spans [centre(a) - 0.01 s, centre(b) + 0.01 s].
void writeExplanationLabels(std::ostream& out, const Explanation& e, const LabelOptions& options = {});

} // namespace spooflens::core
