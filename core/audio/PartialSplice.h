#pragma once
// Partially spoofed utterances for localisation tests ("make-partial"): 1-2
// segments of spoofed speech spliced into a bona fide utterance, with
// raised-cosine crossfades and loudness matching, deterministic by seed.
// Torch-free. Definitions: docs/metrics.md ("A partial-spoof set of your own").
//
// A segment [a, b) of the bona fide utterance (16 kHz samples) is replaced by
// an equally long excerpt of a spoof utterance. At each boundary the two
// signals are crossfaded with a raised cosine of `crossfadeSeconds` centred on
// the boundary, so the label boundary is where both gains are 0.5. The
// excerpt is scaled by activeRms(bona fide) / activeRms(spoof source), where
// activeRms is the RMS over the 20 ms blocks whose RMS is within 40 dB of the
// loudest block ("active speech"); the gain is capped at 20 dB. The utterance
// keeps its length. Randomness: a std::mt19937_64 seeded with `seed` mixed
// with the utterance index, read through our own integer/real mapping (no
// std:: distributions, whose output differs between standard libraries).
//
// Thread-safety: stateless functions; safe to call concurrently.
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

struct PartialSpliceOptions {
    int minSegments = 1;             ///< spoof segments per utterance, drawn uniformly
    int maxSegments = 2;
    double minSeconds = 0.3;         ///< segment length, drawn uniformly (s)
    double maxSeconds = 1.5;
    double crossfadeSeconds = 0.01;  ///< raised-cosine crossfade at each boundary (s)
    double marginSeconds = 0.1;      ///< bona fide time kept before, between and after segments (s)
    uint64_t seed = 1234;
};

/// One spliced segment.
struct SplicedSegment {
    int64_t start = 0;               ///< first sample in the output (16 kHz)
    int64_t end = 0;                 ///< one past the last sample
    int spoofIndex = 0;              ///< which spoof source (index into the list)
    int64_t sourceStart = 0;         ///< first sample of the excerpt in the source (at `start`)
    double gain = 1;                 ///< loudness-matching gain applied to the excerpt
    double startSeconds() const;
    double endSeconds() const;
};

struct SplicedUtterance {
    std::vector<float> samples;          ///< 16 kHz mono, same length as the bona fide input
    std::vector<SplicedSegment> segments;  ///< sorted by start, non-overlapping
};

/// RMS over the "active" 20 ms blocks (within 40 dB of the loudest block). 0 for silence.
double activeSpeechRms(const std::vector<float>& x);

/// Splices spoof excerpts into `bonafide` (16 kHz mono). `utteranceIndex` is
/// mixed into the seed so every utterance of a set gets its own draw, and the
/// same (seed, index, inputs) always give the same output. Throws AudioError
/// when the bona fide utterance is too short for one segment of minSeconds
/// plus margins, or a spoof source is shorter than minSeconds plus the
/// crossfade; ConfigError for inconsistent options.
SplicedUtterance splicePartial(const std::vector<float>& bonafide,
                               const std::vector<std::vector<float>>& spoofSources,
                               const PartialSpliceOptions& options, uint64_t utteranceIndex);

} // namespace spooflens::core
