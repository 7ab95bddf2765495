#include "core/format/TorchArchive.h"

#include "core/Error.h"


namespace spooflens::core {
namespace {

constexpr uint64_t kMaxPickleBytes = uint64_t(1) << 30;

std::string trimmed(const std::vector<unsigned char>& bytes)
{
    std::string s(bytes.begin(), bytes.end());
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    return s;
}

} // namespace

TorchArchive parseTorchArchive(const ZipArchive& zip, const std::string& file)
{
    if (zip.entries().empty())
        throw CheckpointError(file + ": empty ZIP archive, not a PyTorch checkpoint");
    // The folder is whatever the saving torch used (the file stem at save
    // time), so take it from the first entry, never from our file name.
    const std::string& first = zip.entries().front().name;
    const size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
        throw CheckpointError(file + ": not a PyTorch checkpoint (entry '" + first + "' is not inside a folder)");
    TorchArchive out;
    out.archiveName = first.substr(0, slash);
    const std::string prefix = out.archiveName + "/";

    if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
        if (bo->uncompressedSize > 64)
            throw CheckpointError(file + ": record '" + bo->name + "' is too large");
        const std::string order = trimmed(zip.readEntry(*bo));
        if (order != "little")
            throw CheckpointError(file + ": byteorder record says '" + order +
                                  "'; only little-endian checkpoints are supported");
    }

    const ZipEntry* pkl = zip.find(prefix + "data.pkl");
    if (!pkl) {
        if (zip.find(prefix + "constants.pkl") || zip.find(prefix + "code/"))
            throw CheckpointError(file + ": this is a TorchScript archive (torch.jit.save), not a torch.save state dict");
        throw CheckpointError(file + ": no '" + prefix + "data.pkl' record: not a PyTorch checkpoint");
    }
    if (pkl->uncompressedSize > kMaxPickleBytes)
        throw CheckpointError(file + ": '" + pkl->name + "' is implausibly large");
    const std::vector<unsigned char> pickle = zip.readEntry(*pkl);
    out.root = unpickle(pickle.data(), pickle.size(), file, "data.pkl");

    forEachTensor(out.root, [&](const TensorDesc& t) {
        if (out.records.count(t.storageKey))
            return;
        const std::string name = prefix + "data/" + t.storageKey;
        const ZipEntry* rec = zip.find(name);
        if (!rec)
            throw CheckpointError(file + ": storage record '" + name + "' is missing");
        const uint64_t expected = uint64_t(t.storageNumel) * storageElementSize(t.dtype);   // numel <= INT64_MAX / 8
        if (rec->uncompressedSize != expected)
            throw CheckpointError(file + ": storage record '" + name + "' has " + std::to_string(rec->uncompressedSize) +
                                  " bytes; expected " + std::to_string(t.storageNumel) + " " + storageDtypeName(t.dtype) +
                                  " elements = " + std::to_string(expected) + " bytes");
        out.records.emplace(t.storageKey, rec);
    });
    return out;
}

void throwNotZipCheckpoint(const std::string& path, const unsigned char* head, size_t headSize)
{
    // torch < 1.6 wrote a bare pickle stream (magic number first) or, before
    // that, a tar file; both start differently from a ZIP local header.
    const bool pickle = headSize >= 2 && head[0] == 0x80 && head[1] <= 5;
    const bool tar = headSize >= 262 && std::string(reinterpret_cast<const char*>(head) + 257, 5) == "ustar";
    if (pickle || tar)
        throw CheckpointError(path + ": legacy (pre-1.6) PyTorch checkpoint format is not supported; "
                              "re-save it with a current torch: torch.save(torch.load(f), f)");
    if (headSize == 0)
        throw CheckpointError(path + ": empty file, not a PyTorch checkpoint");
    throw CheckpointError(path + ": not a PyTorch zip checkpoint");
}

} // namespace spooflens::core
