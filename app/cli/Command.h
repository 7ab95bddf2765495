#pragma once
// Sub-command registry of the `spooflens` tool. Each Cmd*.cpp registers one
// sub-command at static-initialisation time; main.cpp parses and dispatches.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace spooflens::cli {

/// Exit codes shared by every sub-command.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

/// `setup` adds the sub-command to `app` and returns the function that runs it
/// (called only when that sub-command was chosen). The runner returns an ExitCode.
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandInfo {
    std::string name;
    CommandSetup setup;
};

std::vector<CommandInfo>& commandRegistry();

inline bool registerCommand(std::string name, CommandSetup setup)
{
    commandRegistry().push_back({std::move(name), std::move(setup)});
    return true;
}

} // namespace spooflens::cli
