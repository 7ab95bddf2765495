#pragma once
// Small helpers the hand-run benchmarks share: the median of a sample and
// the JSON array of its values.
#include <algorithm>
#include <cstdio>
#include <vector>

namespace spooflens::bench {

inline double median(std::vector<double> v)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Prints `"times_s": [a, b, ...]}` and a newline, then flushes: the end of
/// one JSON line per measured configuration.
inline void printTimesAndEndLine(const std::vector<double>& times)
{
    std::printf("\"times_s\": [");
    for (size_t i = 0; i < times.size(); ++i)
        std::printf("%s%.4f", i ? ", " : "", times[i]);
    std::printf("]}\n");
    std::fflush(stdout);
}

} // namespace spooflens::bench
