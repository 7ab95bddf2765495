#include "core/explain/Agreement.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace spooflens::core {

namespace {

std::vector<double> averageRanks(const std::vector<float>& x)
{
    const size_t n = x.size();
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return x[i] < x[j]; });
    std::vector<double> r(n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[idx[j + 1]] == x[idx[i]])
            ++j;
        const double avg = 0.5 * double(i + j) + 1.0;
        for (size_t k = i; k <= j; ++k)
            r[idx[k]] = avg;
        i = j + 1;
    }
    return r;
}

} // namespace

double spearmanCorrelation(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size() || a.size() < 2)
        return 0.0;
    const std::vector<double> ra = averageRanks(a), rb = averageRanks(b);
    const double n = double(a.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
    const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    if (saa <= 0 || sbb <= 0)
        return 0.0;
    return sab / std::sqrt(saa * sbb);
}

std::vector<int64_t> topKFrames(const std::vector<float>& w, int64_t k)
{
    std::vector<int64_t> idx(w.size());
    std::iota(idx.begin(), idx.end(), int64_t(0));
    k = std::clamp<int64_t>(k, 0, int64_t(w.size()));
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t i, int64_t j) { return w[size_t(i)] > w[size_t(j)]; });
    idx.resize(size_t(k));
    return idx;
}

double topKOverlap(const std::vector<float>& a, const std::vector<float>& b, int64_t k)
{
    k = std::min<int64_t>(k, int64_t(std::min(a.size(), b.size())));
    if (k <= 0)
        return 0.0;
    const auto ta = topKFrames(a, k), tb = topKFrames(b, k);
    const std::set<int64_t> sa(ta.begin(), ta.end());
    int64_t common = 0;
    for (int64_t i : tb)
        common += sa.count(i) ? 1 : 0;
    return double(common) / double(k);
}

} // namespace spooflens::core
