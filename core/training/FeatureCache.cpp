#include "core/training/FeatureCache.h"

#include "core/Error.h"
#include "core/util/Sha256.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace spooflens::core {

namespace {

constexpr char kMagic[8] = {'S', 'L', 'F', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t kVersion = 1;

struct Header {
    char magic[8];
    uint32_t version;
    uint32_t bytesPerValue;  // 2 = float16, 4 = float32
    int64_t frames;
    int64_t dim;
    char detector[64];       // detector SHA-256 (hex), for inspection
};
static_assert(sizeof(Header) == 96, "cache header layout");

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

CachedFeatures FeatureCache::load(const std::string& key) const
{
    const std::string path = fileFor(key);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw CheckpointError(path + ": cannot open the cached features");
    struct stat st {};
    ::fstat(fd, &st);
    const size_t size = static_cast<size_t>(st.st_size);
    if (size < sizeof(Header)) {
        ::close(fd);
        throw CheckpointError(path + ": truncated feature cache file");
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED)
        throw CheckpointError(path + ": cannot map the cached features");
    Header h {};
    std::memcpy(&h, map, sizeof(Header));
    const auto fail = [&](const std::string& why) {
        ::munmap(map, size);
        throw CheckpointError(path + ": " + why);
    };
    if (std::memcmp(h.magic, kMagic, 8) != 0 || h.version != kVersion)
        fail("not a SpoofLens feature cache file");
    if ((h.bytesPerValue != 2 && h.bytesPerValue != 4) || h.frames <= 0 || h.dim <= 0)
        fail("bad feature cache header");
    const size_t count = static_cast<size_t>(h.frames * h.dim);
    if (size != sizeof(Header) + count * h.bytesPerValue)
        fail("feature cache file has the wrong size (interrupted write?)");
    CachedFeatures out;
    out.frames = h.frames;
    out.dim = h.dim;
    out.values.resize(count);
    const char* data = static_cast<const char*>(map) + sizeof(Header);
    if (h.bytesPerValue == 4) {
        std::memcpy(out.values.data(), data, count * 4);
    } else {
        const torch::Tensor half = torch::from_blob(const_cast<char*>(data), {int64_t(count)}, torch::kHalf);
        torch::Tensor f = torch::from_blob(out.values.data(), {int64_t(count)}, torch::kFloat);
        f.copy_(half);
    }
    ::munmap(map, size);
    return out;
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
    // Unique temporary name: several shard processes may write at once.
    std::random_device rd;
    const std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(rd());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(tmp + ": cannot write the feature cache");
        out.write(reinterpret_cast<const char*>(&h), sizeof h);
        const int64_t count = frames * dim;
        if (h.bytesPerValue == 4) {
            out.write(reinterpret_cast<const char*>(values), count * 4);
        } else {
            const torch::Tensor half =
                torch::from_blob(const_cast<float*>(values), {count}, torch::kFloat).to(torch::kHalf).contiguous();
            out.write(static_cast<const char*>(half.data_ptr()), count * 2);
        }
        if (!out)
            throw Error(tmp + ": write failed (disk full?)");
    }
    fs::rename(tmp, path, ec);
    if (ec)
        throw Error(path + ": cannot move the cached features into place: " + ec.message());
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
