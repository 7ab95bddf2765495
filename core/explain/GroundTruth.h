#pragma once
// Ground truth for localisation: spoofed segments of an utterance, read from
// the label formats researchers have, and the per-frame labels derived from
// them. Torch-free (ui/ and the CLI include this). Definitions: docs/metrics.md.
//
// Formats:
//  - Audacity label track: `start<TAB>end<TAB>label` (seconds), one file per
//    utterance; found in a folder by utterance id (= file stem, `.txt` or
//    `.lab`) or next to the audio file (same stem). Label text `spoof`
//    (case-insensitive; also `fake`, `0`, or no text) marks a spoofed segment;
//    `bonafide`, `bona-fide`, `real`, `genuine`, `1` a bona fide one; any other
//    text is an error. A label file lists the spoofed segments; unlisted time is bona fide.
//  - CSV/TSV `utterance,start,end,label` (optional header line), several
//    utterances in one file.
//  - PartialSpoof segment labels `*_seglab_<resolution>.npy`: a NumPy 0-d
//    object array holding a dict utterance id -> array of '0'/'1' strings, one
//    per segment of <resolution> s (0.01 ... 0.64). In PartialSpoof '1' is a
//    bona fide segment and '0' a spoofed one. Read with the restricted
//    unpickler (only the NumPy globals such a file needs).
//
// Frame labels: frame t (samples [320 t, 320 t + 400) at 16 kHz) is spoof when
// more than 200 of its 400 samples lie in a spoof segment.
//
// Thread-safety: stateless functions; safe to call concurrently.
#include "core/audio/FrameGrid.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spooflens::core {

struct LabelSegment {
    double start = 0;      ///< seconds
    double end = 0;        ///< seconds (> start)
    bool spoof = true;
    std::string label;     ///< the text as written ("spoof", "bonafide", "0", ...)
    std::string origin;    ///< "<file>:<line>" it came from (for error messages)
};

/// The labels of one utterance.
struct UtteranceLabels {
    std::string utterance;               ///< utterance id (file stem)
    std::vector<LabelSegment> segments;  ///< in file order
    std::string source;                  ///< the file they were read from
    /// PartialSpoof only: the segment resolution (s); its last segment may end
    /// past the audio by less than one segment. 0 for the other formats.
    double resolution = 0;
    /// Spoof time only; sorted, merged intervals in seconds.
    std::vector<std::pair<double, double>> spoofIntervals() const;
};

/// Labels of a whole set, keyed by utterance id.
using LabelSet = std::map<std::string, UtteranceLabels>;

/// Parses a label text: true = spoof. Throws ConfigError at `at` for unknown text.
bool parseSegmentLabel(const std::string& text, const std::string& at);

/// Reads one Audacity label track (utterance id = file stem). Throws
/// ConfigError "<file>:<line>: <problem>" for malformed lines (fewer than 2
/// numbers, end <= start, negative time, unknown label).
UtteranceLabels readAudacityLabels(const std::string& path);

/// Reads a CSV (comma) or TSV (tab) file `utterance,start,end,label`. A first
/// line whose start/end are not numbers is a header. Throws ConfigError naming
/// file and line.
LabelSet readLabelTable(const std::string& path);

/// Reads PartialSpoof segment labels (`*_seglab_<resolution>.npy`). The
/// resolution comes from the file name (`_seglab_0.02.npy` -> 0.02 s; else
/// 0.01). Throws CheckpointError for a malformed or malicious pickle (a
/// forbidden global is rejected by name before anything runs) and ConfigError
/// for values other than '0'/'1'.
LabelSet readPartialSpoofLabels(const std::string& path);

/// Reads `path` by its kind: a folder of Audacity label files (`*.txt`,
/// `*.lab`, id = stem), a `.npy` (PartialSpoof), a `.csv`/`.tsv`, or a single
/// Audacity `.txt`/`.lab` file.
LabelSet readLabels(const std::string& path);

/// The Audacity label file next to `audioPath` (same stem, `.txt` then `.lab`),
/// or "" if there is none.
std::string labelFileNextTo(const std::string& audioPath);

/// Frame labels on `grid` for an utterance of `samples` 16 kHz samples (T =
/// grid.count(samples); frame t is spoof when more than half of its window lies in spoof segments):
/// 1 = spoof, 0 = bona fide. Throws ConfigError naming the label's origin when
/// a spoof segment starts past the end of the audio or ends more than
/// max(`toleranceSeconds`, labels.resolution) past it (PartialSpoof's last
/// segment may overhang the audio by less than one segment).
std::vector<uint8_t> frameLabels(const UtteranceLabels& labels, int64_t samples,
                                 const FrameGrid& grid = FrameGrid::xlsr(), double toleranceSeconds = 0.0);

/// Writes an Audacity label track (`start\tend\tlabel`, 6 decimals).
void writeAudacityLabels(const std::string& path, const std::vector<LabelSegment>& segments);

} // namespace spooflens::core
