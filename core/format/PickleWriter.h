#pragma once
// A protocol-2 pickle writer matching torch.save (docs/detector.md §5.2); the
// reader is core/format/PickleReader.h. Torch-free.
//
// Thread-safety: stateless; safe to call concurrently.
#include "core/format/PickleValue.h"

#include <string>

namespace spooflens::core {

/// Serialises `root` as pickle protocol 2 the way torch.save does: tensors
/// become `_rebuild_tensor_v2(persistent storage id, ...)` with the storage
/// key, dtype and numel from their descriptors (location "cpu"). Dicts with
/// `ordered` become collections.OrderedDict (+ BUILD of `attributes`).
/// Throws CheckpointError if a dict key is neither a string nor an integer or
/// an attribute name is not a string.
std::string pickleToString(const PickleValue& root);

} // namespace spooflens::core
