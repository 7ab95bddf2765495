// `spooflens embed --detector CKPT [--detector-config YAML] [--cut ...] --out FEATS.npy FILE`:
// writes the SSL features h(t) (after the encoder's final LayerNorm) as a
// float32 .npy of shape (T, D), C order. Exit codes: 0 ok, 1 failure, 2 usage.
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/format/Npy.h"
#include "core/detector/Detector.h"
#include "core/util/FileCheck.h"

#include <filesystem>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct EmbedArgs {
    DetectorArgs detector;
    std::string out, file;
    bool quiet = false;
};

int runEmbed(const EmbedArgs& args)
{
    // Outputs are regular files: a device node, FIFO or folder at --out is refused, never replaced.
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::status(args.out, ec)))
        if (const std::string why = core::whyNotRegularFile(args.out, "file to write the features to"); !why.empty())
            throw core::ConfigError("--out " + args.out + ": " + why);
    core::DetectorRequest request;
    request.cut = args.detector.cutMode();
    const core::Detector detector(args.detector.options());
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
    addDetectorOptions(sub, args->detector);
    sub->add_option("--out", args->out, "Output .npy file")->required();
    sub->add_flag("--quiet", args->quiet, "No summary on stderr");
    sub->add_option("file", args->file, "Audio file")->required();
    return [args] { return runEmbed(*args); };
});

} // namespace
} // namespace spooflens::cli
