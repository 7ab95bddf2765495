#include "core/explain/Metrics.h"

#include "core/Error.h"
#include "core/explain/Attribution.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace spooflens::core {

namespace {

void checkSizes(size_t a, size_t b, const char* what)
{
    if (a != b)
        throw ConfigError(std::string(what) + ": " + std::to_string(a) + " values but " + std::to_string(b) + " labels");
}

// Indices sorted by score ascending (stable).
std::vector<size_t> ascending(const std::vector<double>& s)
{
    std::vector<size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return s[a] < s[b]; });
    return idx;
}

std::vector<double> toDouble(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

/// A NaN score has no rank: a metric over it is NaN (and sorting it would
/// break the ordering that the tie loops below rely on).
template <typename T>
bool anyNaN(const std::vector<T>& s)
{
    return std::any_of(s.begin(), s.end(), [](T v) { return std::isnan(v); });
}

} // namespace

double rocAuc(const std::vector<double>& scores, const std::vector<uint8_t>& positive)
{
    checkSizes(scores.size(), positive.size(), "rocAuc");
    if (anyNaN(scores))
        return kNaN;
    const auto idx = ascending(scores);
    double pos = 0, neg = 0, rankSum = 0;
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j < idx.size() && scores[idx[j]] == scores[idx[i]])
            ++j;
        const double rank = 0.5 * double(i + 1 + j);  // average of ranks i+1 .. j
        for (size_t k = i; k < j; ++k) {
            if (positive[idx[k]]) {
                rankSum += rank;
                ++pos;
            } else {
                ++neg;
            }
        }
        i = j;
    }
    if (pos == 0 || neg == 0)
        return kNaN;
    return (rankSum - pos * (pos + 1) / 2) / (pos * neg);
}

double equalErrorRate(const std::vector<double>& scores, const std::vector<uint8_t>& positive)
{
    checkSizes(scores.size(), positive.size(), "equalErrorRate");
    if (anyNaN(scores))
        return kNaN;
    const auto idx = ascending(scores);
    double pos = 0, neg = 0;
    for (uint8_t p : positive)
        (p ? pos : neg) += 1;
    if (pos == 0 || neg == 0)
        return kNaN;
    // tau = the i-th distinct score: everything before it is rejected.
    double posBelow = 0, negBelow = 0;
    double best = std::numeric_limits<double>::infinity(), eer = kNaN;
    for (size_t i = 0; i <= idx.size();) {
        const double miss = posBelow / pos;
        const double fa = (neg - negBelow) / neg;
        if (std::fabs(miss - fa) < best) {
            best = std::fabs(miss - fa);
            eer = 0.5 * (miss + fa);
        }
        if (i == idx.size())
            break;
        size_t j = i;
        while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
            (positive[idx[j]] ? posBelow : negBelow) += 1;
            ++j;
        }
        i = j;
    }
    return eer;
}

double equalErrorRate(const std::vector<double>& positiveScores, const std::vector<double>& negativeScores)
{
    std::vector<double> s(positiveScores);
    s.insert(s.end(), negativeScores.begin(), negativeScores.end());
    std::vector<uint8_t> l(positiveScores.size(), 1);
    l.resize(s.size(), 0);
    return equalErrorRate(s, l);
}

double averagePrecision(const std::vector<double>& scores, const std::vector<uint8_t>& positive)
{
    checkSizes(scores.size(), positive.size(), "averagePrecision");
    if (anyNaN(scores))
        return kNaN;
    auto idx = ascending(scores);
    std::reverse(idx.begin(), idx.end());
    double pos = 0;
    for (uint8_t p : positive)
        pos += p ? 1 : 0;
    if (pos == 0)
        return kNaN;
    double tp = 0, fp = 0, prevRecall = 0, ap = 0;
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
            (positive[idx[j]] ? tp : fp) += 1;
            ++j;
        }
        const double recall = tp / pos;
        ap += (recall - prevRecall) * (tp / (tp + fp));
        prevRecall = recall;
        i = j;
    }
    return ap;
}

std::vector<RocPoint> rocCurve(const std::vector<double>& scores, const std::vector<uint8_t>& positive)
{
    checkSizes(scores.size(), positive.size(), "rocCurve");
    if (anyNaN(scores))
        return {};
    auto idx = ascending(scores);
    std::reverse(idx.begin(), idx.end());
    double pos = 0, neg = 0;
    for (uint8_t p : positive)
        (p ? pos : neg) += 1;
    if (pos == 0 || neg == 0)
        return {};
    std::vector<RocPoint> out{{0, 0}};
    double tp = 0, fp = 0;
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
            (positive[idx[j]] ? tp : fp) += 1;
            ++j;
        }
        out.push_back({fp / neg, tp / pos});
        i = j;
    }
    return out;
}

double pointingGame(const std::vector<float>& a, const std::vector<uint8_t>& spoof)
{
    checkSizes(a.size(), spoof.size(), "pointingGame");
    if (a.empty() || std::none_of(spoof.begin(), spoof.end(), [](uint8_t s) { return s != 0; }))
        return kNaN;
    const auto order = attributionOrder(a);
    return spoof[size_t(order.front())] ? 1.0 : 0.0;
}

double relevanceMass(const std::vector<float>& a, const std::vector<uint8_t>& spoof)
{
    checkSizes(a.size(), spoof.size(), "relevanceMass");
    if (std::none_of(spoof.begin(), spoof.end(), [](uint8_t s) { return s != 0; }))
        return kNaN;
    double inside = 0, total = 0;
    for (size_t t = 0; t < a.size(); ++t) {
        const double v = std::isfinite(a[t]) ? std::max(0.0, double(a[t])) : 0.0;
        total += v;
        if (spoof[t])
            inside += v;
    }
    return total > 0 ? inside / total : kNaN;
}

double iouTopK(const std::vector<float>& a, const std::vector<uint8_t>& spoof)
{
    checkSizes(a.size(), spoof.size(), "iouTopK");
    const auto k = size_t(std::count_if(spoof.begin(), spoof.end(), [](uint8_t s) { return s != 0; }));
    if (k == 0)
        return kNaN;
    const auto order = attributionOrder(a);
    size_t inter = 0;
    for (size_t i = 0; i < k; ++i)
        inter += spoof[size_t(order[i])] ? 1 : 0;
    return double(inter) / double(2 * k - inter);
}

std::vector<double> minMaxNormalised(const std::vector<float>& a)
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (float v : a)
        if (std::isfinite(v)) {
            lo = std::min(lo, double(v));
            hi = std::max(hi, double(v));
        }
    if (!(hi > lo))
        return {};
    std::vector<double> out(a.size());
    for (size_t t = 0; t < a.size(); ++t)
        out[t] = std::isfinite(a[t]) ? (double(a[t]) - lo) / (hi - lo) : kNaN;
    return out;
}

FrameDecisionMetrics frameDecisionMetrics(const std::vector<float>& a, const std::vector<uint8_t>& spoof,
                                          double threshold)
{
    checkSizes(a.size(), spoof.size(), "frameDecisionMetrics");
    FrameDecisionMetrics m;
    const std::vector<double> n = minMaxNormalised(a);
    if (n.empty())
        return m;
    double tp = 0, fp = 0, fn = 0;
    for (size_t t = 0; t < n.size(); ++t) {
        const bool decided = n[t] >= threshold;  // NaN: not decided
        if (decided && spoof[t])
            ++tp;
        else if (decided)
            ++fp;
        else if (spoof[t])
            ++fn;
    }
    if (tp + fp > 0)
        m.precision = tp / (tp + fp);
    if (tp + fn > 0)
        m.recall = tp / (tp + fn);
    if (2 * tp + fp + fn > 0)
        m.f1 = 2 * tp / (2 * tp + fp + fn);
    return m;
}

LocalisationMetrics localisationMetrics(const std::vector<float>& a, const std::vector<uint8_t>& spoof)
{
    checkSizes(a.size(), spoof.size(), "localisationMetrics");
    LocalisationMetrics m;
    const auto k = size_t(std::count_if(spoof.begin(), spoof.end(), [](uint8_t s) { return s != 0; }));
    if (k == 0 || k == spoof.size())
        return m;
    const auto d = toDouble(a);
    m.frameAuc = rocAuc(d, spoof);
    m.frameEer = equalErrorRate(d, spoof);
    m.ap = averagePrecision(d, spoof);
    m.pointingGame = pointingGame(a, spoof);
    m.relevanceMass = relevanceMass(a, spoof);
    m.iouTopK = iouTopK(a, spoof);
    const FrameDecisionMetrics f = frameDecisionMetrics(a, spoof);
    m.frameF1 = f.f1;
    m.framePrecision = f.precision;
    m.frameRecall = f.recall;
    return m;
}

const std::vector<int>& segmentResolutionsMs()
{
    static const std::vector<int> r = {20, 40, 80, 160, 320, 640};
    return r;
}

void poolSegments(const std::vector<float>& a, const std::vector<uint8_t>& spoof, int g,
                  std::vector<double>& scoresOut, std::vector<uint8_t>& labelsOut)
{
    checkSizes(a.size(), spoof.size(), "poolSegments");
    if (g < 1)
        throw ConfigError("poolSegments: segment length must be at least one frame");
    for (size_t s = 0; s < a.size(); s += size_t(g)) {
        const size_t e = std::min(a.size(), s + size_t(g));
        double best = -std::numeric_limits<double>::infinity();
        uint8_t label = 0;
        for (size_t t = s; t < e; ++t) {
            if (std::isfinite(a[t]))
                best = std::max(best, double(a[t]));
            label = std::max<uint8_t>(label, spoof[t] ? 1 : 0);
        }
        scoresOut.push_back(best);
        labelsOut.push_back(label);
    }
}

void poolSegmentsOnGrid(const std::vector<float>& a, const std::vector<uint8_t>& spoof, const FrameGrid& grid,
                        int64_t r, std::vector<double>& scoresOut, std::vector<uint8_t>& labelsOut)
{
    checkSizes(a.size(), spoof.size(), "poolSegmentsOnGrid");
    if (r < 1 || grid.hop < 1)
        throw ConfigError("poolSegmentsOnGrid: segment and hop must be at least one sample");
    const int64_t frames = int64_t(a.size());
    const int64_t span = frames * grid.hop;  // the frames' hop cells, from the grid's offset
    for (int64_t lo = 0; lo < span; lo += r) {
        const int64_t first = lo / grid.hop, last = std::min(frames - 1, (std::min(span, lo + r) - 1) / grid.hop);
        double best = -std::numeric_limits<double>::infinity();
        uint8_t label = 0;
        for (int64_t t = first; t <= last; ++t) {
            if (std::isfinite(a[size_t(t)]))
                best = std::max(best, double(a[size_t(t)]));
            label = std::max<uint8_t>(label, spoof[size_t(t)] ? 1 : 0);
        }
        scoresOut.push_back(best);
        labelsOut.push_back(label);
    }
}

std::vector<uint8_t> segmentLabelsFromTime(const std::vector<std::pair<double, double>>& spoofSeconds,
                                           int64_t samples, int64_t r)
{
    if (r < 1)
        throw ConfigError("segmentLabelsFromTime: segment length must be at least one sample");
    const int64_t n = samples <= 0 ? 0 : (samples + r - 1) / r;
    std::vector<uint8_t> out(size_t(n), 0);
    for (const auto& [a, b] : spoofSeconds) {
        const int64_t lo = std::max<int64_t>(0, std::llround(a * kSampleRate / double(r)));
        const int64_t hi = std::min<int64_t>(n, std::llround(b * kSampleRate / double(r)));
        for (int64_t j = lo; j < hi; ++j)
            out[size_t(j)] = 1;
    }
    return out;
}

namespace {

// Length of [a, b) ∩ the union of sorted, disjoint intervals.
double overlap(double a, double b, const std::vector<std::pair<double, double>>& iv)
{
    double s = 0;
    for (const auto& [x, y] : iv)
        s += std::max(0.0, std::min(b, y) - std::max(a, x));
    return s;
}

std::vector<std::pair<double, double>> clippedUnion(const std::vector<std::pair<double, double>>& in, double end)
{
    std::vector<std::pair<double, double>> iv;
    for (auto [a, b] : in) {
        a = std::max(0.0, a);
        b = std::min(end, b);
        if (b > a)
            iv.emplace_back(a, b);
    }
    std::sort(iv.begin(), iv.end());
    std::vector<std::pair<double, double>> out;
    for (const auto& p : iv) {
        if (!out.empty() && p.first <= out.back().second)
            out.back().second = std::max(out.back().second, p.second);
        else
            out.push_back(p);
    }
    return out;
}

} // namespace

void RangeEer::add(const std::vector<float>& a, const FrameGrid& grid, int64_t samples,
                   const std::vector<std::pair<double, double>>& spoofSeconds)
{
    if (grid.hop < 1)
        throw ConfigError("RangeEer: the frame hop must be at least one sample");
    const double duration = double(std::max<int64_t>(samples, 0)) / kSampleRate;
    const auto ref = clippedUnion(spoofSeconds, duration);
    double spoof = 0;
    for (const auto& [x, y] : ref)
        spoof += y - x;
    m_spoofTotal += spoof;
    m_bonafideTotal += duration - spoof;
    for (size_t t = 0; t < a.size(); ++t) {
        const double lo = std::min(duration, double(grid.offset + int64_t(t) * grid.hop) / kSampleRate);
        const double hi = std::min(duration, double(grid.offset + int64_t(t + 1) * grid.hop) / kSampleRate);
        if (!(hi > lo) || !std::isfinite(a[t]))
            continue;  // never marked: its spoof time stays missed, its bona fide time is never a false alarm
        const double s = overlap(lo, hi, ref);
        m_scores.push_back(double(a[t]));
        m_spoof.push_back(s);
        m_bonafide.push_back(hi - lo - s);
    }
}

double RangeEer::eer() const
{
    if (anyNaN(m_scores))
        return kNaN;
    if (!(m_spoofTotal > 0) || !(m_bonafideTotal > 0))
        return kNaN;
    const auto idx = ascending(m_scores);
    // tau = the i-th distinct score: cells below it are not marked.
    double spoofBelow = 0, bonaBelow = 0, marked = 0;
    for (double b : m_bonafide)
        marked += b;
    double best = std::numeric_limits<double>::infinity(), eer = kNaN;
    const double spoofInCells = std::accumulate(m_spoof.begin(), m_spoof.end(), 0.0);
    for (size_t i = 0; i <= idx.size();) {
        const double fnr = (m_spoofTotal - (spoofInCells - spoofBelow)) / m_spoofTotal;
        const double fpr = (marked - bonaBelow) / m_bonafideTotal;
        if (std::fabs(fnr - fpr) < best) {
            best = std::fabs(fnr - fpr);
            eer = 0.5 * (fnr + fpr);
        }
        if (i == idx.size())
            break;
        size_t j = i;
        while (j < idx.size() && m_scores[idx[j]] == m_scores[idx[i]]) {
            spoofBelow += m_spoof[idx[j]];
            bonaBelow += m_bonafide[idx[j]];
            ++j;
        }
        i = j;
    }
    return eer;
}

const char* rcqRegionName(RcqRegion r)
{
    switch (r) {
    case RcqRegion::Bonafide: return "bonafide";
    case RcqRegion::Spoof: return "spoof";
    default: return "transition";
    }
}

void Rcq::add(const std::vector<float>& a, const std::vector<uint8_t>& spoof, const FrameGrid& grid, int64_t samples,
              const std::vector<std::pair<double, double>>& spoofSeconds)
{
    checkSizes(a.size(), spoof.size(), "Rcq");
    const double duration = double(std::max<int64_t>(samples, 0)) / kSampleRate;
    std::vector<double> boundaries;
    for (const auto& [x, y] : clippedUnion(spoofSeconds, duration)) {
        if (x > 0)
            boundaries.push_back(x);
        if (y < duration)
            boundaries.push_back(y);
    }
    if (boundaries.empty())
        return;
    const std::vector<double> n = minMaxNormalised(a);
    if (n.empty())
        return;
    for (size_t t = 0; t < n.size(); ++t) {
        if (!std::isfinite(n[t]))
            continue;
        const double c = grid.centreSeconds(int64_t(t));
        bool transition = false;
        for (double b : boundaries)
            transition = transition || std::fabs(c - b) <= kRcqTransitionSeconds;
        const RcqRegion r = transition ? RcqRegion::Transition : spoof[t] ? RcqRegion::Spoof : RcqRegion::Bonafide;
        m_sum[size_t(r)] += n[t];
        ++m_count[size_t(r)];
    }
}

double Rcq::rcq(RcqRegion region) const
{
    const double all = (m_sum[0] + m_sum[1] + m_sum[2]);
    const int64_t count = m_count[0] + m_count[1] + m_count[2];
    if (m_count[size_t(region)] == 0 || count == 0 || all == 0)
        return kNaN;
    const double avg = all / double(count);
    return (m_sum[size_t(region)] / double(m_count[size_t(region)]) - avg) / avg * 100.0;
}

namespace {

std::vector<double> ranks(const std::vector<float>& v)
{
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j < idx.size() && v[idx[j]] == v[idx[i]])
            ++j;
        for (size_t k = i; k < j; ++k)
            r[idx[k]] = 0.5 * double(i + 1 + j);  // mean of ranks i+1 .. j
        i = j;
    }
    return r;
}

} // namespace

double spearman(const std::vector<float>& a, const std::vector<float>& b)
{
    if (anyNaN(a) || anyNaN(b))
        return kNaN;
    if (a.size() != b.size() || a.size() < 2)
        return kNaN;
    for (size_t i = 0; i < a.size(); ++i)
        if (!std::isfinite(a[i]) || !std::isfinite(b[i]))
            return kNaN;
    const std::vector<double> x = ranks(a), y = ranks(b);
    const double n = double(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx == 0 || syy == 0)
        return kNaN;
    return sxy / std::sqrt(sxx * syy);
}

double minDcf(const std::vector<double>& bona, const std::vector<double>& spoof, const DcfParameters& p)
{
    if (anyNaN(bona) || anyNaN(spoof))
        return kNaN;
    if (bona.empty() || spoof.empty())
        return kNaN;
    std::vector<double> s(bona);
    s.insert(s.end(), spoof.begin(), spoof.end());
    std::vector<uint8_t> isBona(bona.size(), 1);
    isBona.resize(s.size(), 0);
    const auto idx = ascending(s);
    const double nb = double(bona.size()), ns = double(spoof.size());
    const double norm = std::min(p.cMiss * (1 - p.pSpoof), p.cFa * p.pSpoof);
    double bonaBelow = 0, spoofBelow = 0, best = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i <= idx.size();) {
        const double miss = bonaBelow / nb;
        const double fa = (ns - spoofBelow) / ns;
        best = std::min(best, p.cMiss * miss * (1 - p.pSpoof) + p.cFa * fa * p.pSpoof);
        if (i == idx.size())
            break;
        size_t j = i;
        while (j < idx.size() && s[idx[j]] == s[idx[i]]) {
            (isBona[idx[j]] ? bonaBelow : spoofBelow) += 1;
            ++j;
        }
        i = j;
    }
    return best / norm;
}

MeanCi bootstrapMean(const std::vector<double>& values, uint64_t seed, int resamples, double level)
{
    std::vector<double> v;
    for (double x : values)
        if (std::isfinite(x))
            v.push_back(x);
    MeanCi r;
    r.n = int64_t(v.size());
    if (v.empty())
        return r;
    r.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    if (v.size() == 1 || resamples < 1) {
        r.low = r.high = r.mean;
        return r;
    }
    std::mt19937_64 rng(seed);
    std::vector<double> means(static_cast<size_t>(resamples));
    for (double& m : means) {
        double sum = 0;
        for (size_t i = 0; i < v.size(); ++i)
            sum += v[size_t(rng() % v.size())];
        m = sum / double(v.size());
    }
    std::sort(means.begin(), means.end());
    // Linear interpolation between order statistics (NumPy's default percentile).
    auto quantile = [&](double q) {
        const double pos = q * double(means.size() - 1);
        const auto lo = size_t(std::floor(pos));
        const size_t hi = std::min(means.size() - 1, lo + 1);
        return means[lo] + (pos - double(lo)) * (means[hi] - means[lo]);
    };
    r.low = quantile((1 - level) / 2);
    r.high = quantile(1 - (1 - level) / 2);
    return r;
}

} // namespace spooflens::core
