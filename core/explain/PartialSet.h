#pragma once
// A partial-spoof evaluation set on disk, built from bona fide and spoof
// utterances with splicePartial (core/audio/PartialSplice.h): what
// `spooflens make-partial` writes. Torch-free. Layout (docs/metrics.md):
//   OUT/audio/partial_NNNN.wav   spliced utterance (16 kHz PCM-16)
//   OUT/audio/partial_NNNN.txt   its Audacity label track (start<TAB>end<TAB>spoof)
//   OUT/audio/bonafide_NNNN.wav  the untouched bona fide utterance (+ empty .txt), unless disabled
//   OUT/frame_labels/<id>.npy    float32 (T,), 1 = spoof frame, 0 = bona fide (docs/metrics.md rule)
//   OUT/labels.csv               utterance,start,end,label for every spliced segment
//   OUT/protocol.txt             3 columns `audio/<id>.wav <subset> spoof|bonafide`
//   OUT/sources.tsv              provenance: which source, offset and gain made each segment
#include "core/audio/PartialSplice.h"

#include <string>
#include <vector>

namespace spooflens::core {

struct PartialSetOptions {
    std::vector<std::string> bonafide;   ///< audio paths (any format loadAudio reads)
    std::vector<std::string> spoof;      ///< audio paths the segments are cut from
    std::string outDir;
    std::string subset = "eval";         ///< protocol subset column
    bool includeBonafide = true;         ///< also write the untouched bona fide utterances
    PartialSpliceOptions splice;
};

struct PartialSetItem {
    std::string utterance;               ///< "partial_0001"
    std::string audio;                   ///< absolute path of the WAV
    std::string bonafideSource;
    std::vector<SplicedSegment> segments;
    int64_t samples = 0;
};

struct PartialSetReport {
    std::string protocol;                ///< OUT/protocol.txt
    std::string labels;                  ///< OUT/labels.csv
    std::vector<PartialSetItem> items;   ///< the spliced utterances, in input order
    int64_t bonafideWritten = 0;
};

/// Builds the set. Deterministic: the same inputs and seed give the same files.
/// Throws AudioError naming the file that cannot be read or is too short, ConfigError for options.
PartialSetReport makePartialSet(const PartialSetOptions& options);

/// Reads a list of audio files: a text file with one path per line (relative
/// paths are taken relative to the list's folder; '#' starts a comment) or a
/// folder (its .wav/.flac/.ogg/.opus/.mp3 files, sorted), or one audio file. Throws ConfigError.
std::vector<std::string> readAudioList(const std::string& listOrFolder);

} // namespace spooflens::core
