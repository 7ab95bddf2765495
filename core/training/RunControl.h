#pragma once
// External control of a training run through its folder: another process (the
// GUI's training panel, a shell) writes one word into RUN_DIR/control and the
// trainer reacts between steps. Torch-free.
//
//   pause  - wait before the next step (the current step finishes first)
//   run    - continue (also the meaning of an absent or unreadable file)
//   stop   - finish the current step, keep last.pth/best.pth, exit; the run is
//            resumable with `spooflens train --resume RUN_DIR`
//
// Writers should replace the file atomically (write RUN_DIR/control.tmp, rename).
#include <atomic>
#include <memory>
#include <string>

namespace spooflens::core {

enum class RunCommand { Run, Pause, Stop };

/// The file name inside the run folder.
inline constexpr const char* kRunControlFile = "control";

/// The trainer's acknowledgement of a pause: written ("paused at step N")
/// once it is waiting before step N + 1, removed when it continues or ends.
/// A pause is in effect only when this file is there (docs/reliability.md).
inline constexpr const char* kRunPausedFile = "paused";

/// The step N of RUN_DIR/paused, or -1 when the trainer has not acknowledged a pause.
long long readPausedStep(const std::string& runDir);

/// Reads RUN_DIR/control (Run when absent or not understood). Thread-safe.
RunCommand readRunCommand(const std::string& runDir);

/// Replaces RUN_DIR/control atomically. Throws Error when the folder is not writable.
void writeRunCommand(const std::string& runDir, RunCommand command);

/// Polls RUN_DIR/control every `intervalMs` on its own thread and mirrors it
/// into `stop` / `pause` (which TrainOptions points at). A `stop` is sticky.
/// A stale file from an earlier session is removed on construction, so a
/// resumed run does not stop at once. Stops polling in the destructor.
class RunControlWatcher {
public:
    RunControlWatcher(std::string runDir, std::atomic<bool>* stop, std::atomic<bool>* pause, int intervalMs = 100);
    ~RunControlWatcher();
    RunControlWatcher(const RunControlWatcher&) = delete;
    RunControlWatcher& operator=(const RunControlWatcher&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace spooflens::core
