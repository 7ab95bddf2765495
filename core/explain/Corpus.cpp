#include "core/explain/Corpus.h"

#include "core/Error.h"
#include "core/audio/AudioFormats.h"
#include "core/explain/Agreement.h"
#include "core/training/Protocol.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

namespace fs = std::filesystem;

namespace spooflens::core {
namespace {

std::string canonical(const std::string& path)
{
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::path(path), ec);
    return ec ? fs::absolute(fs::path(path)).lexically_normal().string() : c.string();
}

std::string labelName(int label) { return label == 1 ? "bonafide" : "spoof"; }

Corpus readProtocolCorpus(const std::string& path, const std::string& databasePath)
{
    const Protocol protocol = readProtocol(path);
    const fs::path folder = fs::absolute(fs::path(path)).parent_path();
    std::vector<std::string> roots;
    if (!databasePath.empty())
        roots.push_back(databasePath);
    else
        roots = {folder.string(), folder.parent_path().string()};
    Corpus c;
    c.kind = Corpus::Kind::Protocol;
    c.source = path;
    c.entries.reserve(protocol.entries.size());
    for (const ProtocolEntry& p : protocol.entries) {
        CorpusEntry e;
        e.utterance = fs::path(p.file).stem().string();
        e.label = labelName(p.label);
        e.subset = p.subset;
        e.line = p.line;
        for (const std::string& root : roots)
            if (e.path.empty())
                e.path = resolveAudioPath(root, p);
        c.entries.push_back(std::move(e));
    }
    return c;
}

Corpus readFolderCorpus(const std::string& path)
{
    Corpus c;
    c.kind = Corpus::Kind::Folder;
    c.source = path;
    std::vector<std::string> files;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && isAudioExtension(it->path().extension().string()))
            files.push_back(it->path().string());
    if (ec)
        throw ConfigError(path + ": cannot list the folder (" + ec.message() + ")");
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
        CorpusEntry e;
        e.utterance = fs::path(f).stem().string();
        e.path = f;
        c.entries.push_back(std::move(e));
    }
    return c;
}

} // namespace

std::string corpusKindName(Corpus::Kind k)
{
    switch (k) {
    case Corpus::Kind::Protocol: return "protocol";
    case Corpus::Kind::Folder: return "folder";
    case Corpus::Kind::Evaluate: return "evaluate folder";
    }
    return "?";
}

int64_t Corpus::find(const std::string& utterance) const
{
    for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].utterance == utterance)
            return int64_t(i);
    return -1;
}

int64_t Corpus::findPath(const std::string& path) const
{
    if (path.empty())
        return -1;
    // The same string first (the window opens the corpus' own paths): no file-system calls.
    for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].path == path)
            return int64_t(i);
    const std::string want = canonical(path);
    for (size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].path.empty() && canonical(entries[i].path) == want)
            return int64_t(i);
    return -1;
}

size_t Corpus::trackColumn(const std::string& track)
{
    const auto it = std::find(tracks.begin(), tracks.end(), track);
    if (it != tracks.end())
        return size_t(it - tracks.begin());
    tracks.push_back(track);
    for (CorpusEntry& e : entries)
        e.auc.resize(tracks.size(), kNaN);
    return tracks.size() - 1;
}

int64_t Corpus::playable() const
{
    return std::count_if(entries.begin(), entries.end(), [](const CorpusEntry& e) { return !e.path.empty(); });
}

Corpus readCorpus(const std::string& path, const std::string& databasePath)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw ConfigError(path + ": no such file or folder");
    Corpus c;
    if (fs::is_directory(path, ec)) {
        const fs::path jsonl = fs::path(path) / "utterances.jsonl";
        if (fs::is_regular_file(jsonl, ec)) {
            c.kind = Corpus::Kind::Evaluate;
            c.source = path;
            std::vector<EvalRecord> records = readEvalRecords(jsonl.string(), /*repair=*/false);
            std::sort(records.begin(), records.end(),
                      [](const EvalRecord& a, const EvalRecord& b) { return a.utterance < b.utterance; });
            addEvalRecords(c, records);
            if (c.entries.empty())
                throw ConfigError(jsonl.string() + ": the evaluate folder has no utterance yet");
            return c;
        }
        c = readFolderCorpus(path);
        if (c.entries.empty()) {
            std::string list;
            for (std::string_view x : kAudioExtensions)
                list += (list.empty() ? "." : ", .") + std::string(x);
            throw ConfigError(path + ": no audio files in the folder or its subfolders (" + list
                              + "), and no utterances.jsonl of an evaluate run");
        }
        return c;
    }
    if (isAudioExtension(fs::path(path).extension().string()))
        throw ConfigError(path + ": an audio file, not a corpus (open a protocol, a folder or an evaluate folder)");
    c = readProtocolCorpus(path, databasePath);
    if (c.entries.empty())
        throw ConfigError(path + ": the protocol lists no utterance");
    return c;
}

std::string evalTrackName(const EvalTrack& t)
{
    const std::string source = t.source == "detector" || t.source.empty() ? std::string("detector")
                                                                          : fs::path(t.source).stem().string();
    return t.method + ":" + source;
}

double moduleDisagreement(const std::vector<const std::vector<float>*>& modules)
{
    std::vector<const std::vector<float>*> usable;
    for (const std::vector<float>* m : modules)
        if (m && m->size() >= 2 && (usable.empty() || m->size() == usable.front()->size()))
            usable.push_back(m);
    if (usable.size() < 2)
        return kNaN;
    double sum = 0;
    int pairs = 0;
    for (size_t i = 0; i < usable.size(); ++i)
        for (size_t j = i + 1; j < usable.size(); ++j) {
            sum += spearmanCorrelation(*usable[i], *usable[j]);
            ++pairs;
        }
    return 1.0 - sum / pairs;
}

int64_t addEvalRecords(Corpus& corpus, const std::vector<EvalRecord>& records)
{
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < corpus.entries.size(); ++i)
        index.emplace(corpus.entries[i].utterance, i);
    int64_t joined = 0;
    for (const EvalRecord& r : records) {
        auto it = index.find(r.utterance);
        if (it == index.end()) {
            CorpusEntry e;
            e.utterance = r.utterance;
            e.path = r.path;
            e.auc.assign(corpus.tracks.size(), kNaN);
            corpus.entries.push_back(std::move(e));
            it = index.emplace(r.utterance, corpus.entries.size() - 1).first;
        }
        ++joined;
        const size_t i = it->second;
        {
            CorpusEntry& e = corpus.entries[i];
            e.score = r.score;
            if (e.label.empty())
                e.label = r.label;
            if (e.path.empty()) {
                std::error_code ec;
                if (fs::is_regular_file(r.path, ec))
                    e.path = r.path;
            }
        }
        std::vector<const std::vector<float>*> modules;
        for (const EvalTrack& t : r.tracks) {
            const size_t col = corpus.trackColumn(evalTrackName(t));
            corpus.entries[i].auc[col] = t.loc.frameAuc;
            if (t.method == "stage2" && !t.values.empty())
                modules.push_back(&t.values);
        }
        corpus.entries[i].disagreement = moduleDisagreement(modules);
    }
    return joined;
}

std::vector<size_t> corpusOrder(const Corpus& corpus, CorpusSortKey key, bool descending, size_t aucColumn)
{
    std::vector<size_t> order(corpus.entries.size());
    std::iota(order.begin(), order.end(), size_t(0));
    if (key == CorpusSortKey::List) {
        if (descending)
            std::reverse(order.begin(), order.end());
        return order;
    }
    auto number = [&](const CorpusEntry& e) {
        switch (key) {
        case CorpusSortKey::Score: return e.score;
        case CorpusSortKey::Disagreement: return e.disagreement;
        case CorpusSortKey::Auc: return aucColumn < e.auc.size() ? e.auc[aucColumn] : kNaN;
        default: return kNaN;
        }
    };
    auto text = [&](const CorpusEntry& e) -> const std::string& {
        return key == CorpusSortKey::Utterance ? e.utterance : e.label;
    };
    const bool textual = key == CorpusSortKey::Utterance || key == CorpusSortKey::Label;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const CorpusEntry& x = corpus.entries[a];
        const CorpusEntry& y = corpus.entries[b];
        if (textual) {
            const std::string &s = text(x), &t = text(y);
            if (s.empty() != t.empty())
                return t.empty();  // unknown last
            return descending ? t < s : s < t;
        }
        const double u = number(x), v = number(y);
        if (std::isnan(u) != std::isnan(v))
            return std::isnan(v);  // unknown last
        if (std::isnan(u))
            return false;
        return descending ? v < u : u < v;
    });
    return order;
}

} // namespace spooflens::core
