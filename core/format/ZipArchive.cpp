#include "core/format/ZipArchive.h"

#include "core/Error.h"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace spooflens::core {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kEnd64Size = 56;
constexpr size_t kEnd64LocatorSize = 20;
constexpr uint64_t kMaxEntries = 1u << 22;   // far above any checkpoint's record count
constexpr size_t kChunk = size_t(8) << 20;    // read/CRC granularity: CRC while the chunk is in cache

uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const unsigned char* p)
{
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t le64(const unsigned char* p) { return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32); }

void put16(std::string& out, uint16_t v)
{
    out.push_back(char(v & 0xff));
    out.push_back(char(v >> 8));
}
void put32(std::string& out, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        out.push_back(char((v >> (8 * i)) & 0xff));
}
void put64(std::string& out, uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        out.push_back(char((v >> (8 * i)) & 0xff));
}

class FileSource : public ZipSource {
public:
    explicit FileSource(const std::string& path) : m_path(path)
    {
        m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0)
            throw CheckpointError(path + ": cannot open: " + std::strerror(errno));
        struct stat st {};
        if (::fstat(m_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(m_fd);
            throw CheckpointError(path + ": not a regular file");
        }
        m_size = uint64_t(st.st_size);
    }
    ~FileSource() override { ::close(m_fd); }
    uint64_t size() const override { return m_size; }
    void readAt(uint64_t offset, void* dst, size_t n) const override
    {
        if (offset > m_size || n > m_size - offset)
            throw CheckpointError(m_path + ": read past the end of the file (truncated?)");
        auto* out = static_cast<unsigned char*>(dst);
        while (n > 0) {
            const ssize_t got = ::pread(m_fd, out, std::min(n, size_t(1) << 30), off_t(offset));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                throw CheckpointError(m_path + ": read failed at offset " + std::to_string(offset) + ": " +
                                      (got == 0 ? std::string("unexpected end of file") : std::strerror(errno)));
            out += got;
            offset += uint64_t(got);
            n -= size_t(got);
        }
    }

private:
    std::string m_path;
    int m_fd = -1;
    uint64_t m_size = 0;
};

class MemorySource : public ZipSource {
public:
    MemorySource(const void* data, size_t size, std::string label)
        : m_data(static_cast<const unsigned char*>(data)), m_size(size), m_label(std::move(label))
    {
    }
    uint64_t size() const override { return m_size; }
    void readAt(uint64_t offset, void* dst, size_t n) const override
    {
        if (offset > m_size || n > m_size - offset)
            throw CheckpointError(m_label + ": read past the end of the data (truncated?)");
        if (n > 0)
            std::memcpy(dst, m_data + offset, n);
    }

private:
    const unsigned char* m_data;
    size_t m_size;
    std::string m_label;
};

} // namespace

uint32_t zipCrc32(uint32_t crc, const void* data, uint64_t size)
{
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {
        const uInt n = uInt(std::min<uint64_t>(size, 1u << 30));
        crc = uint32_t(::crc32(crc, p, n));
        p += n;
        size -= n;
    }
    return crc;
}

ZipArchive ZipArchive::openFile(const std::string& path)
{
    ZipArchive a;
    a.m_label = path;
    a.m_source = std::make_shared<FileSource>(path);
    a.parse();
    return a;
}

ZipArchive ZipArchive::fromMemory(const void* data, size_t size, const std::string& label)
{
    ZipArchive a;
    a.m_label = label;
    a.m_source = std::make_shared<MemorySource>(data, size, label);
    a.parse();
    return a;
}

bool ZipArchive::looksLikeZip(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char b[4] = {0, 0, 0, 0};
    const bool ok = ::pread(fd, b, 4, 0) == 4 && le32(b) == kLocalSig;
    ::close(fd);
    return ok;
}

void ZipArchive::fail(const std::string& what) const
{
    throw CheckpointError(m_label + ": not a valid ZIP archive: " + what);
}

const ZipEntry* ZipArchive::find(const std::string& name) const
{
    const auto it = m_byName.find(name);
    return it == m_byName.end() ? nullptr : &m_entries[it->second];
}

void ZipArchive::parse()
{
    const uint64_t fileSize = m_source->size();
    if (fileSize < kEndSize)
        fail("file too short (" + std::to_string(fileSize) + " bytes; truncated?)");

    // The end record sits in the last 22 + up to 65535 (comment) bytes.
    const uint64_t tailSize = std::min<uint64_t>(fileSize, kEndSize + 0xffff);
    std::vector<unsigned char> tail(tailSize);
    m_source->readAt(fileSize - tailSize, tail.data(), tailSize);
    int64_t endPos = -1;
    for (int64_t i = int64_t(tailSize - kEndSize); i >= 0; --i) {
        const unsigned char* p = tail.data() + i;
        if (le32(p) == kEndSig && uint64_t(i) + kEndSize + le16(p + 20) == tailSize) {
            endPos = i;
            break;
        }
    }
    if (endPos < 0)
        fail("no end-of-central-directory record (truncated file?)");
    const uint64_t endOffset = fileSize - tailSize + uint64_t(endPos);
    const unsigned char* end = tail.data() + endPos;
    if (le16(end + 4) != 0 || le16(end + 6) != 0)
        fail("multi-disk archives are not supported");
    uint64_t entryCount = le16(end + 10);
    uint64_t cdSize = le32(end + 12);
    uint64_t cdOffset = le32(end + 16);
    uint64_t cdLimit = endOffset;   // the central directory ends before this

    // ZIP64: a locator right before the classic end record points to the ZIP64 end record.
    if (endOffset >= kEnd64LocatorSize) {
        unsigned char loc[kEnd64LocatorSize];
        m_source->readAt(endOffset - kEnd64LocatorSize, loc, kEnd64LocatorSize);
        if (le32(loc) == kEnd64LocatorSig) {
            const uint64_t end64Offset = le64(loc + 8);
            if (end64Offset > endOffset - kEnd64LocatorSize || endOffset - kEnd64LocatorSize - end64Offset < kEnd64Size)
                fail("ZIP64 end record offset out of range");
            unsigned char e64[kEnd64Size];
            m_source->readAt(end64Offset, e64, kEnd64Size);
            if (le32(e64) != kEnd64Sig)
                fail("bad ZIP64 end record signature");
            entryCount = le64(e64 + 32);
            cdSize = le64(e64 + 40);
            cdOffset = le64(e64 + 48);
            cdLimit = end64Offset;
        }
    }
    if (entryCount > kMaxEntries)
        fail("too many entries (" + std::to_string(entryCount) + ")");
    if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset)
        fail("central directory out of range (truncated file?)");
    if (entryCount * kCentralHeaderSize > cdSize)
        fail("central directory too small for " + std::to_string(entryCount) + " entries");

    std::vector<unsigned char> cd(cdSize);
    m_source->readAt(cdOffset, cd.data(), cdSize);
    m_entries.reserve(entryCount);
    size_t pos = 0;
    for (uint64_t n = 0; n < entryCount; ++n) {
        if (cdSize - pos < kCentralHeaderSize)
            fail("central directory truncated at entry " + std::to_string(n));
        const unsigned char* h = cd.data() + pos;
        if (le32(h) != kCentralSig)
            fail("bad central directory signature at entry " + std::to_string(n));
        ZipEntry e;
        e.flags = le16(h + 8);
        e.method = le16(h + 10);
        e.crc32 = le32(h + 16);
        e.compressedSize = le32(h + 20);
        e.uncompressedSize = le32(h + 24);
        const size_t nameLen = le16(h + 28);
        const size_t extraLen = le16(h + 30);
        const size_t commentLen = le16(h + 32);
        const uint16_t disk = le16(h + 34);
        e.localHeaderOffset = le32(h + 42);
        if (cdSize - pos - kCentralHeaderSize < nameLen + extraLen + commentLen)
            fail("central directory entry " + std::to_string(n) + " overruns the directory");
        e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), nameLen);
        // ZIP64 extended information: only the fields saturated in the header, in this order.
        const unsigned char* x = h + kCentralHeaderSize + nameLen;
        size_t xp = 0;
        while (xp + 4 <= extraLen) {
            const uint16_t id = le16(x + xp);
            const size_t len = le16(x + xp + 2);
            if (xp + 4 + len > extraLen)
                fail("bad extra field in entry '" + e.name + "'");
            if (id == 0x0001) {
                const unsigned char* f = x + xp + 4;
                size_t left = len;
                auto take = [&](uint64_t& v) {
                    if (left < 8)
                        fail("short ZIP64 extra field in entry '" + e.name + "'");
                    v = le64(f);
                    f += 8;
                    left -= 8;
                };
                if (e.uncompressedSize == 0xffffffffu)
                    take(e.uncompressedSize);
                if (e.compressedSize == 0xffffffffu)
                    take(e.compressedSize);
                if (e.localHeaderOffset == 0xffffffffu)
                    take(e.localHeaderOffset);
            }
            xp += 4 + len;
        }
        pos += kCentralHeaderSize + nameLen + extraLen + commentLen;

        if (disk != 0 && disk != 0xffff)
            fail("entry '" + e.name + "' is on another disk");
        if (e.flags & 0x0001)
            fail("entry '" + e.name + "' is encrypted");
        if (e.method != 0 && e.method != 8)
            fail("entry '" + e.name + "' uses unsupported compression method " + std::to_string(e.method));
        if (e.method == 0 && e.compressedSize != e.uncompressedSize)
            fail("stored entry '" + e.name + "' has different compressed and uncompressed sizes");

        // The data start after the *local* header, whose extra field differs
        // from the central one (torch pads it for 64-byte alignment).
        if (e.localHeaderOffset > cdOffset || cdOffset - e.localHeaderOffset < kLocalHeaderSize)
            fail("entry '" + e.name + "' has its local header out of range");
        unsigned char lh[kLocalHeaderSize];
        m_source->readAt(e.localHeaderOffset, lh, kLocalHeaderSize);
        if (le32(lh) != kLocalSig)
            fail("bad local header signature for entry '" + e.name + "'");
        const uint64_t localNameLen = le16(lh + 26);
        const uint64_t localExtraLen = le16(lh + 28);
        if (localNameLen != nameLen)
            fail("local and central names differ for entry '" + e.name + "'");
        e.dataOffset = e.localHeaderOffset + kLocalHeaderSize + localNameLen + localExtraLen;
        if (e.dataOffset > cdOffset || e.compressedSize > cdOffset - e.dataOffset)
            fail("data of entry '" + e.name + "' run past the central directory (truncated file?)");

        if (!m_byName.emplace(e.name, m_entries.size()).second)
            fail("duplicate entry '" + e.name + "'");
        m_entries.push_back(std::move(e));
    }
}

void ZipArchive::readStoredRange(const ZipEntry& entry, uint64_t offset, void* dst, uint64_t n) const
{
    if (entry.method != 0)
        throw CheckpointError(m_label + ": entry '" + entry.name + "' is compressed; expected a stored record");
    if (offset > entry.uncompressedSize || n > entry.uncompressedSize - offset)
        throw CheckpointError(m_label + ": read outside entry '" + entry.name + "'");
    auto* out = static_cast<unsigned char*>(dst);
    uint64_t done = 0;
    while (done < n) {
        const size_t len = size_t(std::min<uint64_t>(n - done, kChunk));
        m_source->readAt(entry.dataOffset + offset + done, out + done, len);
        done += len;
    }
}

void ZipArchive::readEntry(const ZipEntry& entry, void* dst, bool verifyCrc) const
{
    auto* out = static_cast<unsigned char*>(dst);
    uint32_t crc = 0;
    if (entry.method == 0) {
        // Chunks keep each chunk in cache for its CRC; without a CRC, one big read.
        const uint64_t chunk = verifyCrc ? kChunk : (uint64_t(1) << 30);
        uint64_t done = 0;
        while (done < entry.uncompressedSize) {
            const size_t len = size_t(std::min<uint64_t>(entry.uncompressedSize - done, chunk));
            m_source->readAt(entry.dataOffset + done, out + done, len);
            if (verifyCrc)
                crc = zipCrc32(crc, out + done, len);
            done += len;
        }
    } else {
        z_stream zs {};
        if (inflateInit2(&zs, -15) != Z_OK)
            throw CheckpointError(m_label + ": zlib initialisation failed");
        std::vector<unsigned char> in(std::min<uint64_t>(std::max<uint64_t>(entry.compressedSize, 1), 1u << 20));
        uint64_t readIn = 0;
        uint64_t produced = 0;
        int rc = Z_OK;
        try {
            while (rc != Z_STREAM_END) {
                if (zs.avail_in == 0 && readIn < entry.compressedSize) {
                    const size_t len = size_t(std::min<uint64_t>(entry.compressedSize - readIn, in.size()));
                    m_source->readAt(entry.dataOffset + readIn, in.data(), len);
                    readIn += len;
                    zs.next_in = in.data();
                    zs.avail_in = uInt(len);
                }
                const uint64_t room = entry.uncompressedSize - produced;
                unsigned char spill = 0;
                // One spare byte beyond the declared size detects entries that inflate to more.
                zs.next_out = room > 0 ? out + produced : &spill;
                zs.avail_out = room > 0 ? uInt(std::min<uint64_t>(room, 1u << 30)) : 1;
                const uInt before = zs.avail_out;
                const uInt inBefore = zs.avail_in;
                rc = inflate(&zs, Z_NO_FLUSH);
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                    throw CheckpointError(m_label + ": entry '" + entry.name + "' is corrupt (inflate: " +
                                          (zs.msg ? zs.msg : "error") + ")");
                const uInt made = before - zs.avail_out;
                if (room == 0 && made > 0)
                    throw CheckpointError(m_label + ": entry '" + entry.name + "' inflates to more than its declared size");
                produced += made;
                if (rc != Z_STREAM_END && made == 0 && zs.avail_in == inBefore) {
                    // No progress: the input ran out before the end of the stream.
                    if (zs.avail_in == 0 && readIn >= entry.compressedSize)
                        throw CheckpointError(m_label + ": entry '" + entry.name + "' is truncated");
                    if (zs.avail_in != 0)
                        throw CheckpointError(m_label + ": entry '" + entry.name + "' is corrupt (inflate stalled)");
                }
            }
        } catch (...) {
            inflateEnd(&zs);
            throw;
        }
        inflateEnd(&zs);
        if (produced != entry.uncompressedSize)
            throw CheckpointError(m_label + ": entry '" + entry.name + "' inflates to " + std::to_string(produced) +
                                  " bytes, expected " + std::to_string(entry.uncompressedSize));
        if (verifyCrc)
            crc = zipCrc32(0, out, entry.uncompressedSize);
    }
    if (verifyCrc && crc != entry.crc32)
        throw CheckpointError(m_label + ": CRC-32 mismatch in entry '" + entry.name
                              + "' (its bytes differ from those the archive recorded: a damaged or edited file)");
}

std::vector<unsigned char> ZipArchive::readEntry(const ZipEntry& entry, bool verifyCrc) const
{
    // Deflated entries could claim absurd sizes: never allocate more than the
    // maximum DEFLATE expansion (~1032:1) of what the file actually holds.
    if (entry.method != 0 && entry.uncompressedSize / 1032 > entry.compressedSize + 1)
        throw CheckpointError(m_label + ": entry '" + entry.name + "' claims an impossible uncompressed size");
    std::vector<unsigned char> out(entry.uncompressedSize);
    readEntry(entry, out.data(), verifyCrc);
    return out;
}

// ---------------------------------------------------------------- writer

ZipWriter::ZipWriter(const std::string& path) : m_path(path)
{
    m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (m_fd < 0)
        throw CheckpointError(path + ": cannot create: " + std::strerror(errno));
}

ZipWriter::~ZipWriter()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void ZipWriter::writeAll(const void* data, uint64_t size)
{
    const auto* p = static_cast<const unsigned char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(m_fd, p, size_t(std::min<uint64_t>(size, 1u << 30)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw CheckpointError(m_path + ": write failed: " + std::strerror(errno));
        p += n;
        size -= uint64_t(n);
        m_offset += uint64_t(n);
    }
}

void ZipWriter::addEntry(const std::string& name, const void* data, uint64_t size)
{
    if (m_finished)
        throw CheckpointError(m_path + ": ZIP writer already finished");
    if (name.size() > 0xffff)
        throw CheckpointError(m_path + ": entry name too long");
    const uint32_t crc = zipCrc32(0, data, size);
    const bool big = size >= 0xffffffffu;
    std::string h;
    put32(h, kLocalSig);
    put16(h, big ? 45 : 20);        // version needed
    put16(h, 0x0800);               // UTF-8 names
    put16(h, 0);                    // stored
    put16(h, 0);                    // time
    put16(h, 0x21);                 // date 1980-01-01
    put32(h, crc);
    put32(h, big ? 0xffffffffu : uint32_t(size));
    put32(h, big ? 0xffffffffu : uint32_t(size));
    put16(h, uint16_t(name.size()));
    const size_t zip64Len = big ? 20 : 0;
    const uint64_t base = m_offset + kLocalHeaderSize + name.size() + zip64Len + 4;
    const size_t pad = size_t((64 - base % 64) % 64);
    put16(h, uint16_t(zip64Len + 4 + pad));
    h += name;
    if (big) {
        put16(h, 0x0001);
        put16(h, 16);
        put64(h, size);
        put64(h, size);
    }
    put16(h, 0x4246);   // "FB": torch's padding field id
    put16(h, uint16_t(pad));
    h.append(pad, 'Z');
    const uint64_t localOffset = m_offset;
    writeAll(h.data(), h.size());
    writeAll(data, size);
    m_written.push_back({name, crc, size, localOffset});
}

void ZipWriter::finish()
{
    if (m_finished)
        return;
    std::string cd;
    for (const Written& w : m_written) {
        const bool bigSize = w.size >= 0xffffffffu;
        const bool bigOffset = w.localHeaderOffset >= 0xffffffffu;
        std::string extra;
        if (bigSize || bigOffset) {
            std::string f;
            if (bigSize) {
                put64(f, w.size);
                put64(f, w.size);
            }
            if (bigOffset)
                put64(f, w.localHeaderOffset);
            put16(extra, 0x0001);
            put16(extra, uint16_t(f.size()));
            extra += f;
        }
        put32(cd, kCentralSig);
        put16(cd, 0x031e);              // made by: unix, 3.0
        put16(cd, extra.empty() ? 20 : 45);
        put16(cd, 0x0800);
        put16(cd, 0);
        put16(cd, 0);
        put16(cd, 0x21);
        put32(cd, w.crc32);
        put32(cd, bigSize ? 0xffffffffu : uint32_t(w.size));
        put32(cd, bigSize ? 0xffffffffu : uint32_t(w.size));
        put16(cd, uint16_t(w.name.size()));
        put16(cd, uint16_t(extra.size()));
        put16(cd, 0);                   // comment
        put16(cd, 0);                   // disk
        put16(cd, 0);                   // internal attributes
        put32(cd, 0100644u << 16);      // external attributes: regular file 0644
        put32(cd, bigOffset ? 0xffffffffu : uint32_t(w.localHeaderOffset));
        cd += w.name;
        cd += extra;
    }
    const uint64_t cdOffset = m_offset;
    const uint64_t count = m_written.size();
    const uint64_t end64Offset = cdOffset + cd.size();
    // ZIP64 end record + locator always (as torch writes them), then the classic end record.
    put32(cd, kEnd64Sig);
    put64(cd, kEnd64Size - 12);
    put16(cd, 0x031e);
    put16(cd, 45);
    put32(cd, 0);
    put32(cd, 0);
    put64(cd, count);
    put64(cd, count);
    put64(cd, end64Offset - cdOffset);
    put64(cd, cdOffset);
    put32(cd, kEnd64LocatorSig);
    put32(cd, 0);
    put64(cd, end64Offset);
    put32(cd, 1);
    put32(cd, kEndSig);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, uint16_t(std::min<uint64_t>(count, 0xffff)));
    put16(cd, uint16_t(std::min<uint64_t>(count, 0xffff)));
    put32(cd, uint32_t(std::min<uint64_t>(end64Offset - cdOffset, 0xffffffffu)));
    put32(cd, uint32_t(std::min<uint64_t>(cdOffset, 0xffffffffu)));
    put16(cd, 0);
    writeAll(cd.data(), cd.size());
    if (::fsync(m_fd) != 0)
        throw CheckpointError(m_path + ": fsync failed: " + std::strerror(errno));
    if (::close(m_fd) != 0) {
        m_fd = -1;
        throw CheckpointError(m_path + ": close failed: " + std::strerror(errno));
    }
    m_fd = -1;
    m_finished = true;
}

} // namespace spooflens::core
