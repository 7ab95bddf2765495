#pragma once

#include <string>

namespace spooflens::core {

/// Sets the compute thread count for LibTorch (intra-op) and pins the system
/// BLAS's own pool (OpenBLAS pthreads) to one thread so the two pools do not
/// fight over cores. `threads <= 0` means "all hardware threads". Idempotent;
/// call before the first inference. Safe to call from any thread.
void configureComputeThreads(int threads = 0);

/// The BLAS kernels in use, e.g. "OpenBLAS SkylakeX (OpenBLAS detected
/// Prescott: CPU model not in its table)". The first call of this or of
/// configureComputeThreads may re-select OpenBLAS' kernels (Threads.cpp).
std::string blasKernels();

/// Threads LibTorch will use (after configureComputeThreads).
int computeThreads();

} // namespace spooflens::core
