#pragma once
// A restricted, torch-free unpickler for torch.save's data.pkl (spec
// detector.md §5.2/§5.3) and a matching protocol-2 pickle writer.
//
// Nothing is ever imported, called or executed: GLOBAL is resolved against a
// closed whitelist (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter, torch.<Type>Storage) and REDUCE only
// applies those, symbolically. Tensors come out as plain descriptors (dtype,
// storage key, offset, sizes, strides); Checkpoint.cpp materialises them.
// Torch-free and Qt-free so the fuzz target can link it alone.
//
// Thread-safety: stateless functions; safe to call concurrently.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// Element types of torch storages (the `torch.<X>Storage` globals).
enum class StorageDtype { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

/// Bytes per element.
size_t storageElementSize(StorageDtype dtype);
/// "FloatStorage", "LongStorage", ...
const char* storageTypeName(StorageDtype dtype);
/// "float32", "int64", ...
const char* storageDtypeName(StorageDtype dtype);

/// A tensor as data.pkl describes it: a strided view of a storage record.
/// Offsets, sizes and strides are in elements.
struct TensorDesc {
    StorageDtype dtype = StorageDtype::Float32;
    std::string storageKey;          // record `<archive>/data/<storageKey>`
    int64_t storageNumel = 0;        // elements in the storage (from the persistent id)
    int64_t offset = 0;
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
    bool requiresGrad = false;

    int64_t numel() const;
    /// True if the view is C-contiguous (strides of a dense row-major layout).
    bool isContiguous() const;
};

/// A pickled value (torch-free mirror of Checkpoint.h's Value).
struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0.0;
    std::string s;
    std::vector<PickleValue> items;                          // Tuple, List
    std::vector<std::pair<PickleValue, PickleValue>> entries; // Dict, insertion order
    bool ordered = false;                                    // Dict: collections.OrderedDict
    /// Dict: instance attributes set by BUILD (OrderedDict's `_metadata`).
    std::vector<std::pair<PickleValue, PickleValue>> attributes;
    TensorDesc tensor;                                       // Tensor
};

struct UnpicklerLimits {
    size_t maxStack = size_t(1) << 20;     // values on the stack (incl. marks)
    size_t maxMemo = size_t(1) << 22;      // memo entries
    size_t maxDepth = 100;                 // container nesting of the result
    size_t maxNodes = size_t(1) << 20;     // values in the result (memo sharing is expanded)
    size_t maxObjects = size_t(1) << 21;   // objects the pickle may create (bounds memory)
    size_t maxDims = 64;                   // tensor dimensions
};

/// Which closed whitelist of globals a pickle may name.
///  - StateDict: torch.save's data.pkl (protocol 2; the globals above).
///  - NumpyArrays: what `np.save(path, obj, allow_pickle=True)` writes for
///    dicts, lists and strings holding NumPy arrays (protocol 2 or 3): exactly
///    numpy.core.multiarray._reconstruct (numpy._core.multiarray in NumPy 2),
///    numpy.ndarray and numpy.dtype, nothing else (no torch globals, no
///    persistent ids). An array (bool, int, uint, float, 'U', 'S' or object
///    dtype, C order) comes out as a List of its elements in C order; a 0-d
///    array as a List of one element.
enum class PickleGlobals { StateDict, NumpyArrays };

/// Unpickles `data` (a whole data.pkl). `file` names the checkpoint in error
/// messages, `what` the stream (e.g. "data.pkl"). Throws CheckpointError:
///  - `<file>: pickle global 'os.system' is not allowed in a state-dict checkpoint (data.pkl offset <n>)`
///  - `<file>: corrupt pickle in data.pkl at offset <n>: <reason>` and similar.
PickleValue unpickle(const unsigned char* data, size_t size, const std::string& file,
                     const std::string& what = "data.pkl", const UnpicklerLimits& limits = {},
                     PickleGlobals globals = PickleGlobals::StateDict);

/// Serialises `root` as pickle protocol 2 the way torch.save does: tensors
/// become `_rebuild_tensor_v2(persistent storage id, ...)` with the storage
/// key, dtype and numel from their descriptors (location "cpu"). Dicts with
/// `ordered` become collections.OrderedDict (+ BUILD of `attributes`).
std::string pickleToString(const PickleValue& root);

} // namespace spooflens::core
