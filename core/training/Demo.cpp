#include "core/training/Demo.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Explainer.h"
#include "core/training/DemoCorpus.h"
#include "core/training/DemoMetrics.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"

#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

namespace fs = std::filesystem;

namespace spooflens::core {

void writeWav16k(const std::string& path, const std::vector<float>& samples)
{
    SF_INFO info {};
    info.samplerate = kSampleRate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f)
        throw AudioError(path + ": cannot write WAV: " + sf_strerror(nullptr));
    std::vector<float> clipped(samples);
    for (float& v : clipped)
        v = std::clamp(v, -1.0f, 32767.0f / 32768.0f);
    const sf_count_t n = sf_writef_float(f, clipped.data(), sf_count_t(clipped.size()));
    sf_close(f);
    if (n != sf_count_t(clipped.size()))
        throw AudioError(path + ": short write");
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// JSON has no NaN: an undefined metric is null.
nlohmann::json num(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json spreadJson(const std::vector<double>& v)
{
    double mean = 0, lo = INFINITY, hi = -INFINITY;
    for (double x : v) {
        mean += x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    mean /= double(std::max<size_t>(1, v.size()));
    double sq = 0;
    for (double x : v)
        sq += (x - mean) * (x - mean);
    return {{"frame_auc_mean", num(mean)}, {"frame_auc_min", num(lo)}, {"frame_auc_max", num(hi)},
            {"frame_auc_std", num(v.size() > 1 ? std::sqrt(sq / double(v.size() - 1)) : 0.0)}, {"seeds", v.size()},
            {"frame_auc_per_seed", v}};
}

/// Running means of one attribution's localisation and faithfulness numbers.
struct DemoScoreSums {
    double auc = 0, ap = 0, seconds = 0, deletion = 0, insertion = 0;
    double valueSum = 0, valueSq = 0, values = 0;  // over every frame: mean and std of the attribution
    int n = 0, nAp = 0, nFaith = 0, utterances = 0;
    void addValues(const std::vector<double>& v)
    {
        for (double x : v) {
            valueSum += x;
            valueSq += x * x;
        }
        values += double(v.size());
    }
    double meanValue() const { return values > 0 ? valueSum / values : NAN; }
    double stdValue() const
    {
        return values > 0 ? std::sqrt(std::max(0.0, valueSq / values - meanValue() * meanValue())) : NAN;
    }
    void add(double a, double p, double s)
    {
        ++utterances;
        seconds += s;
        if (std::isfinite(a)) {
            auc += a;
            ++n;
        }
        if (std::isfinite(p)) {
            ap += p;
            ++nAp;
        }
    }
    void addFaithfulness(double d, double i)
    {
        deletion += d;
        insertion += i;
        ++nFaith;
    }
    double meanAuc() const { return n ? auc / n : NAN; }
    nlohmann::json toJson() const
    {
        nlohmann::json j{{"frame_auc", num(meanAuc())}, {"frame_ap", num(nAp ? ap / nAp : NAN)},
                         {"utterances", n}, {"seconds_per_utterance", num(utterances ? seconds / utterances : NAN)}};
        if (nFaith) {
            j["deletion_auc"] = deletion / nFaith;
            j["insertion_auc"] = insertion / nFaith;
        }
        return j;
    }
};

bool buildHasObjectiveKey()
{
    try {
        (void)TrainConfig::fromOverrides({"model.objective=seed"});
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

DemoReport buildDemo(const DemoOptions& o)
{
    const auto log = o.log ? o.log : [](const std::string& m) { std::cerr << m << "\n"; };
    const auto tStart = Clock::now();
    DemoReport r;
    const fs::path dir = fs::absolute(o.outDir).lexically_normal();
    const fs::path data = dir / "data";
    fs::create_directories(data);
    r.outDir = dir.string();
    nlohmann::json manifest;
    manifest["spooflens_demo"] = 2;
    manifest["small"] = o.small;
    manifest["seed"] = o.seed;
    manifest["variants"] = {{"partial_training", o.partialTraining}};
    nlohmann::json timing;

    // 1. Corpus.
    auto t0 = Clock::now();
    DemoCorpusOptions co;
    co.outDir = data.string();
    co.asvspoofBonafide = o.bonafideAudio;
    co.pocketsphinxDir = o.pocketsphinxDir;
    co.codec2Dir = o.codec2Dir;
    co.small = o.small;
    co.partialTraining = o.partialTraining;
    co.seed = o.seed;
    co.log = log;
    const DemoCorpus corpus = buildDemoCorpus(co);
    timing["corpus_s"] = secondsSince(t0);

    nlohmann::json sources = nlohmann::json::array();
    for (const auto& l : corpus.licences)
        sources.push_back({{"package", l.package}, {"files", l.files}, {"licence", l.licence}});
    manifest["sources"] = sources;
    manifest["held_out_methods"] = corpus.heldOutMethods;
    nlohmann::json splits;
    for (const auto& it : corpus.items) {
        auto& s = splits[it.split];
        if (s.is_null())
            s = nlohmann::json::object();
        s[it.spoof ? "spoof" : "bonafide"] = s.value(it.spoof ? "spoof" : "bonafide", 0) + 1;
        s["seconds"] = s.value("seconds", 0.0) + it.seconds;
        s["narrowband"] = s.value("narrowband", 0) + (it.narrowband ? 1 : 0);
        auto& m = s["methods"];
        if (std::find(m.begin(), m.end(), it.method) == m.end())
            m.push_back(it.method);
    }
    splits["eval"]["partial_spoof"] = corpus.partials.size();
    manifest["splits"] = splits;

    // Protocol (train + dev; merged 3-column) for Stage 2.
    r.protocol = (data / "protocol.txt").string();
    {
        std::ofstream proto(r.protocol, std::ios::trunc);
        for (const auto& it : corpus.items)
            if (it.split != "eval")
                proto << it.path << " " << it.split << " " << (it.spoof ? "spoof" : "bonafide") << "\n";
    }

    // The demo utterance: a held-out partial-spoof utterance, its labels next to it.
    if (corpus.partials.empty())
        throw Error("spooflens demo: no partial-spoof utterance could be made");
    const PartialItem* shown = &corpus.partials.front();
    for (const auto& p : corpus.partials)
        if (p.segments.size() > shown->segments.size())
            shown = &p;
    r.utterance = (dir / "demo_utterance.wav").string();
    r.utteranceLabels = (dir / "demo_utterance.txt").string();
    fs::copy_file(data / shown->path, r.utterance, fs::copy_options::overwrite_existing);
    fs::copy_file(data / shown->labels, r.utteranceLabels, fs::copy_options::overwrite_existing);
    r.spliceStartSeconds = shown->segments.front().first;
    r.spliceEndSeconds = shown->segments.front().second;
    {
        nlohmann::json segs = nlohmann::json::array();
        for (size_t k = 0; k < shown->segments.size(); ++k)
            segs.push_back({{"start_s", shown->segments[k].first}, {"end_s", shown->segments[k].second},
                            {"method", shown->methods[k]}});
        manifest["demo_utterance"] = {{"file", "demo_utterance.wav"}, {"labels", "demo_utterance.txt"},
                                      {"copy_of", "data/" + shown->path}, {"spoof_segments", segs}};
        // Kept for older readers of the demo folder.
        nlohmann::json j;
        j["utterance"] = "demo_utterance.wav";
        j["labels"] = "demo_utterance.txt";
        j["spoof_segments_s"] = nlohmann::json::array();
        for (const auto& [a, b] : shown->segments)
            j["spoof_segments_s"].push_back({a, b});
        j["detector"] = fs::path(o.detectorSource).filename().string() + ": the AASIST authors' pretrained weights";
        std::ofstream(dir / "demo_utterance.json") << j.dump(2) << "\n";
    }

    // The demo detector: a pretrained AASIST model shipped with SpoofLens
    // (resources/detectors/aasist, MIT, the authors' weights as they are).
    r.detector = (dir / fs::path(o.detectorSource).filename()).string();
    fs::copy_file(o.detectorSource, r.detector, fs::copy_options::overwrite_existing);
    for (const char* extra : {"LICENSE"}) {
        const fs::path src = fs::path(o.detectorSource).parent_path() / extra;
        if (fs::is_regular_file(src))
            fs::copy_file(src, dir / (fs::path(o.detectorSource).stem().string() + "." + extra),
                          fs::copy_options::overwrite_existing);
    }
    DetectorOptions dopt;
    dopt.checkpointPath = r.detector;
    dopt.device = "cpu";

    // The Stage 2 configuration (reference keys; smaller batch, faster lr for a tiny set).
    r.config = (dir / "demo.yaml").string();
    {
        std::ofstream y(r.config, std::ios::trunc);
        y << "# SpoofLens demo: Stage 2 on the demo detector's frame embeddings (AASIST e_T, docs/demo.md)\n"
          << "model:\n  name: xai_stage2_demo\n  pretrained_checkpoint: " << r.detector
          << "\n  prototype_mode: ema\n  importance_hidden_dim: 64\n  temperature: 0.07\n"
          // Per-utterance normalisation of the frame embeddings: speaker and
          // channel offsets otherwise swamp the synthetic-speech cue (docs/demo.md).
          << "  feature_norm: utterance\n"
          << "  lambda_bonafide_reg: 0.1\n  lambda_temporal_smooth: 0.1\n  lambda_sparsity: 0.01\n"
          << "  ema_momentum: 0.9\n"
          << "training:\n  batch_size: 8\n  num_epochs: " << o.epochs
          << "\n  learning_rate: 0.001\n  weight_decay: 0.0001\n  patience: 5\n  seed: " << o.seed
          << "\n  device: cpu\n"
          << "data:\n  name: spooflens_demo\n  database_path: " << data.string() << "\n  protocol_path: " << r.protocol
          << "\n  crop: 64600\n"
          << "cache:\n  enabled: true\n  dir: " << (dir / "feature_cache").string() << "\n  dtype: float32\n";
    }

    nlohmann::json files = nlohmann::json::array();
    auto writeManifest = [&] {
        manifest["files"] = files;
        timing["total_s"] = secondsSince(tStart);
        manifest["build_seconds"] = timing;
        r.manifest = (dir / "manifest.json").string();
        std::ofstream(r.manifest + ".tmp", std::ios::trunc) << manifest.dump(2) << "\n";
        fs::rename(r.manifest + ".tmp", r.manifest);
    };
    if (!o.train) {
        for (const auto& it : corpus.items)
            files.push_back({{"id", it.id}, {"path", "data/" + it.path}, {"split", it.split},
                             {"label", it.spoof ? "spoof" : "bonafide"}, {"method", it.method}});
        writeManifest();
        r.buildSeconds = secondsSince(tStart);
        return r;
    }

    // 2. Scores of the demo detector on every corpus file (the whole file,
    // as the viewer shows it), by the product's own loader.
    t0 = Clock::now();
    const Detector detector(dopt);
    std::vector<double> devScores, evalScores, unseenScores;
    std::vector<bool> devBona, evalBona, unseenBona;
    for (const auto& it : corpus.items) {
        // Only what the EERs need is scored: the train split is seen by the
        // feature cache (crop 64600) when Stage 2 trains, and no number uses
        // its whole-file score.
        nlohmann::json entry{{"id", it.id}, {"path", "data/" + it.path}, {"split", it.split},
                             {"label", it.spoof ? "spoof" : "bonafide"}, {"method", it.method}, {"source", it.source},
                             {"package", it.package}, {"narrowband", it.narrowband},
                             {"unseen_method", it.unseenMethod}, {"seconds", it.seconds}};
        if (it.split == "train") {
            files.push_back(std::move(entry));
            continue;
        }
        const double s = detector.run(loadAudio((data / it.path).string()).samples).score;
        if (it.split == "dev") {
            devScores.push_back(s);
            devBona.push_back(!it.spoof);
        } else if (it.split == "eval") {
            evalScores.push_back(s);
            evalBona.push_back(!it.spoof);
            const bool heldOut = std::find(corpus.heldOutMethods.begin(), corpus.heldOutMethods.end(), it.method)
                                 != corpus.heldOutMethods.end();
            if (!it.spoof || heldOut) {
                unseenScores.push_back(s);
                unseenBona.push_back(!it.spoof);
            }
        }
        entry["score"] = s;
        files.push_back(std::move(entry));
    }
    r.devEer = utteranceEer(devScores, devBona);
    r.evalEer = utteranceEer(evalScores, evalBona);
    const double unseenEer = utteranceEer(unseenScores, unseenBona);
    const DetectorInfo& info = detector.info();
    r.detectorName = info.preset;
    manifest["detector"] = {
        {"file", fs::path(r.detector).filename().string()},
        {"family", info.family},
        {"preset", info.preset},
        {"sha256", info.sha256},
        {"what", info.preset + " (Jung et al., ICASSP 2022): the authors' pretrained weights (clovaai/aasist, MIT), "
                 "trained on ASVspoof 2019 LA train; not trained or changed by SpoofLens"},
        {"licence", "MIT, Copyright (c) 2021-present NAVER Corp. (" + fs::path(o.detectorSource).stem().string()
                    + ".LICENSE)"},
        {"score", "logit[1] (bona fide)"},
        {"frame_grid", {{"hop_samples", info.grid.hop}, {"window_samples", info.grid.window},
                        {"offset_samples", info.grid.offset}}},
        {"dev_eer", num(r.devEer)}, {"eval_eer", num(r.evalEer)}, {"eval_eer_held_out_methods", num(unseenEer)}};
    timing["scoring_s"] = secondsSince(t0);
    log("demo detector " + info.preset + ": dev EER " + std::to_string(100 * r.devEer) + " %, eval EER "
        + std::to_string(100 * r.evalEer) + " % (held-out methods " + std::to_string(100 * unseenEer) + " %)");

    // 3. Stage 2: one module per prototype mode (default objective) + one
    // seed-objective module; the full build trains each default module with
    // 3 seeds (seed, seed+1, seed+2) and ships the first.
    struct Module {
        std::string name, mode, objective;
        std::vector<std::string> overrides;
        uint64_t seed;
        bool shipped;
    };
    std::vector<Module> modules;
    const int seeds = o.small ? 1 : 3;
    for (const auto& mode : o.modes)
        for (int k = 0; k < seeds; ++k)
            modules.push_back({k == 0 ? "xai_" + mode : "xai_" + mode + "_seed" + std::to_string(o.seed + uint64_t(k)),
                               mode, "default", {"model.prototype_mode=" + mode}, o.seed + uint64_t(k), k == 0});
    if (o.seedModule && buildHasObjectiveKey())
        modules.push_back({"xai_seed", "ema", "seed", {"model.prototype_mode=ema", "model.objective=seed"}, o.seed, true});
    nlohmann::json stage2 = nlohmann::json::array();
    std::vector<std::string> modulePaths;
    t0 = Clock::now();
    for (const auto& m : modules) {
        const auto tm = Clock::now();
        TrainOptions to;
        std::vector<std::string> ov = m.overrides;
        ov.push_back("training.seed=" + std::to_string(m.seed));
        if (o.small)
            ov.push_back("training.num_epochs=" + std::to_string(std::min<int64_t>(o.epochs, 4)));
        to.config = TrainConfig::load(r.config, ov);
        to.runDir = (dir / "runs" / m.name).string();
        to.quiet = o.quiet;
        to.progress = o.progress;
        to.log = [&](const std::string& msg) {
            if (!o.quiet)
                log("[" + m.name + "] " + msg);
        };
        fs::remove_all(to.runDir);
        const TrainResult tr = trainStage2(to);
        const std::string xai = (dir / (m.shipped ? m.name + ".pth" : "runs/" + m.name + "/best.pth")).string();
        if (m.shipped) {
            fs::copy_file(fs::path(to.runDir) / "best.pth", xai, fs::copy_options::overwrite_existing);
            r.xai.push_back(xai);
            r.trainSeconds.push_back(secondsSince(tm));
        }
        modulePaths.push_back(xai);
        stage2.push_back({{"file", fs::relative(xai, dir).string()}, {"prototype_mode", m.mode},
                          {"objective", m.objective}, {"seed", m.seed}, {"shipped", m.shipped},
                          {"feature_norm", to.config.featureNorm}, {"epochs", tr.epochsDone},
                          {"best_epoch", tr.bestEpoch}, {"train_seconds", secondsSince(tm)}});
        log("demo " + m.name + ": " + std::to_string(tr.epochsDone) + " epochs, best epoch "
            + std::to_string(tr.bestEpoch) + ", " + std::to_string(secondsSince(tm)) + " s");
    }
    timing["stage2_s"] = secondsSince(t0);

    // 4. Localisation on the held-out partial-spoof utterances: every Stage 2
    // module and the baseline explainers, frame ROC-AUC / AP per utterance
    // (mean over utterances), deletion / insertion AUC.
    t0 = Clock::now();
    Explainer explainer(dopt);
    for (const auto& x : modulePaths)
        explainer.addStage2(x);
    ExplainRequest req;
    // Every method but wave-occlusion (one whole-detector pass per frame); the
    // window explainer scores 1 s windows every 4 frames (0.55 s: about twice
    // one whole-file pass).
    req.methods = {AttributionMethod::Stage2,    AttributionMethod::Window,     AttributionMethod::Occlusion,
                   AttributionMethod::GradXInput, AttributionMethod::IntegratedGradients, AttributionMethod::Rollout,
                   AttributionMethod::Gatr,      AttributionMethod::WaveGradXInput, AttributionMethod::Random};
    if (o.small)
        req.methods = {AttributionMethod::Stage2, AttributionMethod::Window, AttributionMethod::Random};
    req.faithfulness = !o.small;
    req.options.occlusionWindow = 1;
    req.options.windowHopSamples = 4 * detector.info().grid.hop;
    req.options.randomSeed = o.seed;
    std::map<std::string, DemoScoreSums> sums;  // by attribution key: method or module file
    nlohmann::json partials = nlohmann::json::array();
    for (const auto& p : corpus.partials) {
        const AudioData a = loadAudio((data / p.path).string());
        const Explanation e = explainer.explain(a, req);
        const std::vector<uint8_t> lab = demoFrameLabels(p.segments, int64_t(a.samples.size()), e.grid);
        nlohmann::json perMethod;
        for (size_t i = 0; i < e.attributions.size(); ++i) {
            const Attribution& at = e.attributions[i];
            const std::string key = at.method == "stage2" ? fs::relative(at.source, dir).string() : at.method;
            const std::vector<double> v(at.values.begin(), at.values.end());
            DemoScoreSums& s = sums[key];
            s.add(rocAuc(v, lab), averagePrecision(v, lab), at.seconds);
            s.addValues(v);
            if (i < e.faithfulness.size())
                s.addFaithfulness(e.faithfulness[i].deletionAuc, e.faithfulness[i].insertionAuc);
            if (at.method != "stage2" || key == fs::relative(modulePaths.front(), dir).string())
                perMethod[key] = num(rocAuc(v, lab));
        }
        nlohmann::json segs = nlohmann::json::array();
        for (size_t k = 0; k < p.segments.size(); ++k)
            segs.push_back({{"start_s", p.segments[k].first}, {"end_s", p.segments[k].second},
                            {"method", p.methods[k]}});
        partials.push_back({{"id", p.id}, {"path", "data/" + p.path}, {"labels", "data/" + p.labels},
                            {"host", p.host}, {"seconds", p.seconds}, {"spoof_segments", segs},
                            {"score", e.score}, {"frame_auc", perMethod}});
    }
    manifest["partials"] = partials;
    nlohmann::json methods;
    for (const auto& [key, s] : sums)
        if (key.find(".pth") == std::string::npos)
            methods[key] = s.toJson();
    for (size_t k = 0; k < modules.size(); ++k) {
        const DemoScoreSums& s = sums[fs::relative(modulePaths[k], dir).string()];
        stage2[k]["localisation"] = s.toJson();
        // w over every frame of the partials: a collapsed module has std ~0 (docs/stage2.md).
        stage2[k]["mean_w"] = num(s.meanValue());
        stage2[k]["std_w"] = num(s.stdValue());
    }
    // Per prototype mode: mean and spread over the seeds.
    nlohmann::json modes;
    for (const auto& mode : o.modes) {
        std::vector<double> aucs;
        for (size_t k = 0; k < modules.size(); ++k)
            if (modules[k].mode == mode && modules[k].objective == "default")
                aucs.push_back(sums[fs::relative(modulePaths[k], dir).string()].meanAuc());
        modes[mode] = spreadJson(aucs);
    }
    manifest["localisation"] = {
        {"utterances", corpus.partials.size()},
        {"frame_label_rule", "frame t of the detector's grid is spoof when more than half of its window lies in a "
                             "spoof segment"},
        {"statistic", "frame ROC-AUC and average precision per utterance, mean over the held-out partial-spoof "
                      "utterances; deletion/insertion AUC of the spoof probability"},
        {"explainers", methods},
        {"stage2_default_objective_by_mode", modes}};
    manifest["stage2"] = stage2;
    timing["localisation_s"] = secondsSince(t0);
    writeManifest();
    r.buildSeconds = secondsSince(tStart);
    return r;
}

} // namespace spooflens::core
