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

double utteranceEer(const std::vector<double>& scores, const std::vector<bool>& positive)
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

} // namespace spooflens::core
