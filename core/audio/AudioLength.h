#pragma once
// Audio files that end early (docs/reliability.md): a download cut off, a
// recorder killed mid-write. loadAudio decodes what is there; this says that
// the file is shorter than its header declares, where the format declares a
// length: the WAV `data` chunk size and FLAC's STREAMINFO total samples.
// (Ogg and MP3 declare no length; libsndfile estimates theirs from the file
// size, so an early end cannot be told from a short file.) Torch-free.
#include "core/audio/AudioFile.h"

#include <cstdint>
#include <string>

namespace spooflens::core {

struct DeclaredLength {
    std::string container;   ///< "WAV" or "FLAC"; empty when the format declares no length
    int64_t frames = -1;     ///< sample frames per channel the header declares; -1 unknown
    int sampleRate = 0;      ///< from the same header (Hz)
};

/// Reads the declared length from the header of `path` (a few bytes; never
/// the whole file). Unknown (-1) for other formats, for streaming headers
/// (WAV data size 0 or 0xFFFFFFFF, FLAC total 0) and for unreadable files.
DeclaredLength declaredLength(const std::string& path);

/// Empty when `framesRead` (per channel, at the file's own rate, as
/// AudioData::framesIn) is what the header declares; otherwise one sentence
/// naming the file: "FILE: the file ended early: the WAV header declares
/// 2 s (32000 samples), 0.936 s (14978 samples) could be read".
std::string endedEarlyWarning(const std::string& path, int64_t framesRead);

/// The warning for a loaded file: the header's declared length as above, else,
/// when the decoder stopped at the end of the file inside a frame (any format,
/// AudioData::endsInsideFrame), "FILE: the file ended early: it stops inside a
/// FORMAT frame; 0.936 s (14978 samples) could be read". Empty otherwise.
std::string endedEarlyWarning(const AudioData& audio);

} // namespace spooflens::core
