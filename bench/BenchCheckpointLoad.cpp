// Load time and peak memory of readStateDict on a (large) torch.save file.
//   BenchCheckpointLoad FILE.pth
// Prints the file size, the wall time of readStateDict, the process's peak
// RSS before and after loading (VmHWM), and peak RSS / file size. Compare with
// bench/checkpoint_load_baseline.py (torch.load on the same file).
#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"

#include <torch/torch.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

long vmHwmKiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE.pth\n", argv[0]);
        return 2;
    }
    struct stat st {};
    if (::stat(argv[1], &st) != 0) {
        std::perror(argv[1]);
        return 1;
    }
    torch::zeros({1});   // initialise LibTorch before measuring
    const long before = vmHwmKiB();
    try {
        const auto t0 = std::chrono::steady_clock::now();
        const spooflens::core::TensorList sd = spooflens::core::readStateDict(argv[1]);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const long after = vmHwmKiB();
        int64_t bytes = 0;
        for (const auto& [name, t] : sd)
            bytes += int64_t(t.nbytes());
        const double fileMiB = double(st.st_size) / (1 << 20);
        std::printf("file            %.1f MiB (%lld bytes), %zu tensors, %.1f MiB of tensor data\n", fileMiB,
                    static_cast<long long>(st.st_size), sd.size(), double(bytes) / (1 << 20));
        std::printf("load time       %.3f s\n", seconds);
        std::printf("peak RSS        %.1f MiB before loading, %.1f MiB after\n", before / 1024.0, after / 1024.0);
        std::printf("peak RSS / file %.3f\n", (after / 1024.0) / fileMiB);
    } catch (const spooflens::core::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
