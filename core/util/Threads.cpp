#include "core/util/Threads.h"

#include <torch/torch.h>

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace spooflens::core {
namespace {

// OpenBLAS (Debian's libopenblas0-pthread) keeps its own pthread pool that
// torch::set_num_threads does not control. On a 2-core machine that pool and
// LibTorch's OpenMP pool oversubscribe the cores (measured: the PyTorch
// detector ran 1.6x faster with OpenBLAS pinned to one thread). LibTorch calls
// BLAS from inside its own parallel regions, so BLAS must stay single-threaded.
// The symbol is looked up at run time so that builds against other BLAS
// libraries (MKL in PyTorch wheels) need no link dependency.
void pinBlasToOneThread()
{
    using SetThreads = void (*)(int);
    for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads"}) {
        if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, name))) {
            fn(1);
            return;
        }
    }
}

std::mutex g_mutex;
int g_threads = 0;

} // namespace

void configureComputeThreads(int threads)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (threads == g_threads)
        return;
    pinBlasToOneThread();
    torch::set_num_threads(threads);
    g_threads = threads;
}

int computeThreads()
{
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_threads > 0 ? g_threads : torch::get_num_threads();
}

} // namespace spooflens::core
