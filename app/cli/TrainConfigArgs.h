#pragma once
// The configuration flags shared by `train` and `cache`: --config, --set and
// the shortcuts that are overrides of config keys (--database-path,
// --protocol-path, --device), with one mapping to core::TrainConfig.
#include "core/training/TrainConfig.h"

#include <CLI/CLI.hpp>

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

} // namespace spooflens::cli
