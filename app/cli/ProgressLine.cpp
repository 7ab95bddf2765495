#include "app/cli/ProgressLine.h"

#include "app/cli/ErrorText.h"
#include "core/Error.h"
#include "core/util/Eta.h"

#include <iomanip>
#include <iostream>
#include <sstream>

namespace spooflens::cli {

ProgressStyle parseProgressStyle(const std::string& text)
{
    if (text == "bar")
        return ProgressStyle::Bar;
    if (text == "json")
        return ProgressStyle::Json;
    if (text == "none")
        return ProgressStyle::None;
    throw core::ConfigError("--progress: '" + text + "' is not one of bar, json, none");
}

ProgressLine::ProgressLine(ProgressStyle style) : m_style(style) {}

ProgressLine::~ProgressLine()
{
    clearBar();
}

void ProgressLine::clearBar()
{
    if (!m_barShown)
        return;
    std::cerr << "\r" << std::string(72, ' ') << "\r" << std::flush;
    m_barShown = false;
}

void ProgressLine::update(const core::TrainProgress& p)
{
    using Phase = core::TrainProgress::Phase;
    if (m_style == ProgressStyle::Json) {
        std::cerr << core::trainProgressJson(p) << "\n" << std::flush;
        return;
    }
    if (m_style != ProgressStyle::Bar)
        return;
    std::ostringstream o;
    if (p.phase == Phase::PreparingFeatures) {
        o << "preparing features " << p.done << "/" << p.total << "  ETA " << core::formatDuration(p.etaSeconds);
    } else if (p.phase == Phase::Training) {
        o << "epoch " << p.epoch << "/" << p.epochs << "  batch " << p.batch << "/" << p.batches << "  loss "
          << std::setprecision(5) << p.loss << "  ETA " << core::formatDuration(p.etaSeconds);
    } else {
        clearBar();  // validating, paused, finished: the log says what happens
        return;
    }
    std::cerr << "\r" << o.str() << "    " << std::flush;
    m_barShown = true;
}

void ProgressLine::log(const std::string& message)
{
    clearBar();
    // Log lines name files and folders: no control character reaches the terminal raw.
    std::cerr << escapeControl(message) << "\n";
}

std::function<void(const core::TrainProgress&)> ProgressLine::progressFn()
{
    return [this](const core::TrainProgress& p) { update(p); };
}

std::function<void(const std::string&)> ProgressLine::logFn()
{
    return [this](const std::string& m) { log(m); };
}

} // namespace spooflens::cli
