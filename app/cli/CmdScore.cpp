// `spooflens score --detector CKPT [--detector-config YAML] [--cut full|64600|66800]
//  [--device D] [--json] FILE...`: the frozen detector's score per file.
// With --json: one object per file per line: path, samples, frames, logits
// (spoof, bona fide), score (= logits[1], the bona fide logit), cut, windowed
// (+ windows), seconds. Exit codes: 0 ok, 1 a file or the checkpoint failed, 2 usage.
#include "app/cli/AudioWarning.h"
#include "app/cli/Command.h"
#include "app/cli/DetectorArgs.h"
#include "app/cli/ErrorText.h"
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/util/JsonText.h"
#include "core/util/Text.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct ScoreArgs {
    DetectorArgs detector;
    bool json = false;
    std::vector<std::string> files;
};

int runScore(const ScoreArgs& args)
{
    core::DetectorRequest request;
    request.cut = args.detector.cutMode();
    const core::Detector detector(args.detector.options());  // failures here: exit 1 via main

    int rc = kExitOk;
    for (const std::string& path : args.files) {
        core::DetectorResult r;
        try {
            const core::AudioData audio = core::loadAudio(path);
            warnIfEndedEarly(audio);
            r = detector.run(audio.samples, request);
        } catch (const core::Error& e) {
            std::cout.flush();
            std::cerr << "spooflens score: " << escapeControl(e.what()) << "\n";
            rc = kExitFailure;
            continue;
        } catch (const std::exception& e) {
            std::cout.flush();
            std::cerr << "spooflens score: " << internalErrorText(e, core::printablePath(path)) << "\n";
            rc = kExitFailure;
            continue;
        }
        if (args.json) {
            nlohmann::json j;
            j["path"] = path;
            j["samples"] = r.samples;
            j["frames"] = r.frames;
            j["logits"] = {r.logits[0], r.logits[1]};
            j["score"] = r.score;
            j["cut"] = core::cutModeName(r.cut);
            j["windowed"] = r.windowed;
            if (r.windowed) {
                nlohmann::json windows = nlohmann::json::array();
                for (const auto& w : r.windows)
                    windows.push_back({{"start_sample", w.startSample},
                                       {"end_sample", w.endSample},
                                       {"logits", {w.logits[0], w.logits[1]}},
                                       {"score", w.score}});
                j["windows"] = windows;
            }
            j["seconds"] = r.seconds;
            std::cout << core::jsonText(j) << "\n";
        } else {
            char line[256];
            std::snprintf(line, sizeof line, "score %.6f (logits %.6f, %.6f), T = %lld frames, cut %s%s",
                          static_cast<double>(r.score), static_cast<double>(r.logits[0]),
                          static_cast<double>(r.logits[1]), static_cast<long long>(r.frames),
                          core::cutModeName(r.cut).c_str(),
                          r.windowed ? (", " + std::to_string(r.windows.size()) + " windows").c_str() : "");
            std::cout << core::printablePath(path) << ": " << line << "\n";
        }
    }
    std::cout.flush();
    return rc;
}

const bool kRegistered = registerCommand("score", [](CLI::App& app) -> std::function<int()> {
    auto args = std::make_shared<ScoreArgs>();
    CLI::App* sub = app.add_subcommand(
        "score", "Score audio files with the frozen detector (score = bona fide logit; higher = more bona fide)");
    addDetectorOptions(sub, args->detector);
    sub->add_flag("--json", args->json, "One JSON object per file, one per line");
    sub->add_option("files", args->files, "Audio files")->required();
    return [args] { return runScore(*args); };
});

} // namespace
} // namespace spooflens::cli
