// `spooflens embed --detector CKPT [--detector-config YAML] [--cut ...] --out FEATS.npy FILE`:
// writes the SSL features h(t) (after the encoder's final LayerNorm) as a
// float32 .npy of shape (T, D), C order. Exit codes: 0 ok, 1 failure, 2 usage.
#include "app/cli/Command.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Npy.h"
#include "core/detector/Detector.h"

#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct EmbedArgs {
    std::string detector, config, cut = "full", device = "auto", out, file;
    int threads = 0;
    double singlePassLimit = 60.0;
    bool quiet = false;
};

int runEmbed(const EmbedArgs& args)
{
    core::DetectorOptions options;
    options.checkpointPath = args.detector;
    options.configPath = args.config;
    options.device = args.device;
    options.threads = args.threads;
    options.singlePassLimitSeconds = args.singlePassLimit;
    core::DetectorRequest request;
    request.cut = core::parseCutMode(args.cut);
    const core::Detector detector(options);
    const core::DetectorResult r = detector.run(core::loadAudio(args.file).samples, request);
    core::writeNpyF32(args.out, r.ssl.data(), {r.frames, r.dim});
    if (!args.quiet)
        std::cerr << args.file << ": wrote " << r.frames << " x " << r.dim << " features to " << args.out
                  << (r.windowed ? " (stitched from " + std::to_string(r.windows.size()) + " windows)" : "") << "\n";
    return kExitOk;
}

const bool kRegistered = registerCommand("embed", [](CLI::App& app) -> std::function<int()> {
    auto args = std::make_shared<EmbedArgs>();
    CLI::App* sub = app.add_subcommand("embed", "Write the SSL features h(t) of one file as a (T, D) float32 .npy");
    sub->add_option("--detector", args->detector, "Detector checkpoint (avg_5_best.pth or compatible)")->required();
    sub->add_option("--detector-config", args->config, "YAML with ssl.attention_heads / backend.attention_heads");
    sub->add_option("--cut", args->cut, "Input policy: full (whole file), 64600 or 66800 (repeat-padded cut)")
        ->check(CLI::IsMember({"full", "64600", "66800"}));
    sub->add_option("--device", args->device, "auto, cpu, cuda or cuda:N (default auto)");
    sub->add_option("--threads", args->threads, "Compute threads (default: all cores)")->check(CLI::NonNegativeNumber);
    sub->add_option("--single-pass-limit", args->singlePassLimit,
                    "Files longer than this many seconds run in overlapping windows (default 60)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--out", args->out, "Output .npy file")->required();
    sub->add_flag("--quiet", args->quiet, "No summary on stderr");
    sub->add_option("file", args->file, "Audio file")->required();
    return [args] { return runEmbed(*args); };
});

} // namespace
} // namespace spooflens::cli
