#pragma once
// Agreement between two importance tracks w_A(t), w_B(t) of the same
// utterance (comparing prototype modes). Torch-free, thread-safe.
#include <cstdint>
#include <vector>

namespace spooflens::core {

/// Spearman rank correlation (average ranks for ties; 0 when a track is constant
/// or the lengths differ / are < 2).
double spearmanCorrelation(const std::vector<float>& a, const std::vector<float>& b);

/// Indices of the k largest values (ties broken by the lower index).
std::vector<int64_t> topKFrames(const std::vector<float>& w, int64_t k);

/// |topK(a) ∩ topK(b)| / k, k clipped to the track length (0 for empty tracks).
double topKOverlap(const std::vector<float>& a, const std::vector<float>& b, int64_t k);

} // namespace spooflens::core
