#pragma once
// Remaining time of a job from its progress so far: the one ETA rule of core
// (training steps, feature-cache shards), and the one way core prints a
// duration. Torch-free; pure, thread-safe.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

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

/// Seconds since `t0` on the steady clock.
inline double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// "m:ss" or "h:mm:ss", rounded to the second; negative or non-finite reads "0:00".
inline std::string formatDuration(double s)
{
    if (!std::isfinite(s) || s < 0)
        s = 0;
    const long long t = static_cast<long long>(s + 0.5);
    const auto two = [](long long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
    if (t >= 3600)
        return std::to_string(t / 3600) + ":" + two((t / 60) % 60) + ":" + two(t % 60);
    return std::to_string(t / 60) + ":" + two(t % 60);
}

} // namespace spooflens::core
