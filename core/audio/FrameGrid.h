#pragma once
// The detector's frame grid (docs/detector.md §1, docs/aasist.md): frame t
// covers samples [offset + t hop, offset + t hop + window) of the 16 kHz input.
// It is a property of the detector (DetectorInfo::grid) and is carried by every
// explanation; every consumer (Stage 2, explainers, ground-truth framing,
// metrics, exports, tracks) converts frames, samples and seconds through it.
// Torch-free, Qt-free; plain value, thread-safe.
#include <cmath>
#include <cstdint>

namespace spooflens::core {

constexpr int kSampleRate = 16000;  ///< model input rate (Hz)

struct FrameGrid {
    int64_t hop = 320;     ///< samples between frame starts
    int64_t window = 400;  ///< samples one frame covers
    int64_t offset = 0;    ///< start of frame 0

    /// XLS-R / wav2vec 2.0: 20 ms hop, 25 ms receptive field.
    static constexpr FrameGrid xlsr() { return FrameGrid{320, 400, 0}; }
    /// AASIST: e_T node t pools conv outputs [2187 t, 2187 (t + 1)) of the
    /// 129-tap sinc bank (seven max-poolings by 3): 136.7 ms hop.
    static constexpr FrameGrid aasist() { return FrameGrid{2187, 2187 + 128, 0}; }

    /// Frames for `samples` inputs: floor((N - offset - window) / hop) + 1, or 0.
    int64_t count(int64_t samples) const
    {
        const int64_t n = samples - offset;
        return n < window ? 0 : (n - window) / hop + 1;
    }
    int64_t startSample(int64_t t) const { return offset + t * hop; }
    double hopSeconds() const { return double(hop) / kSampleRate; }
    double windowSeconds() const { return double(window) / kSampleRate; }
    /// Centre of frame t in seconds: (offset + hop t + window / 2) / 16000.
    double centreSeconds(int64_t t) const
    {
        return (double(offset) + double(hop) * double(t) + double(window) / 2.0) / kSampleRate;
    }
    /// The frame whose centre is nearest to `seconds` (finite). Not clamped:
    /// the result may be negative or >= T; callers check the range.
    int64_t frameAt(double seconds) const
    {
        return static_cast<int64_t>(
            std::lround((seconds * kSampleRate - double(offset) - double(window) / 2.0) / double(hop)));
    }
    bool operator==(const FrameGrid& o) const { return hop == o.hop && window == o.window && offset == o.offset; }
    bool operator!=(const FrameGrid& o) const { return !(*this == o); }
};

} // namespace spooflens::core
