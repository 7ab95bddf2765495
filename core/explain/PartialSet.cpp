#include "core/explain/PartialSet.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/AudioFormats.h"
#include "core/checkpoint/Npy.h"
#include "core/explain/GroundTruth.h"
#include "core/training/Demo.h"
#include "core/util/FileCheck.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace spooflens::core {

namespace {

std::string audioExtensionList()
{
    std::string out;
    for (std::string_view e : kAudioExtensions)
        out += (out.empty() ? "." : ", .") + std::string(e);
    return out;
}

std::string numbered(const char* prefix, size_t i)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_%04zu", prefix, i + 1);
    return buf;
}

} // namespace

std::vector<std::string> readAudioList(const std::string& listOrFolder)
{
    std::error_code ec;
    std::vector<std::string> out;
    if (fs::is_directory(listOrFolder, ec)) {
        for (const auto& e : fs::directory_iterator(listOrFolder, ec)) {
            if (e.is_regular_file() && isAudioExtension(e.path().extension().string()))
                out.push_back(e.path().string());
        }
        std::sort(out.begin(), out.end());
        if (out.empty())
            throw ConfigError(listOrFolder + ": the folder holds no audio files (" + audioExtensionList() + ")");
        return out;
    }
    {
        if (isAudioExtension(fs::path(listOrFolder).extension().string())) {
            if (const std::string why = whyNotRegularFile(listOrFolder, "an audio file"); !why.empty())
                throw ConfigError(listOrFolder + ": " + why);
            return {listOrFolder};  // a single audio file
        }
    }
    // A list is a regular file: /dev/zero or a FIFO would be read forever (one endless line).
    if (const std::string why = whyNotRegularFile(listOrFolder, "an audio list, a folder or an audio file"); !why.empty())
        throw ConfigError(listOrFolder + ": " + why);
    std::ifstream in(listOrFolder);
    if (!in)
        throw ConfigError(listOrFolder + ": cannot open the audio list");
    const fs::path base = fs::path(listOrFolder).parent_path();
    std::string line;
    int64_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        const auto b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos || line[b] == '#')
            continue;
        const auto e = line.find_last_not_of(" \t\r");
        fs::path p = line.substr(b, e - b + 1);
        if (p.is_relative())
            p = base / p;
        if (!fs::is_regular_file(p, ec))
            throw ConfigError(listOrFolder + ":" + std::to_string(lineNo) + ": no such audio file '" + p.string() + "'");
        out.push_back(p.string());
    }
    if (out.empty())
        throw ConfigError(listOrFolder + ": the list names no audio files");
    return out;
}

PartialSetReport makePartialSet(const PartialSetOptions& o)
{
    if (o.bonafide.empty() || o.spoof.empty())
        throw ConfigError("make-partial: need at least one bona fide and one spoof utterance");
    if (o.subset != "train" && o.subset != "dev" && o.subset != "eval")
        throw ConfigError("make-partial: subset must be train, dev or eval, got '" + o.subset + "'");
    const fs::path out(o.outDir);
    fs::create_directories(out / "audio");
    fs::create_directories(out / "frame_labels");

    std::vector<std::vector<float>> spoof;
    for (const std::string& p : o.spoof)
        spoof.push_back(loadAudio(p).samples);

    PartialSetReport report;
    report.protocol = (out / "protocol.txt").string();
    report.labels = (out / "labels.csv").string();
    std::ofstream protocol(report.protocol), labels(report.labels), sources(out / "sources.tsv");
    if (!protocol || !labels || !sources)
        throw ConfigError(o.outDir + ": cannot write the protocol, labels.csv or sources.tsv");
    labels << "utterance,start,end,label\n";
    sources << "utterance\tbonafide_source\tstart_s\tend_s\tspoof_source\tsource_start_s\tgain\n";

    for (size_t i = 0; i < o.bonafide.size(); ++i) {
        const AudioData bona = loadAudio(o.bonafide[i]);
        SplicedUtterance s;
        try {
            s = splicePartial(bona.samples, spoof, o.splice, i);
        } catch (const AudioError& e) {
            throw AudioError(o.bonafide[i] + ": " + e.what());
        }
        PartialSetItem item;
        item.utterance = numbered("partial", i);
        item.audio = fs::absolute(out / "audio" / (item.utterance + ".wav")).string();
        item.bonafideSource = o.bonafide[i];
        item.segments = s.segments;
        item.samples = int64_t(s.samples.size());
        writeWav16k(item.audio, s.samples);

        UtteranceLabels ul;
        ul.utterance = item.utterance;
        for (const SplicedSegment& seg : s.segments) {
            LabelSegment l;
            l.start = seg.startSeconds();
            l.end = seg.endSeconds();
            l.label = "spoof";
            ul.segments.push_back(l);
            char buf[512];
            std::snprintf(buf, sizeof buf, "%s,%.6f,%.6f,spoof\n", item.utterance.c_str(), l.start, l.end);
            labels << buf;
            std::snprintf(buf, sizeof buf, "\t%.6f\t%.6f\t", l.start, l.end);
            sources << item.utterance << "\t" << o.bonafide[i] << buf << o.spoof[size_t(seg.spoofIndex)] << "\t"
                    << double(seg.sourceStart) / kSampleRate << "\t" << seg.gain << "\n";
        }
        writeAudacityLabels((out / "audio" / (item.utterance + ".txt")).string(), ul.segments);
        const std::vector<uint8_t> fl = frameLabels(ul, item.samples);
        std::vector<float> f(fl.begin(), fl.end());
        writeNpyF32((out / "frame_labels" / (item.utterance + ".npy")).string(), f.data(), {int64_t(f.size())});
        protocol << "audio/" << item.utterance << ".wav " << o.subset << " spoof\n";
        report.items.push_back(std::move(item));

        if (o.includeBonafide) {
            const std::string id = numbered("bonafide", i);
            writeWav16k((out / "audio" / (id + ".wav")).string(), bona.samples);
            writeAudacityLabels((out / "audio" / (id + ".txt")).string(), {});
            std::vector<float> zeros(size_t(std::max<int64_t>(bona.frames(), 0)), 0.0f);
            writeNpyF32((out / "frame_labels" / (id + ".npy")).string(), zeros.data(), {int64_t(zeros.size())});
            protocol << "audio/" << id << ".wav " << o.subset << " bonafide\n";
            ++report.bonafideWritten;
        }
    }
    if (!protocol || !labels || !sources)
        throw ConfigError(o.outDir + ": write failed");
    return report;
}

} // namespace spooflens::core
