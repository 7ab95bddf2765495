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

/// Unpickles `data` (a whole data.pkl). `file` names the checkpoint in error
/// messages, `what` the stream (e.g. "data.pkl"). Throws CheckpointError:
///  - `<file>: pickle global 'os.system' is not allowed in a state-dict checkpoint (data.pkl offset <n>)`
///  - `<file>: corrupt pickle in data.pkl at offset <n>: <reason>` and similar.
PickleValue unpickle(const unsigned char* data, size_t size, const std::string& file,
                     const std::string& what = "data.pkl", const UnpicklerLimits& limits = {});

} // namespace spooflens::core
