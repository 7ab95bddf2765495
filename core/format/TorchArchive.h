#pragma once
// The torch-free half of reading a torch.save file: locate the archive
// folder, check `byteorder`, unpickle `data.pkl` with the restricted
// reader (PickleReader.h), and check that every storage the pickle names exists as a record
// of exactly numel x element-size bytes (docs/detector.md §5.1-5.3).
// Checkpoint.cpp then reads the records into tensors.
//
// Thread-safety: stateless functions; safe to call concurrently.
#include "core/format/PickleReader.h"
#include "core/format/ZipArchive.h"

#include <map>
#include <string>

namespace spooflens::core {

struct TorchArchive {
    std::string archiveName;                        // folder of every entry, e.g. "archive"
    PickleValue root;                               // tensors as descriptors
    std::map<std::string, const ZipEntry*> records; // storage key -> its `<a>/data/<key>` entry
};

/// Parses an opened torch zip checkpoint. `file` names it in messages.
/// Throws CheckpointError (forbidden global, corrupt pickle, missing or
/// mis-sized record, big-endian byteorder, ...).
TorchArchive parseTorchArchive(const ZipArchive& zip, const std::string& file);

/// Throws a CheckpointError explaining that `path` is not a zip checkpoint
/// (legacy pre-1.6 torch pickle, or something else entirely).
[[noreturn]] void throwNotZipCheckpoint(const std::string& path, const unsigned char* head, size_t headSize);

} // namespace spooflens::core
