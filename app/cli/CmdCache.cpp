// `spooflens cache --config C [--set k=v]... [--shard K/N]`: extracts the SSL
// features of every utterance of the protocol into the feature cache. Shards
// (K = 0..N-1) write disjoint files of the same cache folder, so a job array
// (SLURM, GNU parallel) fills it with no merge step. Utterances run in batches
// of --batch equal-length crops while the next ones are decoded (docs/speed.md).
#include "app/cli/Command.h"
#include "app/cli/ProgressLine.h"
#include "app/cli/TrainConfigArgs.h"
#include "core/Error.h"
#include "core/training/CacheFill.h"
#include "core/training/FeatureCache.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"

#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct CacheArgs {
    TrainConfigArgs cfg;
    std::string shard = "0/1";
    bool quiet = false;
    int batch = core::kDefaultDetectorBatch;
    bool strict = false;
};

int runCache(const CacheArgs& a)
{
    const core::TrainConfig c = a.cfg.load();
    const auto [k, n] = core::parseShard(a.shard);
    // The cache holds every row of the protocol: duplicates only (one class is a valid shard of a set).
    checkTrainProtocol(c, false, a.strict, true);
    core::CacheFillReport r;
    {
        ProgressLine line(a.quiet ? ProgressStyle::None : ProgressStyle::Bar);
        core::CacheFillOptions o;
        o.shardIndex = k;
        o.shardCount = n;
        o.quiet = a.quiet;
        o.batch = a.batch;
        o.log = line.logFn();
        o.progress = line.progressFn();
        r = core::fillFeatureCache(c, o);
    }
    std::cout << "shard " << k << "/" << n << ": " << r.utterances << " utterances, " << r.computed << " computed, "
              << r.reused << " already cached, " << r.seconds << " s";
    if (r.computed > 0)
        std::cout << " (" << double(r.computed) / std::max(1e-9, r.seconds) << " utterances/s)";
    std::cout << "; cache " << r.cacheDir << "\n";
    return kExitOk;
}

const bool kRegistered = registerCommand("cache", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<CacheArgs>();
    CLI::App* sub = app.add_subcommand("cache", "Extract SSL features of a protocol into the feature cache");
    addTrainConfigOptions(sub, a->cfg);
    sub->add_option("--shard", a->shard, "Process utterances with index % N == K (K = 0..N-1)");
    sub->add_flag("--quiet", a->quiet, "No progress line");
    sub->add_option("--batch", a->batch,
                    "Utterances per detector pass (equal-length crops; default "
                        + std::to_string(core::kDefaultDetectorBatch) + ", docs/speed.md)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--strict", a->strict, "Duplicated utterances in the protocol are an error (default: a warning)");
    return [a] { return runCache(*a); };
});

} // namespace
} // namespace spooflens::cli
