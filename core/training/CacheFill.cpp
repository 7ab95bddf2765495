#include "core/training/CacheFill.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/training/FeatureCache.h"
#include "core/training/Protocol.h"
#include "core/training/RunFolder.h"
#include "core/util/Eta.h"
#include "core/util/Threads.h"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace spooflens::core {

namespace {

std::string minutesSeconds(double s)
{
    const long long t = s > 0 && s < 1e9 ? static_cast<long long>(s + 0.5) : 0;
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, (t / 60) % 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
    return buf;
}

} // namespace

DetectorOptions detectorOptionsFor(const TrainConfig& config)
{
    DetectorOptions o;
    o.checkpointPath = config.pretrainedCheckpoint;
    o.configPath = config.detectorConfig;
    o.device = config.device;
    o.threads = static_cast<int>(config.threads);
    if (o.checkpointPath.empty())
        throw ConfigError("model.pretrained_checkpoint (the frozen detector) is not set");
    return o;
}

std::string featureCacheDir(const TrainConfig& config)
{
    return config.cacheDir.empty() ? std::string("feature_cache") : config.cacheDir;
}

CacheFillReport fillFeatureCache(const TrainConfig& config, const CacheFillOptions& options)
{
    const auto log = options.log ? options.log : [](const std::string& m) { std::cerr << m << "\n"; };
    const int64_t shardIndex = options.shardIndex, shardCount = options.shardCount;
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
        throw ConfigError("shard must satisfy 0 <= K < N");
    if (options.batch < 1)
        throw ConfigError("--batch must be at least 1, got " + std::to_string(options.batch));
    configureComputeThreads(static_cast<int>(config.threads));
    const Protocol p = readProtocol(config.protocolPath);
    const std::vector<std::string> paths = resolveAllAudio(config.databasePath, p);

    const Detector detector(detectorOptionsFor(config));
    const FeatureCache cache(featureCacheDir(config), detector.info().sha256, config.cacheDtype);
    const std::string policy = cacheCropPolicy(config);

    CacheFillReport r;
    r.cacheDir = cache.dir();
    // Shards fill one folder in parallel; the same shard twice is one writer too many.
    const std::string shard = std::to_string(shardIndex) + "-of-" + std::to_string(shardCount);
    const FolderLock shardLock(r.cacheDir, "fill-" + shard + ".lock",
                               "spooflens cache --shard " + std::to_string(shardIndex) + "/" + std::to_string(shardCount));
    const auto t0 = std::chrono::steady_clock::now();

    // Entries already there (and intact) are reused; the rest is computed.
    std::vector<std::string> todoPath, todoKey;
    int64_t total = 0;
    for (size_t i = 0; i < paths.size(); ++i) {
        if (int64_t(i) % shardCount != shardIndex)
            continue;
        ++total;
        const std::string key = cache.key(paths[i], policy);
        if (cache.contains(key)) {
            try {
                const auto [frames, dim] = cache.shape(key);
                std::vector<float> check(size_t(frames * dim));
                cache.loadInto(key, check.data(), frames, dim);
                ++r.reused;
                continue;
            } catch (const CheckpointError& e) {
                log(std::string("recomputing a damaged cache entry: ") + e.what());
            }
        }
        todoPath.push_back(paths[i]);
        todoKey.push_back(key);
    }
    r.utterances = total;

    BatchRunOptions bo;
    bo.batch = options.batch;
    bo.cut = CutMode::Full;  // the loader crops (cacheCropPolicy: start, repeat padding)
    const int64_t crop = config.crop;
    runDetectorBatched(
        detector, todoPath.size(),
        [&](size_t k) { return repeatPad(loadAudio(todoPath[k]).samples, crop); },
        [&](size_t k, DetectorResult&& res) {
            cache.store(todoKey[k], res.ssl.data(), res.frames, res.dim);
            ++r.computed;
            if (!options.quiet && options.progress) {
                TrainProgress pr;
                pr.phase = TrainProgress::Phase::PreparingFeatures;
                pr.done = r.reused + r.computed;
                pr.total = total;
                pr.etaSeconds = etaSeconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                           r.computed, int64_t(todoPath.size()));
                options.progress(pr);
            } else if (!options.quiet) {
                const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                const int64_t doneCount = r.reused + r.computed;
                std::cerr << "\rshard " << shardIndex << "/" << shardCount << ": " << doneCount << "/" << total
                          << "  ETA " << minutesSeconds(etaSeconds(el, r.computed, int64_t(todoPath.size())))
                          << "   " << std::flush;
            }
        },
        [&](size_t, std::exception_ptr e) { std::rethrow_exception(e); }, bo);
    if (!options.quiet && !options.progress)
        std::cerr << "\n";
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

CacheFillReport fillFeatureCache(const TrainConfig& config, int64_t shardIndex, int64_t shardCount, bool quiet,
                                 const std::function<void(const std::string&)>& log,
                                 const std::function<void(const TrainProgress&)>& progress)
{
    CacheFillOptions o;
    o.shardIndex = shardIndex;
    o.shardCount = shardCount;
    o.quiet = quiet;
    o.log = log;
    o.progress = progress;
    return fillFeatureCache(config, o);
}

} // namespace spooflens::core
