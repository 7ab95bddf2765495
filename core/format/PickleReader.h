#pragma once
// A restricted, torch-free unpickler for torch.save's data.pkl
// (docs/detector.md §5.2/§5.3). The writer is core/format/PickleWriter.h.
//
// Nothing is ever imported, called or executed: GLOBAL is resolved against a
// closed allow-list (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter, torch.<Type>Storage; the table
// kAllowedGlobals in PickleReader.cpp) and REDUCE only applies those,
// symbolically. Tensors come out as plain descriptors (dtype, storage key,
// offset, sizes, strides); core/checkpoint/Checkpoint.cpp materialises them.
//
// Thread-safety: stateless functions; safe to call concurrently.
#include "core/format/PickleValue.h"

#include <cstddef>
#include <string>

namespace spooflens::core {

struct UnpicklerLimits {
    size_t maxStack = size_t(1) << 20;     // values on the stack (incl. marks)
    size_t maxMemo = size_t(1) << 22;      // memo entries
    size_t maxDepth = 100;                 // container nesting of the result
    size_t maxNodes = size_t(1) << 20;     // values in the result (memo sharing is expanded)
    size_t maxObjects = size_t(1) << 21;   // objects the pickle may create (bounds memory)
    size_t maxDims = 64;                   // tensor dimensions
};

/// Which closed whitelist of globals a pickle may name.
///  - StateDict: torch.save's data.pkl (protocol 2; docs/detector.md §5.3).
///  - NumpyArrays: what `np.save(path, obj, allow_pickle=True)` writes for
///    dicts, lists and strings holding NumPy arrays (protocol 2 or 3 with
///    NumPy 1, protocol 4 with NumPy 2): exactly
///    numpy.core.multiarray._reconstruct (numpy._core.multiarray in NumPy 2),
///    numpy.ndarray and numpy.dtype, nothing else (no torch globals, no
///    persistent ids; STACK_GLOBAL is resolved like GLOBAL, NEWOBJ_EX is
///    refused; a set or frozenset comes out as a List). An array (bool, int, uint, float, 'U', 'S' or object
///    dtype, C order) comes out as a List of its elements in C order; a 0-d
///    array as a List of one element. Used for PartialSpoof labels (docs/metrics.md).
enum class PickleGlobals { StateDict, NumpyArrays };

/// Unpickles `data` (a whole data.pkl). `file` names the checkpoint in error
/// messages, `what` the stream (e.g. "data.pkl"). Throws CheckpointError:
///  - `<file>: pickle global 'os.system' is not allowed in a state-dict checkpoint (data.pkl offset <n>)`
///  - `<file>: corrupt pickle in data.pkl at offset <n>: <reason>` and similar.
PickleValue unpickle(const unsigned char* data, size_t size, const std::string& file,
                     const std::string& what = "data.pkl", const UnpicklerLimits& limits = {},
                     PickleGlobals globals = PickleGlobals::StateDict);

} // namespace spooflens::core
