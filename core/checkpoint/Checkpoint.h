#pragma once
// Reading and writing PyTorch zip-format checkpoints (`torch.save`) without
// Python and without executing anything. The torch-free format library
// (core/format/: ZipArchive, PickleReader, PickleWriter, TorchArchive) parses
// and checks the file (docs/detector.md §5.1-§5.3); this layer turns its
// descriptors into a Value tree whose tensor leaves are owned torch::Tensors
// (read straight from the file into their memory).
//
// INTERNAL header (includes torch): for core's .cpp files only, never for ui/.
#include "core/format/PickleValue.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// A pickled value with owned tensors (CPU, contiguous) as leaves: the one
/// value tree of core/format/PickleValue.h, instantiated for torch.
using Value = BasicValue<torch::Tensor>;

/// An ordered tensor map: what `model.state_dict()` is.
using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;

struct CheckpointReadOptions {
    /// Convert float16/bfloat16/float64 tensors to float32 (and report it in `notes`).
    bool convertToFloat32 = true;
    /// Check the CRC-32 of every tensor record read (data.pkl is always
    /// checked): a mismatch is a CheckpointError naming the file and the
    /// record. On by default (torch.load does not check): weight bytes patched
    /// or damaged in place would otherwise load silently (a bias set to 1000
    /// flips a score). The cost is measured in docs/reliability.md. A CRC is no
    /// defence against a malicious file (it can be recomputed); every
    /// structural check stays on either way.
    bool verifyTensorCrc = true;
};

struct CheckpointContents {
    Value root;                      // the unpickled object (tensors resolved)
    std::string archiveName;         // the folder inside the zip, e.g. "archive"
    std::vector<std::string> notes;  // e.g. "converted 3 float16 tensors to float32"
};

/// Reads any torch zip checkpoint. Throws CheckpointError naming `path` and
/// the problem (legacy format, forbidden global, truncated zip, bad view ...).
/// Peak memory ~= the tensors themselves (no second copy of the file).
CheckpointContents readCheckpoint(const std::string& path, const CheckpointReadOptions& options = {});

/// Interprets `root` as a state dict (an OrderedDict/dict of string -> tensor)
/// and returns its entries in stored order. Throws CheckpointError otherwise.
TensorList asTensorList(const Value& root, const std::string& path);

/// Reads a plain `torch.save(model.state_dict())` file.
TensorList readStateDict(const std::string& path, std::vector<std::string>* notes = nullptr);

/// Writes `root` the way `torch.save` does (zip, pickle protocol 2, 64-byte
/// aligned stored records), atomically: to `path + ".tmp"` then rename.
/// `archiveName` defaults to the file stem. Python's torch.load reads the result.
void writeCheckpoint(const std::string& path, const Value& root, const std::string& archiveName = {});

/// Convenience: wraps `tensors` in an OrderedDict and writes it.
void writeStateDict(const std::string& path, const TensorList& tensors);

/// DataParallel saves prefix every key with `module.`: if EVERY key has the
/// prefix, strips it and returns true; if none has it, returns false; a mix is
/// a CheckpointError naming one key of each kind (`path` names the file).
bool stripModulePrefix(TensorList& tensors, const std::string& path);

} // namespace spooflens::core
