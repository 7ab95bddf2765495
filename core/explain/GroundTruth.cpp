#include "core/explain/GroundTruth.h"

#include "core/Error.h"
#include "core/util/Text.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Unpickler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace spooflens::core {

namespace {


bool parseSeconds(const std::string& text, double& out)
{
    const std::string t = trimmed(text);
    if (t.empty())
        return false;
    char* end = nullptr;
    out = std::strtod(t.c_str(), &end);
    return end && *end == '\0' && std::isfinite(out);
}

LabelSegment makeSegment(const std::string& startText, const std::string& endText, const std::string& label,
                         const std::string& at)
{
    LabelSegment s;
    if (!parseSeconds(startText, s.start) || !parseSeconds(endText, s.end))
        throw ConfigError(at + ": start and end must be numbers in seconds, got '" + trimmed(startText) + "' and '" +
                          trimmed(endText) + "'");
    if (s.start < 0)
        throw ConfigError(at + ": negative start time " + trimmed(startText));
    if (!(s.end > s.start))
        throw ConfigError(at + ": end (" + trimmed(endText) + ") must be after start (" + trimmed(startText) + ")");
    s.label = trimmed(label);
    s.spoof = parseSegmentLabel(s.label, at);
    s.origin = at;
    return s;
}

std::vector<std::string> splitOn(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(cur);
    return out;
}

} // namespace

std::vector<std::pair<double, double>> UtteranceLabels::spoofIntervals() const
{
    std::vector<std::pair<double, double>> v;
    for (const LabelSegment& s : segments)
        if (s.spoof)
            v.emplace_back(s.start, s.end);
    std::sort(v.begin(), v.end());
    std::vector<std::pair<double, double>> merged;
    for (const auto& iv : v) {
        if (!merged.empty() && iv.first <= merged.back().second)
            merged.back().second = std::max(merged.back().second, iv.second);
        else
            merged.push_back(iv);
    }
    return merged;
}

bool parseSegmentLabel(const std::string& text, const std::string& at)
{
    const std::string l = lowered(trimmed(text));
    if (l.empty() || l == "spoof" || l == "spoofed" || l == "fake" || l == "0")
        return true;  // an Audacity label without text marks a spoofed region
    if (l == "bonafide" || l == "bona-fide" || l == "bona_fide" || l == "bona fide" || l == "real" ||
        l == "genuine" || l == "1")
        return false;
    throw ConfigError(at + ": unknown segment label '" + trimmed(text) +
                      "' (expected spoof, fake, 0, bonafide, bona-fide, real, genuine or 1)");
}

UtteranceLabels readAudacityLabels(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw ConfigError(path + ": cannot open the label file");
    UtteranceLabels u;
    u.utterance = fs::path(path).stem().string();
    u.source = path;
    std::string raw;
    int64_t lineNo = 0;
    while (std::getline(in, raw)) {
        ++lineNo;
        const std::string line = trimmed(raw);
        if (line.empty() || line[0] == '#')
            continue;
        // Audacity's spectral-selection lines start with '\' (frequency range): skip them.
        if (line[0] == '\\')
            continue;
        const std::string at = path + ":" + std::to_string(lineNo);
        std::vector<std::string> cols = splitOn(line, '\t');
        if (cols.size() < 2) {
            std::istringstream ws(line);
            cols.clear();
            std::string t;
            while (ws >> t)
                cols.push_back(t);
            if (cols.size() > 3) {  // label text with spaces
                std::string rest;
                for (size_t k = 2; k < cols.size(); ++k)
                    rest += (k > 2 ? " " : "") + cols[k];
                cols.resize(2);
                cols.push_back(rest);
            }
        }
        if (cols.size() < 2 || cols.size() > 3)
            throw ConfigError(at + ": expected 'start<TAB>end<TAB>label' (seconds), got '" + line + "'");
        u.segments.push_back(makeSegment(cols[0], cols[1], cols.size() == 3 ? cols[2] : "", at));
    }
    return u;
}

LabelSet readLabelTable(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw ConfigError(path + ": cannot open the label table");
    LabelSet set;
    std::string raw;
    int64_t lineNo = 0;
    bool first = true;
    while (std::getline(in, raw)) {
        ++lineNo;
        const std::string line = trimmed(raw);
        if (line.empty() || line[0] == '#')
            continue;
        const std::string at = path + ":" + std::to_string(lineNo);
        const char sep = line.find('\t') != std::string::npos ? '\t' : ',';
        std::vector<std::string> cols = splitOn(line, sep);
        for (auto& c : cols)
            c = trimmed(c);
        if (first) {
            first = false;
            double dummy = 0;
            if (cols.size() >= 3 && !parseSeconds(cols[1], dummy) && !parseSeconds(cols[2], dummy))
                continue;  // header
        }
        if (cols.size() != 4 || cols[0].empty())
            throw ConfigError(at + ": expected 4 fields 'utterance,start,end,label', got '" + line + "'");
        UtteranceLabels& u = set[cols[0]];
        u.utterance = cols[0];
        u.source = path;
        u.segments.push_back(makeSegment(cols[1], cols[2], cols[3], at));
    }
    return set;
}

std::string labelFileNextTo(const std::string& audioPath)
{
    const fs::path p(audioPath);
    for (const char* ext : {".txt", ".lab"}) {
        fs::path candidate = p;
        candidate.replace_extension(ext);
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec))
            return candidate.string();
    }
    return {};
}

LabelSet readLabels(const std::string& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        LabelSet set;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(path, ec)) {
            const std::string ext = lowered(e.path().extension().string());
            if (e.is_regular_file() && (ext == ".txt" || ext == ".lab"))
                files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        for (const fs::path& f : files) {
            UtteranceLabels u = readAudacityLabels(f.string());
            if (set.count(u.utterance))
                throw ConfigError(f.string() + ": a second label file for utterance '" + u.utterance + "' (first: " +
                                  set[u.utterance].source + ")");
            set[u.utterance] = std::move(u);
        }
        return set;
    }
    if (!fs::is_regular_file(path, ec))
        throw ConfigError(path + ": no such label file or folder");
    const std::string ext = lowered(fs::path(path).extension().string());
    if (ext == ".npy")
        return readPartialSpoofLabels(path);
    if (ext == ".csv" || ext == ".tsv")
        return readLabelTable(path);
    UtteranceLabels u = readAudacityLabels(path);
    LabelSet set;
    set[u.utterance] = std::move(u);
    return set;
}

LabelSet readPartialSpoofLabels(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(path + ": cannot open the PartialSpoof label file");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // .npy: magic, version, header length (2 bytes in v1, 4 in v2/v3), header dict, data.
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        throw CheckpointError(path + ": not a NumPy .npy file (bad magic)");
    const auto major = static_cast<unsigned char>(bytes[6]);
    if (major < 1 || major > 3)
        throw CheckpointError(path + ": unsupported .npy version " + std::to_string(int(major)));
    size_t headerLen = 0, headerAt = major == 1 ? 10 : 12;
    if (bytes.size() < headerAt)
        throw CheckpointError(path + ": truncated .npy header");
    for (size_t k = 0; k < (major == 1 ? 2u : 4u); ++k)
        headerLen |= size_t(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
    if (bytes.size() < headerAt + headerLen)
        throw CheckpointError(path + ": truncated .npy header");
    const std::string header = bytes.substr(headerAt, headerLen);
    auto compact = header;
    compact.erase(std::remove_if(compact.begin(), compact.end(), [](char c) { return c == ' '; }), compact.end());
    if (compact.find("'descr':'|O'") == std::string::npos || compact.find("'shape':()") == std::string::npos)
        throw ConfigError(path + ": not PartialSpoof segment labels: expected a 0-d object array holding a dict "
                          "(np.save of a dict), header " + header);
    const std::string& pickle = bytes;
    const size_t at = headerAt + headerLen;
    const PickleValue root = unpickle(reinterpret_cast<const unsigned char*>(pickle.data()) + at, pickle.size() - at,
                                      path, "the pickled array", UnpicklerLimits{}, PickleGlobals::NumpyArrays);
    if (root.kind != PickleValue::Kind::List || root.items.size() != 1 ||
        root.items[0].kind != PickleValue::Kind::Dict)
        throw ConfigError(path + ": the array does not hold a dict of utterance id -> segment labels");

    double resolution = 0.01;
    {
        const std::string stem = fs::path(path).stem().string();
        const auto pos = stem.rfind("_seglab_");
        if (pos != std::string::npos) {
            double r = 0;
            if (parseSeconds(stem.substr(pos + 8), r) && r > 0 && r <= 10)
                resolution = r;
        }
    }
    LabelSet set;
    for (const auto& [key, value] : root.items[0].entries) {
        if (key.kind != PickleValue::Kind::String)
            throw ConfigError(path + ": utterance ids must be strings");
        const std::string& id = key.s;
        if (value.kind != PickleValue::Kind::List)
            throw ConfigError(path + ": utterance '" + id + "': expected an array of '0'/'1' segment labels");
        UtteranceLabels u;
        u.utterance = id;
        u.source = path;
        u.resolution = resolution;
        int64_t runStart = -1;
        const auto n = int64_t(value.items.size());
        for (int64_t i = 0; i <= n; ++i) {
            bool spoof = false;
            if (i < n) {
                const PickleValue& v = value.items[size_t(i)];
                std::string text;
                if (v.kind == PickleValue::Kind::String)
                    text = v.s;
                else if (v.kind == PickleValue::Kind::Int)
                    text = std::to_string(v.i);
                else if (v.kind == PickleValue::Kind::Bool)
                    text = v.b ? "1" : "0";
                if (text != "0" && text != "1")
                    throw ConfigError(path + ": utterance '" + id + "' segment " + std::to_string(i) +
                                      ": label must be '0' (spoof) or '1' (bona fide), got '" + text + "'");
                spoof = text == "0";  // PartialSpoof: 1 = bona fide, 0 = spoof
            }
            if (spoof && runStart < 0) {
                runStart = i;
            } else if (!spoof && runStart >= 0) {
                LabelSegment s;
                s.start = double(runStart) * resolution;
                s.end = double(i) * resolution;
                s.spoof = true;
                s.label = "0";
                s.origin = path + ": utterance '" + id + "' segments " + std::to_string(runStart) + "-" +
                           std::to_string(i - 1);
                u.segments.push_back(s);
                runStart = -1;
            }
        }
        set[id] = std::move(u);
    }
    return set;
}

std::vector<uint8_t> frameLabels(const UtteranceLabels& labels, int64_t samples, const FrameGrid& grid,
                                 double toleranceSeconds)
{
    toleranceSeconds = std::max(toleranceSeconds, labels.resolution);
    const double duration = double(samples) / kSampleRate;
    for (const LabelSegment& s : labels.segments) {
        if (!s.spoof)
            continue;
        if (s.start >= duration || s.end > duration + toleranceSeconds + 0.5 / kSampleRate) {
            char buf[160];
            std::snprintf(buf, sizeof buf, ": segment %.6f-%.6f s lies past the end of the audio (%.6f s)", s.start,
                          s.end, duration);
            throw ConfigError((s.origin.empty() ? labels.source : s.origin) + buf + " of utterance '" +
                              labels.utterance + "'");
        }
    }
    const int64_t frames = grid.count(samples);
    std::vector<uint8_t> out(size_t(std::max<int64_t>(frames, 0)), 0);
    // Merged spoof intervals in samples; count covered samples of each frame.
    std::vector<std::pair<int64_t, int64_t>> iv;
    for (const auto& [a, b] : labels.spoofIntervals())
        iv.emplace_back(std::llround(a * kSampleRate), std::llround(b * kSampleRate));
    size_t first = 0;
    for (int64_t t = 0; t < frames; ++t) {
        const int64_t lo = grid.startSample(t);
        const int64_t hi = lo + grid.window;
        while (first < iv.size() && iv[first].second <= lo)
            ++first;
        int64_t covered = 0;
        for (size_t k = first; k < iv.size() && iv[k].first < hi; ++k)
            covered += std::min(hi, iv[k].second) - std::max(lo, iv[k].first);
        out[size_t(t)] = covered * 2 > grid.window ? 1 : 0;
    }
    return out;
}

void writeAudacityLabels(const std::string& path, const std::vector<LabelSegment>& segments)
{
    std::ofstream out(path);
    if (!out)
        throw ConfigError(path + ": cannot write the label file");
    char buf[64];
    for (const LabelSegment& s : segments) {
        std::snprintf(buf, sizeof buf, "%.6f\t%.6f\t", s.start, s.end);
        out << buf << (s.label.empty() ? (s.spoof ? "spoof" : "bonafide") : s.label) << "\n";
    }
    if (!out)
        throw ConfigError(path + ": write failed");
}

} // namespace spooflens::core
