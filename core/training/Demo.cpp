#include "core/training/Demo.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Explainer.h"
#include "core/training/DemoCorpus.h"
#include "core/training/DemoDetector.h"
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
    manifest["variants"] = {{"train_ssl", o.trainSsl}, {"partial_training", o.partialTraining}};
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
        j["detector"] = "detector_tiny.pth: tiny preset, random SSL, back-end trained on the demo corpus";
        std::ofstream(dir / "demo_utterance.json") << j.dump(2) << "\n";
    }

    // The Stage 2 configuration (reference keys; smaller batch, faster lr for a tiny set).
    r.detector = (dir / "detector_tiny.pth").string();
    r.config = (dir / "demo.yaml").string();
    {
        std::ofstream y(r.config, std::ios::trunc);
        y << "# SpoofLens demo: Stage 2 on the demo detector (tiny preset, back-end trained on the demo corpus)\n"
          << "model:\n  name: xai_stage2_demo\n  pretrained_checkpoint: " << r.detector
          << "\n  prototype_mode: ema\n  importance_hidden_dim: 256\n  temperature: 0.07\n"
          // Per-utterance normalisation of h(t): on the demo's random features the
          // speaker and channel offsets swamp the synthetic-speech cue (docs/demo.md).
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
        // Corpus only: the untrained tiny preset stands in as the detector.
        fs::copy_file(o.detectorSource, r.detector, fs::copy_options::overwrite_existing);
        for (const auto& it : corpus.items)
            files.push_back({{"id", it.id}, {"path", "data/" + it.path}, {"split", it.split},
                             {"label", it.spoof ? "spoof" : "bonafide"}, {"method", it.method}});
        writeManifest();
        r.buildSeconds = secondsSince(tStart);
        return r;
    }

    // 2. The demo detector.
    t0 = Clock::now();
    DemoDetectorOptions dd;
    dd.sourceCheckpoint = o.detectorSource;
    dd.outCheckpoint = r.detector;
    for (const auto& it : corpus.items) {
        if (it.split == "train") {
            dd.trainFiles.push_back((data / it.path).string());
            dd.trainSpoof.push_back(it.spoof);
        } else if (it.split == "dev") {
            dd.devFiles.push_back((data / it.path).string());
            dd.devSpoof.push_back(it.spoof);
        }
    }
    dd.steps = o.small ? std::min<int64_t>(o.detectorSteps, 150) : o.detectorSteps;
    dd.steps = std::max<int64_t>(dd.steps, 0);
    dd.augmentCopies = o.small ? 1 : 2;
    dd.trainSsl = o.trainSsl;
    dd.seed = o.seed;
    dd.log = [&](const std::string& m) {
        if (!o.quiet)
            log(m);
    };
    // detectorSteps 0 (the CI fixture: docs/demo.md): no back-end training, the
    // tiny preset's seeded random weights stand in; the manifest says so.
    DemoDetectorReport dr;
    if (dd.steps > 0)
        dr = trainDemoDetector(dd);
    else
        fs::copy_file(o.detectorSource, r.detector, fs::copy_options::overwrite_existing);
    timing["detector_s"] = secondsSince(t0);

    // Scores by the product's own loader on the written checkpoint.
    t0 = Clock::now();
    DetectorOptions dopt;
    dopt.checkpointPath = r.detector;
    dopt.device = "cpu";
    const Detector detector(dopt);
    std::vector<double> devScores, evalScores, unseenScores;
    std::vector<bool> devBona, evalBona, unseenBona;
    for (const auto& it : corpus.items) {
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
        files.push_back({{"id", it.id}, {"path", "data/" + it.path}, {"split", it.split},
                         {"label", it.spoof ? "spoof" : "bonafide"}, {"method", it.method}, {"source", it.source},
                         {"package", it.package}, {"narrowband", it.narrowband}, {"unseen_method", it.unseenMethod},
                         {"seconds", it.seconds}, {"score", s}});
    }
    r.devEer = utteranceEer(devScores, devBona);
    r.evalEer = utteranceEer(evalScores, evalBona);
    const double unseenEer = utteranceEer(unseenScores, unseenBona);
    manifest["detector"] = {
        {"file", "detector_tiny.pth"},
        {"what", dr.steps == 0 ? "tiny preset with the fixture's seeded random weights (not trained: --detector-steps 0)"
                 : dr.sslTrained ? "tiny preset (2-layer 64-d SSL + ConformerTCM back-end) trained end to end by SpoofLens "
                                   "on the demo train split from the fixture's seeded random weights (positional conv frozen)"
                                 : "tiny preset (2-layer 64-d SSL with the fixture's seeded random weights, frozen) + "
                                   "ConformerTCM back-end trained by SpoofLens on the demo train split"},
        {"ssl_trained", dr.sslTrained},
        {"base", fs::path(o.detectorSource).filename().string()},
        {"score", "logit[1] (bona fide)"},
        {"steps", dr.steps}, {"best_step", dr.bestStep}, {"train_sequences", dr.trainPool},
        {"trained_parameters", dr.trainedParameters}, {"final_train_loss", dr.finalTrainLoss},
        {"dev_eer", num(r.devEer)}, {"eval_eer", num(r.evalEer)}, {"eval_eer_held_out_methods", num(unseenEer)},
        {"feature_seconds", dr.featureSeconds}, {"train_seconds", dr.trainSeconds}};
    timing["scoring_s"] = secondsSince(t0);
    log("demo detector: dev EER " + std::to_string(100 * r.devEer) + " %, eval EER " + std::to_string(100 * r.evalEer)
        + " % (held-out methods " + std::to_string(100 * unseenEer) + " %)");

    // 3. Stage 2: one module per prototype mode (default objective) + one seed-objective module.
    struct Module {
        std::string name, mode;
        std::vector<std::string> overrides;
        std::string objective;
    };
    std::vector<Module> modules;
    for (const auto& mode : o.modes)
        modules.push_back({"xai_" + mode, mode, {"model.prototype_mode=" + mode}, "default"});
    if (o.seedModule && buildHasObjectiveKey())
        modules.push_back({"xai_seed", "ema", {"model.prototype_mode=ema", "model.objective=seed"}, "seed"});
    nlohmann::json stage2 = nlohmann::json::array();
    t0 = Clock::now();
    for (const auto& m : modules) {
        const auto tm = Clock::now();
        TrainOptions to;
        std::vector<std::string> ov = m.overrides;
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
        const std::string xai = (dir / (m.name + ".pth")).string();
        fs::copy_file(fs::path(to.runDir) / "best.pth", xai, fs::copy_options::overwrite_existing);
        r.xai.push_back(xai);
        r.trainSeconds.push_back(secondsSince(tm));
        stage2.push_back({{"file", m.name + ".pth"}, {"prototype_mode", m.mode}, {"objective", m.objective},
                          {"feature_norm", to.config.featureNorm},
                          {"epochs", tr.epochsDone}, {"best_epoch", tr.bestEpoch},
                          {"train_seconds", r.trainSeconds.back()}});
        log("demo " + m.name + ": " + std::to_string(tr.epochsDone) + " epochs, best epoch "
            + std::to_string(tr.bestEpoch) + ", " + std::to_string(r.trainSeconds.back()) + " s");
    }
    timing["stage2_s"] = secondsSince(t0);

    // 4. Localisation on the held-out partial-spoof utterances (frames pooled).
    t0 = Clock::now();
    Explainer explainer(dopt);
    for (const auto& x : r.xai)
        explainer.addStage2(x);
    std::vector<std::vector<double>> w(r.xai.size());
    std::vector<double> random;
    std::vector<uint8_t> labels;
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    nlohmann::json partials = nlohmann::json::array();
    for (const auto& p : corpus.partials) {
        const AudioData a = loadAudio((data / p.path).string());
        const Explanation e = explainer.explain(a);
        const std::vector<uint8_t> lab = demoFrameLabels(p.segments, int64_t(a.samples.size()));
        const size_t T = std::min(lab.size(), e.tracks.empty() ? lab.size() : e.tracks[0].importance.size());
        for (size_t t = 0; t < T; ++t) {
            labels.push_back(lab[t]);
            random.push_back(uni(rng));
            for (size_t k = 0; k < e.tracks.size(); ++k)
                w[k].push_back(e.tracks[k].importance[t]);
        }
        nlohmann::json segs = nlohmann::json::array();
        for (size_t k = 0; k < p.segments.size(); ++k)
            segs.push_back({{"start_s", p.segments[k].first}, {"end_s", p.segments[k].second},
                            {"method", p.methods[k]}});
        partials.push_back({{"id", p.id}, {"path", "data/" + p.path}, {"labels", "data/" + p.labels},
                            {"host", p.host}, {"seconds", p.seconds}, {"spoof_segments", segs},
                            {"score", e.score}});
    }
    manifest["partials"] = partials;
    double spoofFrames = 0;
    for (uint8_t v : labels)
        spoofFrames += v;
    manifest["localisation"] = {{"frames", labels.size()},
                                {"spoof_frame_fraction", labels.empty() ? 0.0 : spoofFrames / double(labels.size())},
                                {"frame_label_rule", "frame t is spoof when > 200 of its 400 samples lie in a spoof segment"},
                                {"random_attribution", {{"frame_auc", num(rocAuc(random, labels))},
                                                        {"frame_ap", num(averagePrecision(random, labels))},
                                                        {"seed", o.seed}}}};
    for (size_t k = 0; k < w.size(); ++k) {
        double mean = 0, sq = 0;
        for (double v : w[k])
            mean += v;
        mean /= std::max<size_t>(1, w[k].size());
        for (double v : w[k])
            sq += (v - mean) * (v - mean);
        stage2[k]["frame_auc"] = num(rocAuc(w[k], labels));
        stage2[k]["frame_ap"] = num(averagePrecision(w[k], labels));
        stage2[k]["mean_w"] = mean;
        stage2[k]["std_w"] = std::sqrt(sq / double(std::max<size_t>(1, w[k].size())));
    }
    manifest["stage2"] = stage2;
    timing["localisation_s"] = secondsSince(t0);
    writeManifest();
    r.buildSeconds = secondsSince(tStart);
    return r;
}

} // namespace spooflens::core
