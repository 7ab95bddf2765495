// BenchDetector CKPT CLIP.npy [--threads N] [--runs R] [--batch B] [--no-pin] [--out PREFIX]
// Loads the detector (XLS-R + TCM or AASIST), reports load time and the peak
// RSS right after loading (VmHWM), then the median of R inferences on the clip
// (float32 .npy, one row). --batch B: each inference is one
// runDetectorBatched call on B copies of the clip, which share one forward
// pass (as `spooflens cache` / `evaluate --batch` run them); its wall time is
// what is timed. --no-pin lets OpenBLAS use N threads again after
// configureComputeThreads pinned it to one (to measure what pinning buys).
// Prints one JSON line; --out writes PREFIX_ssl.npy and PREFIX_logits.npy
// (of the first copy).
#include "core/format/Npy.h"
#include "core/detector/BatchRun.h"
#include "core/detector/Detector.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <iostream>
#include <string>
#include <vector>

namespace {

long peakRssKb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: BenchDetector CKPT CLIP.npy [--threads N] [--runs R] [--batch B] [--no-pin] [--out PREFIX]\n";
        return 2;
    }
    spooflens::core::DetectorOptions options;
    options.checkpointPath = argv[1];
    options.device = "cpu";
    options.threads = 2;
    int runs = 6;
    int batch = 1;
    bool pin = true;
    std::string out;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            options.threads = std::stoi(argv[++i]);
        else if (a == "--runs" && i + 1 < argc)
            runs = std::stoi(argv[++i]);
        else if (a == "--batch" && i + 1 < argc)
            batch = std::max(1, std::stoi(argv[++i]));
        else if (a == "--no-pin")
            pin = false;
        else if (a == "--out" && i + 1 < argc)
            out = argv[++i];
    }
    try {
        const auto clip = spooflens::core::readNpy(argv[2]);
        const std::vector<float> samples(clip.f32(), clip.f32() + clip.numel());

        const auto t0 = std::chrono::steady_clock::now();
        const spooflens::core::Detector detector(options);
        const double loadS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const long loadRss = peakRssKb();
        if (!pin) {
            using SetThreads = void (*)(int);
            if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
                fn(options.threads);
        }
        std::vector<double> times;
        spooflens::core::DetectorResult r;
        for (int i = 0; i < runs; ++i) {
            const auto t = std::chrono::steady_clock::now();
            if (batch == 1) {  // wall time around the call, as for a batch (and the peers' scripts)
                r = detector.run(samples);
                times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
                continue;
            }
            spooflens::core::BatchRunOptions o;
            o.batch = batch;
            const auto stats = spooflens::core::runDetectorBatched(
                detector, size_t(batch), [&](size_t) { return samples; },
                [&](size_t k, spooflens::core::DetectorResult&& res) {
                    if (k == 0)
                        r = std::move(res);
                },
                [](size_t, std::exception_ptr e) { std::rethrow_exception(e); }, o);
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
            if (stats.passes != 1)
                throw std::runtime_error("the " + std::to_string(batch) + " copies took " + std::to_string(stats.passes)
                                         + " passes, not one");
        }
        std::vector<double> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                                : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
        if (!out.empty()) {
            spooflens::core::writeNpyF32(out + "_ssl.npy", r.ssl.data(), {r.frames, r.dim});
            spooflens::core::writeNpyF32(out + "_logits.npy", r.logits, {2});
        }
        std::printf("{\"impl\": \"spooflens\", \"load_s\": %.4f, \"load_peak_rss_kb\": %ld, \"median_s\": %.4f, "
                    "\"threads\": %d, \"batch\": %d, \"openblas_pinned\": %s, \"max_rss_kb\": %ld, \"times_s\": [",
                    loadS, loadRss, median, options.threads, batch, pin ? "true" : "false", peakRssKb());
        for (size_t i = 0; i < times.size(); ++i)
            std::printf("%s%.4f", i ? ", " : "", times[i]);
        std::printf("], \"logits\": [%.7g, %.7g]}\n", static_cast<double>(r.logits[0]), static_cast<double>(r.logits[1]));
    } catch (const std::exception& e) {
        std::cerr << "BenchDetector: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
