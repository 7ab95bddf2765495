// `spooflens demo --out DIR`: builds the demo (docs/demo.md): a corpus of
// human and synthetic speech from Debian packages, the tiny detector with its
// back-end trained on it, one Stage 2 module per prototype mode (+ a
// seed-objective one), their localisation scores and manifest.json.
#include "app/cli/Command.h"
#include "app/cli/ProgressLine.h"
#include "core/Error.h"
#include "core/training/Demo.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace fs = std::filesystem;

namespace spooflens::cli {
namespace {

struct DemoArgs {
    std::string out = "build/demo";
    std::string data;
    int64_t epochs = 12;
    int64_t detectorSteps = 600;
    uint64_t seed = 1234;
    bool verbose = false, noTrain = false, small = false, noSeedModule = false, trainSsl = false, partialTraining = false;
};

// tests/data of the source tree: --data, else next to the binary (build/app/ -> ../../tests/data), else ./tests/data.
std::string findData(const std::string& given)
{
    if (!given.empty())
        return given;
    std::vector<fs::path> candidates;
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        const fs::path exe(buf);
        // The program runs from BUILD/app/libexec/ (behind the launcher, docs/cpu.md).
        candidates.push_back(exe.parent_path() / ".." / ".." / ".." / "tests" / "data");
        candidates.push_back(exe.parent_path() / ".." / ".." / "tests" / "data");
        candidates.push_back(exe.parent_path() / ".." / "share" / "spooflens" / "demo");
    }
    candidates.push_back(fs::path("tests") / "data");
    for (const auto& c : candidates)
        if (fs::is_regular_file(c / "fixtures" / "detector_tiny.pth"))
            return fs::weakly_canonical(c).string();
    throw core::ConfigError("cannot find the demo inputs (tests/data with fixtures/detector_tiny.pth); pass --data DIR");
}

int runDemo(const DemoArgs& a)
{
    const std::string data = findData(a.data);
    core::DemoOptions o;
    o.outDir = a.out;
    o.detectorSource = data + "/fixtures/detector_tiny.pth";
    o.bonafideAudio = data + "/asvspoof_bonafide_sample.flac";
    o.epochs = a.epochs;
    o.detectorSteps = a.detectorSteps;
    o.trainSsl = a.trainSsl;
    o.partialTraining = a.partialTraining;
    o.seed = a.seed;
    o.small = a.small;
    o.seedModule = !a.noSeedModule;
    o.quiet = !a.verbose;
    o.train = !a.noTrain;
    ProgressLine line(a.verbose ? ProgressStyle::Bar : ProgressStyle::None);
    o.progress = line.progressFn();
    const core::DemoReport r = core::buildDemo(o);
    line.clearBar();
    std::cout << "demo in " << r.outDir << "\n  detector  " << r.detector << "\n  utterance " << r.utterance
              << " (first spoof segment " << r.spliceStartSeconds << "-" << r.spliceEndSeconds << " s, labels "
              << r.utteranceLabels << ")\n  protocol  " << r.protocol << "\n  config    " << r.config
              << "\n  manifest  " << r.manifest << "\n";
    if (r.devEer >= 0)
        std::cout << "  detector  dev EER " << 100 * r.devEer << " %, eval EER " << 100 * r.evalEer << " %\n";
    for (size_t i = 0; i < r.xai.size(); ++i)
        std::cout << "  stage 2   " << r.xai[i] << " (" << r.trainSeconds[i] << " s)\n";
    std::cout << "  built in  " << r.buildSeconds << " s\n";
    return kExitOk;
}

const bool kRegistered = registerCommand("demo", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<DemoArgs>();
    CLI::App* sub = app.add_subcommand("demo", "Build the demo: speech corpus, trained tiny detector, Stage 2 per mode, manifest");
    sub->add_option("--out", a->out, "Output folder (default build/demo)");
    sub->add_option("--data", a->data, "Folder with fixtures/detector_tiny.pth and asvspoof_bonafide_sample.flac");
    sub->add_option("--epochs", a->epochs, "Stage 2 epochs per module (default 12)")->check(CLI::PositiveNumber);
    sub->add_option("--detector-steps", a->detectorSteps, "Detector training steps (default 600; 0 keeps the tiny preset's random weights, as the CI fixture does)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--seed", a->seed, "Seed of every random choice (default 1234)");
    sub->add_flag("--small", a->small, "Smaller, faster build (fewer spoof files, steps and epochs; the test fixture)");
    sub->add_flag("--train-ssl", a->trainSsl, "Train the tiny SSL with the back-end (end to end; about 3x slower; docs/demo.md, Variants)");
    sub->add_flag("--partial-training", a->partialTraining, "Add partial-spoof train/dev utterances next to their hosts (docs/demo.md, Variants)");
    sub->add_flag("--no-seed-module", a->noSeedModule, "Skip the seed-objective comparison module");
    sub->add_flag("--verbose", a->verbose, "Print the training log");
    sub->add_flag("--no-train", a->noTrain, "Only write the corpus");
    return [a] { return runDemo(*a); };
});

} // namespace
} // namespace spooflens::cli
