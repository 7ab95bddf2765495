#pragma once
// The demo (docs/demo.md): a corpus of human and synthetic speech made at
// build time from Debian packages (DemoCorpus), explained on a real pretrained
// detector (the AASIST authors' AASIST-L, shipped in resources/detectors/aasist),
// one Stage 2 module per prototype mode with the default objective (3 seeds in
// the full build) plus one seed-objective module, their localisation and the
// baseline explainers' on the held-out partial-spoof utterances, and a manifest
// (manifest.json) with the sources, licences, splits and every measured
// number. Torch-free header.
#include "core/training/RunRecords.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spooflens::core {

struct DemoOptions {
    std::string outDir = "build/demo";
    std::string detectorSource;    ///< resources/detectors/aasist/AASIST-L.pth (copied into the demo as it is)
    std::string bonafideAudio;     ///< tests/data/asvspoof_bonafide_sample.flac (an eval bona fide source)
    std::string pocketsphinxDir = "/usr/share/pocketsphinx/test/data";
    std::string codec2Dir = "/usr/share/codec2";
    bool small = false;            ///< fewer spoof files, epochs, one seed, fewer explainers (CI fixture)
    int64_t epochs = 12;           ///< Stage 2 epochs per module
    bool partialTraining = false;  ///< partial-spoof train/dev utterances (docs/demo.md, "Variants")
    uint64_t seed = 1234;
    bool quiet = true;
    bool train = true;             ///< false: corpus and detector copy only (no scores, no Stage 2)
    bool seedModule = true;        ///< also train xai_seed.pth (seed objective, ema), when the build has model.objective
    std::vector<std::string> modes = {"ema", "fixed", "learnable"};
    std::function<void(const std::string&)> log;
    std::function<void(const TrainProgress&)> progress;  ///< Stage 2 training progress (not when quiet)
};

struct DemoReport {
    std::string outDir;
    std::string detector;          ///< DIR/AASIST-L.pth (the copied detector)
    std::string detectorName;      ///< its preset, e.g. "AASIST-L"
    std::string utterance;         ///< DIR/demo_utterance.wav (a held-out partial-spoof utterance)
    std::string utteranceLabels;   ///< DIR/demo_utterance.txt (Audacity labels)
    double spliceStartSeconds = 0, spliceEndSeconds = 0;  ///< its first spoof segment
    std::string protocol;          ///< DIR/data/protocol.txt (train + dev, Stage 2)
    std::string config;            ///< DIR/demo.yaml
    std::string manifest;          ///< DIR/manifest.json
    std::vector<std::string> xai;  ///< DIR/xai_<mode>.pth (+ DIR/xai_seed.pth)
    std::vector<double> trainSeconds;
    double devEer = -1, evalEer = -1;  ///< detector, 0..1 (-1: not scored)
    double buildSeconds = 0;
};

/// Builds the demo folder. Throws Error/AudioError/ConfigError (a missing
/// Debian package is named) on failure.
DemoReport buildDemo(const DemoOptions& options);

/// Writes 16 kHz mono PCM-16 WAV. Throws AudioError.
void writeWav16k(const std::string& path, const std::vector<float>& samples);

} // namespace spooflens::core
