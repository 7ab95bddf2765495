#include "core/checkpoint/Checkpoint.h"

#include "core/Error.h"
#include "core/format/PickleWriter.h"
#include "core/format/TorchArchive.h"
#include "core/format/ZipArchive.h"

#include <torch/torch.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

namespace spooflens::core {

// ---------------------------------------------------------------- reading

namespace {

torch::ScalarType scalarTypeOf(StorageDtype d)
{
    switch (d) {
    case StorageDtype::Float32: return torch::kFloat32;
    case StorageDtype::Float64: return torch::kFloat64;
    case StorageDtype::Float16: return torch::kFloat16;
    case StorageDtype::BFloat16: return torch::kBFloat16;
    case StorageDtype::Int64: return torch::kInt64;
    case StorageDtype::Int32: return torch::kInt32;
    case StorageDtype::Int16: return torch::kInt16;
    case StorageDtype::Int8: return torch::kInt8;
    case StorageDtype::UInt8: return torch::kUInt8;
    case StorageDtype::Bool: return torch::kBool;
    }
    return torch::kFloat32;
}

StorageDtype storageDtypeOf(torch::ScalarType t, const std::string& path)
{
    switch (t) {
    case torch::kFloat32: return StorageDtype::Float32;
    case torch::kFloat64: return StorageDtype::Float64;
    case torch::kFloat16: return StorageDtype::Float16;
    case torch::kBFloat16: return StorageDtype::BFloat16;
    case torch::kInt64: return StorageDtype::Int64;
    case torch::kInt32: return StorageDtype::Int32;
    case torch::kInt16: return StorageDtype::Int16;
    case torch::kInt8: return StorageDtype::Int8;
    case torch::kUInt8: return StorageDtype::UInt8;
    case torch::kBool: return StorageDtype::Bool;
    default:
        throw CheckpointError(path + ": cannot save tensors of type " + std::string(c10::toString(t)));
    }
}

class Materializer {
public:
    Materializer(const ZipArchive& zip, const TorchArchive& archive, const CheckpointReadOptions& options)
        : m_zip(zip), m_archive(archive), m_options(options)
    {
        forEachTensor(archive.root, [this](const TensorDesc& d) { ++m_remainingUses[d.storageKey]; });
    }

    Value convert(const PickleValue& p)
    {
        return mapTensors<torch::Tensor>(p, [this](const TensorDesc& d) { return materialize(d); });
    }

    std::map<std::string, int> converted;   // dtype name -> tensors converted to float32

private:
    torch::Tensor materialize(const TensorDesc& d)
    {
        const ZipEntry& rec = *m_archive.records.at(d.storageKey);
        const torch::ScalarType type = scalarTypeOf(d.dtype);
        int& remaining = m_remainingUses[d.storageKey];
        torch::Tensor t;
        if (remaining == 1 && rec.method == 0 && d.offset == 0 && d.numel() == d.storageNumel && d.isContiguous()) {
            // The common case: one tensor owns the whole record. Allocate the
            // final tensor and let pread fill it: one copy, file -> tensor.
            t = torch::empty(d.sizes, torch::TensorOptions().dtype(type));
            m_zip.readEntry(rec, t.data_ptr(), m_options.verifyTensorCrc);
        } else {
            // Shared storage or a strided/partial view: read the storage once,
            // copy each view out of it, drop it after its last user.
            auto it = m_storages.find(d.storageKey);
            if (it == m_storages.end()) {
                torch::Tensor storage = torch::empty({d.storageNumel}, torch::TensorOptions().dtype(type));
                m_zip.readEntry(rec, storage.data_ptr(), m_options.verifyTensorCrc);
                it = m_storages.emplace(d.storageKey, storage).first;
            }
            t = it->second.as_strided(d.sizes, d.strides, d.offset).clone(at::MemoryFormat::Contiguous);
            if (remaining == 1)
                m_storages.erase(it);
        }
        --remaining;
        if (m_options.convertToFloat32 &&
            (type == torch::kFloat16 || type == torch::kBFloat16 || type == torch::kFloat64)) {
            ++converted[storageDtypeName(d.dtype)];
            t = t.to(torch::kFloat32);
        }
        return t;
    }

    const ZipArchive& m_zip;
    const TorchArchive& m_archive;
    const CheckpointReadOptions& m_options;
    std::unordered_map<std::string, int> m_remainingUses;
    std::unordered_map<std::string, torch::Tensor> m_storages;
};

} // namespace

CheckpointContents readCheckpoint(const std::string& path, const CheckpointReadOptions& options)
{
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw CheckpointError(path + ": cannot open: " + std::strerror(errno));
        unsigned char head[512];
        const ssize_t n = ::pread(fd, head, sizeof head, 0);
        ::close(fd);
        if (n < 4 || !(head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4))
            throwNotZipCheckpoint(path, head, n < 0 ? 0 : size_t(n));
    }
    const ZipArchive zip = ZipArchive::openFile(path);
    const TorchArchive archive = parseTorchArchive(zip, path);
    Materializer m(zip, archive, options);
    CheckpointContents out;
    out.archiveName = archive.archiveName;
    out.root = m.convert(archive.root);
    for (const auto& [dtype, count] : m.converted)
        out.notes.push_back("converted " + std::to_string(count) + " " + dtype + " tensor" + (count == 1 ? "" : "s") +
                            " to float32");
    return out;
}

TensorList asTensorList(const Value& root, const std::string& path)
{
    if (root.kind != Value::Kind::Dict)
        throw CheckpointError(path + ": not a state dict (the pickled root is not a dictionary)");
    TensorList out;
    out.reserve(root.entries.size());
    for (const auto& [k, v] : root.entries) {
        if (k.kind != Value::Kind::String)
            throw CheckpointError(path + ": not a state dict (a key is not a string)");
        if (v.kind != Value::Kind::Tensor)
            throw CheckpointError(path + ": not a state dict ('" + k.s + "' is not a tensor)");
        out.emplace_back(k.s, v.tensor);
    }
    return out;
}

TensorList readStateDict(const std::string& path, std::vector<std::string>* notes)
{
    CheckpointContents c = readCheckpoint(path);
    if (notes)
        *notes = c.notes;
    return asTensorList(c.root, path);
}

bool stripModulePrefix(TensorList& tensors, const std::string& path)
{
    static const std::string kPrefix = "module.";
    const std::string* with = nullptr;
    const std::string* without = nullptr;
    for (const auto& [name, t] : tensors) {
        if (name.compare(0, kPrefix.size(), kPrefix) == 0) {
            if (!with)
                with = &name;
        } else if (!without) {
            without = &name;
        }
    }
    if (with && without)
        throw CheckpointError(path + ": some keys have the DataParallel prefix 'module.' and some do not (e.g. '" +
                              *with + "' and '" + *without + "')");
    if (!with)
        return false;
    for (auto& entry : tensors)
        entry.first.erase(0, kPrefix.size());
    return true;
}

// ---------------------------------------------------------------- writing

namespace {

struct PendingRecord {
    std::string key;
    torch::Tensor tensor;   // contiguous CPU
};

// Gives every tensor its own storage record, numbered in stored order.
PickleValue toPickle(const Value& root, std::vector<PendingRecord>& records, const std::string& path)
{
    return mapTensors<TensorDesc>(root, [&](const torch::Tensor& tensor) {
        if (!tensor.defined())
            throw CheckpointError(path + ": cannot save an undefined tensor");
        torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
        TensorDesc d;
        d.dtype = storageDtypeOf(t.scalar_type(), path);
        d.storageKey = std::to_string(records.size());
        d.storageNumel = t.numel();
        d.offset = 0;
        d.sizes = t.sizes().vec();
        d.strides = t.strides().vec();
        records.push_back({d.storageKey, t});
        return d;
    });
}

std::string defaultArchiveName(const std::string& path)
{
    std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    const size_t dot = base.find_last_of('.');
    if (dot != std::string::npos && dot > 0)
        base.erase(dot);
    return base.empty() ? std::string("archive") : base;
}

} // namespace

void writeCheckpoint(const std::string& path, const Value& root, const std::string& archiveName)
{
    const std::string folder = archiveName.empty() ? defaultArchiveName(path) : archiveName;
    if (folder.find('/') != std::string::npos || folder == "." || folder == "..")
        throw CheckpointError(path + ": invalid archive folder name '" + folder + "'");
    std::vector<PendingRecord> records;
    const PickleValue pickled = toPickle(root, records, path);
    std::string pickle;
    try {
        pickle = pickleToString(pickled);
    } catch (const CheckpointError& e) {
        throw CheckpointError(path + ": " + e.what());
    }

    const std::string tmp = path + ".tmp";
    try {
        ZipWriter zip(tmp);
        zip.addEntry(folder + "/data.pkl", pickle.data(), pickle.size());
        static const char kLittle[] = "little";
        zip.addEntry(folder + "/byteorder", kLittle, sizeof kLittle - 1);
        for (const PendingRecord& r : records)
            zip.addEntry(folder + "/data/" + r.key, r.tensor.data_ptr(), uint64_t(r.tensor.nbytes()));
        static const char kVersion[] = "3\n";
        zip.addEntry(folder + "/version", kVersion, sizeof kVersion - 1);
        zip.finish();
    } catch (...) {
        std::remove(tmp.c_str());
        throw;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw CheckpointError(path + ": cannot rename the temporary file into place: " + why);
    }
}

void writeStateDict(const std::string& path, const TensorList& tensors)
{
    Value root = Value::dict(true);
    root.entries.reserve(tensors.size());
    for (const auto& [name, t] : tensors)
        root.entries.emplace_back(Value::string(name), Value::fromTensor(t));
    writeCheckpoint(path, root);
}

} // namespace spooflens::core
