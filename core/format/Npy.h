#pragma once
// NumPy .npy / .npz files (read and write). Torch-free; .npz archives are
// read with core/format/ZipArchive.h (stored or deflated entries, CRC checked).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spooflens::core {

struct NpyArray {
    std::string descr;              // "<f4" or "<i8" (the only dtypes accepted)
    std::vector<int64_t> shape;     // () for a scalar
    std::vector<unsigned char> data;  // C order, little-endian
    int64_t numel() const;
    const float* f32() const;       // throws unless descr == "<f4"
    const int64_t* i64() const;     // throws unless descr == "<i8"
};

/// Reads one .npy (version 1.0, '<f4' or '<i8', C order). Throws CheckpointError.
NpyArray readNpy(const std::string& path);

/// Reads every array of an .npz (stored or deflated entries, CRC checked).
/// Keys are entry names without the final ".npy".
std::map<std::string, NpyArray> readNpz(const std::string& path);

/// Writes a float32 array as .npy version 1.0 (C order).
void writeNpyF32(const std::string& path, const float* data, const std::vector<int64_t>& shape);

} // namespace spooflens::core
