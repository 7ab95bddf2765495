// `spooflens`: the command-line tool. Wiring only: each sub-command lives in
// its own Cmd*.cpp and calls into spooflens_core.
#include "app/cli/Command.h"
#include "app/cli/ErrorText.h"
#include "core/Error.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>

namespace spooflens::cli {
std::vector<CommandInfo>& commandRegistry()
{
    static std::vector<CommandInfo> registry;
    return registry;
}
} // namespace spooflens::cli

int main(int argc, char** argv)
{
    using namespace spooflens::cli;
    // A file size limit (ulimit -f) must not kill the process without a word:
    // with SIGXFSZ ignored the write fails with EFBIG, and every write is
    // checked (docs/reliability.md), so the command names the file and stops.
    std::signal(SIGXFSZ, SIG_IGN);
    CLI::App app{"SpoofLens: explain audio deepfake detectors (XLS-R + ConformerTCM, Stage 2 XAI)"};
    app.set_version_flag("--version", std::string(SPOOFLENS_VERSION));
    app.require_subcommand(1);

    auto& registry = commandRegistry();
    std::sort(registry.begin(), registry.end(),
              [](const CommandInfo& a, const CommandInfo& b) { return a.name < b.name; });
    std::map<CLI::App*, std::function<int()>> runners;
    for (auto& cmd : registry) {
        CLI::App* before = nullptr;
        auto runner = cmd.setup(app);
        for (auto* sub : app.get_subcommands([&](CLI::App* s) { return s->get_name() == cmd.name; }))
            before = sub;
        if (before)
            runners[before] = std::move(runner);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kExitOk : kExitUsage;
    }
    for (auto* sub : app.get_subcommands()) {
        auto it = runners.find(sub);
        if (it == runners.end())
            continue;
        try {
            const int rc = it->second();
            // Output that did not reach stdout (a full disk, a closed pipe) is a failure, not a result.
            errno = 0;
            std::cout.flush();
            const bool flushed = std::fflush(stdout) == 0;
            if (!std::cout || !flushed || std::ferror(stdout)) {
                const int e = errno;
                std::cerr << "spooflens " << sub->get_name() << ": the output could not be written to stdout"
                          << (e ? std::string(": ") + std::strerror(e) : std::string()) << "\n";
                return kExitFailure;
            }
            return rc;
        } catch (const spooflens::core::Error& e) {
            std::cerr << "spooflens " << sub->get_name() << ": " << escapeControl(e.what()) << "\n";
            return kExitFailure;
        } catch (const std::exception& e) {
            // LibTorch / standard library errors: one line, no backtrace.
            std::cerr << "spooflens " << sub->get_name() << ": " << internalErrorText(e) << "\n";
            return kExitFailure;
        }
    }
    return kExitUsage;
}
