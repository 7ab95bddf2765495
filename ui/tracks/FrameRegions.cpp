#include "ui/tracks/FrameRegions.h"

#include "core/audio/FrameGrid.h"

#include <algorithm>

namespace spooflens::ui {

std::vector<FrameRegion> regionsAbove(const std::vector<float>& values, double threshold, const core::FrameGrid& grid)
{
    std::vector<FrameRegion> out;
    const double halfHop = grid.hopSeconds() / 2.0;
    const int64_t n = static_cast<int64_t>(values.size());
    for (int64_t t = 0; t < n;) {
        if (!(values[size_t(t)] > threshold)) {
            ++t;
            continue;
        }
        FrameRegion r;
        r.firstFrame = t;
        r.peak = values[size_t(t)];
        while (t < n && values[size_t(t)] > threshold) {
            r.peak = std::max(r.peak, values[size_t(t)]);
            ++t;
        }
        r.lastFrame = t - 1;
        r.startSeconds = std::max(0.0, grid.centreSeconds(r.firstFrame) - halfHop);
        r.endSeconds = grid.centreSeconds(r.lastFrame) + halfHop;
        out.push_back(r);
    }
    return out;
}

} // namespace spooflens::ui
