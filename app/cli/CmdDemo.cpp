// `spooflens demo --out DIR`: builds the demo (docs/demo.md): a corpus of
// human and synthetic speech from Debian packages, explained on the AASIST
// authors' pretrained AASIST-L (shipped in resources/detectors/aasist), one
// Stage 2 module per prototype mode (+ a seed-objective one), their
// localisation and the baseline explainers', and manifest.json.
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
    std::string detector;
    int64_t epochs = 12;
    uint64_t seed = 1234;
    bool verbose = false, noTrain = false, small = false, noSeedModule = false, partialTraining = false;
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
        if (fs::is_regular_file(c / "asvspoof_bonafide_sample.flac"))
            return fs::weakly_canonical(c).string();
    throw core::ConfigError("cannot find the demo inputs (tests/data with asvspoof_bonafide_sample.flac); pass --data DIR");
}

// The shipped detector: --detector, else resources/detectors/aasist/AASIST-L.pth of the source tree next to DATA.
std::string findDetector(const std::string& given, const std::string& data)
{
    if (!given.empty())
        return given;
    const fs::path p = fs::path(data) / ".." / ".." / "resources" / "detectors" / "aasist" / "AASIST-L.pth";
    if (!fs::is_regular_file(p))
        throw core::ConfigError("cannot find the demo detector " + p.lexically_normal().string()
                                + " (resources/detectors/aasist of the source tree); pass --detector FILE");
    return fs::weakly_canonical(p).string();
}

int runDemo(const DemoArgs& a)
{
    const std::string data = findData(a.data);
    core::DemoOptions o;
    o.outDir = a.out;
    o.detectorSource = findDetector(a.detector, data);
    o.bonafideAudio = data + "/asvspoof_bonafide_sample.flac";
    o.epochs = a.epochs;
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
        std::cout << "  detector  " << r.detectorName << ": dev EER " << 100 * r.devEer << " %, eval EER "
                  << 100 * r.evalEer << " %\n";
    for (size_t i = 0; i < r.xai.size(); ++i)
        std::cout << "  stage 2   " << r.xai[i] << " (" << r.trainSeconds[i] << " s)\n";
    std::cout << "  built in  " << r.buildSeconds << " s\n";
    return kExitOk;
}

const bool kRegistered = registerCommand("demo", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<DemoArgs>();
    CLI::App* sub = app.add_subcommand("demo", "Build the demo: speech corpus, the pretrained AASIST-L detector, Stage 2 per mode, manifest");
    sub->add_option("--out", a->out, "Output folder (default build/demo)");
    sub->add_option("--data", a->data, "Folder with asvspoof_bonafide_sample.flac (tests/data)");
    sub->add_option("--detector", a->detector, "Detector to explain (default resources/detectors/aasist/AASIST-L.pth)");
    sub->add_option("--epochs", a->epochs, "Stage 2 epochs per module (default 12)")->check(CLI::PositiveNumber);
    sub->add_option("--seed", a->seed, "Seed of every random choice (default 1234)");
    sub->add_flag("--small", a->small, "Smaller, faster build (fewer spoof files and epochs, one seed; the test fixture)");
    sub->add_flag("--partial-training", a->partialTraining, "Add partial-spoof train/dev utterances next to their hosts (docs/demo.md, Variants)");
    sub->add_flag("--no-seed-module", a->noSeedModule, "Skip the seed-objective comparison module");
    sub->add_flag("--verbose", a->verbose, "Print the training log");
    sub->add_flag("--no-train", a->noTrain, "Only write the corpus");
    return [a] { return runDemo(*a); };
});

} // namespace
} // namespace spooflens::cli
