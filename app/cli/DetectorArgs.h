#pragma once
// The detector flags shared by every sub-command that runs the detector
// (score, embed, explain, compare): one declaration, one mapping to
// core::DetectorOptions, so the commands cannot drift apart.
#include "core/detector/Detector.h"
#include "core/util/Threads.h"

#include <CLI/CLI.hpp>

#include <string>

namespace spooflens::cli {

struct DetectorArgs {
    std::string checkpoint;        ///< --detector
    std::string config;            ///< --detector-config
    std::string cut = "full";      ///< --cut full|64600|66800
    std::string device = "auto";   ///< --device
    std::string precision = "fp32"; ///< --precision fp32|bf16
    int threads = 0;               ///< --threads (0 = all cores)
    double singlePassLimit = 60.0; ///< --single-pass-limit (seconds)

    core::DetectorOptions options() const
    {
        core::DetectorOptions o;
        o.checkpointPath = checkpoint;
        o.configPath = config;
        o.device = device;
        o.threads = threads;
        o.precision = core::parsePrecision(precision);
        o.singlePassLimitSeconds = singlePassLimit;
        return o;
    }
    core::CutMode cutMode() const { return core::parseCutMode(cut); }
};

/// Adds --detector (required), --detector-config, --cut, --device, --precision,
/// --threads and --single-pass-limit to `sub`, bound to `args` (which must outlive parsing).
inline void addDetectorOptions(CLI::App* sub, DetectorArgs& args)
{
    sub->add_option("--detector", args.checkpoint, "Detector checkpoint (avg_5_best.pth or compatible)")->required();
    sub->add_option("--detector-config", args.config, "YAML with ssl.attention_heads / backend.attention_heads");
    sub->add_option("--cut", args.cut, "Input policy: full (whole file), 64600 or 66800 (repeat-padded cut)")
        ->check(CLI::IsMember({"full", "64600", "66800"}));
    sub->add_option("--device", args.device, "auto, cpu, cuda or cuda:N (default auto)");
    sub->add_option("--precision", args.precision,
                    "SSL encoder arithmetic: fp32 (reference, default) or bf16 (faster; docs/precision.md)")
        ->check(CLI::IsMember({"fp32", "bf16"}));
    sub->add_option("--threads", args.threads, "Compute threads (default 0: all cores; at most 256)")
        ->check(CLI::Range(0, core::kMaxComputeThreads));
    sub->add_option("--single-pass-limit", args.singlePassLimit,
                    "Files longer than this many seconds run in overlapping windows (default 60)")
        ->check(CLI::PositiveNumber);
}

} // namespace spooflens::cli
