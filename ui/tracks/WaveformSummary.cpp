#include "ui/tracks/WaveformSummary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spooflens::ui {

WaveformSummary::WaveformSummary(std::shared_ptr<const std::vector<float>> samples, int sampleRate)
    : m_samples(std::move(samples)), m_rate(std::max(1, sampleRate))
{
    const auto& x = *m_samples;
    const int64_t n = static_cast<int64_t>(x.size());
    // Level 0 from the samples, each further level from the one below (x4).
    Level base{kBaseBlock, {}, {}};
    const int64_t nb = (n + kBaseBlock - 1) / kBaseBlock;
    base.mn.resize(static_cast<size_t>(nb));
    base.mx.resize(static_cast<size_t>(nb));
    for (int64_t b = 0; b < nb; ++b) {
        const int64_t s0 = b * kBaseBlock, s1 = std::min(n, s0 + kBaseBlock);
        float lo = x[size_t(s0)], hi = lo;
        for (int64_t s = s0 + 1; s < s1; ++s) {
            lo = std::min(lo, x[size_t(s)]);
            hi = std::max(hi, x[size_t(s)]);
        }
        base.mn[size_t(b)] = lo;
        base.mx[size_t(b)] = hi;
    }
    m_levels.push_back(std::move(base));
    while (m_levels.back().mn.size() > 64) {
        const Level& prev = m_levels.back();
        Level next{prev.block * 4, {}, {}};
        const size_t pn = prev.mn.size(), cn = (pn + 3) / 4;
        next.mn.resize(cn);
        next.mx.resize(cn);
        for (size_t c = 0; c < cn; ++c) {
            const size_t p0 = c * 4, p1 = std::min(pn, p0 + 4);
            float lo = prev.mn[p0], hi = prev.mx[p0];
            for (size_t p = p0 + 1; p < p1; ++p) {
                lo = std::min(lo, prev.mn[p]);
                hi = std::max(hi, prev.mx[p]);
            }
            next.mn[c] = lo;
            next.mx[c] = hi;
        }
        m_levels.push_back(std::move(next));
    }
}

WaveformSummary::Envelope WaveformSummary::envelope(double t0, double t1, int pixels) const
{
    Envelope env;
    const auto& x = *m_samples;
    const int64_t n = static_cast<int64_t>(x.size());
    if (n == 0 || pixels <= 0 || !(t1 > t0))
        return env;
    const int64_t s0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(t0 * m_rate)), 0, n - 1);
    const int64_t s1 = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(t1 * m_rate)) + 1, s0 + 1, n);
    const double perPixel = double(s1 - s0) / pixels;

    if (perPixel <= 2.0) {
        env.exact = true;
        const size_t count = size_t(s1 - s0);
        env.time.resize(count);
        env.lo.resize(count);
        for (size_t i = 0; i < count; ++i) {
            env.time[i] = double(s0 + int64_t(i)) / m_rate;
            env.lo[i] = x[size_t(s0) + i];
        }
        env.hi = env.lo;
        return env;
    }

    // Coarsest level whose blocks are still at most half a pixel wide; below
    // kBaseBlock samples per pixel read the samples themselves.
    int level = -1;
    for (int k = 0; k < levelCount(); ++k)
        if (double(m_levels[size_t(k)].block) * 2.0 <= perPixel)
            level = k;

    env.time.reserve(size_t(pixels));
    env.lo.reserve(size_t(pixels));
    env.hi.reserve(size_t(pixels));
    for (int p = 0; p < pixels; ++p) {
        const int64_t a = s0 + static_cast<int64_t>(std::floor(p * perPixel));
        const int64_t b = std::min(s1, s0 + static_cast<int64_t>(std::floor((p + 1) * perPixel)));
        if (b <= a)
            continue;
        float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
        if (level < 0) {
            for (int64_t s = a; s < b; ++s) {
                lo = std::min(lo, x[size_t(s)]);
                hi = std::max(hi, x[size_t(s)]);
            }
        } else {
            const Level& L = m_levels[size_t(level)];
            // Partial blocks at the edges are included whole: at most one
            // block (< half a pixel) of overlap with the neighbour column.
            const int64_t b0 = a / L.block, b1 = std::min<int64_t>((b - 1) / L.block, int64_t(L.mn.size()) - 1);
            for (int64_t k = b0; k <= b1; ++k) {
                lo = std::min(lo, L.mn[size_t(k)]);
                hi = std::max(hi, L.mx[size_t(k)]);
            }
        }
        env.time.push_back((double(a) + double(b)) * 0.5 / m_rate);
        env.lo.push_back(lo);
        env.hi.push_back(hi);
    }
    return env;
}

} // namespace spooflens::ui
