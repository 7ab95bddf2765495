#pragma once
// The command line's view of core's progress reports (core/training/RunRecords.h,
// TrainProgress): a live "\r" line on stderr for people, or one JSON object
// per line (`--progress json`) for programs such as the GUI's training runner.
// Log lines go through log(), which first clears a drawn bar.
#include "core/training/RunRecords.h"

#include <functional>
#include <memory>
#include <string>

namespace spooflens::cli {

enum class ProgressStyle { None, Bar, Json };

/// "bar" | "json" | "none"; throws core::ConfigError naming --progress otherwise.
ProgressStyle parseProgressStyle(const std::string& text);

class ProgressLine {
public:
    explicit ProgressLine(ProgressStyle style);
    ~ProgressLine();  ///< clears a drawn bar

    void update(const core::TrainProgress& p);
    /// Prints a log line (stderr) below any progress.
    void log(const std::string& message);

    /// Callbacks bound to this object (it must outlive their use).
    std::function<void(const core::TrainProgress&)> progressFn();
    std::function<void(const std::string&)> logFn();

    /// Removes a drawn bar (before a summary printed directly).
    void clearBar();

private:
    ProgressStyle m_style;
    bool m_barShown = false;
};

} // namespace spooflens::cli
