#pragma once
// The regions where a per-frame value exceeds a threshold (frame <-> time
// arithmetic: core/audio/FrameGrid.h). Pure functions, thread-safe.
#include "core/audio/FrameGrid.h"

#include <cstdint>
#include <vector>

namespace spooflens::ui {

/// A run of consecutive frames [firstFrame, lastFrame] above the threshold;
/// in seconds it spans one hop around the frame centres:
/// [centre(first) - hop/2, centre(last) + hop/2] (XLS-R: +-0.01 s).
struct FrameRegion {
    int64_t firstFrame = 0, lastFrame = 0;
    double startSeconds = 0, endSeconds = 0;
    float peak = 0;   ///< largest value inside
};

/// Regions where values[t] > threshold.
std::vector<FrameRegion> regionsAbove(const std::vector<float>& values, double threshold,
                                      const core::FrameGrid& grid = core::FrameGrid::xlsr());

} // namespace spooflens::ui
