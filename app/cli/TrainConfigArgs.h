#pragma once
// The configuration flags shared by `train` and `cache`: --config, --set and
// the shortcuts that are overrides of config keys (--database-path,
// --protocol-path, --device), with one mapping to core::TrainConfig.
#include "app/cli/ErrorText.h"
#include "core/Error.h"
#include "core/training/Protocol.h"
#include "core/training/TrainConfig.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace spooflens::cli {

struct TrainConfigArgs {
    std::string config;                 ///< --config YAML
    std::vector<std::string> sets;      ///< --set section.key=value
    std::string databasePath;           ///< --database-path (data.database_path)
    std::string protocolPath;           ///< --protocol-path (data.protocol_path)
    std::string device;                 ///< --device (training.device)

    /// The configuration these flags describe; throws ConfigError naming the key/line.
    core::TrainConfig load() const
    {
        std::vector<std::string> all = sets;
        if (!databasePath.empty())
            all.push_back("data.database_path=" + databasePath);
        if (!protocolPath.empty())
            all.push_back("data.protocol_path=" + protocolPath);
        if (!device.empty())
            all.push_back("training.device=" + device);
        return config.empty() ? core::TrainConfig::fromOverrides(all) : core::TrainConfig::load(config, all);
    }
};

/// Adds --config, --set, --database-path, --protocol-path and --device to `sub`.
inline void addTrainConfigOptions(CLI::App* sub, TrainConfigArgs& args)
{
    sub->add_option("--config", args.config, "YAML configuration (keys of configs/xai_stage2.yaml)");
    sub->add_option("--set", args.sets, "Override a key: section.key=value (repeatable)");
    sub->add_option("--database-path", args.databasePath, "Audio root (data.database_path)");
    sub->add_option("--protocol-path", args.protocolPath, "Protocol file (data.protocol_path)");
    sub->add_option("--device", args.device, "auto | cpu | cuda | cuda:N (training.device)");
}

/// `--strict` of train and cache (docs/reliability.md): the protocol of `c`
/// must not list an utterance twice and (`checkClasses`) its training rows
/// must hold both classes; otherwise ConfigError with the counts. Without
/// `strict` nothing is checked here (the trainer warns itself; `warnHere`
/// prints the warnings for commands that do not train).
inline void checkTrainProtocol(const core::TrainConfig& c, bool checkClasses, bool strict, bool warnHere)
{
    if (!strict && !warnHere)
        return;
    if (c.protocolPath.empty())
        throw core::ConfigError("data.protocol_path is not set (use --protocol-path or --set data.protocol_path=...)");
    const core::Protocol p = core::readProtocol(c.protocolPath);
    const std::vector<std::string> paths = core::resolveAllAudio(c.databasePath, p);
    const auto checks = core::checkProtocol(p, paths, checkClasses ? c.trainSubset : std::string());
    for (const std::string& w : core::enforceProtocolChecks(checks, c.protocolPath, checkClasses, strict))
        std::cerr << "warning: " << escapeControl(w) << "\n";
}

} // namespace spooflens::cli
