#pragma once
// Log-magnitude short-time Fourier transform for display (FFTW, float).
// Pure function of its inputs: thread-safe (FFTW planning is serialised
// internally), meant to run on a worker thread.
#include <atomic>
#include <cstdint>
#include <vector>

namespace spooflens::ui {

struct SpectrogramParams {
    double windowSeconds = 0.025;  ///< Hann window length (25 ms = 400 samples at 16 kHz)
    double hopSeconds = 0.010;     ///< hop between frames (10 ms)
};

/// Column-major dB image: value(c, b) = db[c * bins + b].
struct SpectrogramImage {
    double firstTime = 0;    ///< centre of column 0 (s)
    double columnStep = 0;   ///< seconds between column centres
    double binStep = 0;      ///< Hz between bins; bin b is at b * binStep
    int columns = 0;
    int bins = 0;
    int framesPerColumn = 1; ///< STFT frames averaged (in power) into one column
    float maxDb = -200.f;    ///< largest value (dB re full-scale sine)
    std::vector<float> db;
    bool empty() const { return columns == 0; }
};

/// STFT of x[0..n) at `sampleRate` Hz for frames whose centres fall in
/// [t0, t1] seconds. When that range holds more than `maxColumns` frames,
/// consecutive frames are averaged (in power) so at most `maxColumns` remain.
/// Returns an empty image if `cancel` becomes true. dB are relative to a
/// full-scale sine (0 dB), floored at -200 dB.
SpectrogramImage computeSpectrogram(const float* x, int64_t n, int sampleRate,
                                    const SpectrogramParams& params, double t0, double t1,
                                    int maxColumns, const std::atomic<bool>* cancel = nullptr);

} // namespace spooflens::ui
