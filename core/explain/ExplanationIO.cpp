#include "core/explain/ExplanationIO.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/util/JsonText.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace spooflens::core {

namespace {

using nlohmann::json;

json trackJson(const Stage2Track& t)
{
    return json{{"xai", t.xaiPath},
                {"run", t.runName},
                {"prototype_mode", t.prototypeMode},
                {"feature_norm", t.featureNorm},
                {"detector_sha256", t.detectorSha256},
                {"detector_mismatch", t.detectorMismatch},
                {"importance", t.importance},
                {"sim_spoof", t.simSpoof},
                {"sim_bonafide", t.simBonafide},
                {"utterance_sim", {{"spoof", t.uttSimSpoof}, {"bonafide", t.uttSimBonafide}}},
                {"total_importance", t.totalImportance},
                {"importance_spread", t.importanceSpread},
                {"predicted_class", t.predictedClass}};
}

json attributionJson(const Attribution& a)
{
    json j{{"method", a.method},
           {"source", a.source},
           {"values", a.values},
           {"backend_passes", a.backendPasses},
           {"seconds", a.seconds}};
    if (!std::isnan(a.completenessGap))
        j["completeness_gap"] = a.completenessGap;
    if (!std::isnan(a.targetDelta))
        j["target_delta"] = a.targetDelta;
    return j;
}

struct Region {
    int64_t first = 0, last = 0;
    float peak = 0;
};

std::vector<Region> regionsOf(const std::vector<bool>& on, const std::vector<float>& values)
{
    std::vector<Region> out;
    const int64_t n = int64_t(on.size());
    for (int64_t t = 0; t < n;) {
        if (!on[size_t(t)]) {
            ++t;
            continue;
        }
        Region r;
        r.first = t;
        r.peak = values[size_t(t)];
        while (t < n && on[size_t(t)]) {
            r.peak = std::max(r.peak, values[size_t(t)]);
            ++t;
        }
        r.last = t - 1;
        out.push_back(r);
    }
    return out;
}

void writeRegions(std::ostream& out, const FrameGrid& grid, const std::vector<Region>& regions,
                  const std::string& label)
{
    const double halfHop = grid.hopSeconds() / 2.0;
    char buf[96];
    for (const Region& r : regions) {
        std::snprintf(buf, sizeof buf, "%.6f\t%.6f\t", std::max(0.0, grid.centreSeconds(r.first) - halfHop),
                      grid.centreSeconds(r.last) + halfHop);
        out << buf << label;
        std::snprintf(buf, sizeof buf, " (peak %.4g)\n", double(r.peak));
        out << buf;
    }
}

} // namespace

std::string explanationToJson(const Explanation& e, int indent)
{
    std::vector<double> time;
    for (int64_t t = 0; t < e.frames; ++t)
        time.push_back(e.grid.centreSeconds(t));
    json j{{"path", e.path},
           {"detector_family", e.detectorFamily},
           {"hop_s", e.hopSeconds},
           {"hop_samples", e.grid.hop},
           {"window_samples", e.grid.window},
           {"offset_samples", e.grid.offset},
           {"frames", e.frames},
           {"samples", e.samples},
           {"cut", e.cut},
           {"time_s", time},
           {"detector", {{"score", e.score}, {"logits", {e.logits[0], e.logits[1]}}, {"windowed", e.windowed}}}};
    if (e.windowed)
        j["detector"]["windows"] =
            json{{"start_s", e.windowStartSeconds}, {"end_s", e.windowEndSeconds}, {"score", e.windowScores}};
    if (!e.tracks.empty()) {
        // The first module at the top level (the keys of `explain --json` before attributions existed).
        const Stage2Track& t = e.tracks.front();
        j["importance"] = t.importance;
        j["sim_spoof"] = t.simSpoof;
        j["sim_bonafide"] = t.simBonafide;
        j["utterance_sim"] = {{"spoof", t.uttSimSpoof}, {"bonafide", t.uttSimBonafide}};
        j["xai"] = {{"path", t.xaiPath},
                    {"prototype_mode", t.prototypeMode},
                    {"feature_norm", t.featureNorm},
                    {"detector_sha256", t.detectorSha256},
                    {"detector_mismatch", t.detectorMismatch}};
    }
    json tracks = json::array();
    for (const Stage2Track& t : e.tracks)
        tracks.push_back(trackJson(t));
    j["tracks"] = tracks;
    json attributions = json::array();
    for (const Attribution& a : e.attributions)
        attributions.push_back(attributionJson(a));
    j["attributions"] = attributions;
    if (!e.faithfulness.empty()) {
        json curves = json::array();
        for (size_t i = 0; i < e.faithfulness.size(); ++i) {
            const FaithfulnessCurves& c = e.faithfulness[i];
            json cj{{"fractions", c.fractions},
                    {"deletion", c.deletion},
                    {"insertion", c.insertion},
                    {"deletion_auc", c.deletionAuc},
                    {"insertion_auc", c.insertionAuc}};
            if (i < e.attributions.size()) {
                cj["method"] = e.attributions[i].method;
                cj["source"] = e.attributions[i].source;
            }
            curves.push_back(cj);
        }
        j["faithfulness"] = curves;
    }
    return jsonText(j, indent);
}

std::string csvColumnName(const std::string& name)
{
    if (name.find_first_of(",\"\n") == std::string::npos)
        return name;
    std::string quoted = "\"";
    for (char c : name) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::vector<std::string> moduleNames(const Explanation& e)
{
    // The file stem ("xai_ema"); where stems repeat (runs/a/best.pth,
    // runs/b/best.pth) the parent folder joins it ("a/best"), and a name
    // still taken gets "#k".
    std::vector<std::string> names;
    auto stem = [](const std::string& path, bool withParent) {
        const std::filesystem::path p(path);
        const std::string s = p.stem().string();
        const std::string parent = p.parent_path().filename().string();
        return withParent && !parent.empty() ? parent + "/" + s : s;
    };
    for (size_t k = 0; k < e.tracks.size(); ++k) {
        bool repeated = false;
        for (size_t j = 0; j < e.tracks.size(); ++j)
            repeated |= j != k && stem(e.tracks[j].xaiPath, false) == stem(e.tracks[k].xaiPath, false);
        std::string n = stem(e.tracks[k].xaiPath, repeated);
        if (n.empty())
            n = "module" + std::to_string(k + 1);
        const std::string base = n;
        for (int i = 2; std::find(names.begin(), names.end(), n) != names.end(); ++i)
            n = base + "#" + std::to_string(i);
        names.push_back(n);
    }
    return names;
}

std::string attributionSourceName(const Attribution& a, const Explanation& e)
{
    const std::vector<std::string> names = moduleNames(e);
    for (size_t k = 0; k < e.tracks.size(); ++k)
        if (e.tracks[k].xaiPath == a.source)
            return names[k];
    return a.source;
}

std::string attributionColumnName(const Attribution& a, const Explanation& e)
{
    return csvColumnName(a.method + ":" + attributionSourceName(a, e));
}

void writeExplanationCsv(std::ostream& out, const Explanation& e, const CsvOptions& options)
{
    const std::vector<std::string> names = moduleNames(e);
    const bool truth = options.groundTruth && !options.groundTruth->empty();
    if (truth && int64_t(options.groundTruth->size()) != e.frames)
        throw ConfigError("CSV export: " + std::to_string(options.groundTruth->size())
                          + " ground-truth frame labels for " + std::to_string(e.frames) + " frames");
    out << "frame,time_s,start_s,end_s";
    for (const std::string& n : names)
        for (const char* col : {"importance:", "sim_spoof:", "sim_bonafide:"})
            out << ',' << csvColumnName(col + n);
    for (const Attribution& a : e.attributions)
        out << ',' << attributionColumnName(a, e);
    out << ",detector_score";
    if (truth)
        out << ",ground_truth";
    out << '\n';
    char buf[64];
    const auto value = [&](const std::vector<float>& v, int64_t t) {
        if (size_t(t) < v.size())
            std::snprintf(buf, sizeof buf, ",%.9g", double(v[size_t(t)]));
        else
            std::snprintf(buf, sizeof buf, ",");
        out << buf;
    };
    const double sr = double(kSampleRate);
    for (int64_t t = 0; t < e.frames; ++t) {
        // Times with 6 decimals: exact for every grid in samples at 16 kHz (1/16000 = 62.5 us).
        const double start = double(e.grid.startSample(t)) / sr;
        std::snprintf(buf, sizeof buf, "%lld,%.6f,%.6f,%.6f", static_cast<long long>(t), e.grid.centreSeconds(t), start,
                      start + double(e.grid.window) / sr);
        out << buf;
        for (const Stage2Track& m : e.tracks) {
            value(m.importance, t);
            value(m.simSpoof, t);
            value(m.simBonafide, t);
        }
        for (const Attribution& a : e.attributions)
            value(a.values, t);
        std::snprintf(buf, sizeof buf, ",%.9g", double(e.score));
        out << buf;
        if (truth)
            out << ',' << int((*options.groundTruth)[size_t(t)] != 0);
        out << '\n';
    }
}

void writeExplanationLabels(std::ostream& out, const Explanation& e, const LabelOptions& options)
{
    char buf[64];
    int row = 0;
    const auto wanted = [&] { return options.onlyRow < 0 || options.onlyRow == row++; };
    for (const Stage2Track& t : e.tracks) {
        if (!wanted())
            continue;
        std::vector<bool> on(t.importance.size());
        for (size_t i = 0; i < on.size(); ++i)
            on[i] = t.importance[i] > options.importanceThreshold;
        std::snprintf(buf, sizeof buf, " w>%g", options.importanceThreshold);
        writeRegions(out, e.grid, regionsOf(on, t.importance), t.runName + buf);
    }
    for (const Attribution& a : e.attributions) {
        if (!wanted())
            continue;
        const std::vector<int64_t> order = attributionOrder(a.values);
        const size_t k = std::min(order.size(), size_t(std::llround(options.topFraction * double(a.values.size()))));
        std::vector<bool> on(a.values.size(), false);
        for (size_t i = 0; i < k; ++i)
            on[size_t(order[i])] = true;
        std::snprintf(buf, sizeof buf, " top %g%%", options.topFraction * 100.0);
        writeRegions(out, e.grid, regionsOf(on, a.values), a.method + ":" + attributionSourceName(a, e) + buf);
    }
}

} // namespace spooflens::core
