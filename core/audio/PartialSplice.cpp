#include "core/audio/PartialSplice.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace spooflens::core {

double SplicedSegment::startSeconds() const { return double(start) / kSampleRate; }
double SplicedSegment::endSeconds() const { return double(end) / kSampleRate; }

namespace {

constexpr double kPi = 3.14159265358979323846;

// Our own mapping from the engine's 64-bit words (std:: distributions are
// implementation-defined, which would make a set depend on the compiler).
class Draw {
public:
    Draw(uint64_t seed, uint64_t index)
    {
        uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        m_rng.seed(z ^ (z >> 31));
    }
    double real() { return double(m_rng() >> 11) * 0x1.0p-53; }  // [0, 1)
    int64_t integer(int64_t lo, int64_t hi)                       // [lo, hi]
    {
        if (hi <= lo)
            return lo;
        return lo + int64_t(m_rng() % uint64_t(hi - lo + 1));
    }

private:
    std::mt19937_64 m_rng;
};

double rms(const float* x, int64_t n)
{
    if (n <= 0)
        return 0;
    double s = 0;
    for (int64_t i = 0; i < n; ++i)
        s += double(x[i]) * double(x[i]);
    return std::sqrt(s / double(n));
}

int64_t toSamples(double seconds) { return int64_t(std::llround(seconds * kSampleRate)); }

} // namespace

double activeSpeechRms(const std::vector<float>& x)
{
    constexpr int64_t kBlock = kSampleRate / 50;  // 20 ms
    std::vector<double> energy;
    for (int64_t b = 0; b < int64_t(x.size()); b += kBlock) {
        const int64_t n = std::min<int64_t>(kBlock, int64_t(x.size()) - b);
        const double r = rms(x.data() + b, n);
        energy.push_back(r * r);
    }
    if (energy.empty())
        return 0;
    const double peak = *std::max_element(energy.begin(), energy.end());
    if (peak <= 0)
        return 0;
    const double floorEnergy = peak * 1e-4;  // -40 dB
    double sum = 0;
    int64_t count = 0;
    for (double e : energy)
        if (e >= floorEnergy) {
            sum += e;
            ++count;
        }
    return std::sqrt(sum / double(count));
}

SplicedUtterance splicePartial(const std::vector<float>& bonafide,
                               const std::vector<std::vector<float>>& spoofSources,
                               const PartialSpliceOptions& o, uint64_t utteranceIndex)
{
    if (o.minSegments < 1 || o.maxSegments < o.minSegments || o.maxSegments > 16)
        throw ConfigError("make-partial: --segments must be 1 <= min <= max <= 16, got "
                          + std::to_string(o.minSegments) + "-" + std::to_string(o.maxSegments));
    if (!(o.minSeconds > 0) || !(o.maxSeconds >= o.minSeconds))
        throw ConfigError("make-partial: need 0 < --min-s <= --max-s");
    if (!(o.crossfadeSeconds >= 0) || o.crossfadeSeconds > o.minSeconds || !(o.marginSeconds >= 0))
        throw ConfigError("make-partial: the crossfade must lie in [0, --min-s] and the margin be >= 0");
    if (spoofSources.empty())
        throw ConfigError("make-partial: no spoof sources");

    Draw draw(o.seed, utteranceIndex);
    const int64_t n = int64_t(bonafide.size());
    const int64_t fade = toSamples(o.crossfadeSeconds) / 2 * 2;  // even: half before, half after
    const int64_t half = fade / 2;
    const int64_t margin = std::max(toSamples(o.marginSeconds), fade);
    const int64_t minLen = std::max<int64_t>(toSamples(o.minSeconds), std::max<int64_t>(fade, 1));
    const int64_t maxLen = std::max(minLen, toSamples(o.maxSeconds));

    int count = int(draw.integer(o.minSegments, o.maxSegments));
    std::vector<int64_t> lengths;
    std::vector<int> sources;
    for (int i = 0; i < count; ++i) {
        const int src = int(draw.integer(0, int64_t(spoofSources.size()) - 1));
        const int64_t available = int64_t(spoofSources[size_t(src)].size()) - fade;
        if (available < minLen)
            throw AudioError("spoof source #" + std::to_string(src + 1) + " (" +
                             std::to_string(spoofSources[size_t(src)].size()) +
                             " samples) is shorter than --min-s plus the crossfade");
        int64_t len = minLen + int64_t(std::llround(draw.real() * double(maxLen - minLen)));
        lengths.push_back(std::min(len, available));
        sources.push_back(src);
    }
    auto needed = [&] {
        int64_t s = margin * int64_t(lengths.size() + 1);
        for (int64_t l : lengths)
            s += l;
        return s;
    };
    while (lengths.size() > 1 && needed() > n) {
        lengths.pop_back();
        sources.pop_back();
    }
    if (needed() > n) {
        lengths[0] = n - 2 * margin;
        if (lengths[0] < minLen)
            throw AudioError("the bona fide utterance (" + std::to_string(n) + " samples) is too short for a "
                             "segment of --min-s plus margins of " + std::to_string(o.marginSeconds) + " s");
    }
    count = int(lengths.size());

    // Uniform non-overlapping placement: sorted offsets into the free time.
    const int64_t freeTime = n - needed();
    std::vector<int64_t> offsets;
    for (int i = 0; i < count; ++i)
        offsets.push_back(draw.integer(0, freeTime));
    std::sort(offsets.begin(), offsets.end());

    SplicedUtterance out;
    out.samples = bonafide;
    const double bonaRms = activeSpeechRms(bonafide);
    int64_t cursor = 0;
    for (int i = 0; i < count; ++i) {
        const auto& src = spoofSources[size_t(sources[size_t(i)])];
        SplicedSegment seg;
        seg.start = cursor + margin + offsets[size_t(i)] - (i > 0 ? offsets[size_t(i) - 1] : 0);
        seg.end = seg.start + lengths[size_t(i)];
        cursor = seg.end;
        seg.spoofIndex = sources[size_t(i)];
        // Excerpt covers [start - half, end + half): the best of 4 draws by RMS
        // so that a segment rarely lands on the source's leading silence.
        const int64_t excerptLen = lengths[size_t(i)] + fade;
        const int64_t maxOff = int64_t(src.size()) - excerptLen;
        int64_t best = 0;
        double bestRms = -1;
        for (int k = 0; k < 4; ++k) {
            const int64_t off = draw.integer(0, maxOff);
            const double r = rms(src.data() + off, excerptLen);
            if (r > bestRms) {
                bestRms = r;
                best = off;
            }
        }
        seg.sourceStart = best + half;
        const double srcRms = activeSpeechRms(src);
        seg.gain = (srcRms > 0 && bonaRms > 0) ? std::clamp(bonaRms / srcRms, 0.1, 10.0) : 1.0;
        for (int64_t t = seg.start - half; t < seg.end + half; ++t) {
            double w = 1;
            if (fade > 0 && t < seg.start + half)
                w = 0.5 - 0.5 * std::cos(kPi * (double(t - (seg.start - half)) + 0.5) / double(fade));
            else if (fade > 0 && t >= seg.end - half)
                w = 0.5 + 0.5 * std::cos(kPi * (double(t - (seg.end - half)) + 0.5) / double(fade));
            const double s = double(src[size_t(best + (t - (seg.start - half)))]) * seg.gain;
            out.samples[size_t(t)] = float((1 - w) * double(bonafide[size_t(t)]) + w * s);
        }
        out.segments.push_back(seg);
    }
    return out;
}

} // namespace spooflens::core
