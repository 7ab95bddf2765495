#pragma once
// The regions where a per-frame value exceeds a threshold (frame <-> time
// arithmetic: core/audio/FrameGrid.h). Pure functions, thread-safe.
#include <cstdint>
#include <vector>

namespace spooflens::ui {

/// A run of consecutive frames [firstFrame, lastFrame] above the threshold;
/// in seconds it spans one hop around the frame centres:
/// [centre(first) - 0.01, centre(last) + 0.01].
struct FrameRegion {
    int64_t firstFrame = 0, lastFrame = 0;
    double startSeconds = 0, endSeconds = 0;
    float peak = 0;   ///< largest value inside
};

/// Regions where values[t] > threshold.
std::vector<FrameRegion> regionsAbove(const std::vector<float>& values, double threshold);

} // namespace spooflens::ui
