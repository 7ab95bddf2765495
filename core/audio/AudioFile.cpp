#include "core/audio/AudioFile.h"

#include "core/Error.h"
#include "core/audio/Resampler.h"
#include "core/util/FileCheck.h"
#include "core/util/Text.h"

#include <sndfile.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <system_error>

namespace spooflens::core {

std::vector<float> repeatPad(const std::vector<float>& x, int64_t length)
{
    if (length <= 0)
        return {};
    const int64_t n = static_cast<int64_t>(x.size());
    if (n >= length)
        return std::vector<float>(x.begin(), x.begin() + length);
    if (n == 0)
        throw AudioError("repeatPad: cannot pad empty audio to " + std::to_string(length) + " samples");
    std::vector<float> y(static_cast<size_t>(length));
    for (int64_t i = 0; i < length; i += n) {
        const int64_t k = std::min(n, length - i);
        std::copy(x.begin(), x.begin() + k, y.begin() + i);
    }
    return y;
}

namespace {

// Owns a file descriptor (libsndfile is given it with close_desc false).
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// True when libsndfile has read `fd` to its end: a decoder error there means
// the file stops inside a frame (cut off), not that its middle is damaged.
bool readToEnd(int fd)
{
    struct stat st {};
    const off_t pos = ::lseek(fd, 0, SEEK_CUR);
    return pos >= 0 && ::fstat(fd, &st) == 0 && pos >= st.st_size;
}

class SndFile {
public:
    SndFile(SNDFILE* f) : m_file(f) {}
    ~SndFile()
    {
        if (m_file)
            sf_close(m_file);
    }
    SndFile(const SndFile&) = delete;
    SndFile& operator=(const SndFile&) = delete;
    SNDFILE* get() const { return m_file; }

private:
    SNDFILE* m_file;
};

std::string formatName(const SF_INFO& info)
{
    const int major = info.format & SF_FORMAT_TYPEMASK;
    const int sub = info.format & SF_FORMAT_SUBMASK;
    std::string container;
    switch (major) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
        container = "WAV";
        break;
    case SF_FORMAT_FLAC:
        container = "FLAC";
        break;
    case SF_FORMAT_OGG:
        if (sub == SF_FORMAT_VORBIS)
            return "Ogg Vorbis";
        if (sub == SF_FORMAT_OPUS)
            return "Opus";
        container = "Ogg";
        break;
    case SF_FORMAT_MPEG:
        if (sub == SF_FORMAT_MPEG_LAYER_I)
            return "MP1";
        if (sub == SF_FORMAT_MPEG_LAYER_II)
            return "MP2";
        return "MP3";
    case SF_FORMAT_AIFF:
        container = "AIFF";
        break;
    default: {
        SF_FORMAT_INFO fi{};
        fi.format = major;
        if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name) {
            container = fi.name;  // e.g. "CAF (Apple Core Audio File)": keep the short name
            container = container.substr(0, container.find(" ("));
        } else
            container = "audio";
    }
    }
    switch (sub) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
        return container + " 8-bit";
    case SF_FORMAT_PCM_16:
        return container + " 16-bit";
    case SF_FORMAT_PCM_24:
        return container + " 24-bit";
    case SF_FORMAT_PCM_32:
        return container + " 32-bit";
    case SF_FORMAT_FLOAT:
        return container + " float";
    case SF_FORMAT_DOUBLE:
        return container + " double";
    default: {
        SF_FORMAT_INFO fi{};
        fi.format = sub;
        if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name)
            return container + " " + fi.name;
        return container;
    }
    }
}

std::string secondsText(double s)
{
    std::ostringstream os;
    os.precision(6);
    os << s << " s";
    return os.str();
}

// Integer PCM up to 16 bits is read as int16 and scaled by 1/32768 so that
// 16-bit input at 16 kHz reaches the detector bit-exact (int16 / 32768).
bool readsAsShort(int format)
{
    const int sub = format & SF_FORMAT_SUBMASK;
    return sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_S8 || sub == SF_FORMAT_PCM_U8;
}

} // namespace

AudioData loadAudio(const std::string& path, const AudioLoadOptions& options)
{
    // The name as it may be printed: a newline or ESC in it cannot forge output lines.
    const std::string where = "audio file '" + printablePath(path) + "'";
    std::error_code ec;
    // Not a regular file (FIFO, device, link loop): said so, never opened (a FIFO would block).
    if (const std::string why = whyNotRegularFile(path, "an audio file"); !why.empty())
        throw AudioError(where + ": " + why);
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0 && !ec)
        throw AudioError(where + ": file is empty (0 bytes)");
    if (!(options.maxDurationSeconds > 0))
        throw AudioError(where + ": maximum duration must be positive");

    // Opened here and handed to libsndfile, so that after a decoder error the
    // read position tells a cut-off file from a damaged one (readToEnd).
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        throw AudioError(where + ": cannot be opened (" + std::strerror(errno) + ")");
    SF_INFO info{};
    SndFile file(sf_open_fd(fd.get(), SFM_READ, &info, /*close_desc=*/SF_FALSE));
    if (!file.get()) {
        const int code = sf_error(nullptr);
        const std::string why = sf_strerror(nullptr);
        if (code == SF_ERR_MALFORMED_FILE)
            throw AudioError(where + ": not a readable audio file (corrupt or malformed: " + why + ")");
        throw AudioError(where + ": not a readable audio file (" + why + ")");
    }
    if (info.samplerate <= 0 || info.channels <= 0)
        throw AudioError(where + ": invalid header (sample rate " + std::to_string(info.samplerate) +
                         ", channels " + std::to_string(info.channels) + ")");
    if (options.channel < -1 || options.channel >= info.channels)
        throw AudioError(where + ": channel " + std::to_string(options.channel) + " out of range (file has " +
                         std::to_string(info.channels) + " channel" + (info.channels == 1 ? "" : "s") +
                         "; valid: 0.." + std::to_string(info.channels - 1) + ", or -1 for the average)");

    AudioData out;
    out.path = path;
    out.format = formatName(info);
    out.sampleRateIn = info.samplerate;
    out.channelsIn = info.channels;

    // The limit in frames at the original rate; checked against the declared
    // length before anything is allocated and again while reading, because
    // declared lengths can be wrong (or unknown for streams).
    const double limitFramesD = std::floor(options.maxDurationSeconds * info.samplerate);
    const int64_t limitFrames = limitFramesD >= 9.0e18 ? std::numeric_limits<int64_t>::max()
                                                        : static_cast<int64_t>(limitFramesD);
    auto tooLong = [&](int64_t frames, bool declared) {
        return AudioError(where + ": too long (" + (declared ? "declares " : "more than ") +
                          secondsText(static_cast<double>(frames) / info.samplerate) + ", limit " +
                          secondsText(options.maxDurationSeconds) + ")");
    };
    const bool declaredKnown = info.frames > 0 && info.frames != SF_COUNT_MAX;
    if (declaredKnown && info.frames > limitFrames)
        throw tooLong(info.frames, true);
    if (info.frames == 0)
        throw AudioError(where + ": contains no audio (0 samples)");

    const bool passThrough = info.samplerate == kSampleRate;
    // Declared lengths can lie (a FLAC header may claim hours for a 1 s file):
    // reserve at most 10 minutes up front; audio that really is longer then
    // grows the vector once to the declared length (+ resampler slack) instead
    // of doubling, which would need 3x the output size at peak.
    const size_t expect = !declaredKnown ? 0
                          : static_cast<size_t>(passThrough ? info.frames
                                                            : Resampler::outputLength(info.frames, info.samplerate,
                                                                                      kSampleRate)) + 4096;
    out.samples.reserve(std::min<size_t>(expect, size_t(600) * kSampleRate));
    auto makeRoom = [&](size_t extra) {
        const size_t need = out.samples.size() + extra + 2048;
        if (need > out.samples.capacity() && out.samples.capacity() < expect)
            out.samples.reserve(std::max(need, expect));
    };
    std::unique_ptr<Resampler> resampler;
    if (!passThrough)
        resampler = std::make_unique<Resampler>(info.samplerate, kSampleRate);

    sf_command(file.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
    const bool asShort = readsAsShort(info.format);
    const int channels = info.channels;
    const sf_count_t blockFrames = 8192;
    std::vector<float> fbuf;
    std::vector<short> sbuf;
    if (asShort)
        sbuf.resize(static_cast<size_t>(blockFrames) * channels);
    else
        fbuf.resize(static_cast<size_t>(blockFrames) * channels);
    std::vector<float> mono(static_cast<size_t>(blockFrames));
    int64_t total = 0;
    int64_t nonFinite = 0, firstNonFinite = -1;  // samples (frames at the original rate) that are NaN or infinite
    const float invChannels = 1.0f / static_cast<float>(channels);
    for (;;) {
        const sf_count_t got = asShort ? sf_readf_short(file.get(), sbuf.data(), blockFrames)
                                       : sf_readf_float(file.get(), fbuf.data(), blockFrames);
        if (got < blockFrames) {
            // libsndfile reports decoder errors (lost sync, bad packets) only
            // through sf_error after a short read; a partly decodable file is corrupt.
            // An error with the whole file read is a cut inside the last frame:
            // keep what was decoded and say so (AudioData::endsInsideFrame).
            const int err = sf_error(file.get());
            if (err != SF_ERR_NO_ERROR) {
                if (!readToEnd(fd.get()))
                    throw AudioError(where + ": corrupt or unreadable audio data after "
                                     + std::to_string(total + std::max<sf_count_t>(got, 0)) + " frames ("
                                     + sf_error_number(err) + ")");
                out.endsInsideFrame = true;
            }
        }
        if (got <= 0)
            break;
        if (total + got > limitFrames)
            throw tooLong(total + got, false);
        total += got;
        for (sf_count_t i = 0; i < got; ++i) {
            float v;
            if (options.channel >= 0 || channels == 1) {
                const size_t idx = static_cast<size_t>(i * channels + std::max(options.channel, 0));
                v = asShort ? static_cast<float>(sbuf[idx]) / 32768.0f : fbuf[idx];
            } else {
                // Sum in double: averaging 6 channels must not lose the low bits.
                double acc = 0.0;
                for (int c = 0; c < channels; ++c) {
                    const size_t idx = static_cast<size_t>(i * channels + c);
                    acc += asShort ? static_cast<double>(sbuf[idx]) / 32768.0 : static_cast<double>(fbuf[idx]);
                }
                v = static_cast<float>(acc * invChannels);
            }
            // Float files may hold NaN/inf (refused below: no value to put in their
            // place) or values far outside [-1, 1] (clipped: huge values would
            // overflow the resampler's filter into inf/NaN).
            if (!std::isfinite(v)) {
                if (nonFinite++ == 0)
                    firstNonFinite = total - got + i;
                v = 0.0f;
            }
            mono[static_cast<size_t>(i)] = std::clamp(v, -1.0f, 1.0f);
        }
        makeRoom(static_cast<size_t>(static_cast<double>(got) * kSampleRate / info.samplerate));
        if (passThrough)
            out.samples.insert(out.samples.end(), mono.begin(), mono.begin() + got);
        else
            resampler->process(mono.data(), static_cast<size_t>(got), out.samples);
        if (out.endsInsideFrame)
            break;
    }
    if (nonFinite > 0) {
        // An all-NaN file would otherwise score like silence: no number stands in for a missing one.
        const std::string which = options.channel >= 0 ? "channel " + std::to_string(options.channel)
                                  : channels > 1       ? "the channel average"
                                                       : "the audio";
        throw AudioError(where + ": " + std::to_string(nonFinite) + " of " + std::to_string(total) + " samples of "
                         + which + " are NaN or infinite (first at sample " + std::to_string(firstNonFinite) + ", "
                         + secondsText(static_cast<double>(firstNonFinite) / info.samplerate)
                         + "); such audio has no valid value there and is refused");
    }
    if (total == 0)
        throw AudioError(where + (declaredKnown ? ": no audio could be decoded (corrupt or truncated file)"
                                                : ": contains no audio (0 samples, or a corrupt/truncated stream)"));
    if (resampler)
        resampler->finish(out.samples);

    out.framesIn = total;
    out.durationSeconds = static_cast<double>(total) / info.samplerate;
    for (float& v : out.samples)  // resampling can overshoot slightly (Gibbs)
        v = std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f;
    if (static_cast<int64_t>(out.samples.size()) < kMinAudioSamples)
        throw AudioError(where + ": too short (" + std::to_string(out.samples.size()) +
                         " samples at 16 kHz, " + secondsText(out.durationSeconds) +
                         "; at least 400 samples = one 25 ms frame are needed)");
    return out;
}

} // namespace spooflens::core
