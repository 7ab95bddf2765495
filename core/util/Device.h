#pragma once
// The one parser of device names for LibTorch ("auto", "cpu", "cuda",
// "cuda:N"), used by the detector loader and the Stage 2 trainer.
// INTERNAL header (includes c10): core's .cpp files only, never ui/.
#include <c10/core/Device.h>

#include <string>

namespace spooflens::core {

/// "" or "auto": the first CUDA device if LibTorch has one, else the CPU;
/// "cpu"; "cuda" (= cuda:0) or "cuda:N". Throws ConfigError naming the text
/// for anything else, for CUDA without a usable device, and for N out of range.
c10::Device parseDevice(const std::string& text);

} // namespace spooflens::core
