#include "core/training/Demo.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
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

constexpr int64_t kCrop = 64600;

// Crops of 64600 samples at evenly spread offsets, with a small gain change so
// no two training items are identical.
std::vector<std::vector<float>> crops(const std::vector<float>& x, int count, double gainSpread, int phase)
{
    std::vector<std::vector<float>> out;
    const int64_t span = std::max<int64_t>(0, int64_t(x.size()) - kCrop);
    for (int i = 0; i < count; ++i) {
        const double frac = count > 1 ? (double(i) + 0.5 * phase) / double(count) : 0.0;
        const int64_t start = std::min(span, int64_t(std::llround(frac * double(span))));
        std::vector<float> c(x.begin() + start, x.begin() + start + std::min<int64_t>(kCrop, int64_t(x.size())));
        const float gain = float(1.0 - gainSpread * double(i % 4) / 4.0);
        for (float& v : c)
            v *= gain;
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace

DemoReport buildDemo(const DemoOptions& o)
{
    const auto log = o.log ? o.log : [](const std::string& m) { std::cerr << m << "\n"; };
    DemoReport r;
    const fs::path dir = fs::absolute(o.outDir).lexically_normal();
    const fs::path data = dir / "data";
    fs::create_directories(data / "audio");
    r.outDir = dir.string();

    // Detector: a copy of the tiny fixture.
    r.detector = (dir / "detector_tiny.pth").string();
    fs::copy_file(o.detectorSource, r.detector, fs::copy_options::overwrite_existing);

    const AudioData bona = loadAudio(o.bonafideAudio);
    const AudioData spoof = loadAudio(o.spoofAudio);

    // Demo utterance: the bona fide file with 2 s of the spoofed one spliced in at 2.5 s.
    std::vector<float> utt = bona.samples;
    const int64_t at = 40000, len = 32000, from = 24000;
    for (int64_t i = 0; i < len && at + i < int64_t(utt.size()) && from + i < int64_t(spoof.samples.size()); ++i)
        utt[size_t(at + i)] = spoof.samples[size_t(from + i)];
    r.utterance = (dir / "demo_utterance.wav").string();
    writeWav16k(r.utterance, utt);
    r.spliceStartSeconds = double(at) / kSampleRate;
    r.spliceEndSeconds = double(at + len) / kSampleRate;
    {
        nlohmann::json j;
        j["utterance"] = "demo_utterance.wav";
        j["bonafide_source"] = fs::path(o.bonafideAudio).filename().string();
        j["spoof_source"] = fs::path(o.spoofAudio).filename().string();
        j["spoof_segment_s"] = {r.spliceStartSeconds, r.spliceEndSeconds};
        j["spoof_segment_source_s"] = {double(from) / kSampleRate, double(from + len) / kSampleRate};
        j["detector"] = "detector_tiny.pth: the tiny seeded-random test detector (not the authors' weights)";
        std::ofstream(dir / "demo_utterance.json") << j.dump(2) << "\n";
    }

    // Training set: labelled crops (merged 3-column protocol).
    r.protocol = (data / "protocol.txt").string();
    {
        std::ofstream proto(r.protocol, std::ios::trunc);
        const auto emit = [&](const std::vector<std::vector<float>>& items, const std::string& prefix,
                              const std::string& subset, const std::string& label) {
            for (size_t i = 0; i < items.size(); ++i) {
                const std::string name = prefix + "_" + subset + "_" + std::to_string(i) + ".wav";
                writeWav16k((data / "audio" / name).string(), items[i]);
                proto << "audio/" << name << " " << subset << " " << label << "\n";
            }
        };
        emit(crops(bona.samples, 12, 0.3, 0), "bona", "train", "bonafide");
        emit(crops(spoof.samples, 12, 0.3, 0), "spoof", "train", "spoof");
        emit(crops(bona.samples, 4, 0.2, 1), "bona", "dev", "bonafide");
        emit(crops(spoof.samples, 4, 0.2, 1), "spoof", "dev", "spoof");
    }

    // The demo configuration (reference keys; smaller batch, faster lr for a tiny set).
    r.config = (dir / "demo.yaml").string();
    {
        std::ofstream y(r.config, std::ios::trunc);
        y << "# SpoofLens demo: Stage 2 on the tiny test detector (seeded random weights, not a real detector)\n"
          << "model:\n  name: xai_stage2_demo\n  pretrained_checkpoint: " << r.detector
          << "\n  prototype_mode: ema\n  importance_hidden_dim: 256\n  temperature: 0.07\n"
          << "  lambda_bonafide_reg: 0.1\n  lambda_temporal_smooth: 0.1\n  lambda_sparsity: 0.01\n"
          << "  ema_momentum: 0.9\n"
          << "training:\n  batch_size: 8\n  num_epochs: " << o.epochs
          << "\n  learning_rate: 0.001\n  weight_decay: 0.0001\n  patience: 5\n  seed: 1234\n  device: cpu\n"
          << "data:\n  name: spooflens_demo\n  database_path: " << data.string() << "\n  protocol_path: " << r.protocol
          << "\n  crop: 64600\n"
          << "cache:\n  enabled: true\n  dir: " << (dir / "feature_cache").string() << "\n  dtype: float32\n";
    }

    if (!o.train)
        return r;
    for (const auto& mode : o.modes) {
        const auto t0 = std::chrono::steady_clock::now();
        TrainOptions to;
        to.config = TrainConfig::load(r.config, {"model.prototype_mode=" + mode});
        to.runDir = (dir / "runs" / mode).string();
        to.quiet = o.quiet;
        to.log = [&](const std::string& m) {
            if (!o.quiet)
                log("[" + mode + "] " + m);
        };
        const TrainResult tr = trainStage2(to);
        const std::string xai = (dir / ("xai_" + mode + ".pth")).string();
        fs::copy_file(fs::path(to.runDir) / "best.pth", xai, fs::copy_options::overwrite_existing);
        r.xai.push_back(xai);
        r.trainSeconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        log("demo " + mode + ": " + std::to_string(tr.epochsDone) + " epochs, best epoch "
            + std::to_string(tr.bestEpoch) + ", " + std::to_string(r.trainSeconds.back()) + " s -> " + xai);
    }
    return r;
}

} // namespace spooflens::core
