#include "ui/tracks/Spectrogram.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace spooflens::ui {
namespace {

// FFTW's planner is not thread-safe; execution with new-array functions is.
std::mutex& plannerMutex()
{
    static std::mutex m;
    return m;
}

} // namespace

SpectrogramImage computeSpectrogram(const float* x, int64_t n, int sampleRate,
                                    const SpectrogramParams& params, double t0, double t1,
                                    int maxColumns, const std::atomic<bool>* cancel)
{
    SpectrogramImage img;
    const int64_t win = std::max<int64_t>(16, std::llround(params.windowSeconds * sampleRate));
    const int64_t hop = std::max<int64_t>(1, std::llround(params.hopSeconds * sampleRate));
    if (n < win || maxColumns <= 0 || !(t1 >= t0))
        return img;
    int fft = 16;
    while (fft < win)
        fft *= 2;
    const int bins = fft / 2 + 1;
    const int64_t totalFrames = (n - win) / hop + 1;
    // Frame f covers [f*hop, f*hop+win); its centre is (f*hop + win/2) / rate.
    const double half = double(win) / 2.0;
    int64_t f0 = static_cast<int64_t>(std::ceil((t0 * sampleRate - half) / double(hop)));
    int64_t f1 = static_cast<int64_t>(std::floor((t1 * sampleRate - half) / double(hop)));
    f0 = std::clamp<int64_t>(f0, 0, totalFrames - 1);
    f1 = std::clamp<int64_t>(f1, f0, totalFrames - 1);
    const int64_t frames = f1 - f0 + 1;
    const int group = static_cast<int>((frames + maxColumns - 1) / maxColumns);
    const int columns = static_cast<int>((frames + group - 1) / group);

    std::vector<float> window(static_cast<size_t>(win));
    double wsum = 0;
    for (int64_t i = 0; i < win; ++i) {
        window[size_t(i)] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(win)));
        wsum += window[size_t(i)];
    }
    // |X| of a full-scale sine is wsum / 2: that is 0 dB.
    const double ref = (wsum / 2.0) * (wsum / 2.0);

    float* in = fftwf_alloc_real(size_t(fft));
    fftwf_complex* out = fftwf_alloc_complex(size_t(bins));
    fftwf_plan plan;
    {
        std::lock_guard<std::mutex> lock(plannerMutex());
        plan = fftwf_plan_dft_r2c_1d(fft, in, out, FFTW_ESTIMATE);
    }
    img.columns = columns;
    img.bins = bins;
    img.framesPerColumn = group;
    img.binStep = double(sampleRate) / fft;
    img.columnStep = double(group) * hop / sampleRate;
    img.firstTime = (double(f0 * hop) + half + double(group - 1) * hop / 2.0) / sampleRate;
    img.db.assign(size_t(columns) * size_t(bins), -200.f);
    std::vector<double> power(static_cast<size_t>(bins));
    bool stopped = false;
    for (int c = 0; c < columns && !stopped; ++c) {
        if (cancel && (c & 63) == 0 && cancel->load(std::memory_order_relaxed)) {
            stopped = true;
            break;
        }
        std::fill(power.begin(), power.end(), 0.0);
        int used = 0;
        for (int g = 0; g < group; ++g) {
            const int64_t f = f0 + int64_t(c) * group + g;
            if (f > f1)
                break;
            const float* src = x + f * hop;
            for (int64_t i = 0; i < win; ++i)
                in[i] = src[i] * window[size_t(i)];
            std::fill(in + win, in + fft, 0.f);
            fftwf_execute_dft_r2c(plan, in, out);
            for (int b = 0; b < bins; ++b)
                power[size_t(b)] += double(out[b][0]) * out[b][0] + double(out[b][1]) * out[b][1];
            ++used;
        }
        float* col = img.db.data() + size_t(c) * size_t(bins);
        for (int b = 0; b < bins; ++b) {
            const double p = power[size_t(b)] / std::max(1, used) / ref;
            const float v = float(std::max(-200.0, 10.0 * std::log10(p + 1e-20)));
            col[b] = v;
            img.maxDb = std::max(img.maxDb, v);
        }
    }
    {
        std::lock_guard<std::mutex> lock(plannerMutex());
        fftwf_destroy_plan(plan);
    }
    fftwf_free(in);
    fftwf_free(out);
    if (stopped)
        return SpectrogramImage{};
    return img;
}

} // namespace spooflens::ui
