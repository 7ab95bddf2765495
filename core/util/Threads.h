#pragma once

#include <string>

namespace spooflens::core {

/// The most compute threads a process may ask for (--threads, training.threads):
/// far above any machine this runs on, and low enough that a typo (100000)
/// is an error instead of a thousand idle threads.
constexpr int kMaxComputeThreads = 256;

/// Sets the compute thread count for LibTorch (intra-op) and pins the system
/// BLAS's own pool (OpenBLAS pthreads) to one thread so the two pools do not
/// fight over cores. `threads <= 0` means "all hardware threads"; more than
/// kMaxComputeThreads is a ConfigError. Idempotent; call before the first
/// inference. Safe to call from any thread.
void configureComputeThreads(int threads = 0);

/// The BLAS kernels in use, e.g. "OpenBLAS SkylakeX (OpenBLAS detected
/// Prescott: CPU model not in its table)". The first call of this or of
/// configureComputeThreads may re-select OpenBLAS' kernels (Threads.cpp).
std::string blasKernels();

/// The convolution self-check run with the first configureComputeThreads:
/// "oneDNN convolutions checked", or "oneDNN off: its float32 convolutions
/// were wrong on this CPU (max abs error …)" when LibTorch's oneDNN gave
/// wrong float32 convolutions (Debian 13's LibTorch 2.6 on AVX-512 CPUs) and
/// was turned off for the process (docs/cpu.md, "Convolutions"); the note
/// then also says whether its bf16 kernels were right, so that a
/// ScopedReducedPrecisionKernels turns it on for bf16 work.
std::string convolutionCheck();

/// Where the convolution check turned oneDNN off (Debian 13's LibTorch 2.6 on
/// AVX-512: wrong float32 convolutions), LibTorch's bf16 GEMMs and
/// convolutions lose their only fast kernels: without oneDNN they run in
/// scalar loops, 100-300x slower (measured: a 200 x 1024 x 4096 bf16 GEMM
/// 0.011 s -> 3.5 s). The check therefore also compares oneDNN's bf16 GEMM,
/// batched GEMM and grouped convolution with float64; when they are right, this
/// object turns oneDNN back on while it lives, for code that runs only
/// reduced-precision GEMMs and convolutions (the bf16 encoder's forward:
/// its float32 feature-extractor convolutions are GEMMs, never convolutions).
/// A no-op where oneDNN was never turned off. The setting is process-wide:
/// scopes nest (a count under a mutex), and SpoofLens runs detector forwards
/// on one thread at a time (the CLI's thread, the viewer's analysis worker),
/// so no float32 convolution runs while one lives.
class ScopedReducedPrecisionKernels {
public:
    ScopedReducedPrecisionKernels();
    ~ScopedReducedPrecisionKernels();
    ScopedReducedPrecisionKernels(const ScopedReducedPrecisionKernels&) = delete;
    ScopedReducedPrecisionKernels& operator=(const ScopedReducedPrecisionKernels&) = delete;

private:
    bool m_active = false;
};

/// Lets the system BLAS use `threads` threads (> 1) while the object lives,
/// then pins it back to one. For code whose GEMMs run outside LibTorch's
/// parallel regions, where the BLAS pool has the cores to itself: the Stage 2
/// training step and its batch-24 x 201 x 1024 GEMMs (docs/cpu.md, "BLAS threads
/// and dropout in the Stage 2 step"). The setting is process-wide: a detector run on
/// another thread meanwhile gets the same BLAS threads (slower, never wrong).
class ScopedBlasThreads {
public:
    explicit ScopedBlasThreads(int threads);
    ~ScopedBlasThreads();
    ScopedBlasThreads(const ScopedBlasThreads&) = delete;
    ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

private:
    bool m_active = false;
};

/// Threads LibTorch will use (after configureComputeThreads).
int computeThreads();

} // namespace spooflens::core
