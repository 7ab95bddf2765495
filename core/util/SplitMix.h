#pragma once
// splitmix64 (Steele, Lea, Flood 2014): the increment of its counter and its
// bijective finaliser. Used where SpoofLens needs platform-independent random
// bits from (seed, index) without a generator's state: the `random` explainer
// and the importance network's dropout masks.
#include <cstdint>

namespace spooflens::core {

inline constexpr uint64_t kSplitMixIncrement = 0x9E3779B97F4A7C15ULL;

/// splitmix64's output function of one counter value.
inline uint64_t splitMix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

} // namespace spooflens::core
