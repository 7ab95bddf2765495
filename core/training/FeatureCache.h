#pragma once
// On-disk cache of SSL features h(t) (T x D per utterance), float16 or
// float32, memory-mapped on read. One file per (detector, audio, crop) key:
//   key = SHA-256(detector file SHA-256, audio path, size, mtime, crop policy, dtype)
// so a different detector or a changed audio file never reuses stale features.
// One file per utterance means shards (`spooflens cache --shard K/N`) fill the
// same folder in parallel and need no merge step. Torch-free header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spooflens::core {

struct CachedFeatures {
    int64_t frames = 0;          ///< T
    int64_t dim = 0;             ///< D
    std::vector<float> values;   ///< T x D row-major, float32
};

/// Thread-safety: distinct keys may be written from different processes at
/// once (atomic rename); one object is not shared between threads.
class FeatureCache {
public:
    /// `dtype`: "float16" or "float32". Creates `dir` if needed.
    FeatureCache(std::string dir, std::string detectorSha256, std::string dtype = "float16");

    /// Key of an audio file under a crop policy (e.g. "start:64600:repeat").
    /// Throws AudioError if the file cannot be stat'ed.
    std::string key(const std::string& audioPath, const std::string& cropPolicy) const;
    std::string fileFor(const std::string& key) const;
    bool contains(const std::string& key) const;

    /// Reads via mmap; throws CheckpointError if the file is corrupt.
    CachedFeatures load(const std::string& key) const;
    /// (T, D) of a cached entry (reads the header only). Throws CheckpointError.
    std::pair<int64_t, int64_t> shape(const std::string& key) const;
    /// Reads straight into `dst` (T x D float32, e.g. a row of a batch tensor):
    /// one pass over the mapped file, no intermediate copy.
    void loadInto(const std::string& key, float* dst, int64_t frames, int64_t dim) const;
    /// Writes atomically (temporary file + rename).
    void store(const std::string& key, const float* values, int64_t frames, int64_t dim) const;

    const std::string& dir() const { return m_dir; }
    const std::string& detectorSha256() const { return m_detectorSha; }
    const std::string& dtype() const { return m_dtype; }

private:
    std::string m_dir;
    std::string m_detectorSha;
    std::string m_dtype;
};

/// Parses "K/N" (0 <= K < N). Throws ConfigError.
std::pair<int64_t, int64_t> parseShard(const std::string& text);

} // namespace spooflens::core
