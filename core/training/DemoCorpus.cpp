#include "core/training/DemoCorpus.h"

#include "core/explain/GroundTruth.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/Resampler.h"
#include "core/training/Demo.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;

namespace spooflens::core {
namespace {

constexpr int64_t kFrame20ms = 320;

// FNV-1a: a seed per item that does not depend on the standard library's hash.
uint64_t stableHash(const std::string& s, uint64_t seed)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

double toDb(double rms)
{
    return 20.0 * std::log10(std::max(rms, 1e-12));
}

std::string findProgram(const std::string& name)
{
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(p.c_str(), X_OK) == 0)
            return p.string();
    }
    return {};
}

// Runs argv[0] with stdout/stderr to `logPath`; returns the exit status.
int runProgram(const std::vector<std::string>& argv, const std::string& logPath)
{
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string readSmallFile(const std::string& path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    if (s.size() > 400)
        s = s.substr(0, 400) + "...";
    return s;
}

// ---- what we synthesise -------------------------------------------------

// Sentences written for this demo (any resemblance to a corpus is accidental).
const std::vector<std::string> kSentences = {
    "The library opens at nine on weekdays and closes early on Sunday.",
    "Please leave the blue folder on the table next to the window.",
    "We missed the last train, so we walked home along the river.",
    "My neighbour grows tomatoes, beans and far too many courgettes.",
    "The meeting has been moved to Thursday afternoon at half past two.",
    "A cold wind came down from the hills just before the storm.",
    "Turn left at the bakery and the station is on your right.",
    "She painted the old fence green and the gate a bright yellow.",
    "Nobody remembered to bring the map, but the path was easy to follow.",
    "The kettle clicked off while he was still looking for the tea.",
    "Seven students stayed behind to help stack the chairs.",
    "If the numbers are right, the bridge will be finished in spring.",
    "The orchestra tuned their instruments as the lights went down.",
    "He wrote the address on the back of an envelope and lost it.",
    "Fresh bread is delivered to the village shop every morning.",
    "The cat sat in the sun and ignored everyone who called her.",
    "Our flight was delayed by fog for nearly three hours.",
    "They counted the boxes twice and still found one missing.",
    "The garden looks different after a week of heavy rain.",
    "Could you read the last paragraph again a little more slowly?",
    "The museum keeps a small boat that was found in the mud.",
    "Her grandfather repaired clocks in a workshop above the market.",
    "We will need more rope, two lanterns and a spare battery.",
    "At dawn the harbour was quiet except for the gulls.",
};

// Short phrases for the segments spliced into human speech (eval only).
const std::vector<std::string> kPhrases = {
    "transfer the money today",
    "my password is seven four",
    "yes I agree",
    "call me back tomorrow",
    "the account is closed",
    "send it to the new address",
    "I never said that",
    "approve the payment",
};

struct Voice {
    std::string engine;  // espeak-ng | flite | festival
    std::string name;    // voice / variant
    std::string split;   // the split whose spoof items it makes
};

const std::vector<Voice> kVoices = {
    // train
    {"espeak-ng", "en-us", "train"},
    {"espeak-ng", "en+m3", "train"},
    {"espeak-ng", "en-gb-x-rp+f3", "train"},
    {"espeak-ng", "en-us+klatt", "train"},
    {"espeak-ng", "en+klatt2", "train"},
    {"flite", "kal", "train"},
    {"flite", "slt", "train"},
    {"festival", "kal_diphone", "train"},
    // dev
    {"espeak-ng", "en-gb-scotland+m5", "dev"},
    {"espeak-ng", "en+klatt3", "dev"},
    {"flite", "awb", "dev"},
    {"festival", "ked_diphone", "dev"},
    // eval (cmu_us_slt_arctic_hts: a statistical parametric voice no other split has)
    {"espeak-ng", "en-us+f4", "eval"},
    {"espeak-ng", "en+klatt4", "eval"},
    {"flite", "rms", "eval"},
    {"festival", "cmu_us_slt_arctic_hts", "eval"},
};

std::string methodName(const Voice& v)
{
    return v.engine + ":" + v.name;
}

// Debian package that provides each festival voice.
std::string festivalVoicePackage(const std::string& voice, std::string* dir)
{
    if (voice == "kal_diphone") {
        *dir = "/usr/share/festival/voices/english/kal_diphone";
        return "festvox-kallpc16k";
    }
    if (voice == "ked_diphone") {
        *dir = "/usr/share/festival/voices/english/ked_diphone";
        return "festvox-kdlpc16k";
    }
    *dir = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts";
    return "festvox-us-slt-hts";
}

class Synthesiser {
public:
    explicit Synthesiser(fs::path tmp) : m_tmp(std::move(tmp)) { fs::create_directories(m_tmp); }
    ~Synthesiser()
    {
        std::error_code ec;
        fs::remove_all(m_tmp, ec);
    }

    void requireAll(const std::vector<Voice>& voices)
    {
        std::set<std::string> missing;
        for (const auto& v : voices) {
            const std::string program = v.engine == "festival" ? "text2wave" : v.engine;
            if (program_(program).empty())
                missing.insert(v.engine == "festival" ? "festival" : v.engine);
            if (v.engine == "festival") {
                std::string dir;
                const std::string pkg = festivalVoicePackage(v.name, &dir);
                if (!fs::is_directory(dir))
                    missing.insert(pkg);
            }
        }
        if (!missing.empty()) {
            std::string list;
            for (const auto& m : missing)
                list += (list.empty() ? "" : " ") + m;
            throw ConfigError("spooflens demo: the speech synthesisers are missing: install the Debian package(s) "
                              + list + " (tools/install-deps.sh installs them)");
        }
    }

    std::vector<float> speak(const Voice& v, const std::string& text)
    {
        const std::string wav = (m_tmp / ("tts_" + std::to_string(m_count) + ".wav")).string();
        const std::string log = (m_tmp / ("tts_" + std::to_string(m_count) + ".log")).string();
        ++m_count;
        std::vector<std::string> argv;
        if (v.engine == "espeak-ng") {
            argv = {program_("espeak-ng"), "-v", v.name, "-s", "150", "-w", wav, text};
        } else if (v.engine == "flite") {
            argv = {program_("flite"), "-voice", v.name, "-t", text, "-o", wav};
        } else {
            const std::string txt = (m_tmp / ("tts_" + std::to_string(m_count) + ".txt")).string();
            std::ofstream(txt) << text << "\n";
            argv = {program_("text2wave"), "-eval", "(voice_" + v.name + ")", txt, "-o", wav};
        }
        const int rc = runProgram(argv, log);
        if (rc != 0 || !fs::is_regular_file(wav) || fs::file_size(wav) < 1000)
            throw Error(methodName(v) + ": the synthesiser failed (exit " + std::to_string(rc) + ") for \"" + text
                        + "\": " + readSmallFile(log));
        return loadAudio(wav).samples;
    }

private:
    std::string program_(const std::string& name)
    {
        auto it = m_programs.find(name);
        if (it == m_programs.end())
            it = m_programs.emplace(name, findProgram(name)).first;
        return it->second;
    }

    fs::path m_tmp;
    int m_count = 0;
    std::map<std::string, std::string> m_programs;
};

// ---- human recordings -----------------------------------------------------

struct HumanSource {
    std::string package;   // Debian package or tests/data
    std::string relPath;   // under the package's folder
    int rawRate = 0;       // headerless 16-bit files: their rate; 0 = a sound file
    std::string split;
};

// Debian 13 no longer packages codec2-examples. Where its folder is missing,
// its train and dev recordings are replaced by prompts of
// asterisk-core-sounds-en-wav (Allison Smith, 8 kHz, CC-BY-SA-3.0; Debian 12
// and 13); one voice, so none in eval (eval voices are never seen in training).
constexpr const char* kCodec2 = "codec2-examples";
constexpr const char* kAsterisk = "asterisk-core-sounds-en-wav";

std::vector<HumanSource> humanSources(bool codec2)
{
    std::vector<HumanSource> all = {
        // train
        {"pocketsphinx-testdata", "librivox/sense_and_sensibility_01_austen_64kb-0870.wav", 0, "train"},
        {"pocketsphinx-testdata", "librivox/sense_and_sensibility_01_austen_64kb-0890.wav", 0, "train"},
        {"pocketsphinx-testdata", "librivox/sense_and_sensibility_01_austen_64kb-0920.wav", 0, "train"},
        {"pocketsphinx-testdata", "cards/001.wav", 0, "train"},
        {"pocketsphinx-testdata", "cards/002.wav", 0, "train"},
        {"pocketsphinx-testdata", "cards/003.wav", 0, "train"},
        {"pocketsphinx-testdata", "goforward.raw", 16000, "train"},
        {"pocketsphinx-testdata", "numbers.raw", 16000, "train"},
        {"codec2-examples", "wav/big_dog.wav", 0, "train"},
        {"codec2-examples", "wav/cross.wav", 0, "train"},
        {"codec2-examples", "wav/hts1a.wav", 0, "train"},
        {"codec2-examples", "wav/mmt1.wav", 0, "train"},
        {"codec2-examples", "wav/david4.wav", 0, "train"},
        // dev
        {"pocketsphinx-testdata", "librivox/sense_and_sensibility_01_austen_64kb-0880.wav", 0, "dev"},
        {"pocketsphinx-testdata", "cards/004.wav", 0, "dev"},
        {"pocketsphinx-testdata", "something.raw", 16000, "dev"},
        {"codec2-examples", "wav/forig.wav", 0, "dev"},
        {"codec2-examples", "wav/hts2a.wav", 0, "dev"},
        // eval
        {"pocketsphinx-testdata", "librivox/sense_and_sensibility_01_austen_64kb-0930.wav", 0, "eval"},
        {"pocketsphinx-testdata", "cards/005.wav", 0, "eval"},
        {"pocketsphinx-testdata", "tidigits/dhd.2934z.raw", 16000, "eval"},
        {"codec2-examples", "wav/morig.wav", 0, "eval"},
        {"codec2-examples", "raw/kristoff.raw", 8000, "eval"},
        {"codec2-examples", "raw/speech_orig_16k.wav", 0, "eval"},
        {"tests/data", "asvspoof_bonafide_sample.flac", 0, "eval"},
        // instead of codec2-examples (Debian 13)
        {kAsterisk, "agent-alreadyon.wav", 0, "train"},
        {kAsterisk, "demo-thanks.wav", 0, "train"},
        {kAsterisk, "vm-rec-temp.wav", 0, "train"},
        {kAsterisk, "queue-youarenext.wav", 0, "train"},
        {kAsterisk, "ss-noservice.wav", 0, "train"},
        {kAsterisk, "vm-intro.wav", 0, "dev"},
        {kAsterisk, "pbx-invalidpark.wav", 0, "dev"},
    };
    const std::string skip = codec2 ? kAsterisk : kCodec2;
    all.erase(std::remove_if(all.begin(), all.end(), [&](const HumanSource& h) { return h.package == skip; }),
              all.end());
    return all;
}

// Splits long recordings into crops of about `target` seconds (at least 2 s each).
std::vector<std::vector<float>> cropLong(const std::vector<float>& x, double target)
{
    const int64_t n = int64_t(x.size());
    const int64_t pieces = std::max<int64_t>(1, int64_t(std::floor(double(n) / (target * kSampleRate))));
    std::vector<std::vector<float>> out;
    for (int64_t i = 0; i < pieces; ++i) {
        const int64_t a = n * i / pieces, b = n * (i + 1) / pieces;
        out.emplace_back(x.begin() + a, x.begin() + b);
    }
    return out;
}

std::string fmt(double v)
{
    std::ostringstream o;
    o << std::fixed << std::setprecision(6) << v;
    return o.str();
}

} // namespace

// ---------------------------------------------------------------------------
std::vector<bool> activeFrames(const std::vector<float>& x, double rangeDb)
{
    const int64_t frames = int64_t(x.size()) / kFrame20ms;
    std::vector<double> db(size_t(std::max<int64_t>(frames, 0)));
    double loudest = -300;
    for (int64_t f = 0; f < frames; ++f) {
        double e = 0;
        for (int64_t i = 0; i < kFrame20ms; ++i) {
            const double v = x[size_t(f * kFrame20ms + i)];
            e += v * v;
        }
        db[size_t(f)] = toDb(std::sqrt(e / kFrame20ms));
        loudest = std::max(loudest, db[size_t(f)]);
    }
    std::vector<bool> active(db.size());
    for (size_t f = 0; f < db.size(); ++f)
        active[f] = db[f] > loudest - rangeDb && db[f] > -80.0;
    return active;
}

double activeRms(const std::vector<float>& x, double rangeDb)
{
    const auto active = activeFrames(x, rangeDb);
    double e = 0;
    int64_t n = 0;
    for (size_t f = 0; f < active.size(); ++f) {
        if (!active[f])
            continue;
        for (int64_t i = 0; i < kFrame20ms; ++i) {
            const double v = x[f * kFrame20ms + size_t(i)];
            e += v * v;
        }
        n += kFrame20ms;
    }
    return n ? std::sqrt(e / double(n)) : 0.0;
}

std::vector<float> trimSilence(const std::vector<float>& x, double marginSeconds, double rangeDb)
{
    const auto active = activeFrames(x, rangeDb);
    int64_t first = -1, last = -1;
    for (size_t f = 0; f < active.size(); ++f) {
        if (active[f]) {
            if (first < 0)
                first = int64_t(f);
            last = int64_t(f);
        }
    }
    if (first < 0)
        return x;
    const int64_t margin = int64_t(std::llround(marginSeconds * kSampleRate));
    const int64_t a = std::max<int64_t>(0, first * kFrame20ms - margin);
    const int64_t b = std::min<int64_t>(int64_t(x.size()), (last + 1) * kFrame20ms + margin);
    return {x.begin() + a, x.begin() + b};
}

std::vector<float> narrowbandChannel(const std::vector<float>& x)
{
    return resample(resample(x, kSampleRate, 8000), 8000, kSampleRate);
}

std::vector<float> conditionSpeech(const std::vector<float>& x, bool narrowband, uint64_t seed, double targetDbfs,
                                   double noiseDbfs)
{
    std::vector<float> y = trimSilence(x);
    if (narrowband)
        y = narrowbandChannel(y);
    const double rms = activeRms(y);
    double gain = rms > 0 ? std::pow(10.0, targetDbfs / 20.0) / rms : 1.0;
    float peak = 0;
    for (float v : y)
        peak = std::max(peak, std::fabs(v));
    if (peak * gain > 0.95)
        gain = 0.95 / peak;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, std::pow(10.0, noiseDbfs / 20.0));
    for (float& v : y)
        v = float(double(v) * gain + noise(rng));
    return y;
}

std::vector<float> spliceSegments(const std::vector<float>& host, const std::vector<std::vector<float>>& inserts,
                                  const std::vector<int64_t>& at, double crossfadeSeconds,
                                  std::vector<std::pair<double, double>>* segments)
{
    if (inserts.size() != at.size())
        throw ConfigError("spliceSegments: " + std::to_string(inserts.size()) + " inserts but "
                          + std::to_string(at.size()) + " positions");
    std::vector<size_t> order(at.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return at[a] < at[b]; });
    int64_t previousEnd = 0;
    for (size_t k : order) {
        if (at[k] < previousEnd || at[k] < 0 || at[k] + int64_t(inserts[k].size()) > int64_t(host.size())
            || inserts[k].empty())
            throw ConfigError("spliceSegments: segment " + std::to_string(k) + " at sample " + std::to_string(at[k])
                              + " (" + std::to_string(inserts[k].size()) + " samples) overlaps another or does not fit "
                              + "the host (" + std::to_string(host.size()) + " samples)");
        previousEnd = at[k] + int64_t(inserts[k].size());
    }
    std::vector<float> out(host);
    const double hostRms = activeRms(host);
    const int64_t fade = std::max<int64_t>(1, int64_t(std::llround(crossfadeSeconds * kSampleRate)));
    if (segments)
        segments->clear();
    for (size_t k : order) {
        const auto& ins = inserts[k];
        const double insRms = activeRms(ins);
        const double g = insRms > 0 && hostRms > 0 ? hostRms / insRms : 1.0;
        const int64_t len = int64_t(ins.size());
        const int64_t f = std::min(fade, len / 2);
        for (int64_t i = 0; i < len; ++i) {
            double mix = 1.0;  // weight of the insert
            if (i < f)
                mix = double(i + 1) / double(f + 1);
            else if (i >= len - f)
                mix = double(len - i) / double(f + 1);
            const size_t j = size_t(at[k] + i);
            out[j] = float((1.0 - mix) * host[j] + mix * g * ins[size_t(i)]);
        }
        if (segments)
            segments->emplace_back(double(at[k]) / kSampleRate, double(at[k] + len) / kSampleRate);
    }
    return out;
}

std::vector<uint8_t> demoFrameLabels(const std::vector<std::pair<double, double>>& segments, int64_t samples,
                                     const FrameGrid& grid)
{
    UtteranceLabels labels;
    for (const auto& [start, end] : segments) {
        LabelSegment seg;
        seg.start = start;
        seg.end = end;
        labels.segments.push_back(seg);
    }
    return frameLabels(labels, samples, grid);
}

std::vector<float> readRawPcm16(const std::string& path, int rate)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw AudioError(path + ": cannot open the raw PCM file");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.size() < 800)
        throw AudioError(path + ": raw PCM file too short (" + std::to_string(bytes.size()) + " bytes)");
    std::vector<float> x(bytes.size() / 2);
    for (size_t i = 0; i < x.size(); ++i) {
        const auto lo = uint16_t(uint8_t(bytes[2 * i])), hi = uint16_t(uint8_t(bytes[2 * i + 1]));
        x[i] = float(int16_t(uint16_t(lo | (hi << 8)))) / 32768.0f;
    }
    return rate == kSampleRate ? x : resample(x, rate, kSampleRate);
}

// ---------------------------------------------------------------------------
namespace {

// Start sample of each insert: insert k in the k-th of equal parts of the
// host, at least 0.2 s from that part's edges.
std::vector<int64_t> spreadSegments(int64_t hostLength, const std::vector<std::vector<float>>& inserts,
                                    std::mt19937_64& rng)
{
    std::vector<int64_t> at;
    const int64_t count = int64_t(inserts.size()), part = hostLength / count;
    for (int64_t k = 0; k < count; ++k) {
        const int64_t lo = k * part + int64_t(0.2 * kSampleRate);
        const int64_t hi = std::max(lo, (k + 1) * part - int64_t(inserts[size_t(k)].size()) - int64_t(0.2 * kSampleRate));
        std::uniform_int_distribution<int64_t> pos(lo, hi);
        at.push_back(pos(rng));
    }
    return at;
}

// Audacity label track: one "start<TAB>end<TAB>spoof" line per segment (seconds).
void writeSpoofLabels(const fs::path& path, const std::vector<std::pair<double, double>>& segments)
{
    std::ofstream lab(path, std::ios::trunc);
    for (const auto& [start, end] : segments)
        lab << fmt(start) << "\t" << fmt(end) << "\tspoof\n";
}

} // namespace

DemoCorpus buildDemoCorpus(const DemoCorpusOptions& o)
{
    const auto log = o.log ? o.log : [](const std::string& m) { std::cerr << m << "\n"; };
    DemoCorpus c;
    const fs::path dir = fs::absolute(o.outDir).lexically_normal();
    c.dir = dir.string();
    fs::create_directories(dir / "audio");

    if (!fs::is_directory(o.pocketsphinxDir))
        throw ConfigError("spooflens demo: " + o.pocketsphinxDir + " is missing: install the Debian package "
                          "pocketsphinx-testdata (tools/install-deps.sh installs it)");
    const bool codec2 = fs::is_directory(o.codec2Dir);
    if (!codec2 && !fs::is_directory(o.asteriskDir))
        throw ConfigError("spooflens demo: " + o.codec2Dir + " and " + o.asteriskDir + " are missing: install the "
                          "Debian package " + kCodec2 + " (Debian 12) or " + kAsterisk
                          + " (tools/install-deps.sh installs the one of this release)");
    if (!codec2)
        log("demo corpus: " + o.codec2Dir + " is missing (" + kCodec2 + ", not in Debian 13): using " + kAsterisk
            + " in train and dev instead, and no 8 kHz voice in eval");
    const std::map<std::string, std::string> packageDir = {{"pocketsphinx-testdata", o.pocketsphinxDir},
                                                           {kCodec2, o.codec2Dir}, {kAsterisk, o.asteriskDir}};

    Synthesiser tts(dir / ".tts");
    tts.requireAll(kVoices);

    auto write = [&](CorpusItem item, const std::vector<float>& samples) {
        item.path = "audio/" + item.id + ".wav";
        item.seconds = double(samples.size()) / kSampleRate;
        writeWav16k((dir / item.path).string(), samples);
        c.items.push_back(std::move(item));
    };

    // Bona fide: whole recordings (long ones cropped), conditioned.
    std::map<std::string, std::vector<float>> evalHosts;  // id -> conditioned audio (partial hosts)
    std::map<std::string, std::vector<float>> trainDevHosts;  // the same for the train/dev partials
    for (const auto& h : humanSources(codec2)) {
        const std::string full = h.package == "tests/data" ? o.asvspoofBonafide
                                                           : (fs::path(packageDir.at(h.package)) / h.relPath).string();
        if (!fs::is_regular_file(full))
            throw ConfigError("spooflens demo: " + full + " is missing"
                              + (h.package == "tests/data" ? std::string(" (pass --data)")
                                                           : ": install the Debian package " + h.package));
        AudioData a;
        std::vector<float> x;
        int nativeRate = h.rawRate;
        if (h.rawRate > 0) {
            x = readRawPcm16(full, h.rawRate);
        } else {
            a = loadAudio(full);
            nativeRate = a.sampleRateIn;
            x = std::move(a.samples);
        }
        const bool narrow = nativeRate <= 8000;
        const std::string stem = "bona_" + h.split + "_" + fs::path(h.relPath).stem().string();
        const std::vector<float> y = conditionSpeech(x, false, stableHash(stem, o.seed));
        const auto pieces = h.split == "eval" ? std::vector<std::vector<float>>{y} : cropLong(y, 3.5);
        for (size_t i = 0; i < pieces.size(); ++i) {
            CorpusItem it;
            it.id = pieces.size() > 1 ? stem + "_" + std::to_string(i) : stem;
            it.split = h.split;
            it.spoof = false;
            it.method = "human";
            it.source = h.package == "tests/data" ? "tests/data/" + h.relPath : full;
            it.package = h.package;
            it.narrowband = narrow;
            if (h.split == "eval" && pieces[i].size() >= size_t(2.4 * kSampleRate))
                evalHosts[it.id] = pieces[i];
            else if (h.split != "eval" && pieces[i].size() >= size_t(2.4 * kSampleRate))
                trainDevHosts[it.id] = pieces[i];
            write(it, pieces[i]);
        }
    }

    // Spoof: disjoint sentences per split; every other file through the 8 kHz channel.
    std::set<std::string> trainMethods;
    for (const auto& v : kVoices)
        if (v.split == "train")
            trainMethods.insert(methodName(v));
    const int perVoiceTrain = o.small ? 2 : 4, perVoiceOther = o.small ? 1 : 2;
    std::map<std::string, size_t> nextSentence = {{"train", 0}, {"dev", 12}, {"eval", 18}};
    std::map<std::string, int> spoofCount;
    struct Donor {
        std::vector<float> audio;  // conditioned, edges trimmed
        std::string method;
        bool narrow;
    };
    std::map<std::string, std::vector<Donor>> donors;  // split -> synthetic speech of that split
    for (const auto& v : kVoices) {
        const int count = v.split == "train" ? perVoiceTrain : perVoiceOther;
        for (int k = 0; k < count; ++k) {
            const size_t base = v.split == "train" ? 0 : (v.split == "dev" ? 12 : 18);
            const size_t span = v.split == "train" ? 12 : 6;
            const size_t s = base + (nextSentence[v.split]++ - base) % span;
            const bool narrow = (spoofCount[v.split]++ % 2) == 1;
            CorpusItem it;
            std::string voiceId = v.name;
            std::replace(voiceId.begin(), voiceId.end(), '+', '-');
            it.id = "spoof_" + v.split + "_" + v.engine + "_" + voiceId + "_s" + std::to_string(s);
            it.split = v.split;
            it.spoof = true;
            it.method = methodName(v);
            it.source = "sentence " + std::to_string(s) + ": " + kSentences[s];
            it.package = v.engine == "festival" ? festivalVoicePackage(v.name, &voiceId) : v.engine;
            it.narrowband = narrow;
            it.unseenMethod = v.split != "train" && !trainMethods.count(it.method);
            std::vector<float> y = conditionSpeech(tts.speak(v, kSentences[s]), narrow, stableHash(it.id, o.seed));
            if (v.split != "eval")
                donors[v.split].push_back({trimSilence(y, 0.02), it.method, narrow});
            write(it, y);
        }
    }
    for (const auto& v : kVoices)
        if (v.split == "eval" && !trainMethods.count(methodName(v)))
            c.heldOutMethods.push_back(methodName(v));
    // Partial spoofs for train and dev: each human crop of at least 2.4 s once
    // more, with 1-2 pieces (0.3-1.5 s) of its split's synthetic sentences of
    // the same channel spliced in like the eval partials. Labelled spoof; the
    // host stays in the set as bona fide, so speaker, level and channel cannot
    // separate the pair: only the spliced frames can.
    if (o.partialTraining) {
        std::mt19937_64 prng(o.seed ^ 0x51ced5eedull);
        const size_t cap = o.small ? 4 : trainDevHosts.size();
        size_t made = 0, donorIndex = 0;
        for (const auto& [hostId, host] : trainDevHosts) {
            if (made >= cap)
                break;
            const CorpusItem& hostItem = *std::find_if(c.items.begin(), c.items.end(),
                                                       [&](const CorpusItem& i) { return i.id == hostId; });
            const std::vector<Donor>& pool = donors[hostItem.split];
            if (pool.empty())
                continue;
            const double hostSeconds = double(host.size()) / kSampleRate;
            const int segmentsWanted = hostSeconds >= 4.5 ? 2 : 1;
            std::vector<std::vector<float>> inserts;
            std::vector<std::string> methods;
            for (int k = 0; k < segmentsWanted; ++k) {
                // The next donor of the host's channel (narrowband or not), round robin.
                const Donor* d = nullptr;
                for (size_t tries = 0; tries < pool.size() && !d; ++tries) {
                    const Donor& cand = pool[donorIndex++ % pool.size()];
                    if (cand.narrow == hostItem.narrowband)
                        d = &cand;
                }
                if (!d)
                    d = &pool[donorIndex++ % pool.size()];
                const double maxLen = std::min({1.5, hostSeconds / 4.0, double(d->audio.size()) / kSampleRate});
                std::uniform_real_distribution<double> lenDist(std::min(0.3, maxLen), std::max(0.31, maxLen));
                const int64_t len = std::min<int64_t>(int64_t(d->audio.size()), int64_t(lenDist(prng) * kSampleRate));
                std::uniform_int_distribution<int64_t> offDist(0, int64_t(d->audio.size()) - len);
                const int64_t off = offDist(prng);
                // spliceSegments matches its level to the host's active speech.
                inserts.emplace_back(d->audio.begin() + off, d->audio.begin() + off + len);
                methods.push_back(d->method);
            }
            const std::vector<int64_t> at = spreadSegments(int64_t(host.size()), inserts, prng);
            std::vector<std::pair<double, double>> segments;
            const std::vector<float> y = spliceSegments(host, inserts, at, 0.01, &segments);
            CorpusItem it;
            it.id = "partial_" + hostId.substr(std::string("bona_").size());
            it.split = hostItem.split;
            it.spoof = true;
            std::string joined;
            for (const auto& m : methods)
                joined += (joined.empty() ? "" : " + ") + m;
            it.method = "partial: " + joined;
            it.source = hostId;
            it.package = "spliced";
            it.narrowband = hostItem.narrowband;
            write(it, y);
            writeSpoofLabels(dir / ("audio/" + it.id + ".txt"), segments);
            ++made;
        }
        log("demo corpus: " + std::to_string(made) + " partial-spoof train/dev utterances");
    }
    log("demo corpus: " + std::to_string(c.items.size()) + " files");

    // Partial spoofs: eval human speech with 1-2 segments of eval voices.
    std::vector<Voice> evalVoices;
    for (const auto& v : kVoices)
        if (v.split == "eval")
            evalVoices.push_back(v);
    std::mt19937_64 rng(o.seed ^ 0x9e3779b97f4a7c15ull);
    size_t phrase = 0, voiceIndex = 0;
    const size_t maxPartials = o.small ? 3 : evalHosts.size();
    size_t made = 0;
    for (const auto& [hostId, host] : evalHosts) {
        if (made >= maxPartials)
            break;
        const double hostSeconds = double(host.size()) / kSampleRate;
        const int segmentsWanted = hostSeconds >= 4.5 ? 2 : 1;
        std::vector<std::vector<float>> inserts;
        std::vector<std::string> methods;
        for (int k = 0; k < segmentsWanted; ++k) {
            const Voice& v = evalVoices[voiceIndex++ % evalVoices.size()];
            const bool narrow = std::find_if(c.items.begin(), c.items.end(), [&](const CorpusItem& i) {
                                    return i.id == hostId;
                                })->narrowband;
            std::vector<float> s = conditionSpeech(tts.speak(v, kPhrases[phrase++ % kPhrases.size()]), narrow,
                                                   stableHash(hostId + std::to_string(k), o.seed));
            s = trimSilence(s, 0.02);
            // 0.3-1.5 s, and at most a quarter of the host each.
            const double maxLen = std::min(1.5, hostSeconds / 4.0);
            std::uniform_real_distribution<double> lenDist(0.3, std::max(0.31, maxLen));
            const int64_t len = std::min<int64_t>(int64_t(s.size()), int64_t(lenDist(rng) * kSampleRate));
            const int64_t off = (int64_t(s.size()) - len) / 2;
            inserts.emplace_back(s.begin() + off, s.begin() + off + len);
            methods.push_back(methodName(v));
        }
        const std::vector<int64_t> at = spreadSegments(int64_t(host.size()), inserts, rng);
        PartialItem p;
        p.id = "partial_eval_" + hostId.substr(std::string("bona_eval_").size());
        p.path = "audio/" + p.id + ".wav";
        p.labels = "audio/" + p.id + ".txt";
        p.host = hostId;
        p.methods = methods;
        const std::vector<float> y = spliceSegments(host, inserts, at, 0.01, &p.segments);
        p.seconds = double(y.size()) / kSampleRate;
        writeWav16k((dir / p.path).string(), y);
        writeSpoofLabels(dir / p.labels, p.segments);
        c.partials.push_back(std::move(p));
        ++made;
    }

    c.licences = {
        {"pocketsphinx-testdata", "librivox/*.wav (LibriVox reading, public domain), cards/*.wav, *.raw, tidigits/*.raw",
         "BSD-2-Clause (Carnegie Mellon University)"},
        codec2 ? SourceLicence{kCodec2, "wav/{big_dog,cross,hts1a,hts2a,mmt1,david4,forig,morig}.wav, raw/kristoff.raw, "
                                        "raw/speech_orig_16k.wav", "LGPL-2.1 (David Rowe)"}
               : SourceLicence{kAsterisk, "en_US_f_Allison/{agent-alreadyon,demo-thanks,vm-rec-temp,queue-youarenext,"
                                          "ss-noservice,vm-intro,pbx-invalidpark}.wav (recorded by Allison Smith; "
                                          "replaces codec2-examples, which Debian 13 does not ship)",
                               "CC-BY-SA-3.0 (Allison Smith / Digium)"},
        {"tests/data", "asvspoof_bonafide_sample.flac (example file of the tcm_add repository, from ASVspoof 2019 LA)",
         "MIT (tcm_add repository); ASVspoof 2019: ODC Attribution License"},
        {"espeak-ng", "synthesiser and voices (run at build time)", "GPL-3.0-or-later"},
        {"flite", "synthesiser and voices kal, slt, awb, rms (run at build time)", "BSD-style (CMU / Edinburgh), see /usr/share/doc/flite/copyright"},
        {"festival", "text2wave (run at build time)", "X11-style permissive (University of Edinburgh)"},
        {"festvox-kallpc16k", "voice kal_diphone", "permissive (CSTR / OGI), see /usr/share/doc/festvox-kallpc16k/copyright"},
        {"festvox-kdlpc16k", "voice ked_diphone", "permissive (CSTR / OGI), see /usr/share/doc/festvox-kdlpc16k/copyright"},
        {"festvox-us-slt-hts", "voice cmu_us_slt_arctic_hts", "EST / BSD-3-Clause, see /usr/share/doc/festvox-us-slt-hts/copyright"},
    };
    log("demo corpus: " + std::to_string(c.partials.size()) + " partial-spoof utterances");
    return c;
}

} // namespace spooflens::core
