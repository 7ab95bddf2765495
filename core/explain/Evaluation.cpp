#include "core/explain/Evaluation.h"

#include "core/Error.h"
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
                                   "ap", "pointing_game", "relevance_mass", "iou_topk"};

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
    default: return t.loc.iouTopK;
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
    default: t.loc.iouTopK = v; break;
    }
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

EvalRecord makeEvalRecord(const Explanation& e, const std::string& utterance, const std::string& label,
                          const std::vector<uint8_t>* frameLabels)
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
        if (r.hasLabels) {
            if (a.values.size() != r.frameLabels.size())
                throw ConfigError(utterance + ": attribution '" + a.method + "' has " + std::to_string(a.values.size()) +
                                  " values for " + std::to_string(r.frameLabels.size()) + " frames");
            for (float v : a.values)
                t.values.push_back(float(rounded(v)));
            t.loc = localisationMetrics(t.values, r.frameLabels);
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
    j["hop_samples"] = r.grid.hop;
    j["window_samples"] = r.grid.window;
    j["offset_samples"] = r.grid.offset;
    if (r.hasLabels) {
        json iv = json::array();
        for (size_t t = 0; t < r.frameLabels.size();) {
            if (!r.frameLabels[t]) {
                ++t;
                continue;
            }
            size_t e = t;
            while (e < r.frameLabels.size() && r.frameLabels[e])
                ++e;
            iv.push_back(json::array({t, e}));
            t = e;
        }
        j["spoof_frames"] = iv;
    } else {
        j["spoof_frames"] = nullptr;
    }
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
        o["values"] = r.hasLabels ? vals : json(nullptr);
        tracks.push_back(o);
    }
    j["tracks"] = tracks;
    return j.dump();
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
        for (const json& o : j.at("tracks")) {
            EvalTrack t;
            t.method = o.at("method").get<std::string>();
            t.source = o.at("source").get<std::string>();
            for (size_t k = 0; k < std::size(kMetricKeys); ++k)
                setMetric(t, k, numOf(o.at(kMetricKeys[k])));
            for (const json& v : o.at("deletion"))
                t.deletion.push_back(numOf(v));
            for (const json& v : o.at("insertion"))
                t.insertion.push_back(numOf(v));
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
    std::ostringstream seg;
    seg << "\nSegment-level EER (max-pooled attribution and labels per segment, pooled over the labelled set):\n\n"
        << "| track |";
    for (int ms : segmentResolutionsMs())
        seg << " " << ms << " ms |";
    seg << "\n|---|";
    for (size_t k = 0; k < segmentResolutionsMs().size(); ++k)
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
        std::vector<std::vector<double>> segScores(segmentResolutionsMs().size());
        std::vector<std::vector<uint8_t>> segLabels(segmentResolutionsMs().size());
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
                if (r.hasLabels && t.values.size() == r.frameLabels.size()) {
                    pooledScores.insert(pooledScores.end(), t.values.begin(), t.values.end());
                    pooledLabels.insert(pooledLabels.end(), r.frameLabels.begin(), r.frameLabels.end());
                    for (size_t s = 0; s < segmentResolutionsMs().size(); ++s)
                        poolSegmentsOnGrid(t.values, r.frameLabels, r.grid, int64_t(segmentResolutionsMs()[s]) * 16,
                                           segScores[s], segLabels[s]);
                }
            }
        }
        json tj;
        tj["method"] = method;
        tj["source"] = source;
        tj["n"] = n;
        json metrics;
        md << "| " << trackName(method, source) << " | " << n << " |";
        for (size_t k = 0; k < std::size(kMetricKeys); ++k) {
            const MeanCi m = bootstrapMean(values[k], o.seed, o.resamples);
            metrics[kMetricKeys[k]] = {{"mean", num(m.mean)}, {"ci_low", num(m.low)}, {"ci_high", num(m.high)}, {"n", m.n}};
            md << " " << fmt(m.mean) << (m.n > 1 ? " [" + fmt(m.low) + ", " + fmt(m.high) + "]" : "") << " |";
        }
        md << "\n";
        tj["metrics"] = metrics;
        json segEer;
        seg << "| " << trackName(method, source) << " |";
        for (size_t s = 0; s < segmentResolutionsMs().size(); ++s) {
            const double e = equalErrorRate(segScores[s], segLabels[s]);
            segEer[std::to_string(segmentResolutionsMs()[s])] = num(e);
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
    md << seg.str();
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
    const std::string text = summary.dump(2);
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
