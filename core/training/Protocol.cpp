#include "core/training/Protocol.h"

#include "core/Error.h"
#include "core/util/Text.h"
#include "core/util/FileCheck.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace spooflens::core {

std::string protocolFormatName(ProtocolFormat f)
{
    switch (f) {
    case ProtocolFormat::Merged3: return "merged 3-column";
    case ProtocolFormat::Asv2019La5: return "ASVspoof 2019 LA 5-column";
    case ProtocolFormat::InTheWildCsv: return "In-the-Wild meta.csv";
    case ProtocolFormat::PlainCsv: return "CSV path,subset,label";
    }
    return "?";
}

namespace {


std::vector<std::string> splitWs(const std::string& s)
{
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string t;
    while (in >> t)
        out.push_back(t);
    return out;
}

std::vector<std::string> splitCsv(const std::string& s)
{
    // Minimal CSV: comma-separated, optional double quotes around a field.
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        if (quoted) {
            if (ch == '"' && i + 1 < s.size() && s[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (ch == '"') {
                quoted = false;
            } else {
                cur += ch;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            out.push_back(trimmed(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    out.push_back(trimmed(cur));
    return out;
}

int parseLabel(const std::string& text, const std::string& at)
{
    const std::string l = lowered(text);
    if (l == "bonafide" || l == "bona-fide" || l == "bona_fide" || l == "1")
        return 1;
    if (l == "spoof" || l == "0")
        return 0;
    throw ConfigError(at + ": unknown label '" + text + "' (expected bonafide, bona-fide or spoof)");
}

std::string subsetFromLaName(const std::string& name)
{
    if (name.rfind("LA_T_", 0) == 0)
        return "train";
    if (name.rfind("LA_D_", 0) == 0)
        return "dev";
    if (name.rfind("LA_E_", 0) == 0)
        return "eval";
    return {};
}

} // namespace

Protocol readProtocol(const std::string& path)
{
    if (const std::string why = whyNotRegularFile(path, "a protocol file"); !why.empty())
        throw ConfigError(path + ": cannot open the protocol file: " + why);
    std::ifstream in(path);
    if (!in)
        throw ConfigError(path + ": cannot open the protocol file");
    Protocol p;
    p.path = path;
    std::string raw;
    int64_t lineNo = 0;
    bool detected = false;
    while (std::getline(in, raw)) {
        ++lineNo;
        // A UTF-8 byte order mark (editors on Windows write one) is not part of the first file name.
        if (lineNo == 1 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0)
            raw.erase(0, 3);
        const std::string line = trimmed(raw);
        if (line.empty() || line[0] == '#')
            continue;
        const std::string at = path + ":" + std::to_string(lineNo);
        const bool csv = line.find(',') != std::string::npos;
        if (!detected) {
            detected = true;
            if (csv) {
                const auto cols = splitCsv(line);
                std::vector<std::string> lc;
                for (const auto& c : cols)
                    lc.push_back(lowered(c));
                if (lc.size() == 3 && lc[0] == "file" && lc[1] == "speaker" && lc[2] == "label") {
                    p.format = ProtocolFormat::InTheWildCsv;
                    continue;
                }
                p.format = ProtocolFormat::PlainCsv;
                if (lc.size() == 3 && lc[0] == "path" && lc[1] == "subset" && lc[2] == "label")
                    continue;
            } else {
                const auto cols = splitWs(line);
                if (cols.size() == 3)
                    p.format = ProtocolFormat::Merged3;
                else if (cols.size() == 5)
                    p.format = ProtocolFormat::Asv2019La5;
                else
                    throw ConfigError(at + ": cannot tell the protocol format: expected 3 columns "
                                      "(file subset label), 5 columns (ASVspoof 2019 LA) or CSV, got "
                                      + std::to_string(cols.size()) + " columns");
            }
        }
        ProtocolEntry e;
        e.line = lineNo;
        switch (p.format) {
        case ProtocolFormat::Merged3: {
            const auto cols = splitWs(line);
            if (cols.size() != 3 || csv)
                throw ConfigError(at + ": expected 3 columns 'file subset label' (" + protocolFormatName(p.format)
                                  + " file), got '" + line + "'");
            e.file = cols[0];
            e.subset = lowered(cols[1]);
            if (e.subset != "train" && e.subset != "dev" && e.subset != "eval")
                throw ConfigError(at + ": unknown subset '" + cols[1] + "' (expected train, dev or eval)");
            e.label = parseLabel(cols[2], at);
            break;
        }
        case ProtocolFormat::Asv2019La5: {
            const auto cols = splitWs(line);
            if (cols.size() != 5 || csv)
                throw ConfigError(at + ": expected 5 columns 'speaker file - system label' (" +
                                  protocolFormatName(p.format) + " file), got '" + line + "'");
            e.file = cols[1] + ".flac";
            e.subset = subsetFromLaName(cols[1]);
            e.label = parseLabel(cols[4], at);
            break;
        }
        case ProtocolFormat::InTheWildCsv:
        case ProtocolFormat::PlainCsv: {
            const auto cols = splitCsv(line);
            if (cols.size() != 3 || cols[0].empty())
                throw ConfigError(at + ": expected 3 comma-separated fields (" + protocolFormatName(p.format)
                                  + "), got '" + line + "'");
            e.file = cols[0];
            if (p.format == ProtocolFormat::PlainCsv) {
                e.subset = lowered(cols[1]);
                if (e.subset != "train" && e.subset != "dev" && e.subset != "eval")
                    throw ConfigError(at + ": unknown subset '" + cols[1] + "' (expected train, dev or eval)");
            }
            e.label = parseLabel(cols[2], at);
            break;
        }
        }
        p.entries.push_back(std::move(e));
    }
    if (p.entries.empty())
        throw ConfigError(path + ": the protocol lists no utterances");
    return p;
}

std::string resolveAudioPath(const std::string& databasePath, const ProtocolEntry& entry)
{
    std::error_code ec;
    const fs::path root = databasePath.empty() ? fs::path(".") : fs::path(databasePath);
    const fs::path direct = fs::path(entry.file).is_absolute() ? fs::path(entry.file) : root / entry.file;
    if (fs::is_regular_file(direct, ec))
        return direct.string();
    std::vector<std::string> subsets;
    if (!entry.subset.empty())
        subsets.push_back(entry.subset);
    for (const char* s : {"train", "dev", "eval"})
        if (entry.subset != s)
            subsets.emplace_back(s);
    for (const auto& s : subsets) {
        const fs::path p = root / ("ASVspoof2019_LA_" + s) / "flac" / fs::path(entry.file).filename();
        if (fs::is_regular_file(p, ec))
            return p.string();
    }
    return {};
}

std::vector<std::string> resolveAllAudio(const std::string& databasePath, const Protocol& protocol)
{
    std::vector<std::string> out;
    std::vector<std::string> missing;
    size_t missingCount = 0, notFiles = 0;
    for (const auto& e : protocol.entries) {
        std::string p = resolveAudioPath(databasePath, e);
        if (p.empty()) {
            ++missingCount;
            // Something that is there but no file (a FIFO, a folder, a device) is said to be what it is.
            const fs::path direct = fs::path(e.file).is_absolute()
                                        ? fs::path(e.file)
                                        : fs::path(databasePath.empty() ? "." : databasePath) / e.file;
            const std::string why = whyNotRegularFile(direct.string(), "an audio file");
            const bool notFound = why.rfind("file not found", 0) == 0;
            if (!notFound)
                ++notFiles;
            if (missing.size() < 20)
                missing.push_back(protocol.path + ":" + std::to_string(e.line) + ": " + printablePath(direct.string())
                                  + (notFound ? std::string() : ": " + why));
        }
        out.push_back(std::move(p));
    }
    if (missingCount) {
        std::string msg = std::to_string(missingCount) + " audio file(s) of the protocol "
            + (notFiles == 0 ? std::string("not found")
                             : notFiles == missingCount ? std::string("are not regular files")
                                                        : "not found or not regular files (" + std::to_string(notFiles)
                                                              + " of them exist but are no files)")
            + " (looked in '" + databasePath + "' and its ASVspoof2019_LA_{train,dev,eval}/flac/):";
        for (const auto& m : missing)
            msg += "\n  " + m;
        if (missingCount > missing.size())
            msg += "\n  ... and " + std::to_string(missingCount - missing.size()) + " more";
        throw ConfigError(msg);
    }
    return out;
}

ProtocolChecks checkProtocol(const Protocol& protocol, const std::vector<std::string>& keys,
                             const std::string& trainSubset)
{
    ProtocolChecks c;
    std::map<std::string, int64_t> firstLine;
    for (size_t i = 0; i < protocol.entries.size(); ++i) {
        const ProtocolEntry& e = protocol.entries[i];
        const std::string& key = i < keys.size() ? keys[i] : e.file;
        const auto [it, fresh] = firstLine.emplace(key, e.line);
        if (!fresh && ++c.duplicates == 1)
            c.firstDuplicate = e.file + " (lines " + std::to_string(it->second) + " and " + std::to_string(e.line) + ")";
        if (!trainSubset.empty() && (e.subset == trainSubset || e.subset.empty()))
            ++(e.label == 1 ? c.bonafide : c.spoof);
    }
    return c;
}

std::vector<std::string> protocolProblems(const ProtocolChecks& c, const std::string& protocolPath, bool checkClasses)
{
    std::vector<std::string> out;
    if (c.duplicates > 0)
        out.push_back(protocolPath + ": " + std::to_string(c.duplicates)
                      + " duplicated utterance(s), each used as often as it is listed; first: "
                      + c.firstDuplicate);
    if (checkClasses && c.singleClass())
        out.push_back(protocolPath + ": the training set has only " + (c.bonafide ? "bona fide" : "spoof")
                      + " utterances (" + std::to_string(c.bonafide) + " bona fide, " + std::to_string(c.spoof)
                      + " spoof): the contrastive objective needs both classes");
    return out;
}

std::vector<std::string> enforceProtocolChecks(const ProtocolChecks& c, const std::string& protocolPath,
                                               bool checkClasses, bool strict)
{
    std::vector<std::string> problems = protocolProblems(c, protocolPath, checkClasses);
    if (strict && !problems.empty()) {
        std::string msg = "--strict: ";
        for (size_t i = 0; i < problems.size(); ++i)
            msg += (i ? "; " : "") + problems[i];
        throw ConfigError(msg);
    }
    return problems;
}

} // namespace spooflens::core
