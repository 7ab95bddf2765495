// `spooflens explain --detector CKPT [--detector-config YAML] --xai XAI.pth
//  [--cut full|64600|66800] [--json|--csv] FILE`: importance w(t) and prototype
// similarities of one utterance.
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/explain/Explainer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct ExplainArgs {
    DetectorArgs detector;
    std::string xai, file;
    bool json = false, csv = false;
};

int runExplain(const ExplainArgs& a)
{
    const core::CutMode cut = a.detector.cutMode();
    core::Explainer explainer(a.detector.options());
    const core::Stage2Info info = explainer.addStage2(a.xai);
    if (info.detectorMismatch)
        std::cerr << "warning: " << a.xai << " was trained on another detector (SHA-256 " << info.detectorSha256
                  << ", loaded " << explainer.detectorInfo().sha256 << ")\n";
    const core::AudioData audio = core::loadAudio(a.file);
    const core::Explanation e = explainer.explain(audio, cut);
    const core::Stage2Track& t = e.tracks.at(0);
    if (a.csv) {
        std::cout << "time_s,importance,sim_spoof,sim_bonafide\n";
        char buf[160];
        for (int64_t i = 0; i < e.frames; ++i) {
            std::snprintf(buf, sizeof buf, "%.3f,%.9g,%.9g,%.9g\n", core::frameCentreSeconds(i),
                          double(t.importance[size_t(i)]), double(t.simSpoof[size_t(i)]),
                          double(t.simBonafide[size_t(i)]));
            std::cout << buf;
        }
        return kExitOk;
    }
    if (a.json) {
        nlohmann::json j;
        j["path"] = a.file;
        std::vector<double> times;
        for (int64_t i = 0; i < e.frames; ++i)
            times.push_back(core::frameCentreSeconds(i));
        j["time_s"] = times;
        j["importance"] = t.importance;
        j["sim_spoof"] = t.simSpoof;
        j["sim_bonafide"] = t.simBonafide;
        j["utterance_sim"] = {{"spoof", t.uttSimSpoof}, {"bonafide", t.uttSimBonafide}};
        j["detector"] = {{"score", e.score}, {"logits", {e.logits[0], e.logits[1]}}};
        j["cut"] = e.cut;
        j["frames"] = e.frames;
        j["xai"] = {{"path", info.path}, {"prototype_mode", info.prototypeMode},
                    {"detector_sha256", info.detectorSha256}, {"detector_mismatch", info.detectorMismatch}};
        std::cout << j.dump() << "\n";
        return kExitOk;
    }
    std::printf("%s: T = %lld frames (cut %s)\n", a.file.c_str(), static_cast<long long>(e.frames), e.cut.c_str());
    std::printf("detector score (bona fide logit) %.4f, logits [%.4f, %.4f]\n", double(e.score), double(e.logits[0]),
                double(e.logits[1]));
    std::printf("Stage 2 %s (%s): sum w = %.3f, spread %.4f, u_spoof %.4f, u_bonafide %.4f -> %s\n",
                info.runName.c_str(), info.prototypeMode.c_str(), double(t.totalImportance),
                double(t.importanceSpread), double(t.uttSimSpoof), double(t.uttSimBonafide),
                t.predictedClass == 1 ? "bona fide" : "spoof");
    return kExitOk;
}

const bool kRegistered = registerCommand("explain", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<ExplainArgs>();
    CLI::App* sub = app.add_subcommand("explain", "Frame importance and prototype similarities of one utterance");
    addDetectorOptions(sub, a->detector);
    sub->add_option("--xai", a->xai, "Stage 2 checkpoint")->required();
    auto* j = sub->add_flag("--json", a->json, "One JSON object");
    auto* c = sub->add_flag("--csv", a->csv, "One CSV row per frame");
    j->excludes(c);
    sub->add_option("file", a->file, "Audio file")->required();
    return [a] { return runExplain(*a); };
});

} // namespace
} // namespace spooflens::cli
