#include "core/training/Trainer.h"

#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/stage2/Stage2Checkpoint.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "core/stage2/Stage2Objective.h"
#include "core/training/FeatureSource.h"
#include "core/training/RunControl.h"
#include "core/training/Stage2Recipe.h"
#include "core/training/RunFolder.h"
#include "core/training/RunRecords.h"
#include "core/training/TrainerState.h"
#include "core/util/Device.h"
#include "core/util/Eta.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <optional>
#include <thread>

namespace fs = std::filesystem;

// trainStage2 is the epoch loop; what it relies on lives in its own units:
// the run folder's records and logs (RunRecords.h, RunFolder.h), the feature
// sources and the data split (FeatureSource.h), the resume state
// (TrainerState.h) and the validation statistics (validationStats).

namespace spooflens::core {

Stage2Options stage2Options(const TrainConfig& cfg, int64_t embedDim)
{
    Stage2Options so;
    so.embedDim = embedDim;
    so.hiddenDim = cfg.importanceHiddenDim;
    so.dropout = cfg.dropout;
    so.mode = parsePrototypeMode(cfg.prototypeMode);
    so.emaMomentum = cfg.emaMomentum;
    so.featureNorm = parseStage2FeatureNorm(cfg.featureNorm);
    return so;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string absolutePath(const std::string& p)
{
    if (p.empty())
        return p;
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
}

struct RunPaths {
    std::string dir, metrics, steps, last, best, paused, config;
    explicit RunPaths(const std::string& d)
        : dir(d), metrics(runFile(d, kMetricsFile)), steps(runFile(d, kStepsFile)),
          last(runFile(d, kLastCheckpointFile)), best(runFile(d, kBestCheckpointFile)),
          paused(runFile(d, kRunPausedFile)), config(runFile(d, kRunConfigFile))
    {
    }
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
    const TensorList bestWeights = asTensorList(*sd, last.path);
    // The copy is rebuilt into best.pth only when it could be a best epoch: never NaN weights.
    for (const auto& [name, t] : bestWeights)
        if (t.is_floating_point() && t.numel() > 0 && !std::isfinite(t.sum(torch::kDouble).item<double>()))
            throw CheckpointError(last.path + ": its copy of the best epoch holds NaN or infinite weights (tensor '"
                                  + name + "'): a damaged or edited file; " + bestPath + " was not rebuilt");
    writeStage2File(bestPath, bestWeights, *opt, last.config, state.bestEpoch, last.prototypeMode,
                    last.detectorSha256, ts ? *ts : Value::none());
    log("repaired " + bestPath + ": it was " + found + ", the run's best is epoch " + std::to_string(state.bestEpoch)
        + " (rebuilt from the copy in last.pth)");
}

/// Opens the run folder: takes its lock (unless the caller holds it), and
/// either reads the configuration and last.pth of a run to resume (clearing
/// what a killed writer left) or starts a fresh run (resolved config.yaml) in
/// a folder that holds no run. A run killed before its first checkpoint is
/// started again from its config.yaml. Returns the configuration; `resuming`
/// says whether last.pth is to be restored.
TrainConfig openRunFolder(const TrainOptions& options, const RunPaths& run, std::unique_ptr<FolderLock>& lock,
                          Stage2File& resumeFile, bool& resuming, const LogFn& log)
{
    TrainConfig cfg = options.config;
    resuming = false;
    std::error_code ec;
    fs::create_directories(run.dir, ec);
    if (ec)
        throw Error("cannot create the run folder '" + run.dir + "': " + ec.message());
    // One writer per run folder (docs/reliability.md).
    if (!options.runDirLocked)
        lock = std::make_unique<FolderLock>(run.dir, kRunLockFile, "spooflens train");
    if (!options.resume) {
        // A new run never replaces a run (finished or not), and leaves the files of
        // an ordinary folder alone (no clean-up of *.tmp there).
        if (const std::string found = describeRunIn(run.dir, !options.configInRunDir); !found.empty())
            throw ConfigError(run.dir + " holds " + found + "; a new run does not replace it. Continue it with "
                              "`spooflens train --resume " + run.dir + "`, choose another --out, or add --overwrite "
                              "to move it aside to " + run.dir + ".old-<time> first");
    } else {
        // Clear what a killed writer left behind (temporary files of a checkpoint or log rewrite).
        for (const std::string& name : removeStaleTemporaries(run.dir))
            log("removed " + name + ", left over by an interrupted run");
        fs::remove(run.paused, ec);  // a pause acknowledged by a killed run
    }

    if (options.resume && !fs::is_regular_file(run.last)) {
        if (!fs::is_regular_file(run.config))
            throw ConfigError(run.dir + ": nothing to resume (no last.pth and no config.yaml: not a run folder)");
        if (fs::exists(run.best))
            throw ConfigError(run.dir + ": cannot resume: it has best.pth but no last.pth (the checkpoint a "
                              "resume continues from)");
        // Killed before its first checkpoint: nothing to restore, the run starts from its saved configuration.
        cfg = TrainConfig::load(run.config);
        log(run.dir + " has no checkpoint yet (the run stopped before its first epoch ended): starting it "
            "from its config.yaml");
    } else if (options.resume) {
        resuming = true;
        cfg = TrainConfig::load(run.config);
        {
            // Runs written before `model.objective` existed were trained with the seed objective.
            std::ifstream in(run.config);
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (text.find("objective:") == std::string::npos)
                cfg.objective = stage2ObjectiveName(Stage2Objective::Seed);
        }
        resumeFile = readStage2File(run.last);
        if (resumeFile.trainerState.kind == Value::Kind::None)
            throw CheckpointError(run.last + ": no trainer state to resume from");
        // The run goes on only with the configuration it was trained with: an edited
        // config.yaml would mix objectives, losses and data in one run (docs/reliability.md).
        const std::vector<std::string> changed = changedConfigKeys(resumeFile.config, configToValue(cfg));
        if (!changed.empty()) {
            std::string msg = run.config + " differs from the configuration " + run.last
                              + " was trained with; a resume continues the same run, so it is refused:";
            for (const std::string& c : changed)
                msg += "\n  " + c;
            msg += "\nrestore those values, or start a new run with them (spooflens train --config "
                   + run.config + " --out NEW_DIR); only";
            for (size_t i = 0; i < resumableConfigKeys().size(); ++i)
                msg += (i ? ", " : " ") + resumableConfigKeys()[i];
            msg += " may change on resume";
            throw ConfigError(msg);
        }
        return cfg;
    }
    cfg.pretrainedCheckpoint = absolutePath(cfg.pretrainedCheckpoint);
    cfg.detectorConfig = absolutePath(cfg.detectorConfig);
    cfg.databasePath = absolutePath(cfg.databasePath);
    cfg.protocolPath = absolutePath(cfg.protocolPath);
    cfg.cacheDir = absolutePath(cfg.cacheDir.empty() ? std::string("feature_cache") : cfg.cacheDir);
    cfg.validate();
    // A fresh run starts fresh logs ...
    fs::remove(run.metrics, ec);
    fs::remove(run.steps, ec);
    // ... and no checkpoints of an earlier run in the same folder: a kill
    // during epoch 1 must not leave them looking like this run's.
    fs::remove(run.last, ec);
    fs::remove(run.best, ec);
    replaceFileAtomically(run.config, cfg.toYaml());
    return cfg;
}

/// Restores model, optimizer, trainer state and RNG from last.pth, repairs
/// best.pth and the logs (docs/reliability.md).
void resumeRun(const RunPaths& run, const Stage2File& resumeFile, int64_t embedDim, Stage2Model& model,
               torch::optim::AdamW& optimizer, TrainerState& state, Value& bestBlob, std::mt19937_64& rng,
               const LogFn& log)
{
    if (resumeFile.embedDim != embedDim)
        throw CheckpointError(run.last + ": width " + std::to_string(resumeFile.embedDim)
                              + " does not fit the detector (" + std::to_string(embedDim) + ")");
    model->loadStateDict(resumeFile.xai, run.last);
    loadOptimizerState(optimizer, model->parameters(), resumeFile.optimizer, run.last);
    state = trainerStateFromValue(resumeFile.trainerState, run.last);
    checkTrainerState(state, resumeFile.epoch, run.last);
    if (const Value* b = resumeFile.trainerState.find("best"); b && b->isDict())
        bestBlob = *b;
    try {
        restoreRng(state, rng);
    } catch (const CheckpointError& e) {
        throw CheckpointError(run.last + ": " + e.what());
    }
    repairBestCheckpoint(run.best, resumeFile, state, bestBlob, log);
    trimJsonl(run.metrics, state.epoch);
    trimJsonl(run.steps, state.epoch);
    // Killed between the checkpoint and its metrics line: log it now.
    if (!state.pendingMetricsLine.empty()) {
        appendEpochLineIfMissing(run.metrics, state.epoch, state.pendingMetricsLine);
        state.pendingMetricsLine.clear();
    }
    log("resuming " + run.dir + " after epoch " + std::to_string(state.epoch));
}

/// Fills the cache (and computes fixed prototypes) before the first epoch.
void prepareFeatures(const TrainOptions& options, const TrainConfig& cfg, const DataSplit& split, FeatureSource& source,
                     Stage2Model& model, PrototypeMode mode, bool resuming, const LogFn& log)
{
    if (!source.usesCache() && mode != PrototypeMode::Fixed)
        return;
    const auto prepStart = Clock::now();
    const int64_t embedDim = source.info().embedDim;
    const bool needFixed = mode == PrototypeMode::Fixed && !resuming;
    torch::Tensor sums = torch::zeros({2, embedDim}, torch::kDouble);
    torch::Tensor counts = torch::zeros({2}, torch::kDouble);
    std::mt19937_64 prepRng(cfg.seed);
    TrainProgress pr;
    pr.phase = TrainProgress::Phase::PreparingFeatures;
    pr.epochs = cfg.numEpochs;
    pr.total = int64_t(split.train.size() + (source.usesCache() ? split.val.size() : 0));
    auto visit = [&](const Utterance& u, bool isTrain) {
        // Fixed prototypes: the global class means over the (start-crop) training frames.
        torch::Tensor h = source.features(u, false, prepRng);
        if (isTrain && needFixed) {
            h = model->features(h);  // what the module's prototypes are compared with
            sums[u.label] += h.to(torch::kDouble).sum(0);
            counts[u.label] += double(h.size(0));
        }
        ++pr.done;
        if (!options.quiet && options.progress) {
            pr.etaSeconds = etaSeconds(secondsSince(prepStart), pr.done, pr.total);
            options.progress(pr);
        }
    };
    if (source.usesCache() || needFixed)
        for (const auto& u : split.train)
            visit(u, true);
    if (source.usesCache())
        for (const auto& u : split.val)
            visit(u, false);
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

/// The validation pass (eval mode, no prototype updates): the mean loss
/// terms into `m.val` and the statistics of validationStats into `m`.
void validateEpoch(Stage2Model& model, FeatureSource& source, const std::vector<Utterance>& vset, int64_t batch,
                   const torch::Device& device, const Stage2LossWeights& lw, uint64_t seed, EpochMetrics& m)
{
    model->eval();
    torch::NoGradGuard ng;
    std::mt19937_64 valRng(seed);  // unused by the start crop, kept apart from the training stream
    std::vector<ValidationBatch> batches;
    for (size_t s0 = 0; s0 < vset.size(); s0 += size_t(batch)) {
        std::vector<torch::Tensor> hs;
        ValidationBatch vb;
        for (size_t k = s0; k < std::min(vset.size(), s0 + size_t(batch)); ++k) {
            hs.push_back(source.features(vset[k], false, valRng));
            vb.labels.push_back(vset[k].label);
        }
        std::vector<int64_t> labels(vb.labels.begin(), vb.labels.end());
        const torch::Tensor h = torch::stack(hs).to(device);
        const torch::Tensor y = torch::tensor(labels, torch::kLong).to(device);
        const Stage2Output out = model->forward(h);
        const Stage2LossTerms t = stage2Loss(out, y, lw);
        accumulate(m.val, termsFrom(t), double(labels.size()));
        const torch::Tensor w = out.importance.to(torch::kCPU).to(torch::kDouble);
        const torch::Tensor pred = out.utteranceScores.argmax(1).to(torch::kCPU);
        const torch::Tensor totals = w.sum(1);
        const torch::Tensor spreads = w.std(1, /*unbiased=*/false);
        for (int64_t k = 0; k < int64_t(labels.size()); ++k) {
            vb.predicted.push_back(pred[k].item<int64_t>());
            vb.totalImportance.push_back(totals[k].item<double>());
            vb.importanceSpread.push_back(spreads[k].item<double>());
        }
        vb.importanceSum = w.sum().item<double>();
        vb.frames = double(w.numel());
        batches.push_back(std::move(vb));
    }
    const ValidationStats vs = validationStats(batches);
    scale(m.val, vs.utterances > 0 ? 1.0 / vs.utterances : 0.0);
    m.valAccuracy = vs.accuracy;
    m.meanTotalImportanceBonafide = vs.meanTotalImportanceBonafide;
    m.meanTotalImportanceSpoof = vs.meanTotalImportanceSpoof;
    m.importanceMean = vs.importanceMean;
    m.importanceSpread = vs.importanceSpread;
}

/// The console line of a finished epoch (through the log callback).
std::string epochSummary(const EpochMetrics& m, int64_t numEpochs)
{
    std::ostringstream line;
    line << std::fixed << std::setprecision(4) << "epoch " << m.epoch << "/" << numEpochs << "  train "
         << m.train.total << "  val " << m.val.total << " (acc " << std::setprecision(3) << m.valAccuracy
         << ")  w: mean " << std::setprecision(4) << m.importanceMean << " spread " << m.importanceSpread
         << "  sum w bona/spoof " << std::setprecision(2) << m.meanTotalImportanceBonafide << "/"
         << m.meanTotalImportanceSpoof << (m.collapseMean || m.collapseSpread ? "  COLLAPSE" : "")
         << (m.saturated ? "  SATURATED" : "")
         << (m.best ? "  *best" : "") << "  " << std::setprecision(1) << m.seconds << " s";
    return line.str();
}

} // namespace

TrainResult trainStage2(const TrainOptions& options)
{
    const LogFn log = options.log ? options.log : [](const std::string& m) { std::cerr << m << "\n"; };
    if (options.runDir.empty())
        throw ConfigError("no run folder given (--out RUN_DIR)");
    const RunPaths run(options.runDir);
    const std::string& runDir = run.dir;
    std::unique_ptr<FolderLock> runLock;
    Stage2File resumeFile;
    bool resuming = false;
    const TrainConfig cfg = openRunFolder(options, run, runLock, resumeFile, resuming, log);
    // The lock file this run holds (here or in the CLI that started it). If it
    // is deleted or replaced, a second trainer can take a new lock on the same
    // folder: this one then stops before its next epoch writes anything.
    const LockIdentity lockId = lockIdentity((fs::path(run.dir) / kRunLockFile).string());
    const auto report = [&](const TrainProgress& p) {
        if (!options.quiet && options.progress)
            options.progress(p);
    };

    configureComputeThreads(static_cast<int>(cfg.threads));
    const DataSplit split = buildSplit(cfg, log);
    FeatureSource source(cfg, log);
    const DetectorInfo& det = source.info();
    const torch::Device device = parseDevice(cfg.device);
    log("detector " + det.checkpointPath + " (" + det.preset + ", D = " + std::to_string(det.embedDim)
        + ", sha256 " + det.sha256.substr(0, 12) + "...), Stage 2 on " + device.str());

    torch::manual_seed(cfg.seed);
    std::mt19937_64 rng(cfg.seed);

    const Stage2Options so = stage2Options(cfg, det.embedDim);
    Stage2Model model(so);
    model->to(device);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(cfg.learningRate)
                                                           .weight_decay(cfg.weightDecay)
                                                           .betas({0.9, 0.999})
                                                           .eps(1e-8));
    const Stage2LossWeights lw{cfg.temperature,        cfg.lambdaBonafideReg,          cfg.lambdaTemporalSmooth,
                               cfg.lambdaSparsity,     parseStage2Objective(cfg.objective), cfg.lambdaPrior,
                               cfg.importancePriorBonafide, cfg.importanceBudgetSpoof};
    log("objective " + cfg.objective + " (docs/stage2-objective.md), prototypes " + cfg.prototypeMode
        + ", feature_norm " + cfg.featureNorm);

    TrainerState state;
    // The best epoch's weights and optimizer state, carried inside last.pth so
    // that best.pth can be rebuilt from it (last.pth is the commit point).
    Value bestBlob = Value::none();
    if (resuming)
        resumeRun(run, resumeFile, det.embedDim, model, optimizer, state, bestBlob, rng, log);

    prepareFeatures(options, cfg, split, source, model, so.mode, resuming, log);

    TrainResult result;
    result.runDir = runDir;
    const int64_t batch = cfg.batchSize;
    const int64_t nTrain = static_cast<int64_t>(split.train.size());
    const int64_t batchesPerEpoch = (nTrain + batch - 1) / batch;
    int64_t epochsThisCall = 0;
    const bool useValForStopping = !split.val.empty();
    if (!useValForStopping)
        log("no validation utterances: early stopping and best.pth use the training loss");
    const auto stopRequested = [&] { return options.stop && options.stop->load(); };
    TrainProgress pr;
    pr.epochs = cfg.numEpochs;
    pr.batches = batchesPerEpoch;

    if (state.stoppedEarly)
        log("this run already stopped early (patience exhausted after epoch " + std::to_string(state.epoch)
            + "): nothing to resume");
    // Features from the cache (all read or computed above): the loop runs no
    // detector, so BLAS gets every compute thread for the whole loop. Switching
    // it per step costs ~10 ms a step (docs/cpu.md, "BLAS threads and dropout in the Stage 2 step").
    std::optional<ScopedBlasThreads> loopBlasThreads;
    if (device.is_cpu() && source.usesCache())
        loopBlasThreads.emplace(computeThreads());
    while (state.epoch < cfg.numEpochs && !state.stoppedEarly) {
        if (stopRequested() || (options.maxEpochsThisCall > 0 && epochsThisCall >= options.maxEpochsThisCall)) {
            result.interrupted = true;
            break;
        }
        checkLockIdentity(lockId, run.dir);
        const int64_t epoch = state.epoch + 1;
        const auto epochStart = Clock::now();
        EpochMetrics m;
        m.epoch = epoch;
        pr.epoch = epoch;

        // --- training ---
        model->train();
        std::vector<size_t> order(split.train.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::shuffle(order.begin(), order.end(), rng);
        double seen = 0;
        bool stopped = false;
        for (int64_t b = 0; b < batchesPerEpoch; ++b) {
            if (options.pause && options.pause->load() && !stopRequested()) {
                // An acknowledged pause: the file says the trainer waits, and
                // after which step; nothing is logged until it is removed.
                replaceFileAtomically(run.paused, "paused at step " + std::to_string(state.globalStep) + "\n");
                log("paused at step " + std::to_string(state.globalStep));
                pr.phase = TrainProgress::Phase::Paused;
                pr.batch = b;
                pr.step = state.globalStep;
                report(pr);
                while (options.pause->load() && !stopRequested())
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                std::error_code ec;
                fs::remove(run.paused, ec);
                if (!stopRequested())
                    log("continuing after step " + std::to_string(state.globalStep));
            }
            if (stopRequested()) {
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
            const torch::Tensor h = torch::stack(hs).to(device);
            const torch::Tensor y = torch::tensor(labels, torch::kLong).to(device);
            // Features computed online: BLAS gets every compute thread for the
            // step only, the detector runs pinned (docs/cpu.md, same section).
            const ScopedBlasThreads stepBlasThreads(device.is_cpu() && !source.usesCache() ? computeThreads() : 1);
            const Stage2Output out = model->forward(h);
            const Stage2LossTerms t = stage2Loss(out, y, lw);
            if (!std::isfinite(t.total.item<double>())) {
                // Diverged: stop before the step touches the weights; the
                // checkpoints keep the last finite epoch (docs/reliability.md).
                trimJsonl(run.steps, state.epoch);
                throw Error("training diverged: the loss is " + std::to_string(t.total.item<double>()) + " at epoch "
                            + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + "; " + runDir
                            + " keeps epoch " + std::to_string(state.epoch)
                            + " (try a lower training.learning_rate, and check the features)");
            }
            optimizer.zero_grad();
            t.total.backward();
            optimizer.step();
            // EMA after the loss, from the prototypes the loss used; training steps only.
            model->prototypeManager()->emaUpdate(model->features(h), y);
            StepMetrics sm;
            sm.loss = termsFrom(t);
            accumulate(m.train, sm.loss, double(labels.size()));
            seen += double(labels.size());
            ++state.globalStep;
            sm.step = state.globalStep;
            sm.epoch = epoch;
            sm.batch = b + 1;
            sm.batches = batchesPerEpoch;
            sm.seconds = secondsSince(epochStart);
            sm.device = device.str();
            sm.featuresCached = source.cacheHits();
            sm.featuresComputed = source.detectorRuns();
            appendLineChecked(run.steps, stepMetricsJson(sm));
            pr.phase = TrainProgress::Phase::Training;
            pr.batch = b + 1;
            pr.step = state.globalStep;
            pr.loss = sm.loss.total;
            pr.etaSeconds = etaSeconds(secondsSince(epochStart), b + 1, batchesPerEpoch);
            report(pr);
        }
        if (stopped) {
            // The partial epoch is discarded: its steps are removed from steps.jsonl
            // and the last checkpoint (end of the previous epoch) stays the resume point.
            trimJsonl(run.steps, state.epoch);
            result.interrupted = true;
            log("stopped during epoch " + std::to_string(epoch) + "; resume continues after epoch "
                + std::to_string(state.epoch));
            // Reload is not needed: this call ends here.
            break;
        }
        scale(m.train, seen > 0 ? 1.0 / seen : 0.0);

        pr.phase = TrainProgress::Phase::Validating;
        pr.etaSeconds = -1;
        report(pr);
        validateEpoch(model, source, split.val.empty() ? split.train : split.val, batch, device, lw, cfg.seed, m);
        const ImportanceHealth health = importanceHealth(
            m.importanceMean, m.importanceSpread,
            {cfg.collapseMeanThreshold, cfg.collapseSpreadThreshold, cfg.collapseSaturationThreshold});
        m.collapseMean = health.collapsedToZero;
        m.collapseSpread = health.flat;
        m.saturated = health.saturated;
        m.collapsed = health.degenerate();
        m.meanThreshold = cfg.collapseMeanThreshold;
        m.spreadThreshold = cfg.collapseSpreadThreshold;
        m.saturationThreshold = cfg.collapseSaturationThreshold;
        m.learningRate = cfg.learningRate;

        const double monitored = useValForStopping ? m.val.total : m.train.total;
        bool finiteWeights = true;
        for (const auto& [name, t] : model->stateDict())
            finiteWeights = finiteWeights && std::isfinite(t.detach().sum(torch::kDouble).item<double>());
        if (!std::isfinite(monitored) || !std::isfinite(m.train.total) || !finiteWeights) {
            // Never a NaN epoch in the checkpoints, let alone as "best".
            trimJsonl(run.steps, state.epoch);
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
        m.bestEpoch = state.bestEpoch;
        m.bestValLoss = state.bestValLoss;
        m.badEpochs = state.badEpochs;
        m.prototypeMode = cfg.prototypeMode;
        m.objective = cfg.objective;
        m.json = epochMetricsJson(m);

        // Checkpoint first, then the log line: a kill in between leaves a
        // checkpoint whose epoch is not yet logged, and resume re-runs nothing
        // (the line is re-derived on resume only if missing).
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
        faultPoint("before-last-checkpoint");
        writeStage2File(run.last, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256,
                        lastTrainerState(state, bestBlob));
        faultPoint("after-last-checkpoint");
        if (m.best)
            writeStage2File(run.best, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256, ts);
        faultPoint("after-best-checkpoint");
        appendLineChecked(run.metrics, m.json);
        state.pendingMetricsLine.clear();

        log(epochSummary(m, cfg.numEpochs));
        if (options.onEpoch)
            options.onEpoch(m);
        result.epochs.push_back(m);
        ++epochsThisCall;
        if (state.badEpochs >= cfg.patience) {
            result.stoppedEarly = true;
            log("early stopping: no improvement of the validation loss for " + std::to_string(cfg.patience)
                + " epochs (best epoch " + std::to_string(state.bestEpoch) + ")");
            state.stoppedEarly = true;
            writeStage2File(run.last, model->stateDict(), optState, cfgValue, epoch, cfg.prototypeMode, det.sha256,
                            lastTrainerState(state, bestBlob));
            break;
        }
    }
    pr.phase = result.interrupted ? TrainProgress::Phase::Cancelled : TrainProgress::Phase::Finished;
    pr.step = state.globalStep;
    pr.etaSeconds = -1;
    report(pr);
    result.epochsDone = state.epoch;
    result.bestEpoch = state.bestEpoch;
    result.bestValLoss = state.bestValLoss;
    result.stoppedEarly = result.stoppedEarly || state.stoppedEarly;
    return result;
}

} // namespace spooflens::core
