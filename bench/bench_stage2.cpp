// Stage 2 training step from the feature cache (batch 24, T 201, D 1024, H 256):
// forward + seed loss + backward + AdamW + EMA, median over steps; plus cache
// extraction throughput of a detector on 64600-sample crops.
// The steps run with BLAS at every compute thread, set once for the loop, as
// the trainer runs them from the cache (ScopedBlasThreads); --blas-threads 1
// measures them with BLAS pinned.
// Usage: bench_stage2 [--threads N] [--blas-threads N] [--steps N] [--detector CKPT --audio FILE [--utts N]]
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "core/training/FeatureCache.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <optional>
#include <vector>

using namespace spooflens::core;
using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

int main(int argc, char** argv)
{
    int threads = 0, steps = 30, utts = 10, blasThreads = 0;
    std::string detector, audio;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--threads") threads = std::atoi(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--detector") detector = argv[i + 1];
        else if (a == "--audio") audio = argv[i + 1];
        else if (a == "--utts") utts = std::atoi(argv[i + 1]);
        else if (a == "--blas-threads") blasThreads = std::atoi(argv[i + 1]);
    }
    configureComputeThreads(threads);
    if (blasThreads <= 0)
        blasThreads = computeThreads();
    const int64_t B = 24, T = 201, D = 1024;
    torch::manual_seed(0);

    // A float16 cache with B utterances' worth of features (what training reads).
    const std::string dir = (std::filesystem::temp_directory_path() / "spooflens_bench_cache").string();
    std::filesystem::create_directories(dir);
    FeatureCache cache(dir, std::string(64, '0'), "float16");
    std::vector<std::string> keys;
    for (int64_t b = 0; b < B; ++b) {
        const std::string key = cache.key(argv[0], "bench:" + std::to_string(b));
        const torch::Tensor h = torch::randn({T, D}).contiguous();
        cache.store(key, h.data_ptr<float>(), T, D);
        keys.push_back(key);
    }

    Stage2Options so;
    so.embedDim = D;
    Stage2Model model(so);
    model->train();
    torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(1e-4));
    const torch::Tensor labels = torch::tensor(std::vector<int64_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
    std::vector<double> load, step;
    std::optional<ScopedBlasThreads> blas;
    blas.emplace(blasThreads);
    for (int s = 0; s < steps + 5; ++s) {
        const auto t0 = Clock::now();
        // What the trainer does: one tensor per utterance read from the mapped
        // file, then the batch is stacked.
        std::vector<torch::Tensor> hs;
        for (const auto& k : keys) {
            const auto [frames, dim] = cache.shape(k);
            torch::Tensor one = torch::empty({frames, dim}, torch::kFloat);
            cache.loadInto(k, one.data_ptr<float>(), frames, dim);
            hs.push_back(one);
        }
        const torch::Tensor h = torch::stack(hs);
        const auto t1 = Clock::now();
        const Stage2Output out = model->forward(h);
        const Stage2LossTerms t = stage2Loss(out, labels, Stage2LossWeights{});
        opt.zero_grad();
        t.total.backward();
        opt.step();
        model->prototypeManager()->emaUpdate(h, labels);
        const auto t2 = Clock::now();
        if (s >= 5) {
            load.push_back(std::chrono::duration<double>(t1 - t0).count());
            step.push_back(std::chrono::duration<double>(t2 - t1).count());
        }
    }
    blas.reset();
    const double mStep = median(step), mLoad = median(load);
    const double perEpoch = (mStep + mLoad) * std::ceil(25380.0 / double(B));
    std::printf("{\"bench\": \"stage2_step_cpp\", \"threads\": %d, \"blas_threads\": %d, \"batch\": %lld, \"T\": %lld, \"D\": %lld, "
                "\"median_step_s\": %.5f, \"median_cache_load_s\": %.5f, \"epoch_25380_s\": %.1f}\n",
                computeThreads(), blasThreads, (long long)B, (long long)T, (long long)D, mStep, mLoad, perEpoch);
    std::filesystem::remove_all(dir);

    if (!detector.empty() && !audio.empty()) {
        DetectorOptions o;
        o.checkpointPath = detector;
        o.device = "cpu";
        o.threads = threads;
        Detector det(o);
        const AudioData a = loadAudio(audio);
        const std::vector<float> crop = repeatPad(a.samples, 64600);
        det.run(crop);  // warm-up
        const auto t0 = Clock::now();
        for (int i = 0; i < utts; ++i)
            det.run(crop);
        const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("{\"bench\": \"cache_extraction_cpu\", \"preset\": \"%s\", \"threads\": %d, \"utterances\": %d, "
                    "\"seconds\": %.3f, \"utterances_per_s\": %.3f}\n",
                    det.info().preset.c_str(), computeThreads(), utts, sec, utts / sec);
    }
    return 0;
}
