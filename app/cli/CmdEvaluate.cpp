// `spooflens evaluate --detector D [--xai X]... [--method M]... --protocol P
//  --database-path DIR [--subset S] [--labels L] --out OUT [--json] [--shard K/N]`
// and `spooflens evaluate --merge OUT1 OUT2 ... --out OUT [--json]`:
// faithfulness and localisation of every explainer over a protocol, with the
// metrics of the field (frame F1, range-based EER, RCQ, ROAD and, with
// --randomisation, the model-randomisation check; docs/metrics.md). Resumable (utterances already in OUT/utterances.jsonl
// are skipped; a torn last line is dropped), shardable, mergeable; OUT/run.json
// records what determines the results, and a resume or merge of another
// configuration is refused (docs/reliability.md, "Evaluate folders"). The
// detector runs on --batch equal-length utterances at once while the next ones
// are decoded (docs/speed.md); the explainers then run per utterance.
#include "app/cli/AudioWarning.h"
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/BatchRun.h"
#include "core/explain/EvalRun.h"
#include "core/explain/Evaluation.h"
#include "core/explain/Explainer.h"
#include "core/explain/GroundTruth.h"
#include "core/training/FeatureCache.h"
#include "core/training/Protocol.h"
#include "core/util/Sha256.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace spooflens::cli {
namespace {

struct EvaluateArgs {
    DetectorArgs detector;
    std::vector<std::string> xai, methods, merge;
    std::string protocol, databasePath, subset, labels, out, shard = "0/1";
    bool json = false, quiet = false, strict = false, randomisation = false;
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

core::EvalSummaryOptions summaryOptions(const EvaluateArgs& a, const std::string& detector, int64_t labelsIgnored)
{
    core::EvalSummaryOptions o;
    o.seed = a.seed;
    o.resamples = a.resamples;
    o.detector = detector;
    o.labelsIgnored = labelsIgnored;
    return o;
}

int finish(const EvaluateArgs& a, const std::vector<core::EvalRecord>& records, const std::string& detector,
           int64_t labelsIgnored)
{
    const std::string summary = core::writeEvalSummary(records, a.out, summaryOptions(a, detector, labelsIgnored));
    if (a.json)
        std::cout << summary << "\n";
    else if (!a.quiet)
        std::cout << "evaluated " << records.size() << " utterances: " << a.out << "/summary.json, " << a.out
                  << "/report.md\n";
    return kExitOk;
}

std::string shardName(int64_t k, int64_t n) { return std::to_string(k) + "/" + std::to_string(n); }

/// The shards of one run, each once (docs/reliability.md, "Evaluate folders"):
/// the same fingerprint, the same N, every K of N present. Throws ConfigError naming the difference.
std::vector<core::EvalRunConfig> checkShardsBelongTogether(const std::vector<std::string>& dirs)
{
    std::vector<core::EvalRunConfig> runs;
    for (const std::string& dir : dirs) {
        std::optional<core::EvalRunConfig> c = core::readEvalRunConfig(dir);
        if (!c)
            throw core::ConfigError(dir + ": no " + core::kEvalRunFile + " (written by an older SpoofLens?): cannot "
                                    "check that it belongs with the other folders; evaluate it again into a new folder");
        runs.push_back(*c);
    }
    std::map<int64_t, std::string> byIndex;
    for (size_t i = 0; i < runs.size(); ++i) {
        const std::vector<std::string> diff = core::evalRunDifferences(runs[0], dirs[0], runs[i], "in " + dirs[i]);
        if (!diff.empty()) {
            std::string msg = "cannot merge " + dirs[i] + " with " + dirs[0] + ": they were made by different runs:";
            for (const std::string& d : diff)
                msg += "\n  " + d;
            throw core::ConfigError(msg);
        }
        if (runs[i].shardCount != runs[0].shardCount)
            throw core::ConfigError("cannot merge " + dirs[i] + " (shard " + shardName(runs[i].shardIndex, runs[i].shardCount)
                                    + ") with " + dirs[0] + " (shard " + shardName(runs[0].shardIndex, runs[0].shardCount)
                                    + "): different shard schemes");
        const auto [it, inserted] = byIndex.emplace(runs[i].shardIndex, dirs[i]);
        if (!inserted)
            throw core::ConfigError("shard " + shardName(runs[i].shardIndex, runs[i].shardCount) + " is given twice: "
                                    + it->second + " and " + dirs[i]);
    }
    std::string missing;
    for (int64_t k = 0; k < runs[0].shardCount; ++k)
        if (!byIndex.count(k))
            missing += (missing.empty() ? "" : ", ") + shardName(k, runs[0].shardCount);
    if (!missing.empty())
        throw core::ConfigError("cannot merge: shard(s) " + missing + " missing (given: " + std::to_string(dirs.size())
                                + " of " + std::to_string(runs[0].shardCount) + ")");
    return runs;
}

int runMerge(const EvaluateArgs& a)
{
    const std::vector<core::EvalRunConfig> runs = checkShardsBelongTogether(a.merge);
    std::vector<core::EvalRecord> all;
    std::map<std::string, std::pair<std::string, std::string>> seen;  // utterance -> its JSON line, its folder
    std::string detector;
    bool incomplete = false;
    for (size_t i = 0; i < a.merge.size(); ++i) {
        const std::string& dir = a.merge[i];
        const std::string file = (fs::path(dir) / "utterances.jsonl").string();
        if (!fs::is_regular_file(file))
            throw core::ConfigError(dir + ": no utterances.jsonl (not an evaluate output folder)");
        bool torn = false;
        int64_t count = 0;
        for (core::EvalRecord& r : core::readEvalRecords(file, false, &torn)) {
            const auto [it, inserted] = seen.emplace(r.utterance, std::make_pair(core::evalRecordToJson(r), dir));
            // Each utterance belongs to one shard: a second copy means the folders do not fit together.
            if (!inserted)
                throw core::ConfigError("utterance '" + r.utterance + "' is in two shards: " + it->second.second
                                        + " and " + dir + " (nothing merged)");
            ++count;
            all.push_back(std::move(r));
        }
        if (torn)
            std::cerr << "spooflens evaluate: " << file << ": dropped a torn last line\n";
        if (count != runs[i].utterances) {
            std::cerr << "spooflens evaluate: " << dir << " (shard " << shardName(runs[i].shardIndex, runs[i].shardCount)
                      << ") holds " << count << " of its " << runs[i].utterances
                      << " utterances (failed or not finished: run its evaluate command again)\n";
            incomplete = true;
        }
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
        for (const auto& [utt, entry] : seen)
            f << entry.first << "\n";
        if (!f)
            throw core::ConfigError(outFile + ": write failed");
    }
    // The merged folder is the whole run: shard 0/1 of the same fingerprint.
    core::EvalRunConfig merged = runs[0];
    merged.shardIndex = 0;
    merged.shardCount = 1;
    merged.utterances = 0;
    for (const core::EvalRunConfig& r : runs)
        merged.utterances += r.utterances;
    core::writeEvalRunConfig(merged, a.out);
    const int rc = finish(a, all, detector, runs[0].labelsIgnored);
    return incomplete ? kExitFailure : rc;
}

std::string absolute(const std::string& path)
{
    if (path.empty())
        return path;
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(path, ec);
    return ec ? fs::absolute(path).string() : p.string();
}

/// SHA-256 of the labels of `ids` as read (times, classes, resolution): the
/// ground truth this run uses, whatever else the label source holds.
std::string labelsDigest(const core::LabelSet& labels, const std::vector<std::string>& ids)
{
    std::ostringstream s;
    s << std::setprecision(17);
    for (const std::string& id : std::set<std::string>(ids.begin(), ids.end())) {
        const auto it = labels.find(id);
        if (it == labels.end())
            continue;
        s << id << " " << it->second.resolution << "\n";
        for (const core::LabelSegment& seg : it->second.segments)
            s << seg.start << " " << seg.end << " " << seg.spoof << "\n";
    }
    return core::sha256Bytes(s.str());
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
    std::vector<const core::ProtocolEntry*> entries;
    core::Protocol selected;  // the rows of the subset, all shards: a duplicate may straddle two
    std::vector<std::string> selectedIds;
    std::map<std::string, const core::ProtocolEntry*> firstOfId;
    int64_t index = 0;
    for (const auto& e : protocol.entries) {
        if (!a.subset.empty() && e.subset != a.subset)
            continue;
        selected.entries.push_back(e);
        selectedIds.push_back(stemOf(e.file));
        // Results are keyed by utterance id: an id listed again is evaluated and counted once, in
        // the shard of its first row; two different rows with one id cannot both be kept.
        const auto [first, isNew] = firstOfId.emplace(selectedIds.back(), &e);
        if (!isNew) {
            if (first->second->file != e.file || first->second->label != e.label)
                throw core::ConfigError(a.protocol + ": lines " + std::to_string(first->second->line) + " and "
                                        + std::to_string(e.line) + " are different rows with the utterance id '"
                                        + selectedIds.back() + "' (results are kept per id: rename one)");
            continue;
        }
        if (index++ % shardN == shardK)
            entries.push_back(&e);
    }
    // docs/reliability.md ("Suspicious protocols"): a warning, or an error with --strict.
    const core::ProtocolChecks checks = core::checkProtocol(selected, selectedIds, "");
    core::enforceProtocolChecks(checks, a.protocol, false, a.strict);
    if (checks.duplicates > 0)
        std::cerr << "warning: " << escapeControl(a.protocol) << ": " << checks.duplicates
                  << " duplicated utterance(s), each evaluated and counted once; first: "
                  << escapeControl(checks.firstDuplicate) << "\n";

    // Ground truth: labels of utterances this run does not evaluate (a PartialSpoof label
    // folder, a subset protocol) are ignored and counted.
    core::LabelSet labelSet;
    int64_t labelsIgnored = -1;
    if (!a.labels.empty()) {
        labelSet = core::readLabels(a.labels);
        labelsIgnored = 0;
        for (auto it = labelSet.begin(); it != labelSet.end();) {
            if (firstOfId.count(it->first)) {
                ++it;
            } else {
                it = labelSet.erase(it);
                ++labelsIgnored;
            }
        }
        if (labelsIgnored > 0 && !a.quiet)
            std::cerr << "evaluate: " << labelsIgnored << " labelled utterance(s) in " << a.labels
                      << " are not evaluated by this run (ignored)\n";
    }

    core::Explainer explainer(a.detector.options());
    std::vector<std::string> stage2;
    for (const std::string& x : a.xai) {
        const core::Stage2Info info = explainer.addStage2(x);
        if (info.detectorMismatch)
            std::cerr << "warning: " << x << " was trained on another detector\n";
        stage2.push_back(absolute(x) + " (sha256 " + core::sha256File(x) + ")");
    }
    core::ExplainRequest request;
    request.cut = a.detector.cutMode();
    request.methods = methods;
    request.faithfulness = true;
    request.road = true;
    request.randomisation = a.randomisation;

    // What determines the records (docs/reliability.md, "Evaluate folders"). The bootstrap
    // --seed and --resamples are not in it: the summary is recomputed from all records each time.
    core::EvalRunConfig run;
    {
        const core::DetectorInfo& det = explainer.detectorInfo();
        auto& f = run.fingerprint;
        f["detector_sha256"] = det.sha256;
        f["detector_config"] = a.detector.config.empty() ? std::string("none")
                                                         : "sha256 " + core::sha256File(a.detector.config);
        f["device"] = det.device;
        f["precision"] = det.precision;
        f["cut"] = a.detector.cut;
        std::ostringstream limit;
        limit << a.detector.singlePassLimit;
        f["single_pass_limit"] = limit.str();
        f["batch"] = std::to_string(a.batch);
        std::string list;
        for (const std::string& m : stage2)
            list += (list.empty() ? "" : "; ") + m;
        f["stage2"] = list.empty() ? std::string("none") : list;
        list.clear();
        for (core::AttributionMethod m : methods)
            list += (list.empty() ? "" : ",") + std::string(core::methodName(m));
        f["methods"] = list;
        const core::AttributionOptions& eo = request.options;
        f["explainer_options"] = "occlusion_window=" + std::to_string(eo.occlusionWindow) + " occlusion_stride="
                                 + std::to_string(eo.occlusionStride) + " ig_steps=" + std::to_string(eo.igSteps)
                                 + " ig_baseline=" + (eo.igZeroBaseline ? "zero" : "mean")
                                 + " random_seed=" + std::to_string(eo.randomSeed);
        f["protocol"] = "sha256 " + core::sha256File(a.protocol);
        f["subset"] = a.subset.empty() ? std::string("all") : a.subset;
        f["database_path"] = absolute(a.databasePath);
        // Keys added with a metric: a folder made before it has "(not recorded)" and is not resumed.
        f["road"] = "fractions 0-0.9 step 0.1, noisy linear imputation over frames, noise 0.01 x range, seed "
                    + std::to_string(request.roadSeed);
        if (a.randomisation)
            f["randomisation"] = "cascading back-end re-initialisation, seed " + std::to_string(request.randomisationSeed);
        f["labels"] = a.labels.empty() ? std::string("label files next to the audio")
                                       : absolute(a.labels) + " (sha256 of the labels used "
                                             + labelsDigest(labelSet, selectedIds) + ")";
    }
    run.shardIndex = shardK;
    run.shardCount = shardN;
    run.utterances = int64_t(entries.size());
    run.labelsIgnored = labelsIgnored;

    // Resume only what this configuration made; refuse anything else.
    fs::create_directories(a.out);
    const std::string jsonl = (fs::path(a.out) / "utterances.jsonl").string();
    const std::string ways = "use another --out, or delete " + a.out + " to evaluate from scratch";
    const std::optional<core::EvalRunConfig> before = core::readEvalRunConfig(a.out);
    if (before) {
        std::vector<std::string> diff = core::evalRunDifferences(*before, a.out, run, "this run");
        if (before->shardIndex != shardK || before->shardCount != shardN)
            diff.push_back("shard: " + shardName(before->shardIndex, before->shardCount) + " (in " + a.out + ") vs "
                           + shardName(shardK, shardN) + " (this run)");
        if (!diff.empty()) {
            std::string msg = a.out + " holds the results of another configuration:";
            for (const std::string& d : diff)
                msg += "\n  " + d;
            throw core::ConfigError(msg + "\n" + ways);
        }
    }
    bool torn = false;
    std::set<std::string> done;
    {
        std::set<std::string> shardIds;
        for (const auto* e : entries)
            shardIds.insert(stemOf(e->file));
        const std::vector<core::EvalRecord> previous = core::readEvalRecords(jsonl, false, &torn);
        if (!before && !previous.empty())
            throw core::ConfigError(a.out + " holds " + std::to_string(previous.size()) + " results but no "
                                    + core::kEvalRunFile + " (made by an older SpoofLens?): its configuration "
                                    "cannot be checked; " + ways);
        for (const auto& r : previous) {
            if (!shardIds.count(r.utterance))
                throw core::ConfigError(jsonl + ": utterance '" + r.utterance + "' is not among the "
                                        + std::to_string(shardIds.size()) + " utterances of this run (" + a.protocol
                                        + (a.subset.empty() ? "" : ", subset " + a.subset) + ", shard "
                                        + shardName(shardK, shardN) + "); " + ways);
            if (!done.insert(r.utterance).second)
                throw core::ConfigError(jsonl + ": utterance '" + r.utterance + "' is recorded twice; " + ways);
        }
    }
    if (torn) {
        core::readEvalRecords(jsonl, true);
        std::cerr << "spooflens evaluate: " << jsonl << ": dropped a torn last line (resuming)\n";
    }
    if (!before)
        core::writeEvalRunConfig(run, a.out);

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
                std::vector<std::pair<double, double>> spoofSeconds;
                bool hasLabels = false;
                const int64_t samples = int64_t(audio[k].samples.size());
                auto it = labelSet.find(id);
                if (it != labelSet.end()) {
                    frames = core::frameLabels(it->second, samples, explainer.detectorInfo().grid);
                    spoofSeconds = it->second.spoofIntervals();
                    hasLabels = true;
                } else if (a.labels.empty()) {
                    const std::string next = core::labelFileNextTo(path);
                    if (!next.empty()) {
                        const core::UtteranceLabels nextLabels = core::readAudacityLabels(next);
                        frames = core::frameLabels(nextLabels, samples, explainer.detectorInfo().grid);
                        spoofSeconds = nextLabels.spoofIntervals();
                        hasLabels = true;
                    }
                }
                core::Explanation ex = explainer.explain(audio[k], std::move(detected), request);
                ex.path = path;
                if (hasLabels && int64_t(frames.size()) != ex.frames)
                    throw core::ConfigError(id + ": the labels give " + std::to_string(frames.size()) +
                                            " frames but the detector " + std::to_string(ex.frames) +
                                            " (use --cut full to localise)");
                // The reference times only where they describe the detector's input (cut full).
                const bool uncut = ex.samples == samples;
                const core::EvalRecord rec = core::makeEvalRecord(ex, id, entry->label == 1 ? "bonafide" : "spoof",
                                                                  hasLabels ? &frames : nullptr,
                                                                  hasLabels && uncut ? &spoofSeconds : nullptr);
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
    const int rc = finish(a, records, a.detector.checkpoint, labelsIgnored);
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
    sub->add_flag("--randomisation", a->randomisation,
                  "Also the model-randomisation check: every method again on the detector with its back-end "
                  "re-initialised from the top down, layer group by layer group (docs/metrics.md; costs one run of "
                  "the methods per group: 6 for XLS-R + TCM, 4 for AASIST)");
    sub->add_flag("--strict", a->strict, "An utterance listed twice in the protocol is an error (default: a warning)");
    return [a] { return runEvaluate(*a); };
});

} // namespace
} // namespace spooflens::cli
