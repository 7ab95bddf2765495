#pragma once
// Streaming sample-rate conversion of mono float32 audio with libsoxr (high
// quality, SOXR_HQ). Torch-free and Qt-free. One Resampler per stream; not
// thread-safe (use one per thread), distinct instances are independent.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace spooflens::core {

class Resampler {
public:
    /// Converts from `inRate` to `outRate` (Hz, both > 0). Throws Error when
    /// libsoxr cannot be set up.
    Resampler(int inRate, int outRate);
    ~Resampler();
    Resampler(const Resampler&) = delete;
    Resampler& operator=(const Resampler&) = delete;

    /// Feeds `count` input samples and appends the output produced so far to `out`.
    void process(const float* in, size_t count, std::vector<float>& out);
    /// Flushes the filter delay line into `out`. Call once, after the last process().
    void finish(std::vector<float>& out);

    /// Output length for `inSamples` input samples: round(inSamples * outRate / inRate).
    /// finish() pads or trims the stream to exactly this many samples in total.
    static int64_t outputLength(int64_t inSamples, int inRate, int outRate);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// One-shot convenience: `in` at `inRate` -> `outRate`, length outputLength().
std::vector<float> resample(const std::vector<float>& in, int inRate, int outRate);

} // namespace spooflens::core
