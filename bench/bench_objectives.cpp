// Compares the Stage 2 objectives on synthetic frames where only one segment of
// each spoof utterance is separable (docs/stage2-objective.md, "Comparison"):
// every objective x prototype mode x seed, frame ROC-AUC of w against the true
// spoofed frames of held-out utterances, then means over seeds.
// Usage: bench_objectives [--seeds N] [--separation S] [--spoof-fraction F]
//                         [--objectives a,b] [--modes a,b] [--set section.key=value]...
#include "core/Error.h"
#include "tests/support/SyntheticFrames.h"
#include "core/util/Threads.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace spooflens::core;

namespace {

std::vector<std::string> splitList(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    int seeds = 3;
    SyntheticFramesOptions base;
    std::vector<std::string> objectives = stage2ObjectiveNames();
    std::vector<std::string> modes = {"ema", "fixed", "learnable"};
    // Synthetic-task training settings (small model, a few hundred steps).
    std::vector<std::string> sets = {"model.importance_hidden_dim=32", "model.ema_momentum=0.9",
                                     "training.learning_rate=0.003",   "training.batch_size=16",
                                     "training.num_epochs=40"};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--seeds") seeds = std::atoi(v.c_str());
        else if (a == "--separation") base.separation = std::atof(v.c_str());
        else if (a == "--spoof-fraction") base.spoofFraction = std::atof(v.c_str());
        else if (a == "--objectives") objectives = splitList(v);
        else if (a == "--modes") modes = splitList(v);
        else if (a == "--set") sets.push_back(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    configureComputeThreads(1);
    std::printf("synthetic frames: D %lld, T %lld, %lld train / %lld test utterances, spoofed share %.2f, separation %.2f\n",
                (long long)base.dim, (long long)base.frames, (long long)base.trainUtterances,
                (long long)base.testUtterances, base.spoofFraction, base.separation);
    std::printf("%-14s %-10s %5s %8s %8s %8s %8s %8s %s\n", "objective", "mode", "seed", "AUC", "AUCspoof",
                "w_spf", "w_other", "w_bona", "flags");
    struct Acc { double auc = 0, aucIn = 0, wS = 0, wO = 0, wB = 0; int n = 0, degenerate = 0; };
    std::map<std::pair<std::string, std::string>, Acc> acc;
    try {
        for (const auto& obj : objectives)
            for (const auto& mode : modes)
                for (int s = 0; s < seeds; ++s) {
                    SyntheticFramesOptions o = base;
                    std::vector<std::string> ov = sets;
                    ov.push_back("model.objective=" + obj);
                    ov.push_back("model.prototype_mode=" + mode);
                    ov.push_back("training.seed=" + std::to_string(1234 + s));
                    o.config = TrainConfig::fromOverrides(ov);
                    const SyntheticFramesResult r = trainOnSyntheticFrames(o);
                    std::printf("%-14s %-10s %5d %8.4f %8.4f %8.4f %8.4f %8.4f %s\n", obj.c_str(), mode.c_str(),
                                1234 + s, r.frameAuc, r.frameAucWithinSpoof, r.meanWSpoofedFrames,
                                r.meanWOtherSpoofFrames, r.meanWBonafide,
                                importanceHealthText(r.health, r.importanceMean, r.importanceSpread).c_str());
                    std::fflush(stdout);
                    Acc& a = acc[{obj, mode}];
                    a.auc += r.frameAuc;
                    a.aucIn += r.frameAucWithinSpoof;
                    a.wS += r.meanWSpoofedFrames;
                    a.wO += r.meanWOtherSpoofFrames;
                    a.wB += r.meanWBonafide;
                    a.degenerate += r.health.degenerate() ? 1 : 0;
                    ++a.n;
                }
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    std::printf("\nmeans over %d seeds\n%-14s %-10s %8s %8s %8s %8s %8s %s\n", seeds, "objective", "mode", "AUC",
                "AUCspoof", "w_spf", "w_other", "w_bona", "degenerate runs");
    for (const auto& obj : objectives)
        for (const auto& mode : modes) {
            const Acc& a = acc[{obj, mode}];
            const double k = a.n > 0 ? 1.0 / a.n : 0.0;
            std::printf("%-14s %-10s %8.4f %8.4f %8.4f %8.4f %8.4f %d/%d\n", obj.c_str(), mode.c_str(), a.auc * k,
                        a.aucIn * k, a.wS * k, a.wO * k, a.wB * k, a.degenerate, a.n);
        }
    return 0;
}
