#pragma once
// Agreement between two importance tracks of the same utterance. Pure
// functions, thread-safe.
#include <cstddef>
#include <vector>

namespace spooflens::ui {

/// Spearman rank correlation of a and b (average ranks for ties); NaN when
/// the lengths differ, fewer than 2 values, or one side is constant.
double spearman(const std::vector<float>& a, const std::vector<float>& b);

/// |top_k(a) ∩ top_k(b)| / k for the k frames with the largest values
/// (k clamped to the length); NaN when the lengths differ or are 0.
double topKOverlap(const std::vector<float>& a, const std::vector<float>& b, size_t k);

/// k used by the GUI: 10 % of the frames, at least 1.
size_t defaultTopK(size_t frames);

} // namespace spooflens::ui
