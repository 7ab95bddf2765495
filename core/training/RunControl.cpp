#include "core/training/RunControl.h"

#include "core/Error.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;

namespace spooflens::core {

RunCommand readRunCommand(const std::string& runDir)
{
    std::ifstream in(fs::path(runDir) / kRunControlFile);
    std::string word;
    if (!(in >> word))
        return RunCommand::Run;
    if (word == "pause")
        return RunCommand::Pause;
    if (word == "stop")
        return RunCommand::Stop;
    return RunCommand::Run;
}

long long readPausedStep(const std::string& runDir)
{
    std::ifstream in(fs::path(runDir) / kRunPausedFile);
    std::string paused, at, step;
    long long n = -1;
    if (in >> paused >> at >> step >> n && paused == "paused" && at == "at" && step == "step" && n >= 0)
        return n;
    return -1;
}

void writeRunCommand(const std::string& runDir, RunCommand command)
{
    const fs::path target = fs::path(runDir) / kRunControlFile;
    const fs::path tmp = fs::path(runDir) / (std::string(kRunControlFile) + ".tmp");
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << (command == RunCommand::Pause ? "pause" : command == RunCommand::Stop ? "stop" : "run") << "\n";
        if (!out)
            throw Error("cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec)
        throw Error("cannot replace " + target.string() + ": " + ec.message());
}

struct RunControlWatcher::Impl {
    std::string runDir;
    std::atomic<bool>* stop = nullptr;
    std::atomic<bool>* pause = nullptr;
    int intervalMs = 100;
    std::mutex mutex;
    std::condition_variable cv;
    bool quit = false;
    std::thread thread;

    void loop()
    {
        std::unique_lock<std::mutex> lock(mutex);
        while (!quit) {
            const RunCommand c = readRunCommand(runDir);
            if (pause)
                pause->store(c == RunCommand::Pause);
            if (stop && c == RunCommand::Stop)
                stop->store(true);
            cv.wait_for(lock, std::chrono::milliseconds(intervalMs), [this] { return quit; });
        }
    }
};

RunControlWatcher::RunControlWatcher(std::string runDir, std::atomic<bool>* stop, std::atomic<bool>* pause,
                                     int intervalMs)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->runDir = std::move(runDir);
    m_impl->stop = stop;
    m_impl->pause = pause;
    m_impl->intervalMs = intervalMs > 0 ? intervalMs : 100;
    std::error_code ec;
    fs::remove(fs::path(m_impl->runDir) / kRunControlFile, ec);
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->loop(); });
}

RunControlWatcher::~RunControlWatcher()
{
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->quit = true;
    }
    m_impl->cv.notify_all();
    if (m_impl->thread.joinable())
        m_impl->thread.join();
}

} // namespace spooflens::core
