#include "core/explain/ExplanationIO.h"

#include "core/audio/AudioFile.h"
#include "core/util/JsonText.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

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

std::string attributionColumnName(const Attribution& a)
{
    return csvColumnName(a.method + ":" + a.source);
}

void writeExplanationCsv(std::ostream& out, const Explanation& e)
{
    const bool first = !e.tracks.empty();
    out << "time_s";
    if (first)
        out << ",importance,sim_spoof,sim_bonafide";
    // Every further module: the same three columns, suffixed with its source.
    for (size_t m = 1; m < e.tracks.size(); ++m) {
        const std::string& src = e.tracks[m].xaiPath;
        for (const char* col : {"importance:", "sim_spoof:", "sim_bonafide:"})
            out << ',' << csvColumnName(col + src);
    }
    for (const Attribution& a : e.attributions)
        out << ',' << attributionColumnName(a);
    out << '\n';
    char buf[48];
    const auto value = [&](const std::vector<float>& v, int64_t t) {
        if (size_t(t) < v.size())
            std::snprintf(buf, sizeof buf, ",%.9g", double(v[size_t(t)]));
        else
            std::snprintf(buf, sizeof buf, ",");
        out << buf;
    };
    for (int64_t t = 0; t < e.frames; ++t) {
        // XLS-R: 4 decimals are exact (centres 0.0125 + 0.02 t); other grids get 6.
        std::snprintf(buf, sizeof buf, e.grid == FrameGrid::xlsr() ? "%.4f" : "%.6f", e.grid.centreSeconds(t));
        out << buf;
        for (const Stage2Track& m : e.tracks) {
            value(m.importance, t);
            value(m.simSpoof, t);
            value(m.simBonafide, t);
        }
        for (const Attribution& a : e.attributions)
            value(a.values, t);
        out << '\n';
    }
}

void writeExplanationLabels(std::ostream& out, const Explanation& e, const LabelOptions& options)
{
    char buf[64];
    for (const Stage2Track& t : e.tracks) {
        std::vector<bool> on(t.importance.size());
        for (size_t i = 0; i < on.size(); ++i)
            on[i] = t.importance[i] > options.importanceThreshold;
        std::snprintf(buf, sizeof buf, " w>%g", options.importanceThreshold);
        writeRegions(out, e.grid, regionsOf(on, t.importance), t.runName + buf);
    }
    for (const Attribution& a : e.attributions) {
        const std::vector<int64_t> order = attributionOrder(a.values);
        const size_t k = std::min(order.size(), size_t(std::llround(options.topFraction * double(a.values.size()))));
        std::vector<bool> on(a.values.size(), false);
        for (size_t i = 0; i < k; ++i)
            on[size_t(order[i])] = true;
        std::snprintf(buf, sizeof buf, " top %g%%", options.topFraction * 100.0);
        writeRegions(out, e.grid, regionsOf(on, a.values), a.method + ":" + a.source + buf);
    }
}

} // namespace spooflens::core
