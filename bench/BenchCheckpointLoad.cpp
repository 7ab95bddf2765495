// Load time and peak memory of readStateDict on a (large) torch.save file.
//   BenchCheckpointLoad FILE.pth
// Prints the file size, the wall time of readStateDict, the process's peak
// RSS before and after loading (VmHWM), and peak RSS / file size. Compare with
// bench/checkpoint_load_baseline.py (torch.load on the same file).
//
//   BenchCheckpointLoad --crc-cost N FILE.pth...
// The cost of the tensor records' CRC-32 check (docs/reliability.md): for each
// file, one warm-up load (page cache), then N loads with the check and N
// without, alternating; prints the median of each and the difference.
#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"

#include <torch/torch.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

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

double loadSeconds(const char* path, bool crc)
{
    spooflens::core::CheckpointReadOptions o;
    o.verifyTensorCrc = crc;
    const auto t0 = std::chrono::steady_clock::now();
    const spooflens::core::CheckpointContents c = spooflens::core::readCheckpoint(path, o);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int crcCost(int repeats, int argc, char** argv)
{
    torch::zeros({1});
    std::printf("%-60s %12s %12s %12s %9s %10s\n", "file", "bytes", "crc on (ms)", "crc off (ms)", "cost", "MB/s crc");
    for (int i = 0; i < argc; ++i) {
        struct stat st {};
        if (::stat(argv[i], &st) != 0) {
            std::perror(argv[i]);
            return 1;
        }
        try {
            loadSeconds(argv[i], true);  // page cache, allocator warm-up
            std::vector<double> on, off;
            for (int r = 0; r < repeats; ++r) {
                on.push_back(loadSeconds(argv[i], true));
                off.push_back(loadSeconds(argv[i], false));
            }
            const double a = median(on), b = median(off);
            std::printf("%-60s %12lld %12.3f %12.3f %8.1f%% %10.0f\n", argv[i], static_cast<long long>(st.st_size),
                        a * 1e3, b * 1e3, 100.0 * (a - b) / b,
                        a > b ? double(st.st_size) / (a - b) / 1e6 : 0.0);
        } catch (const spooflens::core::Error& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 4 && std::string(argv[1]) == "--crc-cost")
        return crcCost(std::max(1, std::atoi(argv[2])), argc - 3, argv + 3);
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
