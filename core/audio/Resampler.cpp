#include "core/audio/Resampler.h"

#include "core/Error.h"

#include <soxr.h>

#include <algorithm>
#include <string>

namespace spooflens::core {

struct Resampler::Impl {
    soxr_t soxr = nullptr;
    int inRate = 0;
    int outRate = 0;
    int64_t consumed = 0;  // input samples fed so far
    int64_t produced = 0;  // output samples appended so far
    bool finished = false;
};

Resampler::Resampler(int inRate, int outRate) : m_impl(std::make_unique<Impl>())
{
    if (inRate <= 0 || outRate <= 0)
        throw Error("resampler: invalid sample rates " + std::to_string(inRate) + " -> " +
                    std::to_string(outRate));
    m_impl->inRate = inRate;
    m_impl->outRate = outRate;
    soxr_error_t err = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    m_impl->soxr = soxr_create(inRate, outRate, 1, &err, &io, &q, nullptr);
    if (err || !m_impl->soxr)
        throw Error(std::string("resampler: libsoxr setup failed: ") + (err ? err : "unknown error"));
}

Resampler::~Resampler()
{
    if (m_impl && m_impl->soxr)
        soxr_delete(m_impl->soxr);
}

int64_t Resampler::outputLength(int64_t inSamples, int inRate, int outRate)
{
    // round(in * out / in_rate) in integers; long double keeps 2 h at 384 kHz exact enough.
    const long double v = static_cast<long double>(inSamples) * outRate / inRate;
    return static_cast<int64_t>(v + 0.5L);
}

void Resampler::process(const float* in, size_t count, std::vector<float>& out)
{
    if (m_impl->finished)
        throw Error("resampler: process() after finish()");
    size_t offset = 0;
    while (offset < count) {
        const size_t chunk = std::min<size_t>(count - offset, 65536);
        // Output for `chunk` inputs is at most chunk * ratio plus filter slack.
        const size_t cap = static_cast<size_t>(static_cast<double>(chunk) * m_impl->outRate / m_impl->inRate) + 1024;
        const size_t base = out.size();
        out.resize(base + cap);
        size_t idone = 0, odone = 0;
        soxr_error_t err = soxr_process(m_impl->soxr, in + offset, chunk, &idone, out.data() + base, cap, &odone);
        if (err)
            throw Error(std::string("resampler: libsoxr failed: ") + err);
        out.resize(base + odone);
        m_impl->produced += static_cast<int64_t>(odone);
        m_impl->consumed += static_cast<int64_t>(idone);
        offset += idone;
        if (idone == 0 && odone == 0)
            break;  // should not happen; avoids a livelock on a misbehaving library
    }
}

void Resampler::finish(std::vector<float>& out)
{
    if (m_impl->finished)
        return;
    const int64_t want = outputLength(m_impl->consumed, m_impl->inRate, m_impl->outRate);
    for (;;) {
        const size_t cap = 4096;
        const size_t base = out.size();
        out.resize(base + cap);
        size_t odone = 0;
        soxr_error_t err = soxr_process(m_impl->soxr, nullptr, 0, nullptr, out.data() + base, cap, &odone);
        if (err)
            throw Error(std::string("resampler: libsoxr failed: ") + err);
        out.resize(base + odone);
        m_impl->produced += static_cast<int64_t>(odone);
        if (odone == 0 || m_impl->produced >= want)
            break;
    }
    // Stream length differs from the nominal one by at most a sample or two; make it exact.
    const int64_t extra = m_impl->produced - want;
    if (extra > 0)
        out.resize(out.size() - static_cast<size_t>(std::min<int64_t>(extra, static_cast<int64_t>(out.size()))));
    else if (extra < 0)
        out.resize(out.size() + static_cast<size_t>(-extra), 0.0f);
    m_impl->produced = want;
    m_impl->finished = true;
}

std::vector<float> resample(const std::vector<float>& in, int inRate, int outRate)
{
    if (inRate == outRate)
        return in;
    std::vector<float> out;
    out.reserve(static_cast<size_t>(Resampler::outputLength(static_cast<int64_t>(in.size()), inRate, outRate)) + 16);
    Resampler r(inRate, outRate);
    r.process(in.data(), in.size(), out);
    r.finish(out);
    return out;
}

} // namespace spooflens::core
