// `spooflens train --config C [--set k=v]... --out RUN_DIR` and
// `spooflens train --resume RUN_DIR`: trains a Stage 2 module on the frozen detector.
#include "app/cli/Command.h"
#include "core/Error.h"
#include "core/training/RunControl.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void onSignal(int)
{
    g_stop.store(true);
}

struct TrainArgs {
    std::string config, out, resume, databasePath, protocolPath, device;
    std::vector<std::string> sets;
    bool quiet = false;
    int64_t stopAfter = 0;
};

int runTrain(const TrainArgs& a)
{
    core::TrainOptions o;
    o.quiet = a.quiet;
    if (!a.resume.empty()) {
        if (!a.config.empty() || !a.sets.empty() || !a.out.empty())
            throw core::ConfigError("--resume takes the configuration from RUN_DIR/config.yaml; "
                                    "do not combine it with --config, --set or --out");
        o.resume = true;
        o.runDir = a.resume;
    } else {
        if (a.out.empty())
            throw core::ConfigError("--out RUN_DIR is required (or --resume RUN_DIR)");
        std::vector<std::string> sets = a.sets;
        if (!a.databasePath.empty())
            sets.push_back("data.database_path=" + a.databasePath);
        if (!a.protocolPath.empty())
            sets.push_back("data.protocol_path=" + a.protocolPath);
        if (!a.device.empty())
            sets.push_back("training.device=" + a.device);
        o.config = a.config.empty() ? core::TrainConfig::fromOverrides(sets) : core::TrainConfig::load(a.config, sets);
        o.runDir = a.out;
    }
    o.stop = &g_stop;
    o.maxEpochsThisCall = a.stopAfter;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    // RUN_DIR/control (pause | run | stop) lets another process (the GUI's
    // training panel) pause between steps and stop resumably.
    std::atomic<bool> pause{false};
    o.pause = &pause;
    std::filesystem::create_directories(o.runDir);
    const core::RunControlWatcher control(o.runDir, &g_stop, &pause);
    const core::TrainResult r = core::trainStage2(o);
    std::cerr << "run " << r.runDir << ": " << r.epochsDone << " epochs, best epoch " << r.bestEpoch
              << " (val loss " << r.bestValLoss << ")"
              << (r.stoppedEarly ? ", stopped early" : "")
              << (r.interrupted ? ", interrupted (resume with: spooflens train --resume " + r.runDir + ")" : "")
              << "\n";
    return kExitOk;
}

const bool kRegistered = registerCommand("train", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<TrainArgs>();
    CLI::App* sub = app.add_subcommand("train", "Train a Stage 2 XAI module on the frozen detector's SSL features");
    sub->add_option("--config", a->config, "YAML configuration (keys of configs/xai_stage2.yaml)");
    sub->add_option("--set", a->sets, "Override a key: section.key=value (repeatable)");
    sub->add_option("--out", a->out, "Run folder: best.pth, last.pth, metrics.jsonl, steps.jsonl, config.yaml");
    sub->add_option("--resume", a->resume, "Continue the run in RUN_DIR where it stopped");
    sub->add_option("--database-path", a->databasePath, "Audio root (data.database_path)");
    sub->add_option("--protocol-path", a->protocolPath, "Protocol file (data.protocol_path)");
    sub->add_option("--device", a->device, "auto | cpu | cuda | cuda:N (training.device)");
    sub->add_option("--stop-after", a->stopAfter, "Stop (resumably) after this many epochs of this call");
    sub->add_flag("--quiet", a->quiet, "No progress line");
    return [a] { return runTrain(*a); };
});

} // namespace
} // namespace spooflens::cli
