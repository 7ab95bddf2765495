#include "core/training/RawBoost.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numeric>

namespace spooflens::core {

namespace {

constexpr double kPi = 3.14159265358979323846;

double uniform(std::mt19937_64& rng, double a, double b)
{
    return std::uniform_real_distribution<double>(a, b)(rng);
}

double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    return std::sin(kPi * x) / (kPi * x);
}

double maxAbs(const std::vector<double>& x)
{
    double m = 0;
    for (double v : x)
        m = std::max(m, std::abs(v));
    return m;
}

// Divide by the peak always (`always`) or only when the peak exceeds 1.
void normWav(std::vector<double>& x, bool always)
{
    const double m = maxAbs(x);
    if (m <= 0)
        return;
    if (always || m > 1.0)
        for (double& v : x)
            v /= m;
}

std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b)
{
    std::vector<double> out(a.size() + b.size() - 1, 0.0);
    for (size_t i = 0; i < a.size(); ++i)
        for (size_t j = 0; j < b.size(); ++j)
            out[i + j] += a[i] * b[j];
    return out;
}

} // namespace

std::vector<double> firBandStop(int taps, double f1, double f2, double fs)
{
    const double nyq = fs / 2.0;
    const double l = f1 / nyq, r = f2 / nyq;
    std::vector<double> h(taps);
    const double alpha = 0.5 * (taps - 1);
    for (int n = 0; n < taps; ++n) {
        const double m = n - alpha;
        // Pass bands [0, l] and [r, 1] (ideal responses, sinc windows).
        double v = l * sinc(l * m) - 0.0;
        v += 1.0 * sinc(1.0 * m) - r * sinc(r * m);
        const double w = taps > 1 ? 0.54 - 0.46 * std::cos(2.0 * kPi * n / (taps - 1)) : 1.0;
        h[n] = v * w;
    }
    // Unit gain at DC (the first pass band starts at 0).
    const double s = std::accumulate(h.begin(), h.end(), 0.0);
    for (double& v : h)
        v /= s;
    return h;
}

std::vector<double> rawBoostNotchFilter(const RawBoostParams& p, double minG, double maxG, std::mt19937_64& rng)
{
    std::vector<double> b{1.0};
    const double fs = p.sampleRate;
    for (int i = 0; i < p.nBands; ++i) {
        const double fc = uniform(rng, p.minF, p.maxF);
        const double bw = uniform(rng, p.minBW, p.maxBW);
        int c = static_cast<int>(uniform(rng, p.minCoeff, p.maxCoeff));
        if (c % 2 == 0)
            ++c;  // odd length: a type I band-stop filter
        double f1 = fc - bw / 2, f2 = fc + bw / 2;
        if (f1 <= 0)
            f1 = 1.0 / 1000;
        if (f2 >= fs / 2)
            f2 = fs / 2 - 1.0 / 1000;
        b = convolve(firBandStop(c, f1, f2, fs), b);
    }
    const double g = uniform(rng, minG, maxG);
    // Normalise by the peak magnitude response (512 points on [0, pi), like freqz).
    double peak = 0;
    for (int k = 0; k < 512; ++k) {
        const double w = kPi * k / 512.0;
        std::complex<double> acc = 0;
        for (size_t n = 0; n < b.size(); ++n)
            acc += b[n] * std::polar(1.0, -w * double(n));
        peak = std::max(peak, std::abs(acc));
    }
    const double scale = std::pow(10.0, g / 20.0) / (peak > 0 ? peak : 1.0);
    for (double& v : b)
        v *= scale;
    return b;
}

std::vector<double> rawBoostFilterFir(const std::vector<double>& x, const std::vector<double>& b)
{
    // Causal FIR over x padded with N = len(b) + 1 zeros, then the middle
    // len(x) samples (compensates the filter delay as the reference does).
    const size_t n = b.size() + 1;
    const size_t padded = x.size() + n;
    const size_t start = n / 2;
    const size_t stop = static_cast<size_t>(double(padded) - double(n) / 2.0);
    std::vector<double> y;
    y.reserve(stop > start ? stop - start : 0);
    for (size_t i = start; i < stop; ++i) {
        double acc = 0;
        const size_t kmax = std::min(b.size() - 1, i);
        for (size_t k = 0; k <= kmax; ++k) {
            const size_t j = i - k;
            if (j < x.size())
                acc += b[k] * x[j];
        }
        y.push_back(acc);
    }
    return y;
}

std::vector<double> rawBoostLnL(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng)
{
    std::vector<double> y(x.size(), 0.0);
    double minG = p.minG, maxG = p.maxG;
    for (int i = 0; i < p.nF; ++i) {
        if (i == 1) {
            minG -= p.minBiasLinNonLin;
            maxG -= p.maxBiasLinNonLin;
        }
        const std::vector<double> b = rawBoostNotchFilter(p, minG, maxG, rng);
        std::vector<double> xp(x.size());
        for (size_t k = 0; k < x.size(); ++k)
            xp[k] = std::pow(x[k], i + 1);
        const std::vector<double> f = rawBoostFilterFir(xp, b);
        for (size_t k = 0; k < y.size() && k < f.size(); ++k)
            y[k] += f[k];
    }
    const double mean = y.empty() ? 0.0 : std::accumulate(y.begin(), y.end(), 0.0) / double(y.size());
    for (double& v : y)
        v -= mean;
    normWav(y, false);
    return y;
}

std::vector<double> rawBoostIsd(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng)
{
    const double beta = uniform(rng, 0, p.P);
    std::vector<double> y = x;
    const size_t n = static_cast<size_t>(double(x.size()) * (beta / 100.0));
    std::vector<size_t> perm(x.size());
    std::iota(perm.begin(), perm.end(), size_t(0));
    std::shuffle(perm.begin(), perm.end(), rng);
    for (size_t i = 0; i < n; ++i) {
        const size_t k = perm[i];
        const double fr = (2 * uniform(rng, 0, 1) - 1) * (2 * uniform(rng, 0, 1) - 1);
        y[k] = x[k] + p.gSd * x[k] * fr;
    }
    normWav(y, false);
    return y;
}

std::vector<double> rawBoostSsi(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng)
{
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> noise(x.size());
    for (double& v : noise)
        v = normal(rng);
    const std::vector<double> b = rawBoostNotchFilter(p, p.minG, p.maxG, rng);
    noise = rawBoostFilterFir(noise, b);
    normWav(noise, true);
    const double snr = uniform(rng, p.snrMin, p.snrMax);
    auto norm2 = [](const std::vector<double>& v) {
        double s = 0;
        for (double e : v)
            s += e * e;
        return std::sqrt(s);
    };
    const double nn = norm2(noise), nx = norm2(x);
    const double scale = nn > 0 ? nx / nn / std::pow(10.0, 0.05 * snr) : 0.0;
    std::vector<double> y = x;
    for (size_t k = 0; k < y.size() && k < noise.size(); ++k)
        y[k] += noise[k] * scale;
    return y;
}

std::vector<float> rawBoost(const std::vector<float>& x, int algo, std::mt19937_64& rng, const RawBoostParams& p)
{
    if (algo < 0 || algo > 8)
        throw ConfigError("RawBoost algorithm must be 0..8, got " + std::to_string(algo));
    if (algo == 0)
        return x;
    std::vector<double> y(x.begin(), x.end());
    switch (algo) {
    case 1: y = rawBoostLnL(y, p, rng); break;
    case 2: y = rawBoostIsd(y, p, rng); break;
    case 3: y = rawBoostSsi(y, p, rng); break;
    case 4:
        y = rawBoostLnL(y, p, rng);
        y = rawBoostIsd(y, p, rng);
        y = rawBoostSsi(y, p, rng);
        break;
    case 5:
        y = rawBoostLnL(y, p, rng);
        y = rawBoostIsd(y, p, rng);
        break;
    case 6:
        y = rawBoostLnL(y, p, rng);
        y = rawBoostSsi(y, p, rng);
        break;
    case 7:
        y = rawBoostIsd(y, p, rng);
        y = rawBoostSsi(y, p, rng);
        break;
    case 8: {
        const std::vector<double> a = rawBoostLnL(y, p, rng);
        const std::vector<double> b = rawBoostIsd(y, p, rng);
        for (size_t k = 0; k < y.size(); ++k)
            y[k] = a[k] + b[k];
        normWav(y, false);
        break;
    }
    default: break;
    }
    return std::vector<float>(y.begin(), y.end());
}

} // namespace spooflens::core
