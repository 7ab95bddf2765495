#pragma once
// Remaining time of a job from its progress so far: the one ETA rule of core
// (training steps, feature-cache shards). Torch-free; pure, thread-safe.
#include <cstdint>

namespace spooflens::core {

/// Linear extrapolation: `done` of `total` units took `elapsedSeconds`, so the
/// remaining `total - done` take elapsed / done each. 0 when nothing is done
/// yet or everything is.
inline double etaSeconds(double elapsedSeconds, int64_t done, int64_t total)
{
    if (done <= 0 || total <= done)
        return 0.0;
    return elapsedSeconds / double(done) * double(total - done);
}

} // namespace spooflens::core
