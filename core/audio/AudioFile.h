#pragma once
// Loading audio for the detector: any libsndfile format (WAV, FLAC, Ogg
// Vorbis, Opus, MP3), any rate and channel count -> 16 kHz mono float32.
// Torch-free; thread-safe (no shared state).
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

constexpr int kSampleRate = 16000;    ///< model input rate (Hz)
constexpr int kHopSamples = 320;      ///< SSL frame hop (20 ms at 16 kHz)
constexpr int kWindowSamples = 400;   ///< SSL receptive field (25 ms at 16 kHz)

/// Frames the SSL encoder produces for `samples` 16 kHz samples:
/// T = floor((N - 400) / 320) + 1 for N >= 400, else 0.
int64_t frameCount(int64_t samples);

/// Centre of frame t in seconds: (320 t + 200) / 16000.
double frameCentreSeconds(int64_t t);

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
    int64_t frames() const { return frameCount(static_cast<int64_t>(samples.size())); }
};

/// Loads `path`. Throws AudioError naming the file and the problem: missing,
/// unreadable/corrupt, not audio, zero length, shorter than one frame
/// (400 samples at 16 kHz), longer than the limit, bad channel index.
/// Resampling (when the rate is not 16 kHz) uses libsoxr, high quality.
AudioData loadAudio(const std::string& path, const AudioLoadOptions& options = {});

/// Repeat padding of tcm_add: y[n] = x[n mod N] for n < length (N >= length: first `length`).
std::vector<float> repeatPad(const std::vector<float>& x, int64_t length);

} // namespace spooflens::core
