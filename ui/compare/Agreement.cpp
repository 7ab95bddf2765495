#include "ui/compare/Agreement.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace spooflens::ui {
namespace {

std::vector<double> ranks(const std::vector<float>& v)
{
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]])
            ++j;
        const double avg = (double(i) + double(j)) / 2.0 + 1.0;
        for (size_t k = i; k <= j; ++k)
            r[idx[k]] = avg;
        i = j + 1;
    }
    return r;
}

std::vector<size_t> topK(const std::vector<float>& v, size_t k)
{
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + long(k), idx.end(),
                      [&](size_t i, size_t j) { return v[i] > v[j] || (v[i] == v[j] && i < j); });
    idx.resize(k);
    std::sort(idx.begin(), idx.end());
    return idx;
}

} // namespace

double spearman(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size() || a.size() < 2)
        return std::nan("");
    const auto ra = ranks(a), rb = ranks(b);
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
        return std::nan("");
    return sab / std::sqrt(saa * sbb);
}

double topKOverlap(const std::vector<float>& a, const std::vector<float>& b, size_t k)
{
    if (a.size() != b.size() || a.empty())
        return std::nan("");
    k = std::clamp<size_t>(k, 1, a.size());
    const auto ta = topK(a, k), tb = topK(b, k);
    std::vector<size_t> common;
    std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(common));
    return double(common.size()) / double(k);
}

size_t defaultTopK(size_t frames)
{
    return std::max<size_t>(1, frames / 10);
}

} // namespace spooflens::ui
