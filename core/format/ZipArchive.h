#pragma once
// A small ZIP reader and writer for PyTorch checkpoints (docs/detector.md §5.1).
// Torch-free and Qt-free so that the fuzz target can link it alone.
//
// Reading: the central directory is authoritative (torch's local headers carry
// flag bit 3 and zero sizes); ZIP64 sizes, offsets and end records are
// supported; stored (method 0) and deflated (method 8) entries. Entry bytes are
// read with pread() straight into caller-provided memory, so a tensor's bytes
// are copied exactly once, from the file into the tensor.
//
// Writing: stored entries whose data start on a 64-byte boundary (padding in
// the local extra field), CRC-32, ZIP64 end records — the layout torch.save
// writes, so Python's torch.load reads it.
//
// Thread-safety: a ZipArchive may be read from several threads at once (pread
// has no shared file position); a ZipWriter is single-threaded.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spooflens::core {

struct ZipEntry {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;            // 0 stored, 8 deflated
    uint32_t crc32 = 0;
    uint64_t compressedSize = 0;
    uint64_t uncompressedSize = 0;
    uint64_t localHeaderOffset = 0;
    uint64_t dataOffset = 0;        // first byte of the (compressed) data
};

/// Where an archive's bytes come from: a file (pread) or a memory buffer.
class ZipSource {
public:
    virtual ~ZipSource() = default;
    virtual uint64_t size() const = 0;
    /// Reads exactly `n` bytes at `offset` into `dst`; throws CheckpointError on short reads.
    virtual void readAt(uint64_t offset, void* dst, size_t n) const = 0;
};

class ZipArchive {
public:
    /// Opens `path` and parses its central directory. Throws CheckpointError
    /// naming `path` if it is not a (well-formed) ZIP archive.
    static ZipArchive openFile(const std::string& path);
    /// Parses an archive held in memory (not copied: `data` must outlive the
    /// archive). `label` names it in error messages.
    static ZipArchive fromMemory(const void* data, size_t size, const std::string& label);

    /// True if the first bytes of `path` look like a ZIP local header ("PK\3\4").
    static bool looksLikeZip(const std::string& path);

    const std::string& label() const { return m_label; }
    const std::vector<ZipEntry>& entries() const { return m_entries; }
    /// nullptr if there is no entry of that exact name.
    const ZipEntry* find(const std::string& name) const;

    /// Reads the whole (uncompressed) entry into `dst`, which must hold
    /// `entry.uncompressedSize` bytes. Checks the CRC-32 if `verifyCrc`.
    void readEntry(const ZipEntry& entry, void* dst, bool verifyCrc = true) const;
    std::vector<unsigned char> readEntry(const ZipEntry& entry, bool verifyCrc = true) const;
    /// Reads `n` bytes at `offset` inside a *stored* entry (no CRC check possible).
    void readStoredRange(const ZipEntry& entry, uint64_t offset, void* dst, uint64_t n) const;

private:
    ZipArchive() = default;
    void parse();
    [[noreturn]] void fail(const std::string& what) const;

    std::string m_label;
    std::shared_ptr<ZipSource> m_source;
    std::vector<ZipEntry> m_entries;
    std::map<std::string, size_t> m_byName;
};

/// Writes a ZIP of stored entries the way torch.save does. Use:
/// open(), addEntry() for each record, finish(). The destructor of an
/// unfinished writer closes (and leaves) the partial file.
class ZipWriter {
public:
    explicit ZipWriter(const std::string& path);
    ~ZipWriter();
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    /// Adds a stored entry; its data start on a 64-byte file offset.
    void addEntry(const std::string& name, const void* data, uint64_t size);
    /// Writes the central directory and the ZIP64 + classic end records,
    /// flushes and fsyncs. Throws CheckpointError on I/O failure.
    void finish();

private:
    void writeAll(const void* data, uint64_t size);

    struct Written {
        std::string name;
        uint32_t crc32;
        uint64_t size;
        uint64_t localHeaderOffset;
    };
    std::string m_path;
    int m_fd = -1;
    uint64_t m_offset = 0;
    bool m_finished = false;
    std::vector<Written> m_written;
};

/// zlib CRC-32 over any number of bytes.
uint32_t zipCrc32(uint32_t crc, const void* data, uint64_t size);

} // namespace spooflens::core
