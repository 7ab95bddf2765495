#pragma once
// The embedded demo: a tiny labelled training set cut from the two real
// ASVspoof utterances, a demo utterance (bona fide with a spliced-in spoof
// segment) and one Stage 2 module per prototype mode trained on the tiny
// detector by our own trainer. Torch-free header.
#include <functional>
#include <string>
#include <vector>

namespace spooflens::core {

struct DemoOptions {
    std::string outDir = "build/demo";
    std::string detectorSource;    ///< tests/data/fixtures/detector_tiny.pth
    std::string bonafideAudio;     ///< tests/data/asvspoof_bonafide_sample.flac
    std::string spoofAudio;        ///< tests/data/asvspoof_spoof_sample.flac
    int64_t epochs = 12;
    bool quiet = true;
    bool train = true;             ///< false: data only
    std::vector<std::string> modes = {"ema", "fixed", "learnable"};
    std::function<void(const std::string&)> log;
};

struct DemoReport {
    std::string outDir;
    std::string detector;          ///< DIR/detector_tiny.pth
    std::string utterance;         ///< DIR/demo_utterance.wav
    double spliceStartSeconds = 0, spliceEndSeconds = 0;  ///< the spoof segment in the utterance
    std::string protocol;          ///< DIR/data/protocol.txt
    std::string config;            ///< DIR/demo.yaml
    std::vector<std::string> xai;  ///< DIR/xai_<mode>.pth
    std::vector<double> trainSeconds;
};

/// Builds the demo folder. Throws Error/AudioError on failure.
DemoReport buildDemo(const DemoOptions& options);

/// Writes 16 kHz mono PCM-16 WAV. Throws AudioError.
void writeWav16k(const std::string& path, const std::vector<float>& samples);

} // namespace spooflens::core
