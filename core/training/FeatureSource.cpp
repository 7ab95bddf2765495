#include "core/training/FeatureSource.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/training/CacheFill.h"
#include "core/training/Protocol.h"
#include "core/training/RawBoost.h"
#include "core/training/RunFolder.h"
#include "core/training/Trainer.h"
#include "core/util/Eta.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

namespace spooflens::core {

DataSplit buildSplit(const TrainConfig& c, const LogFn& log)
{
    if (c.protocolPath.empty())
        throw ConfigError("data.protocol_path is not set (use --protocol-path or --set data.protocol_path=...)");
    const Protocol p = readProtocol(c.protocolPath);
    const std::vector<std::string> paths = resolveAllAudio(c.databasePath, p);
    DataSplit s;
    std::vector<Utterance> unassigned;
    for (size_t i = 0; i < p.entries.size(); ++i) {
        const auto& e = p.entries[i];
        Utterance u{paths[i], e.label};
        if (e.subset == c.trainSubset)
            s.train.push_back(u);
        else if (e.subset == c.valSubset)
            s.val.push_back(u);
        else if (e.subset.empty())
            unassigned.push_back(u);
    }
    for (auto& u : unassigned)
        s.train.push_back(u);
    if (s.val.empty() && c.valFraction > 0 && s.train.size() >= 2) {
        // No validation rows: hold out a seeded random fraction of the training rows.
        std::mt19937_64 rng(c.seed ^ 0x5eedULL);
        std::vector<size_t> idx(s.train.size());
        std::iota(idx.begin(), idx.end(), size_t(0));
        std::shuffle(idx.begin(), idx.end(), rng);
        const size_t nVal = std::max<size_t>(1, static_cast<size_t>(std::round(c.valFraction * double(idx.size()))));
        std::vector<Utterance> tr, va;
        for (size_t k = 0; k < idx.size(); ++k)
            (k < nVal ? va : tr).push_back(s.train[idx[k]]);
        s.train = std::move(tr);
        s.val = std::move(va);
        log("no '" + c.valSubset + "' rows in the protocol: holding out " + std::to_string(s.val.size())
            + " training utterances for validation (data.val_fraction = " + std::to_string(c.valFraction) + ")");
    }
    if (s.train.empty())
        throw ConfigError(c.protocolPath + ": no training utterances (subset '" + c.trainSubset + "')");
    // Warnings with counts (docs/reliability.md): the same audio listed twice
    // weighs double, and a one-class training set has nothing to contrast.
    {
        ProtocolChecks checks = checkProtocol(p, paths, std::string());
        // Classes of the rows actually trained on (after any validation hold-out).
        for (const auto& u : s.train)
            ++(u.label == 1 ? checks.bonafide : checks.spoof);
        for (const std::string& w : protocolProblems(checks, c.protocolPath, /*checkClasses=*/true))
            log("warning: " + w);
    }
    log("protocol " + c.protocolPath + " (" + protocolFormatName(p.format) + "): " + std::to_string(s.train.size())
        + " training, " + std::to_string(s.val.size()) + " validation utterances");
    return s;
}

FeatureSource::FeatureSource(const TrainConfig& c, const LogFn& log)
    : m_config(c), m_log(log)
{
    m_detector = std::make_unique<Detector>(detectorOptionsFor(c));
    const DetectorInfo& info = m_detector->info();
    checkDetectorShape(info);
    m_useCache = c.cacheEnabled && c.rawboostAlgo == 0;
    if (c.cacheEnabled && c.rawboostAlgo != 0)
        log("augmentation is on (RawBoost " + std::to_string(c.rawboostAlgo)
            + "): SSL features are recomputed for every training crop, the cache is used for validation only");
    if (c.cacheEnabled)
        m_cache = std::make_unique<FeatureCache>(cacheDirFor(c), info.sha256, c.cacheDtype);
    if (m_useCache && c.randomCrop)
        log("training from the feature cache: crops start at sample 0 (random cropping needs cache.enabled: false)");
}

FeatureSource::~FeatureSource() = default;

std::string FeatureSource::cacheDirFor(const TrainConfig& c)
{
    return featureCacheDir(c);
}

void FeatureSource::checkDetectorShape(const DetectorInfo& info) const
{
    const auto mismatch = [&](const std::string& key, int64_t want, int64_t have) {
        throw ConfigError("model." + key + " = " + std::to_string(want) + " does not match the detector "
                          + info.checkpointPath + " (" + std::to_string(have) + ")");
    };
    if (m_config.numEncoders > 0 && info.backendBlocks > 0 && m_config.numEncoders != info.backendBlocks)
        mismatch("num_encoders", m_config.numEncoders, info.backendBlocks);
    if (m_config.numClasses > 0 && m_config.numClasses != 2)
        mismatch("num_classes", m_config.numClasses, 2);
    if (m_config.embSize > 0 && m_config.embSize != 144)
        mismatch("emb_size", m_config.embSize, 144);
}

std::vector<float> FeatureSource::loadWave(const std::string& path)
{
    auto it = m_audio.find(path);
    if (it != m_audio.end())
        return it->second;
    AudioData a = loadAudio(path);
    if (m_audioBytes < (size_t(512) << 20)) {
        m_audioBytes += a.samples.size() * sizeof(float);
        m_audio.emplace(path, a.samples);
    }
    return a.samples;
}

std::vector<float> FeatureSource::crop(const std::vector<float>& x, bool random, std::mt19937_64& rng) const
{
    const int64_t n = m_config.crop;
    if (int64_t(x.size()) <= n)
        return repeatPad(x, n);
    int64_t start = 0;
    if (random)
        start = std::uniform_int_distribution<int64_t>(0, int64_t(x.size()) - n)(rng);
    return std::vector<float>(x.begin() + start, x.begin() + start + n);
}

torch::Tensor FeatureSource::runDetector(const std::vector<float>& wave)
{
    DetectorRequest req;
    req.cut = CutMode::Full;
    DetectorResult r = m_detector->run(wave, req);
    return torch::from_blob(r.ssl.data(), {r.frames, r.dim}, torch::kFloat).clone();
}

torch::Tensor FeatureSource::features(const Utterance& u, bool training, std::mt19937_64& rng)
{
    const bool cacheable = m_cache && (!training || m_useCache);
    if (cacheable) {
        const std::string key = m_cache->key(u.path, cacheCropPolicy(m_config));
        if (m_cache->contains(key)) {
            try {
                const auto [frames, dim] = m_cache->shape(key);
                torch::Tensor h = torch::empty({frames, dim}, torch::kFloat);
                m_cache->loadInto(key, h.data_ptr<float>(), frames, dim);
                ++m_cacheHits;
                return h;
            } catch (const CheckpointError& e) {
                m_log(std::string("recomputing a damaged cache entry: ") + e.what());
            }
        }
        const std::vector<float> wave = crop(loadWave(u.path), false, rng);
        torch::Tensor h = runDetector(wave).contiguous();
        m_cache->store(key, h.data_ptr<float>(), h.size(0), h.size(1));
        ++m_computed;
        return h;
    }
    std::vector<float> wave = crop(loadWave(u.path), training && m_config.randomCrop, rng);
    if (training && m_config.rawboostAlgo > 0)
        wave = rawBoost(wave, m_config.rawboostAlgo, rng);
    ++m_online;
    return runDetector(wave);
}

std::string cacheCropPolicy(const TrainConfig& c)
{
    return "start:" + std::to_string(c.crop) + ":repeat";
}

// fillFeatureCache: core/training/CacheFill.cpp (batched, docs/speed.md).

} // namespace spooflens::core
