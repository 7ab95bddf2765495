// BenchExplainers CKPT CLIP.npy [--threads N] [--runs R]
// Cost of every detector-side explainer (docs/explainers.md) on one clip: the
// detector runs once to get h(t), then each method runs R times through the
// frozen back-end; also the faithfulness curves of one attribution. Prints one
// JSON line per method: back-end passes and the median / all wall times.
// The Stage 2 methods cost one Stage 2 forward (no back-end pass) and are not timed here.
#include "core/checkpoint/Npy.h"
#include "core/detector/Detector.h"
#include "core/explain/BackendExplainer.h"
#include "bench/BenchStats.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using spooflens::bench::median;
using spooflens::bench::printTimesAndEndLine;

namespace {

void report(const std::string& name, int64_t passes, const std::vector<double>& times, int64_t frames)
{
    std::printf("{\"method\": \"%s\", \"frames\": %lld, \"backend_passes\": %lld, \"median_s\": %.4f, ",
                name.c_str(), static_cast<long long>(frames), static_cast<long long>(passes), median(times));
    printTimesAndEndLine(times);
}

} // namespace

int main(int argc, char** argv)
{
    using namespace spooflens::core;
    if (argc < 3) {
        std::cerr << "usage: BenchExplainers CKPT CLIP.npy [--threads N] [--runs R]\n";
        return 2;
    }
    DetectorOptions options;
    options.checkpointPath = argv[1];
    options.device = "cpu";
    options.threads = 2;
    int runs = 3;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            options.threads = std::stoi(argv[++i]);
        else if (a == "--runs" && i + 1 < argc)
            runs = std::stoi(argv[++i]);
    }
    try {
        const NpyArray clip = readNpy(argv[2]);
        const std::vector<float> samples(clip.f32(), clip.f32() + clip.numel());
        const Detector detector(options);
        const DetectorResult r = detector.run(samples);
        std::vector<double> full;
        for (int i = 0; i < runs; ++i)
            full.push_back(detector.run(samples).seconds);
        report("detector (SSL + back-end, for scale)", 0, full, r.frames);
        BackendExplainer b(detector, r.ssl, r.frames, r.dim);
        std::vector<float> last;
        for (AttributionMethod m : allMethods()) {
            if (methodNeedsStage2(m))
                continue;
            std::vector<double> times;
            int64_t passes = 0;
            for (int i = 0; i < runs; ++i) {
                const Attribution a = b.run(m);
                times.push_back(a.seconds);
                passes = a.backendPasses;
                last = a.values;
            }
            report(methodName(m), passes, times, r.frames);
        }
        std::vector<double> times;
        int64_t passes = 0;
        for (int i = 0; i < runs; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            b.faithfulness(last, &passes);
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        report("faithfulness (per attribution)", passes, times, r.frames);
    } catch (const std::exception& e) {
        std::cerr << "BenchExplainers: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
