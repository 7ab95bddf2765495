#include "core/training/DemoMetrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace spooflens::core {
namespace {

std::vector<size_t> sortedDescending(const std::vector<double>& scores)
{
    std::vector<size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    return idx;
}

} // namespace

double equalErrorRate(const std::vector<double>& scores, const std::vector<bool>& positive)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const size_t nPos = size_t(std::count(positive.begin(), positive.end(), true));
    const size_t nNeg = positive.size() - nPos;
    if (nPos == 0 || nNeg == 0 || scores.size() != positive.size())
        return nan;
    // Threshold sweeps from above the highest score down: accept score >= thr.
    // FRR = rejected positives / nPos, FAR = accepted negatives / nNeg.
    const auto idx = sortedDescending(scores);
    double prevFar = 0, prevFrr = 1;
    size_t acceptedPos = 0, acceptedNeg = 0;
    for (size_t k = 0; k < idx.size();) {
        size_t j = k;
        while (j < idx.size() && scores[idx[j]] == scores[idx[k]]) {
            (positive[idx[j]] ? acceptedPos : acceptedNeg)++;
            ++j;
        }
        const double far = double(acceptedNeg) / double(nNeg), frr = 1.0 - double(acceptedPos) / double(nPos);
        if (far >= frr) {
            // Crossing between (prevFar, prevFrr) and (far, frr): intersect with FAR = FRR.
            const double d0 = prevFrr - prevFar, d1 = frr - far;  // d0 > 0 >= d1
            const double t = d0 - d1 > 0 ? d0 / (d0 - d1) : 0.0;
            return prevFar + t * (far - prevFar);
        }
        prevFar = far;
        prevFrr = frr;
        k = j;
    }
    return 0.5;
}

double rocAuc(const std::vector<double>& scores, const std::vector<uint8_t>& labels)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (scores.size() != labels.size())
        return nan;
    std::vector<size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    double rankSumPos = 0;
    size_t nPos = 0;
    for (size_t k = 0; k < idx.size();) {
        size_t j = k;
        while (j < idx.size() && scores[idx[j]] == scores[idx[k]])
            ++j;
        const double avgRank = 0.5 * double(k + 1 + j);  // ranks k+1 .. j
        for (size_t m = k; m < j; ++m)
            if (labels[idx[m]]) {
                rankSumPos += avgRank;
                ++nPos;
            }
        k = j;
    }
    const size_t nNeg = labels.size() - nPos;
    if (nPos == 0 || nNeg == 0)
        return nan;
    return (rankSumPos - double(nPos) * double(nPos + 1) / 2.0) / (double(nPos) * double(nNeg));
}

double averagePrecision(const std::vector<double>& scores, const std::vector<uint8_t>& labels)
{
    const size_t nPos = size_t(std::count_if(labels.begin(), labels.end(), [](uint8_t v) { return v != 0; }));
    if (nPos == 0 || scores.size() != labels.size())
        return std::numeric_limits<double>::quiet_NaN();
    const auto idx = sortedDescending(scores);
    double ap = 0, prevRecall = 0;
    size_t tp = 0, seen = 0;
    for (size_t k = 0; k < idx.size();) {
        size_t j = k;
        while (j < idx.size() && scores[idx[j]] == scores[idx[k]]) {
            tp += labels[idx[j]] ? 1 : 0;
            ++j;
        }
        seen = j;
        const double recall = double(tp) / double(nPos), precision = double(tp) / double(seen);
        ap += (recall - prevRecall) * precision;
        prevRecall = recall;
        k = j;
    }
    return ap;
}

} // namespace spooflens::core
