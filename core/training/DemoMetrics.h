#pragma once
// Scores of the demo build (docs/demo.md): utterance EER of the detector and
// frame-level ROC-AUC / average precision of an importance track against the
// frame labels. Torch-free. Thread-safety: pure functions.
#include "core/explain/Metrics.h"

#include <cstdint>
#include <vector>

namespace spooflens::core {

/// Equal error rate (0..1) of `scores` where a HIGHER score means the
/// positive class (`positive[i]` true); e.g. detector score = logit[1] with
/// bona fide positive. Linear interpolation between the two operating points
/// around FAR = FRR. NaN when a class is empty.
double utteranceEer(const std::vector<double>& scores, const std::vector<bool>& positive);

// Frame ROC-AUC and average precision: rocAuc / averagePrecision of
// core/explain/Metrics.h (docs/metrics.md), one definition for the demo and evaluate.

} // namespace spooflens::core
