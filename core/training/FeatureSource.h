#pragma once
// Where the trainer's SSL features come from (docs/stage2.md): the protocol's
// train/validation split, and FeatureSource, which runs the frozen detector
// on an utterance or reads its features from the feature cache (start crop).
// INTERNAL header (includes torch): for Trainer.cpp and FeatureSource.cpp.
#include "core/detector/Detector.h"
#include "core/training/FeatureCache.h"
#include "core/training/TrainConfig.h"

#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace spooflens::core {

using LogFn = std::function<void(const std::string&)>;

struct Utterance {
    std::string path;
    int label = 0;  ///< 1 bona fide, 0 spoof
};

struct DataSplit {
    std::vector<Utterance> train, val;
};

/// Reads the protocol and splits it by subset (unassigned rows train; without
/// validation rows a seeded `data.val_fraction` of the training rows is held
/// out). Logs the counts and warns about duplicates and one-class training sets.
DataSplit buildSplit(const TrainConfig& c, const LogFn& log);

/// Produces SSL features for utterances: from the cache (start crop) or online.
class FeatureSource {
public:
    FeatureSource(const TrainConfig& c, const LogFn& log);
    ~FeatureSource();

    static std::string cacheDirFor(const TrainConfig& c);

    const DetectorInfo& info() const { return m_detector->info(); }
    bool usesCache() const { return m_useCache; }
    FeatureCache* cache() const { return m_cache.get(); }

    /// (T, D) float32 on the CPU. Training crops may be random and augmented
    /// (and then are never cached).
    torch::Tensor features(const Utterance& u, bool training, std::mt19937_64& rng);

    int64_t computed() const { return m_computed; }
    /// For the step log (the GUI's progress): cache reads, detector runs of any kind.
    int64_t cacheHits() const { return m_cacheHits; }
    int64_t detectorRuns() const { return m_computed + m_online; }

private:
    void checkDetectorShape(const DetectorInfo& info) const;
    std::vector<float> loadWave(const std::string& path);
    std::vector<float> crop(const std::vector<float>& x, bool random, std::mt19937_64& rng) const;
    torch::Tensor runDetector(const std::vector<float>& wave);

    TrainConfig m_config;
    LogFn m_log;
    std::unique_ptr<Detector> m_detector;
    std::unique_ptr<FeatureCache> m_cache;
    bool m_useCache = false;
    std::map<std::string, std::vector<float>> m_audio;
    size_t m_audioBytes = 0;
    int64_t m_computed = 0;
    int64_t m_cacheHits = 0, m_online = 0;
};

} // namespace spooflens::core
