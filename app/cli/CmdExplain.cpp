// `spooflens explain --detector CKPT [--detector-config YAML] [--xai XAI.pth]...
//  [--method M]... [--occlusion-window N] [--ig-steps N] [--ig-baseline mean|zero]
//  [--seed S] [--faithfulness] [--cut full|64600|66800] [--json|--csv] FILE`:
// Stage 2 importance and prototype similarities, and any of the explainers of
// docs/explainers.md, for one utterance. Output through core/explain/ExplanationIO.
#include "app/cli/AudioWarning.h"
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/explain/Attribution.h"
#include "core/explain/Explainer.h"
#include "core/explain/ExplanationIO.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct ExplainArgs {
    DetectorArgs detector;
    std::vector<std::string> xai, methods;
    std::string file;
    int occlusionWindow = 5, igSteps = 32;
    double windowSeconds = 1.0;
    int64_t windowHop = 0, waveOcclusion = 0;
    std::string igBaseline = "mean";
    uint64_t seed = 1234;
    bool faithfulness = false;
    bool json = false, csv = false;
};

int runExplain(const ExplainArgs& a)
{
    core::ExplainRequest request;
    request.cut = a.detector.cutMode();
    for (const std::string& m : a.methods)
        request.methods.push_back(core::parseMethod(m));
    request.options.occlusionWindow = a.occlusionWindow;
    request.options.igSteps = a.igSteps;
    request.options.igZeroBaseline = a.igBaseline == "zero";
    request.options.randomSeed = a.seed;
    request.options.windowSeconds = a.windowSeconds;
    request.options.windowHopSamples = a.windowHop;
    request.options.waveOcclusionSamples = a.waveOcclusion;
    request.faithfulness = a.faithfulness;
    for (core::AttributionMethod m : request.methods)
        if (core::methodNeedsStage2(m) && a.xai.empty()) {
            std::cerr << "explain: --method " << core::methodName(m)
                      << " explains a Stage 2 module; give one with --xai\n";
            return kExitUsage;
        }
    if (a.faithfulness && request.methods.empty()) {
        std::cerr << "explain: --faithfulness needs at least one --method\n";
        return kExitUsage;
    }

    core::Explainer explainer(a.detector.options());
    for (const std::string& x : a.xai) {
        const core::Stage2Info info = explainer.addStage2(x);
        if (info.detectorMismatch)
            std::cerr << "warning: " << x << " was trained on another detector (SHA-256 " << info.detectorSha256
                      << ", loaded " << explainer.detectorInfo().sha256 << ")\n";
    }
    const core::AudioData audio = core::loadAudio(a.file);
    warnIfEndedEarly(audio);
    const core::Explanation e = explainer.explain(audio, request);
    if (a.csv) {
        core::writeExplanationCsv(std::cout, e);
        return kExitOk;
    }
    if (a.json) {
        std::cout << core::explanationToJson(e) << "\n";
        return kExitOk;
    }
    std::printf("%s: T = %lld frames (cut %s)\n", a.file.c_str(), static_cast<long long>(e.frames), e.cut.c_str());
    std::printf("detector score (bona fide logit) %.4f, logits [%.4f, %.4f]\n", double(e.score), double(e.logits[0]),
                double(e.logits[1]));
    for (const core::Stage2Track& t : e.tracks)
        std::printf("Stage 2 %s (%s): sum w = %.3f, spread %.4f, u_spoof %.4f, u_bonafide %.4f -> %s\n",
                    t.runName.c_str(), t.prototypeMode.c_str(), double(t.totalImportance), double(t.importanceSpread),
                    double(t.uttSimSpoof), double(t.uttSimBonafide), t.predictedClass == 1 ? "bona fide" : "spoof");
    for (size_t i = 0; i < e.attributions.size(); ++i) {
        const core::Attribution& at = e.attributions[i];
        const std::vector<int64_t> order = core::attributionOrder(at.values);
        std::printf("%s (%s): peak at %.3f s, %lld back-end passes, %.3f s", at.method.c_str(), at.source.c_str(),
                    order.empty() ? 0.0 : e.grid.centreSeconds(order.front()),
                    static_cast<long long>(at.backendPasses), at.seconds);
        if (!std::isnan(at.completenessGap))
            std::printf(", completeness gap %.4g of %.4g", at.completenessGap, at.targetDelta);
        if (i < e.faithfulness.size())
            std::printf(", deletion AUC %.4f, insertion AUC %.4f", e.faithfulness[i].deletionAuc,
                        e.faithfulness[i].insertionAuc);
        std::printf("\n");
    }
    return kExitOk;
}

const bool kRegistered = registerCommand("explain", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<ExplainArgs>();
    CLI::App* sub = app.add_subcommand("explain", "Frame importance, prototype similarities and explainers of one utterance");
    addDetectorOptions(sub, a->detector);
    sub->add_option("--xai", a->xai, "Stage 2 checkpoint (repeatable)");
    const CLI::Validator methodName(
        [](std::string& text) -> std::string {
            try {
                core::parseMethod(text);
                return {};
            } catch (const core::ConfigError& e) {
                return e.what();
            }
        },
        "METHOD", "explainer method");
    sub->add_option("--method", a->methods,
                    "Explainer (repeatable): stage2, stage2-contrast, occlusion, gradxinput, ig, rollout, gatr, random, "
                    "window, wave-occlusion, wave-gradxinput")
        ->check(methodName);
    sub->add_option("--occlusion-window", a->occlusionWindow, "occlusion: frames replaced at once (default 5)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--ig-steps", a->igSteps, "ig: integration steps (default 32, at most 4096)")
        ->check(CLI::Range(1, core::kMaxIgSteps));
    sub->add_option("--ig-baseline", a->igBaseline, "ig: baseline, mean (utterance mean of h, default) or zero")
        ->check(CLI::IsMember({"mean", "zero"}));
    sub->add_option("--seed", a->seed, "random: seed (default 1234)");
    sub->add_option("--window-seconds", a->windowSeconds, "window: length of each scored window (default 1 s)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--window-hop", a->windowHop,
                    "window: samples between windows (default one frame for AASIST, 1600 for XLS-R)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--wave-occlusion", a->waveOcclusion, "wave-occlusion: samples zeroed at once (default one frame hop)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--faithfulness", a->faithfulness, "Also deletion/insertion curves of every attribution");
    auto* j = sub->add_flag("--json", a->json, "One JSON object");
    auto* c = sub->add_flag("--csv", a->csv, "One CSV row per frame");
    j->excludes(c);
    sub->add_option("file", a->file, "Audio file")->required();
    return [a] { return runExplain(*a); };
});

} // namespace
} // namespace spooflens::cli
