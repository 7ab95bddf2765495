#include "core/audio/AudioLength.h"

#include <array>
#include <fstream>
#include <sstream>

namespace spooflens::core {
namespace {

uint32_t le32(const unsigned char* p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t le16(const unsigned char* p)
{
    return uint16_t(p[0] | p[1] << 8);
}

// RIFF/WAVE: walk the chunks up to `data`; frames = data size / block align of `fmt `.
DeclaredLength wavLength(std::ifstream& in)
{
    DeclaredLength d;
    d.container = "WAV";
    uint16_t blockAlign = 0;
    for (int chunks = 0; chunks < 64; ++chunks) {  // bounded: a crafted file cannot loop us
        std::array<unsigned char, 8> h{};
        if (!in.read(reinterpret_cast<char*>(h.data()), 8))
            return d;
        const uint32_t size = le32(h.data() + 4);
        const std::string id(reinterpret_cast<const char*>(h.data()), 4);
        if (id == "fmt ") {
            std::array<unsigned char, 16> f{};
            if (size < 16 || !in.read(reinterpret_cast<char*>(f.data()), 16))
                return d;
            d.sampleRate = int(le32(f.data() + 4));
            blockAlign = le16(f.data() + 12);
            in.seekg(std::streamoff(size - 16 + (size & 1)), std::ios::cur);
        } else if (id == "data") {
            if (blockAlign > 0 && size != 0 && size != 0xFFFFFFFFu)
                d.frames = int64_t(size / blockAlign);
            return d;
        } else {
            in.seekg(std::streamoff(size) + std::streamoff(size & 1), std::ios::cur);
        }
        if (!in)
            return d;
    }
    return d;
}

// fLaC, then the STREAMINFO block first: 20 bits rate, 3 channels, 5 bps, 36 bits total samples.
DeclaredLength flacLength(std::ifstream& in)
{
    DeclaredLength d;
    d.container = "FLAC";
    std::array<unsigned char, 4 + 18> b{};  // block header + STREAMINFO up to the total samples
    if (!in.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size())) || (b[0] & 0x7f) != 0)
        return d;
    const unsigned char* s = b.data() + 4;
    d.sampleRate = int(uint32_t(s[10]) << 12 | uint32_t(s[11]) << 4 | uint32_t(s[12]) >> 4);
    const int64_t total = int64_t(s[13] & 0x0f) << 32 | int64_t(s[14]) << 24 | int64_t(s[15]) << 16
                          | int64_t(s[16]) << 8 | int64_t(s[17]);
    if (total > 0)
        d.frames = total;
    return d;
}

std::string duration(int64_t frames, int rate)
{
    std::ostringstream os;
    os.precision(4);
    if (rate > 0)
        os << double(frames) / rate << " s (" << frames << " samples)";
    else
        os << frames << " samples";
    return os.str();
}

} // namespace

DeclaredLength declaredLength(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::array<char, 4> magic{};
    if (!in || !in.read(magic.data(), 4))
        return {};
    const std::string m(magic.data(), 4);
    if (m == "fLaC")
        return flacLength(in);
    if (m == "RIFF") {
        std::array<char, 8> rest{};
        if (in.read(rest.data(), 8) && std::string(rest.data() + 4, 4) == "WAVE")
            return wavLength(in);
    }
    return {};
}

std::string endedEarlyWarning(const std::string& path, int64_t framesRead)
{
    const DeclaredLength d = declaredLength(path);
    if (d.frames < 0 || framesRead >= d.frames)
        return {};
    return path + ": the file ended early: the " + d.container + " header declares " + duration(d.frames, d.sampleRate)
           + ", " + duration(framesRead, d.sampleRate) + " could be read";
}

std::string endedEarlyWarning(const AudioData& audio)
{
    std::string w = endedEarlyWarning(audio.path, audio.framesIn);
    if (w.empty() && audio.endsInsideFrame)
        w = audio.path + ": the file ended early: it stops inside a " + audio.format + " frame; "
            + duration(audio.framesIn, audio.sampleRateIn) + " could be read";
    return w;
}

} // namespace spooflens::core
