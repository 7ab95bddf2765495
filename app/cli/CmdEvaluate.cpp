// `spooflens evaluate --detector D [--xai X]... [--method M]... --protocol P
//  --database-path DIR [--subset S] [--labels L] --out OUT [--json] [--shard K/N]`
// and `spooflens evaluate --merge OUT1 OUT2 ... --out OUT [--json]`:
// faithfulness and localisation of every explainer over a protocol
// (docs/metrics.md). Resumable (utterances already in OUT/utterances.jsonl
// are skipped; a torn last line is dropped), shardable, mergeable. The
// detector runs on --batch equal-length utterances at once while the next ones
// are decoded (docs/speed.md); the explainers then run per utterance.
#include "app/cli/AudioWarning.h"
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/BatchRun.h"
#include "core/explain/Evaluation.h"
#include "core/explain/Explainer.h"
#include "core/explain/GroundTruth.h"
#include "core/training/FeatureCache.h"
#include "core/training/Protocol.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

namespace fs = std::filesystem;

namespace spooflens::cli {
namespace {

struct EvaluateArgs {
    DetectorArgs detector;
    std::vector<std::string> xai, methods, merge;
    std::string protocol, databasePath, subset, labels, out, shard = "0/1";
    bool json = false, quiet = false, strict = false;
    uint64_t seed = 1234;
    int resamples = 1000;
    // 1: a merged sharded run equals a single run bit for bit (batched passes
    // differ from batch 1 by ~1e-6, docs/speed.md); --batch N trades that for speed.
    int batch = 1;
};

std::string stemOf(const std::string& file) { return fs::path(file).stem().string(); }

std::string formatDuration(double s)
{
    char b[32];
    const auto t = int64_t(s + 0.5);
    if (t >= 3600)
        std::snprintf(b, sizeof b, "%lld:%02lld:%02lld", (long long)(t / 3600), (long long)(t / 60 % 60), (long long)(t % 60));
    else
        std::snprintf(b, sizeof b, "%lld:%02lld", (long long)(t / 60), (long long)(t % 60));
    return b;
}

// Appends one line with a single write(2), so a kill leaves whole lines and at most one torn tail.
class LineAppender {
public:
    explicit LineAppender(const std::string& path) : m_path(path)
    {
        m_fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0)
            throw core::ConfigError(path + ": cannot open for appending");
    }
    ~LineAppender()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    void append(std::string line)
    {
        line.push_back('\n');
        size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
            if (n < 0)
                throw core::ConfigError(m_path + ": write failed");
            done += size_t(n);
        }
    }

private:
    std::string m_path;
    int m_fd = -1;
};

core::EvalSummaryOptions summaryOptions(const EvaluateArgs& a, const std::string& detector)
{
    core::EvalSummaryOptions o;
    o.seed = a.seed;
    o.resamples = a.resamples;
    o.detector = detector;
    return o;
}

int finish(const EvaluateArgs& a, const std::vector<core::EvalRecord>& records, const std::string& detector)
{
    const std::string summary = core::writeEvalSummary(records, a.out, summaryOptions(a, detector));
    if (a.json)
        std::cout << summary << "\n";
    else if (!a.quiet)
        std::cout << "evaluated " << records.size() << " utterances: " << a.out << "/summary.json, " << a.out
                  << "/report.md\n";
    return kExitOk;
}

int runMerge(const EvaluateArgs& a)
{
    std::vector<core::EvalRecord> all;
    std::map<std::string, std::string> seen;  // utterance -> its JSON line
    std::string detector;
    for (const std::string& dir : a.merge) {
        const std::string file = (fs::path(dir) / "utterances.jsonl").string();
        if (!fs::is_regular_file(file))
            throw core::ConfigError(dir + ": no utterances.jsonl (not an evaluate output folder)");
        bool torn = false;
        for (core::EvalRecord& r : core::readEvalRecords(file, false, &torn)) {
            const std::string line = core::evalRecordToJson(r);
            const auto [it, inserted] = seen.emplace(r.utterance, line);
            if (!inserted) {
                if (it->second != line)
                    throw core::ConfigError(file + ": utterance '" + r.utterance +
                                            "' is also in an earlier folder with different results");
                continue;
            }
            all.push_back(std::move(r));
        }
        if (torn)
            std::cerr << "spooflens evaluate: " << file << ": dropped a torn last line\n";
        if (detector.empty()) {
            std::ifstream s(fs::path(dir) / "summary.json");
            if (s) {
                try {
                    detector = nlohmann::json::parse(s).at("detector").at("path").get<std::string>();
                } catch (const nlohmann::json::exception&) {
                }
            }
        }
    }
    fs::create_directories(a.out);
    const std::string outFile = (fs::path(a.out) / "utterances.jsonl").string();
    {
        std::ofstream f(outFile, std::ios::trunc);
        for (const auto& [utt, line] : seen)
            f << line << "\n";
        if (!f)
            throw core::ConfigError(outFile + ": write failed");
    }
    return finish(a, all, detector);
}

int runEvaluate(const EvaluateArgs& a)
{
    if (!a.merge.empty())
        return runMerge(a);
    if (a.detector.checkpoint.empty() || a.protocol.empty()) {
        std::cerr << "spooflens evaluate: --detector and --protocol are required (or --merge OUT1 OUT2 ...)\n";
        return kExitUsage;
    }
    std::vector<core::AttributionMethod> methods;
    try {
        for (const std::string& m : a.methods)
            methods.push_back(core::parseMethod(m));
    } catch (const core::ConfigError& e) {
        std::cerr << "spooflens evaluate: " << e.what() << "\n";
        return kExitUsage;
    }
    if (methods.empty())
        for (core::AttributionMethod m : core::allMethods())
            // wave-occlusion costs one whole-detector pass per frame: asked for by name only.
            if ((!core::methodNeedsStage2(m) || !a.xai.empty()) && m != core::AttributionMethod::WaveOcclusion)
                methods.push_back(m);
    for (core::AttributionMethod m : methods)
        if (core::methodNeedsStage2(m) && a.xai.empty()) {
            std::cerr << "spooflens evaluate: method '" << core::methodName(m) << "' needs a Stage 2 module (--xai)\n";
            return kExitUsage;
        }
    const auto [shardK, shardN] = core::parseShard(a.shard);

    // Protocol, subset, shard.
    const core::Protocol protocol = core::readProtocol(a.protocol);
    std::set<std::string> protocolIds;
    for (const auto& e : protocol.entries)
        protocolIds.insert(stemOf(e.file));
    std::vector<const core::ProtocolEntry*> entries;
    core::Protocol selected;  // the rows of the subset, all shards: a duplicate may straddle two
    std::vector<std::string> selectedIds;
    int64_t index = 0;
    for (const auto& e : protocol.entries) {
        if (!a.subset.empty() && e.subset != a.subset)
            continue;
        selected.entries.push_back(e);
        selectedIds.push_back(stemOf(e.file));
        if (index++ % shardN == shardK)
            entries.push_back(&e);
    }
    // Results are keyed by utterance id: the same id twice weighs double in the summary (docs/reliability.md).
    for (const std::string& w : core::enforceProtocolChecks(core::checkProtocol(selected, selectedIds, ""), a.protocol,
                                                            false, a.strict))
        std::cerr << "warning: " << escapeControl(w) << "\n";

    // Ground truth given for the whole set: every labelled utterance must exist.
    core::LabelSet labelSet;
    if (!a.labels.empty()) {
        labelSet = core::readLabels(a.labels);
        for (const auto& [id, u] : labelSet)
            if (!protocolIds.count(id))
                throw core::ConfigError((u.segments.empty() ? u.source : u.segments.front().origin) +
                                        ": labels for utterance '" + id + "', which is not in the protocol " + a.protocol);
    }

    fs::create_directories(a.out);
    const std::string jsonl = (fs::path(a.out) / "utterances.jsonl").string();
    bool torn = false;
    std::set<std::string> done;
    for (const auto& r : core::readEvalRecords(jsonl, true, &torn))
        done.insert(r.utterance);
    if (torn)
        std::cerr << "spooflens evaluate: " << jsonl << ": dropped a torn last line (resuming)\n";

    core::Explainer explainer(a.detector.options());
    for (const std::string& x : a.xai) {
        const core::Stage2Info info = explainer.addStage2(x);
        if (info.detectorMismatch)
            std::cerr << "warning: " << x << " was trained on another detector\n";
    }
    core::ExplainRequest request;
    request.cut = a.detector.cutMode();
    request.methods = methods;
    request.faithfulness = true;

    LineAppender appender(jsonl);
    int64_t todo = 0;
    for (const auto* e : entries)
        todo += done.count(stemOf(e->file)) ? 0 : 1;
    if (!a.quiet)
        std::cerr << "evaluate: " << entries.size() << " utterances in shard " << shardK << "/" << shardN << ", "
                  << (int64_t(entries.size()) - todo) << " already done, " << todo << " to go\n";
    std::vector<const core::ProtocolEntry*> pending;
    for (const auto* e : entries)
        if (!done.count(stemOf(e->file)))
            pending.push_back(e);
    // Decoded on the prefetch thread; slot k is read only after input k is delivered.
    std::vector<core::AudioData> audio(pending.size());
    const auto start = std::chrono::steady_clock::now();
    int64_t processed = 0, failed = 0;
    const auto progressLine = [&](const std::string& id) {
        ++processed;
        if (!a.quiet) {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double eta = elapsed / double(processed) * double(todo - processed);
            std::cerr << "[" << processed << "/" << todo << "] " << id << "  elapsed " << formatDuration(elapsed)
                      << "  ETA " << formatDuration(eta) << "\n";
        }
    };
    const auto skip = [&](const std::string& id, const std::string& why) {
        ++failed;
        std::cerr << "spooflens evaluate: " << id << ": " << why << " (skipped)\n";
    };
    core::BatchRunOptions batchOptions;
    batchOptions.batch = a.batch;
    batchOptions.cut = request.cut;
    core::runDetectorBatched(
        explainer.detector(), pending.size(),
        [&](size_t k) {
            const core::ProtocolEntry* entry = pending[k];
            const std::string path = core::resolveAudioPath(a.databasePath, *entry);
            if (path.empty())
                throw core::AudioError(a.protocol + ":" + std::to_string(entry->line) + ": audio file '" + entry->file +
                                       "' not found under " + a.databasePath);
            audio[k] = core::loadAudio(path);
            return audio[k].samples;
        },
        [&](size_t k, core::DetectorResult&& detected) {
            const core::ProtocolEntry* entry = pending[k];
            const std::string id = stemOf(entry->file);
            try {
                const std::string& path = audio[k].path;
                warnIfEndedEarly(audio[k]);
                std::vector<uint8_t> frames;
                bool hasLabels = false;
                const int64_t samples = int64_t(audio[k].samples.size());
                auto it = labelSet.find(id);
                if (it != labelSet.end()) {
                    frames = core::frameLabels(it->second, samples, explainer.detectorInfo().grid);
                    hasLabels = true;
                } else if (a.labels.empty()) {
                    const std::string next = core::labelFileNextTo(path);
                    if (!next.empty()) {
                        frames = core::frameLabels(core::readAudacityLabels(next), samples, explainer.detectorInfo().grid);
                        hasLabels = true;
                    }
                }
                core::Explanation ex = explainer.explain(audio[k], std::move(detected), request);
                ex.path = path;
                if (hasLabels && int64_t(frames.size()) != ex.frames)
                    throw core::ConfigError(id + ": the labels give " + std::to_string(frames.size()) +
                                            " frames but the detector " + std::to_string(ex.frames) +
                                            " (use --cut full to localise)");
                const core::EvalRecord rec = core::makeEvalRecord(ex, id, entry->label == 1 ? "bonafide" : "spoof",
                                                                  hasLabels ? &frames : nullptr);
                appender.append(core::evalRecordToJson(rec));
            } catch (const core::Error& e) {
                skip(id, e.what());
            }
            audio[k] = core::AudioData();
            progressLine(id);
        },
        [&](size_t k, std::exception_ptr error) {
            const std::string id = stemOf(pending[k]->file);
            try {
                std::rethrow_exception(error);
            } catch (const core::Error& e) {
                skip(id, e.what());
            }
            audio[k] = core::AudioData();
            progressLine(id);
        },
        batchOptions);
    const std::vector<core::EvalRecord> records = core::readEvalRecords(jsonl, false);
    const int rc = finish(a, records, a.detector.checkpoint);
    if (failed > 0) {
        std::cerr << "spooflens evaluate: " << failed << " utterance(s) failed and were skipped\n";
        return kExitFailure;
    }
    return rc;
}

const bool kRegistered = registerCommand("evaluate", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<EvaluateArgs>();
    CLI::App* sub = app.add_subcommand("evaluate", "Faithfulness and localisation of every explainer over a protocol");
    addDetectorOptions(sub, a->detector);
    sub->get_option("--detector")->required(false);
    sub->add_option("--xai", a->xai, "Stage 2 checkpoint (repeatable)");
    sub->add_option("--method", a->methods,
                    "Explainer (repeatable): stage2, stage2-contrast, occlusion, gradxinput, ig, rollout, gatr, random, "
                    "window, wave-occlusion, wave-gradxinput; default: every method that applies but wave-occlusion");
    sub->add_option("--protocol", a->protocol, "Protocol (3-column, ASVspoof 2019 LA, In-the-Wild meta.csv, CSV)");
    sub->add_option("--database-path", a->databasePath, "Folder the protocol's paths are relative to");
    sub->add_option("--subset", a->subset, "Only this subset (train, dev, eval)")->check(CLI::IsMember({"train", "dev", "eval"}));
    sub->add_option("--labels", a->labels,
                    "Ground truth: a folder of Audacity label files, a CSV/TSV, or a PartialSpoof *_seglab_*.npy "
                    "(default: a .txt/.lab next to each audio file)");
    sub->add_option("--out", a->out, "Output folder")->required();
    sub->add_flag("--json", a->json, "Print summary.json on stdout");
    sub->add_option("--shard", a->shard, "Process utterances with index % N == K (K = 0..N-1)");
    sub->add_option("--merge", a->merge, "Merge these evaluate output folders into --out (no detector run)")
        ->expected(1, -1);
    sub->add_option("--seed", a->seed, "Bootstrap seed (default 1234)");
    sub->add_option("--resamples", a->resamples, "Bootstrap resamples (default 1000)")->check(CLI::PositiveNumber);
    sub->add_flag("--quiet", a->quiet, "No progress on stderr");
    sub->add_option("--batch", a->batch,
                    "Utterances of equal length per detector pass (default 1: shards merge bit-identically; "
                    "docs/speed.md)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--strict", a->strict, "An utterance listed twice in the protocol is an error (default: a warning)");
    return [a] { return runEvaluate(*a); };
});

} // namespace
} // namespace spooflens::cli
