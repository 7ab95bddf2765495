// BenchBatch CKPT AUDIO [--device cpu|cuda] [--threads N] [--precision fp32|bf16] [--utterances U]
//            [--batches 1,2,4,8] [--rounds R]
// Corpus throughput of runDetectorBatched (core/detector/BatchRun.h): U
// utterances, each AUDIO decoded again on the prefetch thread (as `spooflens
// cache` / `evaluate` read a corpus), at every batch size of --batches, the
// sizes INTERLEAVED over R rounds so that their ratios come from the same
// machine state. One untimed warm-up pass per size first. Also times the
// decoding of AUDIO alone (what the prefetch thread hides). Prints one JSON
// line per round and one summary line: median utterances/s per batch size and
// the ratio to batch 1 (medians of the per-round ratios).
#include "core/audio/AudioFile.h"
#include "core/detector/BatchRun.h"
#include "core/detector/Detector.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char** argv)
{
    using namespace spooflens::core;
    if (argc < 3) {
        std::cerr << "usage: BenchBatch CKPT AUDIO [--device cpu|cuda] [--threads N] [--precision fp32|bf16] [--utterances U] "
                     "[--batches 1,2,4,8] [--rounds R]\n";
        return 2;
    }
    DetectorOptions options;
    options.checkpointPath = argv[1];
    const std::string audioPath = argv[2];
    options.device = "cpu";
    options.threads = 2;
    int utterances = 8, rounds = 3;
    std::vector<int> batches{1, 2, 4, 8};
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            options.threads = std::stoi(argv[++i]);
        else if (a == "--precision" && i + 1 < argc)
            options.precision = parsePrecision(argv[++i]);
        else if (a == "--device" && i + 1 < argc)
            options.device = argv[++i];
        else if (a == "--utterances" && i + 1 < argc)
            utterances = std::stoi(argv[++i]);
        else if (a == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (a == "--batches" && i + 1 < argc) {
            batches.clear();
            std::stringstream s(argv[++i]);
            std::string item;
            while (std::getline(s, item, ','))
                batches.push_back(std::stoi(item));
        }
    }
    try {
        const Detector det(options);
        std::vector<double> decode;
        for (int k = 0; k < 5; ++k) {
            const double t0 = now();
            (void)loadAudio(audioPath);
            decode.push_back(now() - t0);
        }
        const auto pass = [&](int batch, int count) {
            BatchRunOptions o;
            o.batch = batch;
            int64_t got = 0;
            const double t0 = now();
            runDetectorBatched(
                det, size_t(count), [&](size_t) { return loadAudio(audioPath).samples; },
                [&](size_t, DetectorResult&&) { ++got; }, [](size_t, std::exception_ptr e) { std::rethrow_exception(e); },
                o);
            return double(got) / (now() - t0);
        };
        for (int b : batches)
            pass(b, b);  // warm-up
        std::map<int, std::vector<double>> rate, ratio;
        for (int r = 0; r < rounds; ++r) {
            std::map<int, double> thisRound;
            for (int b : batches)
                thisRound[b] = pass(b, utterances);
            std::cout << "{\"round\": " << r;
            for (int b : batches) {
                rate[b].push_back(thisRound[b]);
                if (thisRound.count(1))
                    ratio[b].push_back(thisRound[b] / thisRound[1]);
                std::cout << ", \"batch" << b << "_utt_per_s\": " << thisRound[b];
            }
            std::cout << "}" << std::endl;
        }
        std::cout << "{\"checkpoint\": \"" << options.checkpointPath << "\", \"precision\": \""
                  << precisionName(options.precision) << "\", \"threads\": " << options.threads
                  << ", \"utterances\": " << utterances << ", \"rounds\": " << rounds
                  << ", \"decode_s_median\": " << median(decode);
        for (int b : batches) {
            std::cout << ", \"batch" << b << "_utt_per_s\": " << median(rate[b]);
            if (!ratio[b].empty())
                std::cout << ", \"batch" << b << "_vs_batch1\": " << median(ratio[b]);
        }
        std::cout << "}" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "BenchBatch: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
