#include "core/explain/Evaluation.h"

#include "core/Error.h"
#include "core/util/JsonText.h"
#include "core/util/LinePlot.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace spooflens::core {

namespace {

/// The runs of consecutive spoof frames, [first, end) each, in order.
std::vector<std::pair<size_t, size_t>> spoofRuns(const std::vector<uint8_t>& labels)
{
    std::vector<std::pair<size_t, size_t>> runs;
    for (size_t t = 0; t < labels.size();) {
        if (!labels[t]) {
            ++t;
            continue;
        }
        size_t e = t;
        while (e < labels.size() && labels[e])
            ++e;
        runs.emplace_back(t, e);
        t = e;
    }
    return runs;
}

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double numOf(const json& j) { return j.is_number() ? j.get<double>() : kNaN; }

// Short, exact-on-reread text for attribution values: 7 significant digits.
double rounded(float v)
{
    if (!std::isfinite(v))
        return kNaN;
    char b[32];
    std::snprintf(b, sizeof b, "%.7g", double(v));
    return std::strtod(b, nullptr);
}

std::string trackName(const std::string& method, const std::string& source)
{
    if (source.empty() || source == "detector")
        return method;
    return method + " (" + fs::path(source).stem().string() + ")";
}

const char* const kMetricKeys[] = {"deletion_auc", "insertion_auc", "frame_auc", "frame_eer",
                                   "ap", "pointing_game", "relevance_mass", "iou_topk",
                                   "frame_f1", "frame_precision", "frame_recall", "range_eer",
                                   "rcq_bonafide", "rcq_spoof", "rcq_transition",
                                   "road_morf_auc", "road_lerf_auc", "road_gap"};
// The keys of the first record format; later ones may be absent in older files.
constexpr size_t kFirstFormatKeys = 8;

double metricOf(const EvalTrack& t, size_t k)
{
    switch (k) {
    case 0: return t.deletionAuc;
    case 1: return t.insertionAuc;
    case 2: return t.loc.frameAuc;
    case 3: return t.loc.frameEer;
    case 4: return t.loc.ap;
    case 5: return t.loc.pointingGame;
    case 6: return t.loc.relevanceMass;
    case 7: return t.loc.iouTopK;
    case 8: return t.loc.frameF1;
    case 9: return t.loc.framePrecision;
    case 10: return t.loc.frameRecall;
    case 11: return t.rangeEer;
    case 12: return t.rcq[0];
    case 13: return t.rcq[1];
    case 14: return t.rcq[2];
    case 15: return t.road.morfAuc;
    case 16: return t.road.lerfAuc;
    default: return t.road.gap();
    }
}

void setMetric(EvalTrack& t, size_t k, double v)
{
    switch (k) {
    case 0: t.deletionAuc = v; break;
    case 1: t.insertionAuc = v; break;
    case 2: t.loc.frameAuc = v; break;
    case 3: t.loc.frameEer = v; break;
    case 4: t.loc.ap = v; break;
    case 5: t.loc.pointingGame = v; break;
    case 6: t.loc.relevanceMass = v; break;
    case 7: t.loc.iouTopK = v; break;
    case 8: t.loc.frameF1 = v; break;
    case 9: t.loc.framePrecision = v; break;
    case 10: t.loc.frameRecall = v; break;
    case 11: t.rangeEer = v; break;
    case 12: t.rcq[0] = v; break;
    case 13: t.rcq[1] = v; break;
    case 14: t.rcq[2] = v; break;
    case 15: t.road.morfAuc = v; break;
    case 16: t.road.lerfAuc = v; break;
    default: break;  // road_gap: derived
    }
}

json meanCi(const MeanCi& m)
{
    return {{"mean", num(m.mean)}, {"ci_low", num(m.low)}, {"ci_high", num(m.high)}, {"n", m.n}};
}

std::string fmt(double v, const char* f = "%.3f")
{
    if (!std::isfinite(v))
        return "–";
    char b[32];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

} // namespace

int64_t referenceSamples(const EvalRecord& r)
{
    if (r.samples > 0)
        return r.samples;
    return r.frames > 0 ? r.grid.startSample(r.frames - 1) + r.grid.window : 0;
}

std::vector<std::pair<double, double>> referenceSpoofSeconds(const EvalRecord& r)
{
    if (r.hasSpoofSeconds)
        return r.spoofSeconds;
    std::vector<std::pair<double, double>> out;
    for (const auto& [t, e] : spoofRuns(r.frameLabels)) {
        // A run through the last frame is spoof to the end of the input.
        const int64_t end = e == r.frameLabels.size() ? referenceSamples(r) : r.grid.startSample(int64_t(e));
        out.emplace_back(double(r.grid.startSample(int64_t(t))) / kSampleRate, double(end) / kSampleRate);
    }
    return out;
}

void computeLabelMetrics(const EvalRecord& r, EvalTrack& t)
{
    if (!r.hasLabels || t.values.size() != r.frameLabels.size())
        return;
    t.loc = localisationMetrics(t.values, r.frameLabels);
    const auto ref = referenceSpoofSeconds(r);
    const int64_t samples = referenceSamples(r);
    RangeEer range;
    range.add(t.values, r.grid, samples, ref);
    t.rangeEer = range.eer();
    Rcq rcq;
    rcq.add(t.values, r.frameLabels, r.grid, samples, ref);
    for (size_t k = 0; k < 3; ++k)
        t.rcq[k] = rcq.rcq(RcqRegion(k));
}

EvalRecord makeEvalRecord(const Explanation& e, const std::string& utterance, const std::string& label,
                          const std::vector<uint8_t>* frameLabels,
                          const std::vector<std::pair<double, double>>* spoofSeconds)
{
    EvalRecord r;
    r.utterance = utterance;
    r.path = e.path;
    r.label = label;
    r.score = e.score;
    r.logits[0] = e.logits[0];
    r.logits[1] = e.logits[1];
    r.frames = e.frames;
    r.grid = e.grid;
    r.samples = e.samples;
    r.randomisationCuts = e.randomisationCuts;
    if (frameLabels && spoofSeconds) {
        r.spoofSeconds = *spoofSeconds;
        r.hasSpoofSeconds = true;
    }
    if (frameLabels) {
        if (int64_t(frameLabels->size()) != e.frames)
            throw ConfigError(utterance + ": " + std::to_string(frameLabels->size()) + " frame labels for " +
                              std::to_string(e.frames) + " frames");
        r.hasLabels = true;
        r.frameLabels = *frameLabels;
    }
    const bool curves = e.faithfulness.size() == e.attributions.size();
    for (size_t i = 0; i < e.attributions.size(); ++i) {
        const Attribution& a = e.attributions[i];
        EvalTrack t;
        t.method = a.method;
        t.source = a.source;
        if (curves) {
            const FaithfulnessCurves& c = e.faithfulness[i];
            t.deletionAuc = c.deletionAuc;
            t.insertionAuc = c.insertionAuc;
            t.deletion = c.deletion;
            t.insertion = c.insertion;
        }
        if (e.road.size() == e.attributions.size())
            t.road = e.road[i];
        if (e.randomisation.size() == e.attributions.size())
            t.randomisation = e.randomisation[i];
        if (r.hasLabels) {
            if (a.values.size() != r.frameLabels.size())
                throw ConfigError(utterance + ": attribution '" + a.method + "' has " + std::to_string(a.values.size()) +
                                  " values for " + std::to_string(r.frameLabels.size()) + " frames");
            for (float v : a.values)
                t.values.push_back(float(rounded(v)));
            computeLabelMetrics(r, t);
        }
        r.tracks.push_back(std::move(t));
    }
    return r;
}

std::string evalRecordToJson(const EvalRecord& r)
{
    json j;
    j["utterance"] = r.utterance;
    j["path"] = r.path;
    j["label"] = r.label;
    j["score"] = num(r.score);
    j["logits"] = json::array({num(r.logits[0]), num(r.logits[1])});
    j["frames"] = r.frames;
    j["samples"] = r.samples;
    j["hop_samples"] = r.grid.hop;
    j["window_samples"] = r.grid.window;
    j["offset_samples"] = r.grid.offset;
    if (r.hasLabels) {
        json iv = json::array();
        for (const auto& [t, e] : spoofRuns(r.frameLabels))
            iv.push_back(json::array({t, e}));
        j["spoof_frames"] = iv;
    } else {
        j["spoof_frames"] = nullptr;
    }
    if (r.hasSpoofSeconds) {
        json sec = json::array();
        for (const auto& [a, b] : r.spoofSeconds)
            sec.push_back(json::array({a, b}));
        j["spoof_seconds"] = sec;
    } else {
        j["spoof_seconds"] = nullptr;
    }
    j["randomisation_cuts"] = r.randomisationCuts;
    json tracks = json::array();
    for (const EvalTrack& t : r.tracks) {
        json o;
        o["method"] = t.method;
        o["source"] = t.source;
        for (size_t k = 0; k < std::size(kMetricKeys); ++k)
            o[kMetricKeys[k]] = num(metricOf(t, k));
        json del = json::array(), ins = json::array(), vals = json::array();
        for (double v : t.deletion)
            del.push_back(num(v));
        for (double v : t.insertion)
            ins.push_back(num(v));
        for (float v : t.values)
            vals.push_back(num(double(v)));
        o["deletion"] = del;
        o["insertion"] = ins;
        json morf = json::array(), lerf = json::array(), rnd = json::array();
        for (double v : t.road.morf)
            morf.push_back(num(v));
        for (double v : t.road.lerf)
            lerf.push_back(num(v));
        for (double v : t.randomisation)
            rnd.push_back(num(v));
        o["road_morf"] = morf;
        o["road_lerf"] = lerf;
        o["randomisation"] = rnd;
        o["values"] = r.hasLabels ? vals : json(nullptr);
        tracks.push_back(o);
    }
    j["tracks"] = tracks;
    return jsonText(j);  // a non-UTF-8 file name must not end the run (docs/reliability.md)
}

EvalRecord evalRecordFromJson(const std::string& line, const std::string& at)
{
    EvalRecord r;
    try {
        const json j = json::parse(line);
        r.utterance = j.at("utterance").get<std::string>();
        r.path = j.at("path").get<std::string>();
        r.label = j.at("label").get<std::string>();
        r.score = numOf(j.at("score"));
        r.logits[0] = numOf(j.at("logits").at(0));
        r.logits[1] = numOf(j.at("logits").at(1));
        r.frames = j.at("frames").get<int64_t>();
        r.samples = j.value("samples", int64_t(0));
        // Records written before the frame grid was recorded are XLS-R's.
        r.grid.hop = j.value("hop_samples", r.grid.hop);
        r.grid.window = j.value("window_samples", r.grid.window);
        r.grid.offset = j.value("offset_samples", r.grid.offset);
        if (r.grid.hop < 1 || r.grid.window < 1 || r.grid.offset < 0)
            throw ConfigError(at + ": bad frame grid (hop_samples, window_samples, offset_samples)");
        const json& sf = j.at("spoof_frames");
        if (!sf.is_null()) {
            r.hasLabels = true;
            r.frameLabels.assign(size_t(std::max<int64_t>(0, r.frames)), 0);
            for (const json& iv : sf) {
                const auto a = iv.at(0).get<int64_t>(), b = iv.at(1).get<int64_t>();
                if (a < 0 || b > r.frames || a >= b)
                    throw ConfigError(at + ": spoof_frames interval out of range");
                std::fill(r.frameLabels.begin() + a, r.frameLabels.begin() + b, uint8_t(1));
            }
        }
        if (j.contains("spoof_seconds") && j["spoof_seconds"].is_array()) {
            r.hasSpoofSeconds = true;
            for (const json& iv : j["spoof_seconds"]) {
                const double a = iv.at(0).get<double>(), b = iv.at(1).get<double>();
                if (!std::isfinite(a) || !std::isfinite(b) || a < 0 || b <= a)
                    throw ConfigError(at + ": spoof_seconds interval out of range");
                r.spoofSeconds.emplace_back(a, b);
            }
        }
        if (j.contains("randomisation_cuts"))
            r.randomisationCuts = j["randomisation_cuts"].get<std::vector<std::string>>();
        for (const json& o : j.at("tracks")) {
            EvalTrack t;
            t.method = o.at("method").get<std::string>();
            t.source = o.at("source").get<std::string>();
            for (size_t k = 0; k < std::size(kMetricKeys); ++k)
                setMetric(t, k, k < kFirstFormatKeys ? numOf(o.at(kMetricKeys[k]))
                                                     : numOf(o.value(kMetricKeys[k], json(nullptr))));
            for (const json& v : o.at("deletion"))
                t.deletion.push_back(numOf(v));
            for (const json& v : o.at("insertion"))
                t.insertion.push_back(numOf(v));
            if (o.contains("road_morf") && o.contains("road_lerf")) {
                for (const json& v : o["road_morf"])
                    t.road.morf.push_back(numOf(v));
                for (const json& v : o["road_lerf"])
                    t.road.lerf.push_back(numOf(v));
                if (!t.road.morf.empty())
                    t.road.fractions = roadFractions();
            }
            if (o.contains("randomisation"))
                for (const json& v : o["randomisation"])
                    t.randomisation.push_back(numOf(v));
            if (t.randomisation.size() != r.randomisationCuts.size() && !t.randomisation.empty())
                throw ConfigError(at + ": " + std::to_string(t.randomisation.size()) + " randomisation values for "
                                  + std::to_string(r.randomisationCuts.size()) + " randomisation_cuts");
            if (o.contains("values") && o["values"].is_array())
                for (const json& v : o["values"])
                    t.values.push_back(float(numOf(v)));
            r.tracks.push_back(std::move(t));
        }
    } catch (const json::exception& e) {
        throw ConfigError(at + ": not an utterances.jsonl record: " + e.what());
    }
    return r;
}

std::vector<EvalRecord> readEvalRecords(const std::string& path, bool repair, bool* droppedTornLine)
{
    if (droppedTornLine)
        *droppedTornLine = false;
    std::error_code ec;
    if (!fs::exists(path, ec))
        return {};
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(path + ": cannot read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::vector<EvalRecord> out;
    size_t pos = 0, goodEnd = 0;
    int64_t lineNo = 0;
    while (pos < text.size()) {
        ++lineNo;
        const size_t nl = text.find('\n', pos);
        const bool last = nl == std::string::npos || nl + 1 >= text.size();
        const std::string line = text.substr(pos, (nl == std::string::npos ? text.size() : nl) - pos);
        const std::string at = path + ":" + std::to_string(lineNo);
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            pos = nl == std::string::npos ? text.size() : nl + 1;
            goodEnd = pos;
            continue;
        }
        try {
            if (nl == std::string::npos)
                throw ConfigError(at + ": torn line (no newline)");
            out.push_back(evalRecordFromJson(line, at));
            goodEnd = nl + 1;
        } catch (const ConfigError&) {
            if (!last)
                throw;
            if (droppedTornLine)
                *droppedTornLine = true;
            break;
        }
        pos = nl + 1;
    }
    if (repair && goodEnd < text.size())
        fs::resize_file(path, goodEnd);
    return out;
}

std::string writeEvalSummary(std::vector<EvalRecord> records, const std::string& outDir,
                             const EvalSummaryOptions& o)
{
    std::sort(records.begin(), records.end(),
              [](const EvalRecord& a, const EvalRecord& b) { return a.utterance < b.utterance; });
    for (size_t i = 1; i < records.size(); ++i)
        if (records[i].utterance == records[i - 1].utterance)
            throw ConfigError("utterance '" + records[i].utterance + "' appears twice among the records");

    // The label-derived metrics from the stored values: also for records written before a metric existed.
    for (EvalRecord& r : records)
        for (EvalTrack& t : r.tracks)
            computeLabelMetrics(r, t);

    std::vector<double> bona, spoof;
    int64_t labelled = 0;
    for (const EvalRecord& r : records) {
        if (std::isfinite(r.score))
            (r.label == "bonafide" ? bona : spoof).push_back(r.score);
        labelled += r.hasLabels ? 1 : 0;
    }

    // Tracks in order of first appearance (records sorted: deterministic).
    std::vector<std::pair<std::string, std::string>> keys;
    std::map<std::pair<std::string, std::string>, size_t> index;
    for (const EvalRecord& r : records)
        for (const EvalTrack& t : r.tracks)
            if (index.emplace(std::make_pair(t.method, t.source), keys.size()).second)
                keys.emplace_back(t.method, t.source);

    json summary;
    summary["utterances"] = records.size();
    summary["labelled"] = labelled;
    if (o.labelsIgnored >= 0)
        summary["labels_ignored"] = o.labelsIgnored;
    summary["bonafide"] = bona.size();
    summary["spoof"] = spoof.size();
    summary["detector"] = {{"path", o.detector},
                           {"eer", num(equalErrorRate(bona, spoof))},
                           {"min_dcf", num(minDcf(bona, spoof, o.dcf))},
                           {"dcf_parameters", {{"c_miss", o.dcf.cMiss}, {"c_fa", o.dcf.cFa}, {"p_spoof", o.dcf.pSpoof}}}};
    summary["bootstrap"] = {{"resamples", o.resamples}, {"seed", o.seed}, {"level", 0.95}};
    const std::vector<double> fractions = faithfulnessFractions();
    summary["fractions"] = fractions;
    summary["frame_decisions"] = {{"normalisation", "min-max per utterance"}, {"threshold", kFrameDecisionThreshold}};
    summary["rcq_transition_ms"] = kRcqTransitionSeconds * 1000.0;
    const std::vector<double> roadF = roadFractions();
    summary["road"] = {{"fractions", roadF},
                       {"imputation", "noisy linear over the frame axis"},
                       {"noise", kRoadNoise},
                       {"curve", "p(spoof)"}};
    std::vector<std::string> cuts;
    for (const EvalRecord& r : records)
        if (!r.randomisationCuts.empty()) {
            if (!cuts.empty() && cuts != r.randomisationCuts)
                throw ConfigError("utterance '" + r.utterance + "' has other randomisation layer groups than the "
                                  "records before it (records of different detectors?)");
            cuts = r.randomisationCuts;
        }
    summary["randomisation"] = cuts.empty() ? json(nullptr) : json({{"cuts", cuts}, {"correlation", "spearman"}});
    std::vector<int> segMs = segmentResolutionsMs();
    segMs.insert(segMs.begin(), kFinestSegmentResolutionMs);

    PlotSpec del, ins, roc;
    del.title = "Deletion: spoof probability as top-ranked frames are removed (lower = more faithful)";
    del.xLabel = "fraction of frames replaced by the utterance mean";
    del.yLabel = "mean p(spoof)";
    ins.title = "Insertion: spoof probability as top-ranked frames are restored (higher = more faithful)";
    ins.xLabel = "fraction of frames restored";
    ins.yLabel = "mean p(spoof)";
    roc.title = "Localisation ROC (spoof frames, pooled over labelled utterances)";
    roc.xLabel = "false positive rate (bona fide frames)";
    roc.yLabel = "true positive rate (spoof frames)";
    roc.diagonal = true;
    del.width = ins.width = roc.width = 900;

    std::ostringstream md;
    md << "# SpoofLens evaluation report\n\n";
    md << records.size() << " utterances (" << bona.size() << " bona fide, " << spoof.size() << " spoof), "
       << labelled << " with ground-truth labels. Detector `" << o.detector << "`.\n\n";
    md << "Detector over the protocol: EER " << fmt(100 * equalErrorRate(bona, spoof), "%.2f") << " %, minDCF "
       << fmt(minDcf(bona, spoof, o.dcf), "%.4f") << " (C_miss = " << o.dcf.cMiss << ", C_fa = " << o.dcf.cFa
       << ", π_spoof = " << o.dcf.pSpoof << ", normalised).\n\n";
    md << "Per explainer: mean over utterances [95 % bootstrap CI, " << o.resamples
       << " resamples]. Localisation columns use only utterances with both spoof and bona fide frames. "
          "Definitions: docs/metrics.md of SpoofLens.\n\n";
    md << "| track | n | deletion AUC ↓ | insertion AUC ↑ | frame AUC ↑ | frame EER ↓ | AP ↑ | pointing game ↑ | "
          "relevance mass ↑ | IoU top-k ↑ |\n|---|---|---|---|---|---|---|---|---|---|\n";
    std::ostringstream field;
    field << "\nMetrics of the field (docs/metrics.md): frame decisions at min-max-normalised attribution ≥ "
          << kFrameDecisionThreshold << "; range-based EER pooled over the labelled set (PartialSpoof); RCQ in % "
             "pooled over the partial-spoof utterances (transition = frame centre within "
          << kRcqTransitionSeconds * 1000.0 << " ms of a splice boundary); ROAD areas (MoRF ↓, LeRF ↑, gap ↑):\n\n"
          << "| track | F1 ↑ | precision ↑ | recall ↑ | range EER ↓ | RCQ bona fide | RCQ spoof | RCQ transition | "
             "ROAD MoRF ↓ | ROAD LeRF ↑ | ROAD gap ↑ |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::ostringstream rnd;
    if (!cuts.empty()) {
        rnd << "\nModel randomisation (Adebayo et al. 2018): mean Spearman correlation with the trained detector's "
               "attribution after re-initialising the back-end from the top down to each group (near 0 = the "
               "explainer depends on those weights; near 1 = it does not):\n\n| track |";
        for (const std::string& c : cuts)
            rnd << " " << c << " |";
        rnd << "\n|---|";
        for (size_t k = 0; k < cuts.size(); ++k)
            rnd << "---|";
        rnd << "\n";
    }
    std::ostringstream seg;
    seg << "\nSegment-level EER (max-pooled attribution and labels per segment, pooled over the labelled set):\n\n"
        << "| track |";
    for (int ms : segMs)
        seg << " " << ms << " ms |";
    seg << "\n|---|";
    for (size_t k = 0; k < segMs.size(); ++k)
        seg << "---|";
    seg << "\n";

    json tracks = json::array();
    for (size_t ti = 0; ti < keys.size(); ++ti) {
        const auto& [method, source] = keys[ti];
        std::vector<std::vector<double>> values(std::size(kMetricKeys));
        std::vector<double> meanDel(fractions.size(), 0), meanIns(fractions.size(), 0);
        int64_t curves = 0, n = 0;
        std::vector<double> pooledScores;
        std::vector<uint8_t> pooledLabels;
        std::vector<std::vector<double>> segScores(segMs.size());
        std::vector<std::vector<uint8_t>> segLabels(segMs.size());
        RangeEer range;
        Rcq rcq;
        std::vector<double> meanMorf(roadF.size(), 0), meanLerf(roadF.size(), 0);
        int64_t roadCurves = 0;
        std::vector<std::vector<double>> randomised(cuts.size());
        for (const EvalRecord& r : records) {
            for (const EvalTrack& t : r.tracks) {
                if (t.method != method || t.source != source)
                    continue;
                ++n;
                for (size_t k = 0; k < std::size(kMetricKeys); ++k)
                    values[k].push_back(metricOf(t, k));
                if (t.deletion.size() == fractions.size() && t.insertion.size() == fractions.size()) {
                    for (size_t f = 0; f < fractions.size(); ++f) {
                        meanDel[f] += t.deletion[f];
                        meanIns[f] += t.insertion[f];
                    }
                    ++curves;
                }
                if (t.road.morf.size() == roadF.size() && t.road.lerf.size() == roadF.size()) {
                    for (size_t f = 0; f < roadF.size(); ++f) {
                        meanMorf[f] += t.road.morf[f];
                        meanLerf[f] += t.road.lerf[f];
                    }
                    ++roadCurves;
                }
                if (t.randomisation.size() == cuts.size())
                    for (size_t c = 0; c < cuts.size(); ++c)
                        randomised[c].push_back(t.randomisation[c]);
                if (r.hasLabels && t.values.size() == r.frameLabels.size()) {
                    pooledScores.insert(pooledScores.end(), t.values.begin(), t.values.end());
                    pooledLabels.insert(pooledLabels.end(), r.frameLabels.begin(), r.frameLabels.end());
                    const auto ref = referenceSpoofSeconds(r);
                    const int64_t samples = referenceSamples(r);
                    for (size_t s = 0; s < segMs.size(); ++s) {
                        const int64_t segSamples = int64_t(segMs[s]) * kSampleRate / 1000;
                        if (segMs[s] == kFinestSegmentResolutionMs) {
                            // PartialSpoof's up-sampling: scores repeated, labels from the reference times.
                            std::vector<double> sc;
                            std::vector<uint8_t> unused;
                            poolSegmentsOnGrid(t.values, r.frameLabels, r.grid, segSamples, sc, unused);
                            const std::vector<uint8_t> lab = segmentLabelsFromTime(ref, samples, segSamples);
                            const auto kept = std::ptrdiff_t(std::min(sc.size(), lab.size()));
                            segScores[s].insert(segScores[s].end(), sc.begin(), sc.begin() + kept);
                            segLabels[s].insert(segLabels[s].end(), lab.begin(), lab.begin() + kept);
                        } else {
                            poolSegmentsOnGrid(t.values, r.frameLabels, r.grid, segSamples, segScores[s], segLabels[s]);
                        }
                    }
                    range.add(t.values, r.grid, samples, ref);
                    rcq.add(t.values, r.frameLabels, r.grid, samples, ref);
                }
            }
        }
        json tj;
        tj["method"] = method;
        tj["source"] = source;
        tj["n"] = n;
        json metrics;
        md << "| " << trackName(method, source) << " | " << n << " |";
        std::vector<MeanCi> mci;
        for (size_t k = 0; k < std::size(kMetricKeys); ++k) {
            mci.push_back(bootstrapMean(values[k], o.seed, o.resamples));
            metrics[kMetricKeys[k]] = meanCi(mci.back());
        }
        const auto cell = [&](const MeanCi& m, const char* f) {
            return " " + fmt(m.mean, f) + (m.n > 1 ? " [" + fmt(m.low, f) + ", " + fmt(m.high, f) + "]" : "") + " |";
        };
        for (size_t k = 0; k < kFirstFormatKeys; ++k)
            md << cell(mci[k], "%.3f");
        md << "\n";
        tj["metrics"] = metrics;
        const double rangeEer = range.eer();
        tj["range_eer"] = num(rangeEer);
        json rcqJson, rcqFrames;
        for (size_t k = 0; k < 3; ++k) {
            rcqJson[rcqRegionName(RcqRegion(k))] = num(rcq.rcq(RcqRegion(k)));
            rcqFrames[rcqRegionName(RcqRegion(k))] = rcq.frames(RcqRegion(k));
        }
        rcqJson["frames"] = rcqFrames;
        tj["rcq"] = rcqJson;
        json roadJson;
        if (roadCurves > 0) {
            for (size_t f = 0; f < roadF.size(); ++f) {
                meanMorf[f] /= double(roadCurves);
                meanLerf[f] /= double(roadCurves);
            }
            roadJson["mean_morf"] = meanMorf;
            roadJson["mean_lerf"] = meanLerf;
        } else {
            roadJson["mean_morf"] = nullptr;
            roadJson["mean_lerf"] = nullptr;
        }
        roadJson["morf_auc"] = metrics["road_morf_auc"];
        roadJson["lerf_auc"] = metrics["road_lerf_auc"];
        roadJson["gap"] = metrics["road_gap"];
        tj["road"] = roadJson;
        field << "| " << trackName(method, source) << " |" << cell(mci[8], "%.3f") << cell(mci[9], "%.3f")
              << cell(mci[10], "%.3f") << " " << fmt(100 * rangeEer, "%.1f") << (std::isfinite(rangeEer) ? " %" : "")
              << " |";
        for (size_t k = 0; k < 3; ++k)
            field << " " << fmt(rcq.rcq(RcqRegion(k)), "%+.1f") << " |";
        field << cell(mci[15], "%.3f") << cell(mci[16], "%.3f") << cell(mci[17], "%.3f") << "\n";
        if (!cuts.empty()) {
            json rj = json::array();
            rnd << "| " << trackName(method, source) << " |";
            for (size_t c = 0; c < cuts.size(); ++c) {
                const MeanCi m = bootstrapMean(randomised[c], o.seed, o.resamples);
                rj.push_back({{"cut", cuts[c]}, {"spearman", meanCi(m)}});
                rnd << cell(m, "%.2f");
            }
            rnd << "\n";
            tj["randomisation"] = rj;
        } else {
            tj["randomisation"] = nullptr;
        }
        json segEer;
        seg << "| " << trackName(method, source) << " |";
        for (size_t s = 0; s < segMs.size(); ++s) {
            const double e = equalErrorRate(segScores[s], segLabels[s]);
            segEer[std::to_string(segMs[s])] = num(e);
            seg << " " << fmt(100 * e, "%.1f") << (std::isfinite(e) ? " %" : "") << " |";
        }
        seg << "\n";
        tj["segment_eer"] = segEer;
        PlotSeries sd, si, sr;
        sd.name = si.name = sr.name = trackName(method, source);
        sd.rgb = si.rgb = sr.rgb = plotColour(ti);
        sd.dashed = si.dashed = sr.dashed = method == "random";
        if (curves > 0) {
            json jd = json::array(), ji = json::array();
            for (size_t f = 0; f < fractions.size(); ++f) {
                meanDel[f] /= double(curves);
                meanIns[f] /= double(curves);
                jd.push_back(num(meanDel[f]));
                ji.push_back(num(meanIns[f]));
            }
            tj["mean_deletion"] = jd;
            tj["mean_insertion"] = ji;
            sd.x = si.x = fractions;
            sd.y = meanDel;
            si.y = meanIns;
            del.series.push_back(sd);
            ins.series.push_back(si);
        } else {
            tj["mean_deletion"] = nullptr;
            tj["mean_insertion"] = nullptr;
        }
        const auto curve = rocCurve(pooledScores, pooledLabels);
        tj["pooled_frame_auc"] = num(rocAuc(pooledScores, pooledLabels));
        if (!curve.empty()) {
            const size_t step = std::max<size_t>(1, curve.size() / 2000);
            for (size_t k = 0; k < curve.size(); k += step) {
                sr.x.push_back(curve[k].fpr);
                sr.y.push_back(curve[k].tpr);
            }
            sr.x.push_back(1);
            sr.y.push_back(1);
            roc.series.push_back(sr);
        }
        tracks.push_back(tj);
    }
    summary["tracks"] = tracks;

    fs::create_directories(outDir);
    const fs::path out(outDir);
    for (auto* spec : {&del, &ins, &roc}) {
        const std::string stem = spec == &del ? "deletion" : spec == &ins ? "insertion" : "roc";
        writeSvgPlot((out / (stem + ".svg")).string(), *spec);
        writePngPlot((out / (stem + ".png")).string(), *spec);
    }
    md << field.str() << rnd.str() << seg.str();
    md << "\n## Charts\n\n"
       << "Mean deletion curve ([SVG](deletion.svg)):\n\n![deletion](deletion.png)\n\n"
       << "Mean insertion curve ([SVG](insertion.svg)):\n\n![insertion](insertion.png)\n\n"
       << "Localisation ROC ([SVG](roc.svg)):\n\n![roc](roc.png)\n\n"
       << "Colours (PNG and SVG), in order:";
    for (size_t ti = 0; ti < keys.size(); ++ti) {
        char b[16];
        std::snprintf(b, sizeof b, "#%06x", unsigned(plotColour(ti)));
        md << (ti ? ", " : " ") << trackName(keys[ti].first, keys[ti].second) << " `" << b << "`";
    }
    md << ". `random` is dashed: the chance line every metric is read against.\n";
    const std::string text = jsonText(summary, 2);
    {
        std::ofstream f(out / "summary.json");
        f << text << "\n";
        std::ofstream r(out / "report.md");
        r << md.str();
        if (!f || !r)
            throw ConfigError(outDir + ": cannot write summary.json / report.md");
    }
    return text;
}

} // namespace spooflens::core
