#pragma once
// Reading and writing PyTorch zip-format checkpoints (`torch.save`) without
// Python and without executing anything: a restricted unpickler (docs/detector.md
// §5.2-§5.3) turns data.pkl into a Value tree whose tensor leaves are
// owned torch::Tensors (read straight from the file into their memory).
//
// INTERNAL header (includes torch): for core's .cpp files only, never for ui/.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// A pickled value as far as a checkpoint needs: primitives, containers, tensors.
struct Value {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0.0;
    std::string s;                                  // String
    std::vector<Value> items;                       // Tuple, List
    std::vector<std::pair<Value, Value>> entries;   // Dict, in insertion order
    bool ordered = false;                           // Dict: collections.OrderedDict (vs dict)
    /// Dict (OrderedDict only): instance attributes set by the pickle's BUILD,
    /// e.g. a state dict's `_metadata`; kept on read, written back by writeCheckpoint.
    std::vector<std::pair<Value, Value>> attributes;
    torch::Tensor tensor;                           // Tensor (owned, CPU, contiguous)

    static Value none();
    static Value boolean(bool v);
    static Value integer(int64_t v);
    static Value real(double v);
    static Value string(std::string v);
    static Value tuple(std::vector<Value> v);
    static Value list(std::vector<Value> v);
    static Value dict(bool orderedDict = false);
    static Value fromTensor(torch::Tensor t);

    bool isDict() const { return kind == Kind::Dict; }
    /// Dict lookup by string key; nullptr if absent or not a dict.
    const Value* find(const std::string& key) const;
    Value* find(const std::string& key);
    /// Dict insert or replace by string key (keeps insertion order).
    void set(const std::string& key, Value v);
};

/// An ordered tensor map: what `model.state_dict()` is.
using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;

struct CheckpointReadOptions {
    /// Convert float16/bfloat16/float64 tensors to float32 (and report it in `notes`).
    bool convertToFloat32 = true;
    /// Check the CRC-32 of every tensor record (data.pkl is always checked).
    /// Off by default like torch.load: zlib's CRC-32 runs at ~1 GB/s and
    /// would almost double the load time of a 1.29 GB checkpoint. A CRC is no
    /// defence against a malicious file; every structural check stays on.
    bool verifyTensorCrc = false;
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
