// `spooflens train --config C [--set k=v]... --out RUN_DIR` and
// `spooflens train --resume RUN_DIR`: trains a Stage 2 module on the frozen detector.
#include "app/cli/Command.h"
#include "app/cli/ProgressLine.h"
#include "app/cli/TrainConfigArgs.h"
#include "core/Error.h"
#include "core/training/RunControl.h"
#include "core/training/RunFolder.h"
#include "core/training/RunRecords.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"
#include "core/util/Text.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};  // SIGINT/SIGTERM that asked the run to stop (0: none)

extern "C" void onSignal(int sig)
{
    g_signal.store(sig);
    g_stop.store(true);
}

struct TrainArgs {
    TrainConfigArgs cfg;
    std::string out, resume;
    bool quiet = false;
    bool strict = false;
    bool overwrite = false;
    std::string progress = "bar";
    int64_t stopAfter = 0;
};

int runTrain(const TrainArgs& a)
{
    core::TrainOptions o;
    ProgressLine line(a.quiet ? ProgressStyle::None : parseProgressStyle(a.progress));
    o.progress = line.progressFn();
    o.log = line.logFn();
    if (!a.resume.empty()) {
        if (!a.cfg.config.empty() || !a.cfg.sets.empty() || !a.out.empty() || a.overwrite)
            throw core::ConfigError("--resume takes the configuration from RUN_DIR/config.yaml; "
                                    "do not combine it with --config, --set, --out or --overwrite");
        o.resume = true;
        o.runDir = a.resume;
    } else {
        if (a.out.empty())
            throw core::ConfigError("--out RUN_DIR is required (or --resume RUN_DIR)");
        o.config = a.cfg.load();
        o.runDir = a.out;
        std::error_code ec;
        o.configInRunDir = !a.cfg.config.empty()
                           && std::filesystem::equivalent(a.cfg.config, std::filesystem::path(a.out) / core::kRunConfigFile, ec);
    }
    if (a.strict)
        checkTrainProtocol(o.resume ? core::TrainConfig::load((std::filesystem::path(o.runDir) / "config.yaml").string())
                                    : o.config,
                           true, true, false);
    o.stop = &g_stop;
    o.maxEpochsThisCall = a.stopAfter;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    // RUN_DIR/control (pause | run | stop) lets another process (the GUI's
    // training panel) pause between steps and stop resumably.
    std::atomic<bool> pause{false};
    o.pause = &pause;
    std::filesystem::create_directories(o.runDir);
    if (a.overwrite && !core::describeRunIn(o.runDir, !o.configInRunDir).empty()) {
        // Never while another trainer writes it (its lock), and nothing deleted: the old run moves aside.
        const core::FolderLock old(o.runDir, core::kRunLockFile, "spooflens train --overwrite");
        const std::string found = core::describeRunIn(o.runDir, !o.configInRunDir);
        const std::string aside = core::moveRunAside(o.runDir);
        std::cerr << "moved " << found << " from " << core::printablePath(o.runDir) << " aside to "
                  << core::printablePath(aside) << "\n";
        std::filesystem::create_directories(o.runDir);
    }
    // One writer per run folder: the lock comes before the control watcher,
    // which clears a stale control file that may belong to a live run.
    const core::FolderLock lock(o.runDir, core::kRunLockFile, "spooflens train");
    o.runDirLocked = true;
    const core::RunControlWatcher control(o.runDir, &g_stop, &pause);
    const core::TrainResult r = core::trainStage2(o);
    line.clearBar();
    const std::string runDir = core::printablePath(r.runDir);
    std::cerr << "run " << runDir << ": " << r.epochsDone << " epochs, best epoch " << r.bestEpoch
              << " (val loss " << r.bestValLoss << ")"
              << (r.stoppedEarly ? ", stopped early" : "")
              << (r.interrupted ? ", interrupted (resume with: spooflens train --resume " + runDir + ")" : "")
              << "\n";
    // Stopped by a signal: the epoch-end state is saved (resumable), but the run did not
    // finish, so the exit status says so the way shells expect (128 + signal: 130 for
    // SIGINT, 143 for SIGTERM). A stop through RUN_DIR/control (the training panel) is
    // an ordinary end (0).
    if (const int sig = g_signal.load(); sig != 0 && r.interrupted)
        return 128 + sig;
    return kExitOk;
}

const bool kRegistered = registerCommand("train", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<TrainArgs>();
    CLI::App* sub = app.add_subcommand("train", "Train a Stage 2 XAI module on the frozen detector's SSL features");
    addTrainConfigOptions(sub, a->cfg);
    sub->add_option("--out", a->out, "Run folder: best.pth, last.pth, metrics.jsonl, steps.jsonl, config.yaml");
    sub->add_option("--resume", a->resume, "Continue the run in RUN_DIR where it stopped");
    sub->add_flag("--overwrite", a->overwrite,
                  "With --out: a run already in RUN_DIR is first moved aside to RUN_DIR.old-<time> (nothing deleted); "
                  "without it such a folder is refused");
    sub->add_option("--stop-after", a->stopAfter, "Stop (resumably) after this many epochs of this call");
    sub->add_flag("--quiet", a->quiet, "No progress line (as --progress none)");
    sub->add_option("--progress", a->progress,
                    "bar: a live line on stderr (default); json: one JSON object per line on stderr "
                    "({\"progress\":PHASE,\"epoch\":..}, for programs); none")
        ->check(CLI::IsMember({"bar", "json", "none"}));
    sub->add_flag("--strict", a->strict,
                  "Duplicated utterances and a one-class training set are errors (default: warnings)");
    return [a] { return runTrain(*a); };
});

} // namespace
} // namespace spooflens::cli
