#pragma once
// The SSL frame grid (docs/detector.md §1): the one place that knows the
// model's sample rate, hop and receptive field, and converts between frames,
// samples and seconds. Torch-free, Qt-free; pure functions, thread-safe.
#include <cmath>
#include <cstdint>

namespace spooflens::core {

constexpr int kSampleRate = 16000;    ///< model input rate (Hz)
constexpr int kHopSamples = 320;      ///< SSL frame hop (20 ms at 16 kHz)
constexpr int kWindowSamples = 400;   ///< SSL receptive field (25 ms at 16 kHz)

/// Frames the SSL encoder produces for `samples` 16 kHz samples:
/// T = floor((N - 400) / 320) + 1 for N >= 400, else 0.
inline int64_t frameCount(int64_t samples)
{
    return samples < kWindowSamples ? 0 : (samples - kWindowSamples) / kHopSamples + 1;
}

/// Centre of frame t in seconds: (320 t + 200) / 16000. Frame t covers
/// samples [320 t, 320 t + 400).
inline double frameCentreSeconds(int64_t t)
{
    return (static_cast<double>(kHopSamples) * static_cast<double>(t) + kWindowSamples / 2.0) / kSampleRate;
}

/// The frame whose centre is nearest to `seconds`: round((16000 s - 200) / 320).
/// Not clamped: the result may be negative or >= T; callers check the range.
/// `seconds` must be finite.
inline int64_t frameAt(double seconds)
{
    return static_cast<int64_t>(
        std::lround((seconds * kSampleRate - kWindowSamples / 2.0) / static_cast<double>(kHopSamples)));
}

} // namespace spooflens::core
