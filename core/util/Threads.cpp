#include "core/util/Threads.h"

#include "core/Error.h"

#include <torch/torch.h>

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <string>
#include <mutex>
#include <thread>

namespace spooflens::core {
namespace {

// OpenBLAS (Debian's libopenblas0-pthread) keeps its own pthread pool that
// torch::set_num_threads does not control. On a 2-core machine that pool and
// LibTorch's OpenMP pool oversubscribe the cores (measured: the PyTorch
// detector ran 1.6x faster with OpenBLAS pinned to one thread). LibTorch calls
// BLAS from inside its own parallel regions, so BLAS stays single-threaded
// (except inside a ScopedBlasThreads: the Stage 2 training step).
// The symbol is looked up at run time so that builds against other BLAS
// libraries (MKL in PyTorch wheels) need no link dependency.
void setBlasThreads(int threads)
{
    using SetThreads = void (*)(int);
    for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads"}) {
        if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, name))) {
            fn(threads);
            return;
        }
    }
}

void pinBlasToOneThread()
{
    setBlasThreads(1);
}

// OpenBLAS picks its kernels once, when it is loaded, from the CPU model. The
// 0.3.21 of Debian 12 does not know recent Xeon models (this project's VMs:
// AVX-512 with BF16/AMX, i.e. Sapphire Rapids) and falls back to its
// Prescott (SSE3) kernels, 4-5x slower GEMMs (docs/cpu.md, "BLAS kernels").
// When the user has not chosen (OPENBLAS_CORETYPE unset or empty) and
// OpenBLAS reports Prescott on a CPU that has AVX-512 (or AVX2 + FMA), the
// kernels are chosen again with the matching core type through OpenBLAS'
// exported re-initialisation entry points. Runs once, before the first BLAS
// call of the process (the first configureComputeThreads). The environment
// variable stays set, so child processes get the same kernels at load.
std::string g_blasKernels;

void selectBlasKernels()
{
    using Name = char* (*)();
    using Fn = void (*)();
    auto corename = reinterpret_cast<Name>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    if (!corename) {
        g_blasKernels = "not OpenBLAS";
        return;
    }
    std::string before = corename() ? corename() : "";
    g_blasKernels = "OpenBLAS " + before;
    if (const char* chosen = std::getenv("OPENBLAS_CORETYPE"); chosen && *chosen)
        return;  // the user's choice
    std::string lower = before;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (lower != "prescott")
        return;
    const char* target = nullptr;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (avx512 && __builtin_cpu_supports("avx512bf16"))
        target = "Cooperlake";  // AVX-512 + BF16: the newest x86 kernels 0.3.21 has for such CPUs
    else if (avx512)
        target = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        target = "Haswell";
#endif
    auto quit = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
    auto init = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
    if (!target || !quit || !init)
        return;
    setenv("OPENBLAS_CORETYPE", target, 0);
    quit();
    init();
    const std::string after = corename() ? corename() : "";
    g_blasKernels = "OpenBLAS " + after + " (OpenBLAS detected " + before + ": CPU model not in its table)";
}

// Debian 13's LibTorch 2.6 (oneDNN 3.7.2) computes some float32
// convolutions wrongly on AVX-512 CPUs: a 2-D convolution with 24 input
// channels is off by 20-30 in absolute terms (AASIST's encoder, whose
// gradients then become NaN), while the same convolution in float64 or with
// oneDNN off is right (docs/cpu.md, "Convolutions"). Once per process,
// before the first inference: the convolution shapes of the detectors
// (AASIST's 2-D blocks, XLS-R's 1-D feature extractor) in float32 against
// float64 (which oneDNN does not run); on a mismatch oneDNN is turned off for
// the process and the note says so.
std::string g_convolutionNote;
bool g_reducedOneDnn = false;  // oneDNN is off, and its bf16 kernels were checked right
std::mutex g_reducedMutex;
int g_reducedScopes = 0;

// oneDNN's bf16 kernels against float64, with oneDNN on for the check only:
// the shapes of the bf16 encoder (a GEMM with a transposed-copy weight, the
// attention's batched GEMMs, the grouped positional convolution), smaller.
// Returns the largest error relative to the largest reference value; bf16
// inputs carry 2^-9 relative rounding, so right kernels give a few 1e-3.
double checkReducedKernels()
{
    torch::NoGradGuard noGrad;
    const auto gen = at::detail::createCPUGenerator(20261208);
    double worst = 0;
    const auto relative = [&](const torch::Tensor& y, const torch::Tensor& ref) {
        const double scale = std::max(ref.abs().max().item<double>(), 1e-30);
        worst = std::max(worst, (y.to(torch::kFloat64) - ref).abs().max().item<double>() / scale);
    };
    at::globalContext().setUserEnabledMkldnn(true);
    try {
        const torch::Tensor a = torch::randn({64, 256}, gen), b = torch::randn({512, 256}, gen).t().contiguous();
        const torch::Tensor ar = a.to(torch::kBFloat16), br = b.to(torch::kBFloat16);
        relative(torch::mm(ar, br), torch::mm(ar.to(torch::kFloat64), br.to(torch::kFloat64)));
        const torch::Tensor q = torch::randn({1, 4, 50, 32}, gen).to(torch::kBFloat16);
        const torch::Tensor k = torch::randn({1, 4, 50, 32}, gen).to(torch::kBFloat16);
        relative(torch::matmul(q, k.transpose(-2, -1)),
                 torch::matmul(q.to(torch::kFloat64), k.to(torch::kFloat64).transpose(-2, -1)));
        const torch::Tensor x = torch::randn({1, 256, 50}, gen).to(torch::kBFloat16);
        const torch::Tensor w = (torch::randn({256, 16, 32}, gen) * 0.1).to(torch::kBFloat16);
        const auto conv = [](const torch::Tensor& in, const torch::Tensor& weight) {
            return torch::conv1d(in, weight, torch::Tensor(), /*stride=*/1, /*padding=*/16, /*dilation=*/1,
                                 /*groups=*/16);
        };
        relative(conv(x, w), conv(x.to(torch::kFloat64), w.to(torch::kFloat64)));
    } catch (...) {
        at::globalContext().setUserEnabledMkldnn(false);
        throw;
    }
    at::globalContext().setUserEnabledMkldnn(false);
    return worst;
}

void checkConvolutions()
{
    torch::NoGradGuard noGrad;
    const auto gen = at::detail::createCPUGenerator(20261207);
    double worst = 0;
    const auto check = [&](const torch::Tensor& x, const torch::Tensor& w, auto conv) {
        const torch::Tensor y = conv(x, w);
        const torch::Tensor ref = conv(x.to(torch::kFloat64), w.to(torch::kFloat64));
        worst = std::max(worst, (y.to(torch::kFloat64) - ref).abs().max().item<double>());
    };
    const auto conv2d = [](int64_t pad) {
        return [pad](const torch::Tensor& x, const torch::Tensor& w) { 
            const std::vector<int64_t> stride{1, 1}, padding{0, pad};
            return torch::conv2d(x, w, torch::Tensor(), stride, padding);
        };
    };
    // AASIST runs its blocks in channels-last memory without autograd (core/detector/Aasist.cpp):
    // both layouts are checked (oneDNN picks other kernels for each).
    const auto lastFormat = [](const torch::Tensor& t) { return t.contiguous(torch::MemoryFormat::ChannelsLast); };
    for (const auto& [cin, cout, kh] : std::vector<std::array<int64_t, 3>>{
             {24, 24, 2}, {24, 24, 1}, {32, 24, 2}, {32, 32, 2}, {32, 64, 1}, {64, 64, 2}}) {
        const torch::Tensor x = torch::randn({1, cin, 23, 64}, gen), w = torch::randn({cout, cin, kh, 3}, gen);
        check(x, w, conv2d(1));
        check(lastFormat(x), lastFormat(w), conv2d(1));
    }
    check(torch::randn({1, 512, 64}, gen), torch::randn({512, 512, 3}, gen),
          [](const torch::Tensor& x, const torch::Tensor& w) {
              const std::vector<int64_t> stride{2};
              return torch::conv1d(x, w, torch::Tensor(), stride);
          });
    // Sums of ~150 products of unit normals: float32 rounding is ~1e-5.
    if (worst > 1e-2) {
        at::globalContext().setUserEnabledMkldnn(false);
        const double reducedWorst = checkReducedKernels();
        g_reducedOneDnn = reducedWorst < 2e-2;
        char buf[320];
        std::snprintf(buf, sizeof buf,
                      "oneDNN off: its float32 convolutions were wrong on this CPU (max abs error %.3g against "
                      "float64); %s (max relative error %.3g)",
                      worst, g_reducedOneDnn ? "on for bf16 GEMMs and convolutions, checked right"
                                             : "its bf16 kernels were wrong too, so bf16 runs without it",
                      reducedWorst);
        g_convolutionNote = buf;
    } else {
        g_convolutionNote = at::globalContext().userEnabledMkldnn() ? "oneDNN convolutions checked" : "oneDNN off";
    }
}

std::mutex g_mutex;
int g_threads = 0;

} // namespace

void configureComputeThreads(int threads)
{
    if (threads > kMaxComputeThreads)
        throw ConfigError("compute threads: " + std::to_string(threads) + " is more than the limit of "
                          + std::to_string(kMaxComputeThreads) + " (this machine has "
                          + std::to_string(std::thread::hardware_concurrency())
                          + " hardware threads; 0 uses them all)");
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_blasKernels.empty())
        selectBlasKernels();
    if (g_convolutionNote.empty())
        checkConvolutions();
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (threads == g_threads)
        return;
    pinBlasToOneThread();
    torch::set_num_threads(threads);
    g_threads = threads;
}

std::string blasKernels()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_blasKernels.empty())
        selectBlasKernels();
    return g_blasKernels;
}

ScopedBlasThreads::ScopedBlasThreads(int threads)
{
    m_active = threads > 1;
    if (m_active)
        setBlasThreads(threads);
}

ScopedBlasThreads::~ScopedBlasThreads()
{
    if (m_active)
        pinBlasToOneThread();
}

ScopedReducedPrecisionKernels::ScopedReducedPrecisionKernels()
{
    if (convolutionCheck().empty() || !g_reducedOneDnn)
        return;
    std::lock_guard<std::mutex> lock(g_reducedMutex);
    if (g_reducedScopes++ == 0)
        at::globalContext().setUserEnabledMkldnn(true);
    m_active = true;
}

ScopedReducedPrecisionKernels::~ScopedReducedPrecisionKernels()
{
    if (!m_active)
        return;
    std::lock_guard<std::mutex> lock(g_reducedMutex);
    if (--g_reducedScopes == 0)
        at::globalContext().setUserEnabledMkldnn(false);
}

std::string convolutionCheck()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_convolutionNote.empty())
        checkConvolutions();
    return g_convolutionNote;
}

int computeThreads()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_threads > 0 ? g_threads : torch::get_num_threads();
}

} // namespace spooflens::core
