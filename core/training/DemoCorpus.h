#pragma once
// The demo corpus (docs/demo.md): bona fide = human recordings that Debian
// ships (pocketsphinx-testdata, codec2-examples; on Debian 13, which has no
// codec2-examples, asterisk-core-sounds-en-wav instead) plus the ASVspoof bona fide
// utterance of tests/data; spoof = sentences of our own synthesised at build
// time by espeak-ng, flite and festival (called as subprocesses). Both classes
// go through the same conditioning (16 kHz mono, silence trim, active-speech
// loudness, an 8 kHz channel for some files, a low noise floor). Sources are
// disjoint across train / dev / eval; the eval split holds synthesis methods
// never seen in training, and partial-spoof utterances (human speech with 1-2
// synthetic segments spliced in) with Audacity labels next to them.
// Torch-free. Thread-safety: stateless functions.
#include "core/audio/FrameGrid.h"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// One file of the corpus (a whole conditioned utterance or a crop of one).
struct CorpusItem {
    std::string id;          ///< file stem, unique
    std::string path;        ///< relative to the corpus folder: audio/<id>.wav
    std::string split;       ///< train | dev | eval
    bool spoof = false;
    std::string method;      ///< "human", "espeak-ng:en-us+klatt2", "flite:slt", "festival:ked_diphone"
    std::string source;      ///< the recording (path) or "sentence N"
    std::string package;     ///< Debian package (or "tests/data") it comes from
    bool narrowband = false; ///< went through the 8 kHz channel
    bool unseenMethod = false;  ///< eval only: method absent from the train split
    double seconds = 0;
};

/// A partial-spoof utterance: human speech with synthetic segments spliced in.
struct PartialItem {
    std::string id;
    std::string path;        ///< audio/<id>.wav
    std::string labels;      ///< audio/<id>.txt (Audacity: start<TAB>end<TAB>spoof)
    std::string host;        ///< id of the bona fide eval item it is made from
    std::vector<std::pair<double, double>> segments;  ///< spoof segments (s)
    std::vector<std::string> methods;                 ///< method of each segment
    double seconds = 0;
};

struct SourceLicence {
    std::string package, files, licence;
};

struct DemoCorpusOptions {
    std::string outDir;                 ///< corpus folder (audio/ is created inside)
    std::string asvspoofBonafide;       ///< tests/data/asvspoof_bonafide_sample.flac
    std::string pocketsphinxDir = "/usr/share/pocketsphinx/test/data";
    std::string codec2Dir = "/usr/share/codec2";
    /// Used instead of codec2Dir where that folder is missing (Debian 13 has no codec2-examples).
    std::string asteriskDir = "/usr/share/asterisk/sounds/en_US_f_Allison";
    bool small = false;                 ///< fewer voices and sentences (CI fixture)
    /// Also splice partial-spoof utterances for train and dev (docs/demo.md,
    /// "Partial-spoof training utterances"): labelled spoof, each next to its
    /// own bona fide host, so only the spliced frames tell them apart.
    bool partialTraining = false;
    uint64_t seed = 1234;
    std::function<void(const std::string&)> log;
};

struct DemoCorpus {
    std::string dir;
    std::vector<CorpusItem> items;
    std::vector<PartialItem> partials;
    std::vector<SourceLicence> licences;
    std::vector<std::string> heldOutMethods;   ///< eval methods never used in training
};

/// Builds the corpus into options.outDir. Throws ConfigError naming the Debian
/// package when a program, voice or recording is missing, Error when a
/// synthesiser fails, AudioError for unreadable audio.
DemoCorpus buildDemoCorpus(const DemoCorpusOptions& options);

// ---- conditioning steps (exposed for tests); 16 kHz mono float samples ----

/// Frame energies (dB, 20 ms frames) within `rangeDb` of the loudest frame (and above -80 dBFS)
/// count as active speech.
std::vector<bool> activeFrames(const std::vector<float>& x, double rangeDb = 30.0);
/// RMS over the active 20 ms frames (0 for empty input).
double activeRms(const std::vector<float>& x, double rangeDb = 30.0);
/// Cuts leading/trailing inactive audio, keeping `marginSeconds` around speech.
std::vector<float> trimSilence(const std::vector<float>& x, double marginSeconds = 0.12, double rangeDb = 30.0);
/// The 8 kHz channel: down to 8 kHz and back (libsoxr HQ; nothing above 4 kHz survives).
std::vector<float> narrowbandChannel(const std::vector<float>& x);
/// The whole chain applied to both classes: trim, optional 8 kHz channel,
/// active RMS to `targetDbfs` (peaks limited to 0.95), white noise at
/// `noiseDbfs` (seeded), so digital silence, level and bandwidth are no cue.
std::vector<float> conditionSpeech(const std::vector<float>& x, bool narrowband, uint64_t seed,
                                   double targetDbfs = -26.0, double noiseDbfs = -62.0);

/// Replaces host[at_i, at_i + len_i) by insert i with linear crossfades of
/// `crossfadeSeconds` at both edges (inserts are level-matched to the host's
/// active RMS first). Returns the spliced audio; `segments` receives each
/// spoof segment in seconds (the whole replaced span). Throws ConfigError for
/// segments that overlap or do not fit.
std::vector<float> spliceSegments(const std::vector<float>& host, const std::vector<std::vector<float>>& inserts,
                                  const std::vector<int64_t>& at, double crossfadeSeconds,
                                  std::vector<std::pair<double, double>>* segments);

/// Frame labels on the detector's `grid` for `samples` 16 kHz samples: the rule
/// of core/explain/GroundTruth.h (frame t is 1 when more than half of its window
/// lies in a segment), applied to spoof `segments` in seconds.
std::vector<uint8_t> demoFrameLabels(const std::vector<std::pair<double, double>>& segments, int64_t samples,
                                     const FrameGrid& grid);

/// Reads a headerless 16-bit little-endian mono file at `rate` Hz, resampled to 16 kHz.
std::vector<float> readRawPcm16(const std::string& path, int rate);

} // namespace spooflens::core
