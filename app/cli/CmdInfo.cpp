// `spooflens info [--json] [--channel N] [--max-duration S] FILE...`:
// what loadAudio makes of each file (format, original rate and channels,
// duration, 16 kHz sample count and SSL frame count T).
// `spooflens info --runtime`: the compute set-up this process runs with
// (threads, BLAS kernels, OMP_WAIT_POLICY; docs/cpu.md), for bug reports.
#include "app/cli/AudioWarning.h"
#include "app/cli/Command.h"
#include "app/cli/ErrorText.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/util/JsonText.h"
#include "core/util/Text.h"
#include "core/util/Threads.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct InfoArgs {
    bool json = false;
    bool runtime = false;
    int channel = -1;
    double maxDuration = 2.0 * 3600.0;
    std::vector<std::string> files;
};

int runInfo(const InfoArgs& args)
{
    core::AudioLoadOptions options;
    options.channel = args.channel;
    options.maxDurationSeconds = args.maxDuration;
    if (args.runtime) {
        core::configureComputeThreads(0);
        const char* policy = std::getenv("OMP_WAIT_POLICY");
        const std::string wait = policy && *policy ? policy : "unset";
        const char* tunables = std::getenv("GLIBC_TUNABLES");  // the launcher's allocator settings (docs/cpu.md)
        const std::string allocator = tunables && *tunables ? tunables : "unset";
        if (args.json) {
            nlohmann::json j;
            j["runtime"] = {{"threads", core::computeThreads()},
                            {"blas", core::blasKernels()},
                            {"convolutions", core::convolutionCheck()},
                            {"omp_wait_policy", wait},
                            {"glibc_tunables", allocator}};
            std::cout << core::jsonText(j) << "\n";
        } else {
            std::cout << "runtime: " << core::computeThreads() << " compute threads, BLAS " << core::blasKernels()
                      << ", " << core::convolutionCheck() << ", OMP_WAIT_POLICY " << wait
                      << ", GLIBC_TUNABLES " << allocator << "\n";
        }
    } else if (args.files.empty()) {
        std::cerr << "spooflens info: no audio file given (or use --runtime)\n";
        return kExitUsage;
    }
    int rc = kExitOk;
    for (const std::string& path : args.files) {
        core::AudioData audio;
        try {
            audio = core::loadAudio(path, options);
            warnIfEndedEarly(audio);
        } catch (const core::Error& e) {
            std::cout.flush();
            std::cerr << "spooflens info: " << escapeControl(e.what()) << "\n";
            rc = kExitFailure;
            continue;
        } catch (const std::exception& e) {
            std::cout.flush();
            std::cerr << "spooflens info: " << internalErrorText(e, core::printablePath(path)) << "\n";
            rc = kExitFailure;
            continue;
        }
        const auto samples = static_cast<int64_t>(audio.samples.size());
        if (args.json) {
            nlohmann::json j;
            j["path"] = path;
            j["format"] = audio.format;
            j["sample_rate_in"] = audio.sampleRateIn;
            j["channels_in"] = audio.channelsIn;
            j["frames_in"] = audio.framesIn;
            j["duration_s"] = audio.durationSeconds;
            j["channel"] = args.channel;
            j["samples_16k"] = samples;
            j["frames"] = audio.frames();
            std::cout << core::jsonText(j) << "\n";
        } else {
            char line[512];
            std::snprintf(line, sizeof line, "%s, %d Hz, %d channel%s, %.3f s -> %lld samples at 16 kHz, T = %lld frames",
                          audio.format.c_str(), audio.sampleRateIn, audio.channelsIn,
                          audio.channelsIn == 1 ? "" : "s", audio.durationSeconds,
                          static_cast<long long>(samples), static_cast<long long>(audio.frames()));
            std::cout << core::printablePath(path) << ": " << line << "\n";
        }
    }
    std::cout.flush();
    return rc;
}

const bool kRegistered = registerCommand("info", [](CLI::App& app) -> std::function<int()> {
    auto args = std::make_shared<InfoArgs>();
    CLI::App* sub = app.add_subcommand("info", "Show format, rate, channels, duration and frame count of audio files");
    sub->add_flag("--json", args->json, "One JSON object per file, one per line");
    sub->add_option("--channel", args->channel, "Use only this channel (0-based); default: average all channels")
        ->check(CLI::Range(-1, 1 << 20));
    sub->add_option("--max-duration", args->maxDuration, "Refuse audio longer than this many seconds (default 7200)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--runtime", args->runtime,
                  "First print the compute set-up: threads, BLAS kernels, OMP_WAIT_POLICY (docs/cpu.md)");
    sub->add_option("files", args->files, "Audio files (WAV, FLAC, Ogg Vorbis, Opus, MP3, ...)");
    return [args] { return runInfo(*args); };
});

} // namespace
} // namespace spooflens::cli
