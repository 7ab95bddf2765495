#include "core/format/Npy.h"

#include "core/Error.h"
#include "core/format/ZipArchive.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include <sys/stat.h>

namespace spooflens::core {

int64_t NpyArray::numel() const
{
    int64_t n = 1;
    for (int64_t s : shape)
        n *= s;
    return n;
}

const float* NpyArray::f32() const
{
    if (descr != "<f4")
        throw CheckpointError("array has dtype '" + descr + "', not float32 ('<f4')");
    return reinterpret_cast<const float*>(data.data());
}

const int64_t* NpyArray::i64() const
{
    if (descr != "<i8")
        throw CheckpointError("array has dtype '" + descr + "', not int64 ('<i8')");
    return reinterpret_cast<const int64_t*>(data.data());
}

namespace {

constexpr size_t kPreludeSize = 10;   // magic (6) + version (2) + HLEN (2)
constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct Header {
    std::string descr;
    bool fortran = false;
    std::vector<int64_t> shape;
};

// Parses numpy's header dict literal, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (201, 64), }
Header parseHeader(const std::string& h, const std::string& where)
{
    auto fail = [&](const std::string& why) -> Header {
        throw CheckpointError(where + ": bad .npy header (" + why + "): " + h.substr(0, 120));
    };
    Header out;
    auto valueAfter = [&](const char* key) -> size_t {
        const std::string k = std::string("'") + key + "'";
        size_t p = h.find(k);
        if (p == std::string::npos)
            return std::string::npos;
        p = h.find(':', p + k.size());
        if (p == std::string::npos)
            return std::string::npos;
        ++p;
        while (p < h.size() && h[p] == ' ')
            ++p;
        return p;
    };
    size_t p = valueAfter("descr");
    if (p == std::string::npos || p >= h.size() || (h[p] != '\'' && h[p] != '"'))
        return fail("no descr");
    const size_t q = h.find(h[p], p + 1);
    if (q == std::string::npos)
        return fail("unterminated descr");
    out.descr = h.substr(p + 1, q - p - 1);

    p = valueAfter("fortran_order");
    if (p == std::string::npos)
        return fail("no fortran_order");
    if (h.compare(p, 4, "True") == 0)
        out.fortran = true;
    else if (h.compare(p, 5, "False") != 0)
        return fail("bad fortran_order");

    p = valueAfter("shape");
    if (p == std::string::npos || p >= h.size() || h[p] != '(')
        return fail("no shape");
    const size_t close = h.find(')', p);
    if (close == std::string::npos)
        return fail("unterminated shape");
    size_t i = p + 1;
    while (i < close) {
        while (i < close && (h[i] == ' ' || h[i] == ','))
            ++i;
        if (i >= close)
            break;
        int64_t v = 0;
        bool digits = false;
        while (i < close && h[i] >= '0' && h[i] <= '9') {
            if (v > (std::numeric_limits<int64_t>::max() - 9) / 10)
                return fail("dimension too large");
            v = v * 10 + (h[i] - '0');
            ++i;
            digits = true;
        }
        if (!digits)
            return fail("bad shape");
        if (i < close && h[i] == 'L')
            ++i;
        out.shape.push_back(v);
        if (out.shape.size() > 32)
            return fail("too many dimensions");
    }
    return out;
}

// Checks and decodes a whole .npy file held in memory.
NpyArray decodeNpy(const unsigned char* bytes, size_t size, const std::string& where)
{
    if (size < kPreludeSize || std::memcmp(bytes, kMagic, sizeof kMagic) != 0)
        throw CheckpointError(where + ": not a .npy file (bad magic)");
    if (bytes[6] != 1 || bytes[7] != 0)
        throw CheckpointError(where + ": .npy version " + std::to_string(bytes[6]) + "." + std::to_string(bytes[7]) +
                              " is not supported (only 1.0)");
    const size_t hlen = size_t(bytes[8]) | (size_t(bytes[9]) << 8);
    if (size - kPreludeSize < hlen)
        throw CheckpointError(where + ": truncated .npy header");
    const std::string header(reinterpret_cast<const char*>(bytes + kPreludeSize), hlen);
    Header h = parseHeader(header, where);
    if (h.descr != "<f4" && h.descr != "<i8") {
        const bool bigEndian = !h.descr.empty() && h.descr[0] == '>';
        throw CheckpointError(where + ": dtype '" + h.descr + "' is not supported" +
                              (bigEndian ? " (big-endian)" : "") + "; expected '<f4' (float32) or '<i8' (int64)");
    }
    if (h.fortran)
        throw CheckpointError(where + ": Fortran-order arrays are not supported");
    NpyArray a;
    a.descr = h.descr;
    a.shape = h.shape;
    uint64_t n = 1;
    for (int64_t s : a.shape)
        if (__builtin_mul_overflow(n, uint64_t(s), &n))
            throw CheckpointError(where + ": array size overflows");
    uint64_t bytesNeeded = 0;
    if (__builtin_mul_overflow(n, uint64_t(a.descr == "<f4" ? 4 : 8), &bytesNeeded))
        throw CheckpointError(where + ": array size overflows");
    const size_t dataStart = kPreludeSize + hlen;
    if (size - dataStart != bytesNeeded)
        throw CheckpointError(where + ": data size " + std::to_string(size - dataStart) + " bytes does not match shape (" +
                              std::to_string(bytesNeeded) + " bytes expected)");
    a.data.assign(bytes + dataStart, bytes + size);
    return a;
}

} // namespace

NpyArray readNpy(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw CheckpointError(path + ": cannot open: " + std::strerror(errno));
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw CheckpointError(path + ": read failed");
    return decodeNpy(bytes.data(), bytes.size(), path);
}

std::map<std::string, NpyArray> readNpz(const std::string& path)
{
    const ZipArchive zip = ZipArchive::openFile(path);
    std::map<std::string, NpyArray> out;
    for (const ZipEntry& entry : zip.entries()) {
        const std::string& name = entry.name;
        const std::string where = path + ": entry '" + name + "'";
        if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
            throw CheckpointError(where + " is not a .npy file");
        if (entry.uncompressedSize > (uint64_t(1) << 34))
            throw CheckpointError(where + " is too large");
        const std::vector<unsigned char> bytes = zip.readEntry(entry, /*verifyCrc=*/true);
        out.emplace(name.substr(0, name.size() - 4), decodeNpy(bytes.data(), bytes.size(), where));
    }
    return out;
}

void writeNpyF32(const std::string& path, const float* data, const std::vector<int64_t>& shape)
{
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    uint64_t n = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0)
            throw CheckpointError(path + ": negative dimension");
        n *= uint64_t(shape[i]);
        dict += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size())
            dict += ",";
        if (i + 1 < shape.size())
            dict += " ";
    }
    dict += "), }";
    // Pad with spaces so that the data start on a 64-byte boundary; end in '\n'.
    size_t total = kPreludeSize + dict.size() + 1;
    total = (total + 63) / 64 * 64;
    dict.append(total - kPreludeSize - dict.size() - 1, ' ');
    dict.push_back('\n');
    if (dict.size() > 0xffff)
        throw CheckpointError(path + ": .npy header too long");
    std::string prelude(reinterpret_cast<const char*>(kMagic), sizeof kMagic);
    prelude.push_back(char(1));
    prelude.push_back(char(0));
    prelude.push_back(char(dict.size() & 0xff));
    prelude.push_back(char(dict.size() >> 8));

    // The rename below replaces what is at `path`: only ever a regular file (never a device node, FIFO or folder).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw CheckpointError(path + ": exists and is not a regular file; not replaced");
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        throw CheckpointError(path + ": cannot create: " + std::strerror(errno));
    bool ok = std::fwrite(prelude.data(), 1, prelude.size(), f) == prelude.size() &&
              std::fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
              (n == 0 || std::fwrite(data, sizeof(float), n, f) == n);
    ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw CheckpointError(path + ": write failed");
    }
}

} // namespace spooflens::core
