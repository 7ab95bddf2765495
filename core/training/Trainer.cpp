#include "core/training/Trainer.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Detector.h"
#include "core/stage2/Stage2Checkpoint.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "core/stage2/Stage2Objective.h"
#include "core/training/FeatureCache.h"
#include "core/training/Protocol.h"
#include "core/training/RawBoost.h"
#include "core/training/RunControl.h"
#include "core/training/RunFolder.h"
#include "core/training/TrainerState.h"
#include "core/util/Device.h"
#include "core/util/Eta.h"
#include "core/util/Threads.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <numeric>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace spooflens::core {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string formatDuration(double s)
{
    if (!std::isfinite(s) || s < 0)
        s = 0;
    const long long t = static_cast<long long>(s + 0.5);
    std::ostringstream o;
    o << std::setfill('0');
    if (t >= 3600)
        o << t / 3600 << ":" << std::setw(2) << (t / 60) % 60 << ":" << std::setw(2) << t % 60;
    else
        o << (t / 60) << ":" << std::setw(2) << t % 60;
    return o.str();
}

std::string absolutePath(const std::string& p)
{
    if (p.empty())
        return p;
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
}

struct Utterance {
    std::string path;
    int label = 0;
};

struct DataSplit {
    std::vector<Utterance> train, val;
};

DataSplit buildSplit(const TrainConfig& c, const std::function<void(const std::string&)>& log)
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
        std::map<std::string, int64_t> firstLine;
        int64_t duplicates = 0;
        std::string example;
        for (size_t i = 0; i < p.entries.size(); ++i) {
            const auto [it, fresh] = firstLine.emplace(paths[i], p.entries[i].line);
            if (!fresh && ++duplicates == 1)
                example = p.entries[i].file + " (lines " + std::to_string(it->second) + " and "
                          + std::to_string(p.entries[i].line) + ")";
        }
        if (duplicates > 0)
            log("warning: " + c.protocolPath + ": " + std::to_string(duplicates)
                + " duplicated utterance(s), each used as often as it is listed; first: " + example);
        int64_t bona = 0;
        for (const auto& u : s.train)
            bona += u.label == 1 ? 1 : 0;
        const int64_t spoof = int64_t(s.train.size()) - bona;
        if (bona == 0 || spoof == 0)
            log("warning: the training set has only " + std::string(bona ? "bona fide" : "spoof") + " utterances ("
                + std::to_string(bona) + " bona fide, " + std::to_string(spoof)
                + " spoof): the contrastive objective needs both classes");
    }
    log("protocol " + c.protocolPath + " (" + protocolFormatName(p.format) + "): " + std::to_string(s.train.size())
        + " training, " + std::to_string(s.val.size()) + " validation utterances");
    return s;
}

/// Produces SSL features for utterances: from the cache (start crop) or online.
class FeatureSource {
public:
    FeatureSource(const TrainConfig& c, const std::function<void(const std::string&)>& log)
        : m_config(c), m_log(log)
    {
        DetectorOptions o;
        o.checkpointPath = c.pretrainedCheckpoint;
        o.configPath = c.detectorConfig;
        o.device = c.device;
        o.threads = static_cast<int>(c.threads);
        if (o.checkpointPath.empty())
            throw ConfigError("model.pretrained_checkpoint (the frozen detector) is not set");
        m_detector = std::make_unique<Detector>(o);
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

    static std::string cacheDirFor(const TrainConfig& c)
    {
        return c.cacheDir.empty() ? std::string("feature_cache") : c.cacheDir;
    }

    void checkDetectorShape(const DetectorInfo& info) const
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

    const DetectorInfo& info() const { return m_detector->info(); }
    bool usesCache() const { return m_useCache; }
    FeatureCache* cache() const { return m_cache.get(); }

    std::vector<float> loadWave(const std::string& path)
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

    std::vector<float> crop(const std::vector<float>& x, bool random, std::mt19937_64& rng) const
    {
        const int64_t n = m_config.crop;
        if (int64_t(x.size()) <= n)
            return repeatPad(x, n);
        int64_t start = 0;
        if (random)
            start = std::uniform_int_distribution<int64_t>(0, int64_t(x.size()) - n)(rng);
        return std::vector<float>(x.begin() + start, x.begin() + start + n);
    }

    torch::Tensor runDetector(const std::vector<float>& wave)
    {
        DetectorRequest req;
        req.cut = CutMode::Full;
        DetectorResult r = m_detector->run(wave, req);
        return torch::from_blob(r.ssl.data(), {r.frames, r.dim}, torch::kFloat).clone();
    }

    /// (T, D) float32 on the CPU.
    torch::Tensor features(const Utterance& u, bool training, std::mt19937_64& rng)
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

    int64_t computed() const { return m_computed; }
    /// For the step log (the GUI's progress): cache reads, detector runs of any kind.
    int64_t cacheHits() const { return m_cacheHits; }
    int64_t detectorRuns() const { return m_computed + m_online; }

private:
    TrainConfig m_config;
    std::function<void(const std::string&)> m_log;
    std::unique_ptr<Detector> m_detector;
    std::unique_ptr<FeatureCache> m_cache;
    bool m_useCache = false;
    std::map<std::string, std::vector<float>> m_audio;
    size_t m_audioBytes = 0;
    int64_t m_computed = 0;
    int64_t m_cacheHits = 0, m_online = 0;
};

EpochMetrics::Terms termsFrom(const Stage2LossTerms& t)
{
    EpochMetrics::Terms r;
    r.total = t.total.item<double>();
    r.contrastive = t.contrastive.item<double>();
    r.bonafideReg = t.bonafideReg.item<double>();
    r.smooth = t.smooth.item<double>();
    r.sparsity = t.sparsity.item<double>();
    return r;
}

void accumulate(EpochMetrics::Terms& acc, const EpochMetrics::Terms& t, double w)
{
    acc.total += w * t.total;
    acc.contrastive += w * t.contrastive;
    acc.bonafideReg += w * t.bonafideReg;
    acc.smooth += w * t.smooth;
    acc.sparsity += w * t.sparsity;
}

void scale(EpochMetrics::Terms& acc, double s)
{
    acc.total *= s;
    acc.contrastive *= s;
    acc.bonafideReg *= s;
    acc.smooth *= s;
    acc.sparsity *= s;
}

json termsJson(const EpochMetrics::Terms& t)
{
    return json{{"loss_total", t.total},       {"loss_contrastive", t.contrastive},
                {"loss_bonafide_reg", t.bonafideReg}, {"loss_smooth", t.smooth},
                {"loss_sparsity", t.sparsity}};
}

void appendLine(const std::string& path, const std::string& line)
{
    appendLineChecked(path, line);
}

// Keeps only the lines whose "epoch" is <= maxEpoch (a killed run may have
// logged part of an epoch that the checkpoint does not contain).
void trimJsonl(const std::string& path, int64_t maxEpoch)
{
    std::ifstream in(path);
    if (!in)
        return;
    std::vector<std::string> keep;
    std::string line;
    bool changed = false;
    while (std::getline(in, line)) {
        if (line.empty()) {
            changed = true;
            continue;
        }
        try {
            const json j = json::parse(line);
            if (j.value("epoch", int64_t(0)) <= maxEpoch)
                keep.push_back(line);
            else
                changed = true;
        } catch (const std::exception&) {
            // a torn last line: drop it
            changed = true;
        }
    }
    in.close();
    if (!changed)
        return;
    std::string text;
    for (const auto& l : keep)
        text += l + "\n";
    // Checked writes + fsync + rename: a full disk never replaces the good log.
    replaceFileAtomically(path, text);
}

// A deep copy of the best epoch's module and optimizer state (the parameters
// keep changing after this epoch).
Value makeBestBlob(const TensorList& stateDict, const Value& optimizerState, int64_t epoch, const Value& trainerState)
{
    Value sd = Value::dict(/*orderedDict=*/true);
    for (const auto& [k, t] : stateDict)
        sd.set(k, Value::fromTensor(t.detach().to(torch::kCPU).contiguous().clone()));
    Value b = Value::dict();
    b.set("epoch", Value::integer(epoch));
    b.set("state_dict", std::move(sd));
    b.set("optimizer", optimizerState);
    b.set("trainer_state", trainerState);
    return b;
}

Value lastTrainerState(const TrainerState& state, const Value& bestBlob)
{
    Value v = trainerStateToValue(state);
    if (bestBlob.isDict())
        v.set("best", bestBlob);
    return v;
}

// Resume: best.pth must hold the epoch that last.pth names as best. A kill
// between the renames of last.pth and best.pth (or a deleted / damaged
// best.pth) leaves it stale; rebuild it from the copy inside last.pth.
void repairBestCheckpoint(const std::string& bestPath, const Stage2File& last, const TrainerState& state,
                          const Value& bestBlob, const std::function<void(const std::string&)>& log)
{
    if (state.bestEpoch <= 0)
        return;
    std::string found;
    std::error_code ec;
    if (!fs::exists(bestPath, ec)) {
        found = "missing";
    } else {
        try {
            const Stage2File b = readStage2File(bestPath);
            if (b.epoch == state.bestEpoch)
                return;
            found = "from epoch " + std::to_string(b.epoch);
        } catch (const Error& e) {
            found = std::string("unreadable (") + e.what() + ")";
        }
    }
    const Value* epoch = bestBlob.isDict() ? bestBlob.find("epoch") : nullptr;
    const Value* sd = bestBlob.isDict() ? bestBlob.find("state_dict") : nullptr;
    const Value* opt = bestBlob.isDict() ? bestBlob.find("optimizer") : nullptr;
    const Value* ts = bestBlob.isDict() ? bestBlob.find("trainer_state") : nullptr;
    if (!epoch || epoch->kind != Value::Kind::Int || epoch->i != state.bestEpoch || !sd || !opt)
        throw CheckpointError(bestPath + " is " + found + " but " + last.path + " names epoch "
                              + std::to_string(state.bestEpoch)
                              + " as best and holds no copy of it to rebuild from (written by an older SpoofLens?)");
    writeStage2File(bestPath, asTensorList(*sd, last.path), *opt, last.config, state.bestEpoch, last.prototypeMode,
                    last.detectorSha256, ts ? *ts : Value::none());
    log("repaired " + bestPath + ": it was " + found + ", the run's best is epoch " + std::to_string(state.bestEpoch)
        + " (rebuilt from the copy in last.pth)");
}

torch::Tensor stackBatch(std::vector<torch::Tensor>& items)
{
    return torch::stack(items);
}

} // namespace

std::string cacheCropPolicy(const TrainConfig& c)
{
    return "start:" + std::to_string(c.crop) + ":repeat";
}

TrainResult trainStage2(const TrainOptions& options)
{
    const auto log = options.log ? options.log : [](const std::string& m) { std::cerr << m << "\n"; };
    TrainConfig cfg = options.config;
    const std::string runDir = options.runDir;
    if (runDir.empty())
        throw ConfigError("no run folder given (--out RUN_DIR)");
    std::error_code ec;
    fs::create_directories(runDir, ec);
    if (ec)
        throw Error("cannot create the run folder '" + runDir + "': " + ec.message());
    const std::string metricsPath = (fs::path(runDir) / "metrics.jsonl").string();
    const std::string stepsPath = (fs::path(runDir) / "steps.jsonl").string();
    const std::string lastPath = (fs::path(runDir) / "last.pth").string();
    const std::string bestPath = (fs::path(runDir) / "best.pth").string();

    // One writer per run folder (docs/reliability.md), then clear what a killed
    // writer left behind (temporary files of a checkpoint or log rewrite).
    std::unique_ptr<FolderLock> runLock;
    if (!options.runDirLocked)
        runLock = std::make_unique<FolderLock>(runDir, kRunLockFile, "spooflens train");
    for (const std::string& name : removeStaleTemporaries(runDir))
        log("removed " + name + ", left over by an interrupted run");
    const std::string pausedPath = (fs::path(runDir) / kRunPausedFile).string();
    fs::remove(pausedPath, ec);  // a pause acknowledged by a killed run

    Stage2File resumeFile;
    if (options.resume) {
        if (!fs::is_regular_file(lastPath))
            throw ConfigError(runDir + ": nothing to resume (no last.pth)");
        const std::string cfgPath = (fs::path(runDir) / "config.yaml").string();
        cfg = TrainConfig::load(cfgPath);
        {
            // Runs written before `model.objective` existed were trained with the seed objective.
            std::ifstream in(cfgPath);
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (text.find("objective:") == std::string::npos)
                cfg.objective = stage2ObjectiveName(Stage2Objective::Seed);
        }
        resumeFile = readStage2File(lastPath);
        if (resumeFile.trainerState.kind == Value::Kind::None)
            throw CheckpointError(lastPath + ": no trainer state to resume from");
    } else {
        cfg.pretrainedCheckpoint = absolutePath(cfg.pretrainedCheckpoint);
        cfg.detectorConfig = absolutePath(cfg.detectorConfig);
        cfg.databasePath = absolutePath(cfg.databasePath);
        cfg.protocolPath = absolutePath(cfg.protocolPath);
        cfg.cacheDir = absolutePath(cfg.cacheDir.empty() ? std::string("feature_cache") : cfg.cacheDir);
        cfg.validate();
        // A fresh run starts fresh logs.
        fs::remove(metricsPath, ec);
        fs::remove(stepsPath, ec);
        // ... and no checkpoints of an earlier run in the same folder: a kill
        // during epoch 1 must not leave them looking like this run's.
        fs::remove(lastPath, ec);
        fs::remove(bestPath, ec);
        replaceFileAtomically((fs::path(runDir) / "config.yaml").string(), cfg.toYaml());
    }

    configureComputeThreads(static_cast<int>(cfg.threads));
    const DataSplit split = buildSplit(cfg, log);
    FeatureSource source(cfg, log);
    const DetectorInfo& det = source.info();
    const torch::Device device = parseDevice(cfg.device);
    log("detector " + det.checkpointPath + " (" + det.preset + ", D = " + std::to_string(det.embedDim)
        + ", sha256 " + det.sha256.substr(0, 12) + "...), Stage 2 on " + device.str());

    torch::manual_seed(cfg.seed);
    std::mt19937_64 rng(cfg.seed);

    Stage2Options so;
    so.embedDim = det.embedDim;
    so.hiddenDim = cfg.importanceHiddenDim;
    so.dropout = cfg.dropout;
    so.mode = parsePrototypeMode(cfg.prototypeMode);
    so.emaMomentum = cfg.emaMomentum;
    Stage2Model model(so);
    model->to(device);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(cfg.learningRate)
                                                           .weight_decay(cfg.weightDecay)
                                                           .betas({0.9, 0.999})
                                                           .eps(1e-8));
    const Stage2LossWeights lw{cfg.temperature,        cfg.lambdaBonafideReg,          cfg.lambdaTemporalSmooth,
                               cfg.lambdaSparsity,     parseStage2Objective(cfg.objective), cfg.lambdaPrior,
                               cfg.importancePriorBonafide, cfg.importanceBudgetSpoof};
    log("objective " + cfg.objective + " (docs/stage2-objective.md), prototypes " + cfg.prototypeMode);

    TrainerState state;
    // The best epoch's weights and optimizer state, carried inside last.pth so
    // that best.pth can be rebuilt from it (last.pth is the commit point).
    Value bestBlob = Value::none();
    if (options.resume) {
        if (resumeFile.embedDim != det.embedDim)
            throw CheckpointError(lastPath + ": width " + std::to_string(resumeFile.embedDim)
                                  + " does not fit the detector (" + std::to_string(det.embedDim) + ")");
        model->loadStateDict(resumeFile.xai, lastPath);
        loadOptimizerState(optimizer, model->parameters(), resumeFile.optimizer, lastPath);
        state = trainerStateFromValue(resumeFile.trainerState, lastPath);
        if (const Value* b = resumeFile.trainerState.find("best"); b && b->isDict())
            bestBlob = *b;
        restoreRng(state, rng);
        repairBestCheckpoint(bestPath, resumeFile, state, bestBlob, log);
        trimJsonl(metricsPath, state.epoch);
        trimJsonl(stepsPath, state.epoch);
        // Killed between the checkpoint and its metrics line: log it now.
        if (!state.pendingMetricsLine.empty()) {
            bool logged = false;
            std::ifstream in(metricsPath);
            std::string line;
            while (std::getline(in, line))
                if (!line.empty() && json::parse(line).value("epoch", int64_t(0)) == state.epoch)
                    logged = true;
            if (!logged)
                appendLine(metricsPath, state.pendingMetricsLine);
            state.pendingMetricsLine.clear();
        }
        log("resuming " + runDir + " after epoch " + std::to_string(state.epoch));
    }

    // Fill the cache (and compute fixed prototypes) before the first epoch.
    const auto prepStart = Clock::now();
    if (source.usesCache() || so.mode == PrototypeMode::Fixed) {
        const bool needFixed = so.mode == PrototypeMode::Fixed && !options.resume;
        torch::Tensor sums = torch::zeros({2, det.embedDim}, torch::kDouble);
        torch::Tensor counts = torch::zeros({2}, torch::kDouble);
        std::mt19937_64 prepRng(cfg.seed);
        size_t done = 0;
        const size_t total = split.train.size() + (source.usesCache() ? split.val.size() : 0);
        auto visit = [&](const Utterance& u, bool isTrain) {
            // Fixed prototypes: the global class means over the (start-crop) training frames.
            torch::Tensor h = source.features(u, false, prepRng);
            if (isTrain && needFixed) {
                sums[u.label] += h.to(torch::kDouble).sum(0);
                counts[u.label] += double(h.size(0));
            }
            ++done;
            if (!options.quiet)
                std::cerr << "\rpreparing features " << done << "/" << total << std::flush;
        };
        if (source.usesCache() || needFixed)
            for (const auto& u : split.train)
                visit(u, true);
        if (source.usesCache())
            for (const auto& u : split.val)
                visit(u, false);
        if (!options.quiet && done)
            std::cerr << "\n";
        if (needFixed) {
            if (counts[0].item<double>() == 0 || counts[1].item<double>() == 0)
                throw ConfigError("prototype_mode fixed needs both classes in the training set");
            model->prototypeManager()->setFromMeans((sums / counts.unsqueeze(1)).to(torch::kFloat));
            log("fixed prototypes = global class means of " + std::to_string(int64_t(counts.sum().item<double>()))
                + " training frames");
        }
        log("features ready in " + formatDuration(secondsSince(prepStart)) + " (" + std::to_string(source.computed())
            + " computed" + (source.usesCache() ? ", cache " + source.cache()->dir() : std::string()) + ")");
    }

    TrainResult result;
    result.runDir = runDir;
    const int64_t batch = cfg.batchSize;
    const int64_t nTrain = static_cast<int64_t>(split.train.size());
    const int64_t batchesPerEpoch = (nTrain + batch - 1) / batch;
    int64_t epochsThisCall = 0;
    const bool useValForStopping = !split.val.empty();
    if (!useValForStopping)
        log("no validation utterances: early stopping and best.pth use the training loss");

    if (state.stoppedEarly)
        log("this run already stopped early (patience exhausted after epoch " + std::to_string(state.epoch)
            + "): nothing to resume");
    while (state.epoch < cfg.numEpochs && !state.stoppedEarly) {
        if ((options.stop && options.stop->load()) ||
            (options.maxEpochsThisCall > 0 && epochsThisCall >= options.maxEpochsThisCall)) {
            result.interrupted = true;
            break;
        }
        const int64_t epoch = state.epoch + 1;
        const auto epochStart = Clock::now();
        EpochMetrics m;
        m.epoch = epoch;

        // --- training ---
        model->train();
        std::vector<size_t> order(split.train.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::shuffle(order.begin(), order.end(), rng);
        double seen = 0;
        bool stopped = false;
        for (int64_t b = 0; b < batchesPerEpoch; ++b) {
            if (options.pause && options.pause->load() && !(options.stop && options.stop->load())) {
                // An acknowledged pause: the file says the trainer waits, and
                // after which step; nothing is logged until it is removed.
                replaceFileAtomically(pausedPath, "paused at step " + std::to_string(state.globalStep) + "\n");
                log("paused at step " + std::to_string(state.globalStep));
                while (options.pause->load() && !(options.stop && options.stop->load()))
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                fs::remove(pausedPath, ec);
                if (!(options.stop && options.stop->load()))
                    log("continuing after step " + std::to_string(state.globalStep));
            }
            if (options.stop && options.stop->load()) {
                stopped = true;
                break;
            }
            std::vector<torch::Tensor> hs;
            std::vector<int64_t> labels;
            for (int64_t k = b * batch; k < std::min(nTrain, (b + 1) * batch); ++k) {
                const Utterance& u = split.train[order[size_t(k)]];
                hs.push_back(source.features(u, true, rng));
                labels.push_back(u.label);
            }
            const torch::Tensor h = stackBatch(hs).to(device);
            const torch::Tensor y = torch::tensor(labels, torch::kLong).to(device);
            const Stage2Output out = model->forward(h);
            const Stage2LossTerms t = stage2Loss(out, y, lw);
            if (!std::isfinite(t.total.item<double>())) {
                // Diverged: stop before the step touches the weights; the
                // checkpoints keep the last finite epoch (docs/reliability.md).
                trimJsonl(stepsPath, state.epoch);
                throw Error("training diverged: the loss is " + std::to_string(t.total.item<double>()) + " at epoch "
                            + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + "; " + runDir
                            + " keeps epoch " + std::to_string(state.epoch)
                            + " (try a lower training.learning_rate, and check the features)");
            }
            optimizer.zero_grad();
            t.total.backward();
            optimizer.step();
            // EMA after the loss, from the prototypes the loss used; training steps only.
            model->prototypeManager()->emaUpdate(h, y);
            const EpochMetrics::Terms bt = termsFrom(t);
            accumulate(m.train, bt, double(labels.size()));
            seen += double(labels.size());
            ++state.globalStep;
            json sj = termsJson(bt);
            sj["step"] = state.globalStep;
            sj["epoch"] = epoch;
            sj["batch"] = b + 1;
            sj["batches"] = batchesPerEpoch;
            sj["seconds"] = secondsSince(epochStart);
            sj["device"] = device.str();
            sj["features_cached"] = source.cacheHits();
            sj["features_computed"] = source.detectorRuns();
            appendLine(stepsPath, sj.dump());
            if (!options.quiet) {
                const double el = secondsSince(epochStart);
                const double eta = etaSeconds(el, b + 1, batchesPerEpoch);
                std::cerr << "\repoch " << epoch << "/" << cfg.numEpochs << "  batch " << (b + 1) << "/"
                          << batchesPerEpoch << "  loss " << std::setprecision(5) << bt.total << "  ETA "
                          << formatDuration(eta) << "    " << std::flush;
            }
        }
        if (!options.quiet)
            std::cerr << "\r" << std::string(72, ' ') << "\r" << std::flush;
        if (stopped) {
            // The partial epoch is discarded: its steps are removed from steps.jsonl
            // and the last checkpoint (end of the previous epoch) stays the resume point.
            trimJsonl(stepsPath, state.epoch);
            result.interrupted = true;
            log("stopped during epoch " + std::to_string(epoch) + "; resume continues after epoch "
                + std::to_string(state.epoch));
            // Reload is not needed: this call ends here.
            break;
        }
        scale(m.train, seen > 0 ? 1.0 / seen : 0.0);

        // --- validation (eval mode, no prototype updates) ---
        model->eval();
        {
            torch::NoGradGuard ng;
            double nVal = 0, correct = 0, sumBona = 0, nBona = 0, sumSpoof = 0, nSpoof = 0, sumW = 0,
                   nFrames = 0, sumSpread = 0;
            std::mt19937_64 valRng(cfg.seed);  // unused by the start crop, kept apart from the training stream
            const auto& vset = split.val.empty() ? split.train : split.val;
            for (size_t s0 = 0; s0 < vset.size(); s0 += size_t(batch)) {
                std::vector<torch::Tensor> hs;
                std::vector<int64_t> labels;
                for (size_t k = s0; k < std::min(vset.size(), s0 + size_t(batch)); ++k) {
                    hs.push_back(source.features(vset[k], false, valRng));
                    labels.push_back(vset[k].label);
                }
                const torch::Tensor h = stackBatch(hs).to(device);
                const torch::Tensor y = torch::tensor(labels, torch::kLong).to(device);
                const Stage2Output out = model->forward(h);
                const Stage2LossTerms t = stage2Loss(out, y, lw);
                accumulate(m.val, termsFrom(t), double(labels.size()));
                const torch::Tensor w = out.importance.to(torch::kCPU).to(torch::kDouble);
                const torch::Tensor pred = out.utteranceScores.argmax(1).to(torch::kCPU);
                const torch::Tensor totals = w.sum(1);
                const torch::Tensor spreads = w.std(1, /*unbiased=*/false);
                for (size_t k = 0; k < labels.size(); ++k) {
                    const int64_t kk = int64_t(k);
                    correct += pred[kk].item<int64_t>() == labels[k] ? 1.0 : 0.0;
                    if (labels[k] == 1) {
                        sumBona += totals[kk].item<double>();
                        nBona += 1;
                    } else {
                        sumSpoof += totals[kk].item<double>();
                        nSpoof += 1;
                    }
                    sumSpread += spreads[kk].item<double>();
                }
                sumW += w.sum().item<double>();
                nFrames += double(w.numel());
                nVal += double(labels.size());
            }
            scale(m.val, nVal > 0 ? 1.0 / nVal : 0.0);
            m.valAccuracy = nVal > 0 ? correct / nVal : 0.0;
            m.meanTotalImportanceBonafide = nBona > 0 ? sumBona / nBona : 0.0;
            m.meanTotalImportanceSpoof = nSpoof > 0 ? sumSpoof / nSpoof : 0.0;
            m.importanceMean = nFrames > 0 ? sumW / nFrames : 0.0;
            m.importanceSpread = nVal > 0 ? sumSpread / nVal : 0.0;
        }
        const ImportanceHealth health = importanceHealth(
            m.importanceMean, m.importanceSpread,
            {cfg.collapseMeanThreshold, cfg.collapseSpreadThreshold, cfg.collapseSaturationThreshold});
        m.collapseMean = health.collapsedToZero;
        m.collapseSpread = health.flat;
        m.saturated = health.saturated;
        m.learningRate = cfg.learningRate;

        const double monitored = useValForStopping ? m.val.total : m.train.total;
        bool finiteWeights = true;
        for (const auto& [name, t] : model->stateDict())
            finiteWeights = finiteWeights && std::isfinite(t.detach().sum(torch::kDouble).item<double>());
        if (!std::isfinite(monitored) || !std::isfinite(m.train.total) || !finiteWeights) {
            // Never a NaN epoch in the checkpoints, let alone as "best".
            trimJsonl(stepsPath, state.epoch);
            throw Error("training diverged: " + (finiteWeights ? std::string() : std::string("the weights hold NaN/inf, "))
                        + "the " + std::string(useValForStopping ? "validation" : "training") + " loss of epoch "
                        + std::to_string(epoch) + " is " + std::to_string(monitored) + "; "
                        + runDir + " keeps epoch " + std::to_string(state.epoch)
                        + " (try a lower training.learning_rate, and check the features)");
        }
        state.epoch = epoch;
        if (state.bestEpoch == 0 || monitored < state.bestValLoss) {
            state.bestValLoss = monitored;
            state.bestEpoch = epoch;
            state.badEpochs = 0;
            m.best = true;
        } else {
            ++state.badEpochs;
        }
        m.seconds = secondsSince(epochStart);

        json j;
        j["epoch"] = epoch;
        j["train"] = termsJson(m.train);
        j["val"] = termsJson(m.val);
        j["val"]["accuracy"] = m.valAccuracy;
        j["mean_total_importance"] = {{"bonafide", m.meanTotalImportanceBonafide}, {"spoof", m.meanTotalImportanceSpoof}};
        j["importance_mean"] = m.importanceMean;
        j["importance_spread"] = m.importanceSpread;
        j["collapse"] = {{"mean_below_threshold", m.collapseMean},
                         {"spread_below_threshold", m.collapseSpread},
                         {"saturated", m.saturated},
                         {"collapsed", health.degenerate()},
                         {"mean_threshold", cfg.collapseMeanThreshold},
                         {"spread_threshold", cfg.collapseSpreadThreshold},
                         {"saturation_threshold", cfg.collapseSaturationThreshold}};
        j["lr"] = m.learningRate;
        j["seconds"] = m.seconds;
        j["best"] = m.best;
        j["best_epoch"] = state.bestEpoch;
        j["best_val_loss"] = state.bestValLoss;
        j["bad_epochs"] = state.badEpochs;
        j["prototype_mode"] = cfg.prototypeMode;
        j["objective"] = cfg.objective;
        m.json = j.dump();

        // Checkpoint first, then the log line: a kill in between leaves a
        // checkpoint whose epoch is not yet logged, and resume re-runs nothing
        // (the line is re-derived below only if missing).
        //
        // The pair last.pth/best.pth: last.pth is written first and is the
        // commit point; it carries the best epoch's weights (bestBlob), so a
        // kill between the two renames leaves a best.pth one epoch stale that
        // the next --resume detects and rebuilds (repairBestCheckpoint).
        saveRngState(state, rng);
        const Value optState = optimizerStateToValue(optimizer, model->parameters(), cfg);
        const Value cfgValue = configToValue(cfg);
        const Value ts = trainerStateToValue(state);
        if (m.best)
            bestBlob = makeBestBlob(model->stateDict(), optState, epoch, ts);
        state.pendingMetricsLine = m.json;
        writeStage2File(lastPath, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256,
                        lastTrainerState(state, bestBlob));
        faultPoint("after-last-checkpoint");
        if (m.best)
            writeStage2File(bestPath, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256, ts);
        faultPoint("after-best-checkpoint");
        appendLine(metricsPath, m.json);
        state.pendingMetricsLine.clear();

        std::ostringstream line;
        line << std::fixed << std::setprecision(4) << "epoch " << epoch << "/" << cfg.numEpochs << "  train "
             << m.train.total << "  val " << m.val.total << " (acc " << std::setprecision(3) << m.valAccuracy
             << ")  w: mean " << std::setprecision(4) << m.importanceMean << " spread " << m.importanceSpread
             << "  sum w bona/spoof " << std::setprecision(2) << m.meanTotalImportanceBonafide << "/"
             << m.meanTotalImportanceSpoof << (m.collapseMean || m.collapseSpread ? "  COLLAPSE" : "")
             << (m.saturated ? "  SATURATED" : "")
             << (m.best ? "  *best" : "") << "  " << std::setprecision(1) << m.seconds << " s";
        log(line.str());
        if (options.onEpoch)
            options.onEpoch(m);
        result.epochs.push_back(m);
        ++epochsThisCall;
        if (state.badEpochs >= cfg.patience) {
            result.stoppedEarly = true;
            log("early stopping: no improvement of the validation loss for " + std::to_string(cfg.patience)
                + " epochs (best epoch " + std::to_string(state.bestEpoch) + ")");
            state.stoppedEarly = true;
            writeStage2File(lastPath, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256,
                            lastTrainerState(state, bestBlob));
            break;
        }
    }
    result.epochsDone = state.epoch;
    result.bestEpoch = state.bestEpoch;
    result.bestValLoss = state.bestValLoss;
    result.stoppedEarly = result.stoppedEarly || state.stoppedEarly;
    return result;
}

// fillFeatureCache: core/training/CacheFill.cpp (batched, docs/speed.md).

} // namespace spooflens::core
