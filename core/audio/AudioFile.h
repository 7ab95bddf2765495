#pragma once
// Loading audio for the detector: any libsndfile format (WAV, FLAC, Ogg
// Vorbis, Opus, MP3), any rate and channel count -> 16 kHz mono float32.
// Torch-free; thread-safe (no shared state).
#include "core/audio/FrameGrid.h"  // kSampleRate, FrameGrid (kept for includers of this header)

#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

/// The shortest audio loadAudio accepts: 400 samples (25 ms, one XLS-R frame).
constexpr int64_t kMinAudioSamples = 400;

struct AudioLoadOptions {
    /// -1: average all channels; otherwise use only this channel (0-based).
    int channel = -1;
    /// Refuse audio longer than this (seconds, at the original rate) before allocating it.
    double maxDurationSeconds = 2.0 * 3600.0;
};

struct AudioData {
    std::string path;
    std::string format;          ///< e.g. "FLAC 16-bit", "WAV float", "MP3"
    int sampleRateIn = 0;        ///< original sample rate (Hz)
    int channelsIn = 0;          ///< original channel count
    int64_t framesIn = 0;        ///< original sample frames (per channel)
    double durationSeconds = 0;  ///< framesIn / sampleRateIn
    std::vector<float> samples;  ///< 16 kHz mono float32 in [-1, 1]
    /// The decoder failed at the very end of the file: it stops inside a frame
    /// (a cut-off download). What came before is in `samples`; see
    /// endedEarlyWarning (core/audio/AudioLength.h). A decoder error before the
    /// end of the file is corruption and throws instead.
    bool endsInsideFrame = false;
    /// Frames of `grid` (default: XLS-R's 20 ms grid) the samples give.
    int64_t frames(const FrameGrid& grid = FrameGrid::xlsr()) const { return grid.count(static_cast<int64_t>(samples.size())); }
};

/// Loads `path`. Throws AudioError naming the file and the problem: missing,
/// unreadable/corrupt (a decoder error before the end of the file), not audio, zero length, shorter than one frame
/// (400 samples at 16 kHz), longer than the limit, bad channel index.
/// Resampling (when the rate is not 16 kHz) uses libsoxr, high quality.
AudioData loadAudio(const std::string& path, const AudioLoadOptions& options = {});

/// Repeat padding of tcm_add: y[n] = x[n mod N] for n < length (N >= length: first `length`).
std::vector<float> repeatPad(const std::vector<float>& x, int64_t length);

} // namespace spooflens::core
