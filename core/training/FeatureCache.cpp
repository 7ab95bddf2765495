#include "core/training/FeatureCache.h"

#include "core/Error.h"
#include "core/training/RunFolder.h"
#include "core/util/Sha256.h"

#include <torch/torch.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <xxhash.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace spooflens::core {

namespace {

constexpr char kMagic[8] = {'S', 'L', 'F', 'C', 'A', 'C', 'H', 'E'};
// Version 2 added the payload checksum, version 3 extended it over the
// header (docs/reliability.md): entries of older versions are recomputed once.
constexpr uint32_t kVersion = 3;
// Bounds on a header's shape: far above any real utterance (2^31 frames is
// 1.4 years of audio) and small enough that frames x dim x 4 cannot overflow.
constexpr int64_t kMaxFrames = int64_t(1) << 31;
constexpr int64_t kMaxDim = int64_t(1) << 16;

struct Header {
    char magic[8];
    uint32_t version;
    uint32_t bytesPerValue;  // 2 = float16, 4 = float32
    int64_t frames;
    int64_t dim;
    char detector[64];       // detector SHA-256 (hex)
    uint64_t checksum;       // entryChecksum: the header above and the payload
};
static_assert(sizeof(Header) == 104, "cache header layout");
static_assert(offsetof(Header, checksum) == 96, "the checksum is the header's last field");

// XXH64 of the payload, seeded with the XXH64 (seed 0) of the header's first
// 96 bytes: magic, version, value size, T, D and the detector are all covered,
// so swapped or edited dimensions fail the checksum like damaged values.
uint64_t entryChecksum(const Header& h, const void* payload, size_t bytes)
{
    const uint64_t headerHash = XXH64(&h, offsetof(Header, checksum), 0);
    return XXH64(payload, bytes, headerHash);
}

} // namespace

FeatureCache::FeatureCache(std::string dir, std::string detectorSha256, std::string dtype)
    : m_dir(std::move(dir)), m_detectorSha(std::move(detectorSha256)), m_dtype(std::move(dtype))
{
    if (m_dtype != "float16" && m_dtype != "float32")
        throw ConfigError("feature cache dtype must be float16 or float32, got '" + m_dtype + "'");
    std::error_code ec;
    fs::create_directories(m_dir, ec);
    if (ec)
        throw Error("cannot create the feature cache folder '" + m_dir + "': " + ec.message());
}

std::string FeatureCache::key(const std::string& audioPath, const std::string& cropPolicy) const
{
    struct stat st {};
    if (::stat(audioPath.c_str(), &st) != 0)
        throw AudioError(audioPath + ": cannot stat the audio file for the feature cache");
    std::error_code ec;
    const std::string canonical = fs::weakly_canonical(audioPath, ec).string();
    const std::string id = m_detectorSha + "\n" + (ec ? audioPath : canonical) + "\n"
        + std::to_string(static_cast<long long>(st.st_size)) + "\n"
        + std::to_string(static_cast<long long>(st.st_mtim.tv_sec)) + "."
        + std::to_string(static_cast<long long>(st.st_mtim.tv_nsec)) + "\n" + cropPolicy + "\n" + m_dtype;
    return sha256Bytes(id);
}

std::string FeatureCache::fileFor(const std::string& key) const
{
    return (fs::path(m_dir) / key.substr(0, 2) / (key + ".feat")).string();
}

bool FeatureCache::contains(const std::string& key) const
{
    std::error_code ec;
    return fs::is_regular_file(fileFor(key), ec);
}

namespace {

// A read-only mapping of one cache file with its validated header.
class MappedEntry {
public:
    MappedEntry(const std::string& path, const std::string& detectorSha) : m_path(path)
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw CheckpointError(path + ": cannot open the cached features");
        struct stat st {};
        ::fstat(fd, &st);
        m_size = static_cast<size_t>(st.st_size);
        if (m_size < sizeof(Header)) {
            ::close(fd);
            throw CheckpointError(path + ": truncated feature cache file");
        }
        m_map = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        ::close(fd);
        if (m_map == MAP_FAILED) {
            m_map = nullptr;
            throw CheckpointError(path + ": cannot map the cached features");
        }
        std::memcpy(&m_header, m_map, sizeof(Header));
        if (std::memcmp(m_header.magic, kMagic, 8) != 0)
            fail("not a SpoofLens feature cache file");
        if (m_header.version != kVersion)
            fail("feature cache entry of format version " + std::to_string(m_header.version) + " (expected "
                 + std::to_string(kVersion) + ")");
        if ((m_header.bytesPerValue != 2 && m_header.bytesPerValue != 4) || m_header.frames <= 0
            || m_header.dim <= 0 || m_header.frames > kMaxFrames || m_header.dim > kMaxDim)
            fail("bad feature cache header (" + std::to_string(m_header.frames) + " x " + std::to_string(m_header.dim)
                 + ")");
        // Bounded above, so this product fits in 64 bits.
        const uint64_t payload = uint64_t(m_header.frames) * uint64_t(m_header.dim) * m_header.bytesPerValue;
        if (uint64_t(m_size) - sizeof(Header) != payload)
            fail("feature cache file has the wrong size (interrupted write?)");
        const std::string sha(m_header.detector, strnlen(m_header.detector, sizeof m_header.detector));
        if (!detectorSha.empty() && sha != detectorSha.substr(0, sizeof m_header.detector))
            fail("cached features of another detector (sha256 " + sha.substr(0, 12) + "..., expected "
                 + detectorSha.substr(0, 12) + "...)");
        if (entryChecksum(m_header, static_cast<const char*>(m_map) + sizeof(Header), payload) != m_header.checksum)
            fail("cached features fail their checksum (damaged or edited file)");
    }
    ~MappedEntry()
    {
        if (m_map)
            ::munmap(m_map, m_size);
    }
    MappedEntry(const MappedEntry&) = delete;
    MappedEntry& operator=(const MappedEntry&) = delete;

    [[noreturn]] void fail(const std::string& why) const { throw CheckpointError(m_path + ": " + why); }
    const Header& header() const { return m_header; }
    size_t count() const { return static_cast<size_t>(m_header.frames * m_header.dim); }

    void copyTo(float* dst) const
    {
        const char* data = static_cast<const char*>(m_map) + sizeof(Header);
        const size_t n = count();
        if (m_header.bytesPerValue == 4) {
            std::memcpy(dst, data, n * 4);
        } else {
            // A plain loop: a torch dtype copy here goes through the intra-op
            // thread pool, which costs more than the conversion on a busy machine.
            const c10::Half* src = reinterpret_cast<const c10::Half*>(data);
            for (size_t i = 0; i < n; ++i)
                dst[i] = static_cast<float>(src[i]);
        }
        // NaN is not a feature (store() never writes one): the entry is damaged.
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(dst[i]))
                fail("cached features contain NaN or infinity (value " + std::to_string(i) + ")");
    }

private:
    std::string m_path;
    size_t m_size = 0;
    void* m_map = nullptr;
    Header m_header {};
};

} // namespace

CachedFeatures FeatureCache::load(const std::string& key) const
{
    const MappedEntry e(fileFor(key), m_detectorSha);
    CachedFeatures out;
    out.frames = e.header().frames;
    out.dim = e.header().dim;
    out.values.resize(e.count());
    e.copyTo(out.values.data());
    return out;
}

std::pair<int64_t, int64_t> FeatureCache::shape(const std::string& key) const
{
    const MappedEntry e(fileFor(key), m_detectorSha);
    return {e.header().frames, e.header().dim};
}

void FeatureCache::loadInto(const std::string& key, float* dst, int64_t frames, int64_t dim) const
{
    const MappedEntry e(fileFor(key), m_detectorSha);
    if (e.header().frames != frames || e.header().dim != dim)
        e.fail("cached features are " + std::to_string(e.header().frames) + " x " + std::to_string(e.header().dim)
               + ", expected " + std::to_string(frames) + " x " + std::to_string(dim));
    e.copyTo(dst);
}

void FeatureCache::store(const std::string& key, const float* values, int64_t frames, int64_t dim) const
{
    const std::string path = fileFor(key);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    Header h {};
    std::memcpy(h.magic, kMagic, 8);
    h.version = kVersion;
    h.bytesPerValue = m_dtype == "float16" ? 2 : 4;
    h.frames = frames;
    h.dim = dim;
    std::memset(h.detector, 0, sizeof h.detector);
    std::memcpy(h.detector, m_detectorSha.data(), std::min<size_t>(64, m_detectorSha.size()));
    if (frames <= 0 || dim <= 0 || frames > kMaxFrames || dim > kMaxDim)
        throw Error(path + ": cannot cache features of shape " + std::to_string(frames) + " x " + std::to_string(dim));
    const size_t count = static_cast<size_t>(frames * dim);
    for (size_t i = 0; i < count; ++i)
        if (!std::isfinite(values[i]))
            throw Error(path + ": the detector produced NaN or infinite features (value " + std::to_string(i)
                        + "); nothing was cached");
    std::string bytes(sizeof h, '\0');
    if (h.bytesPerValue == 4) {
        bytes.append(reinterpret_cast<const char*>(values), count * 4);
    } else {
        std::vector<c10::Half> half(count);
        for (size_t i = 0; i < count; ++i) {
            half[i] = c10::Half(values[i]);
            if (!std::isfinite(static_cast<float>(half[i])))
                throw Error(path + ": feature value " + std::to_string(values[i])
                            + " exceeds the float16 range; set cache.dtype: float32");
        }
        bytes.append(reinterpret_cast<const char*>(half.data()), count * 2);
    }
    h.checksum = entryChecksum(h, bytes.data() + sizeof h, bytes.size() - sizeof h);
    std::memcpy(bytes.data(), &h, sizeof h);
    // Checked writes, fsync, rename (the temporary name is unique per process:
    // several shard processes may write the same folder at once).
    replaceFileAtomically(path, bytes);
}

std::pair<int64_t, int64_t> parseShard(const std::string& text)
{
    const auto slash = text.find('/');
    try {
        if (slash != std::string::npos) {
            size_t a = 0, b = 0;
            const long long k = std::stoll(text.substr(0, slash), &a);
            const long long n = std::stoll(text.substr(slash + 1), &b);
            if (a == slash && b == text.size() - slash - 1 && n >= 1 && k >= 0 && k < n)
                return {k, n};
        }
    } catch (const std::exception&) {
    }
    throw ConfigError("--shard '" + text + "': expected K/N with 0 <= K < N (e.g. 0/4 ... 3/4)");
}

} // namespace spooflens::core
