// `spooflens compare --detector CKPT [--detector-config YAML] --xai A.pth
//  --xai B.pth ... [--json] FILE`: per-module summaries and their pairwise
// agreement (Spearman rank correlation of w, overlap of the top-k frames).
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/explain/Agreement.h"
#include "core/explain/Explainer.h"
#include "core/util/JsonText.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct CompareArgs {
    DetectorArgs detector;
    std::string file;
    std::vector<std::string> xai;
    bool json = false;
    int64_t topK = 0;
    double topFraction = 0.1;
};

int runCompare(const CompareArgs& a)
{
    core::Explainer explainer(a.detector.options());
    for (const auto& x : a.xai)
        explainer.addStage2(x);
    const core::AudioData audio = core::loadAudio(a.file);
    const core::Explanation e = explainer.explain(audio, a.detector.cutMode());
    const int64_t k = a.topK > 0 ? a.topK
                                 : std::max<int64_t>(1, static_cast<int64_t>(std::lround(a.topFraction * double(e.frames))));
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& t : e.tracks)
        rows.push_back({{"xai", t.xaiPath},
                        {"run_name", t.runName},
                        {"prototype_mode", t.prototypeMode},
                        {"feature_norm", t.featureNorm},
                        {"total_importance", t.totalImportance},
                        {"importance_mean", e.frames ? t.totalImportance / double(e.frames) : 0.0},
                        {"importance_spread", t.importanceSpread},
                        {"utterance_sim", {{"spoof", t.uttSimSpoof}, {"bonafide", t.uttSimBonafide}}},
                        {"predicted_class", t.predictedClass == 1 ? "bonafide" : "spoof"},
                        {"detector_mismatch", t.detectorMismatch}});
    nlohmann::json pairs = nlohmann::json::array();
    for (size_t i = 0; i < e.tracks.size(); ++i)
        for (size_t j = i + 1; j < e.tracks.size(); ++j)
            pairs.push_back({{"a", i},
                             {"b", j},
                             {"spearman", core::spearmanCorrelation(e.tracks[i].importance, e.tracks[j].importance)},
                             {"topk_overlap", core::topKOverlap(e.tracks[i].importance, e.tracks[j].importance, k)},
                             {"k", k}});
    if (a.json) {
        nlohmann::json j;
        j["path"] = a.file;
        j["frames"] = e.frames;
        j["cut"] = e.cut;
        j["detector"] = {{"score", e.score}, {"logits", {e.logits[0], e.logits[1]}}};
        j["rows"] = rows;
        j["agreement"] = pairs;
        std::cout << core::jsonText(j, 2) << "\n";
        return kExitOk;
    }
    std::printf("%s: T = %lld frames, detector score %.4f\n", a.file.c_str(), static_cast<long long>(e.frames),
                double(e.score));
    std::printf("%-3s %-28s %-9s %10s %8s %9s %11s %s\n", "#", "run", "mode", "sum w", "spread", "u_spoof",
                "u_bonafide", "predicted");
    for (size_t i = 0; i < e.tracks.size(); ++i) {
        const auto& t = e.tracks[i];
        std::printf("%-3zu %-28s %-9s %10.3f %8.4f %9.4f %11.4f %s%s\n", i, t.runName.c_str(), t.prototypeMode.c_str(),
                    double(t.totalImportance), double(t.importanceSpread), double(t.uttSimSpoof),
                    double(t.uttSimBonafide), t.predictedClass == 1 ? "bona fide" : "spoof",
                    t.detectorMismatch ? "  (trained on another detector)" : "");
    }
    std::printf("agreement (top-k with k = %lld):\n", static_cast<long long>(k));
    for (const auto& p : pairs)
        std::printf("  %d vs %d: Spearman %.4f, top-k overlap %.3f\n", p["a"].get<int>(), p["b"].get<int>(),
                    p["spearman"].get<double>(), p["topk_overlap"].get<double>());
    return kExitOk;
}

const bool kRegistered = registerCommand("compare", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<CompareArgs>();
    CLI::App* sub = app.add_subcommand("compare", "Compare several Stage 2 modules (e.g. prototype modes) on one file");
    addDetectorOptions(sub, a->detector);
    sub->add_option("--xai", a->xai, "Stage 2 checkpoint (repeat for each)")->required();
    sub->add_option("--top-k", a->topK, "k for the top-k overlap (default: 10% of the frames)");
    sub->add_flag("--json", a->json, "One JSON document");
    sub->add_option("file", a->file, "Audio file")->required();
    return [a] { return runCompare(*a); };
});

} // namespace
} // namespace spooflens::cli
