#pragma once
// Scores of the demo build (docs/demo.md): utterance EER of the detector and
// frame-level ROC-AUC / average precision of an importance track against the
// frame labels. Torch-free. Thread-safety: pure functions.
#include <cstdint>
#include <vector>

namespace spooflens::core {

/// Equal error rate (0..1) of `scores` where a HIGHER score means the
/// positive class (`positive[i]` true); e.g. detector score = logit[1] with
/// bona fide positive. Linear interpolation between the two operating points
/// around FAR = FRR. NaN when a class is empty.
double equalErrorRate(const std::vector<double>& scores, const std::vector<bool>& positive);

/// ROC-AUC (Mann-Whitney, ties count 1/2) of `scores` for `labels` (1 = positive). NaN if a class is empty.
double rocAuc(const std::vector<double>& scores, const std::vector<uint8_t>& labels);

/// Average precision (area under the step precision-recall curve, tied
/// scores form one step). NaN without positives.
double averagePrecision(const std::vector<double>& scores, const std::vector<uint8_t>& labels);

} // namespace spooflens::core
