#pragma once
// Multi-resolution min/max summary of a waveform, so drawing an hour-long
// file costs O(pixels), not O(samples). Level k holds the min and max of
// blocks of kBaseBlock * 4^k samples. Immutable after construction:
// thread-safe to read.
#include <cstdint>
#include <memory>
#include <vector>

namespace spooflens::ui {

class WaveformSummary {
public:
    static constexpr int64_t kBaseBlock = 16;   ///< samples per block at level 0

    /// `samples` at `sampleRate` Hz (kept alive by the shared pointer).
    WaveformSummary(std::shared_ptr<const std::vector<float>> samples, int sampleRate);

    /// What to draw for [t0, t1) seconds on `pixels` columns: either the
    /// exact samples (when fewer than ~2 samples per pixel) or one min/max
    /// pair per pixel column. Times are seconds; exact samples are at n / rate.
    struct Envelope {
        bool exact = false;
        std::vector<double> time, lo, hi;   ///< exact: lo == hi == sample value
    };
    Envelope envelope(double t0, double t1, int pixels) const;

    int sampleRate() const { return m_rate; }
    int64_t sampleCount() const { return static_cast<int64_t>(m_samples->size()); }
    double durationSeconds() const { return double(sampleCount()) / m_rate; }
    int levelCount() const { return static_cast<int>(m_levels.size()); }

private:
    struct Level {
        int64_t block;                  ///< samples per entry
        std::vector<float> mn, mx;
    };
    std::shared_ptr<const std::vector<float>> m_samples;
    int m_rate;
    std::vector<Level> m_levels;
};

} // namespace spooflens::ui
