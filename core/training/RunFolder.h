#pragma once
// Run-folder primitives shared by the trainer and the feature cache
// (docs/reliability.md): crash-safe replacement of a file, checked appends,
// one writer per folder (an advisory lock that dies with its process), the
// clean-up of what a killed writer left behind, and the fault points that
// the reliability tests use to kill a writer at a chosen moment.
// Torch-free.
#include <string>
#include <vector>

namespace spooflens::core {

/// Replaces `path` by `contents`: writes a temporary file next to it, checks
/// every write, fsyncs it, renames it over `path` and fsyncs the folder. On
/// any failure the temporary file is removed, `path` keeps its old contents
/// and Error names the file and the reason (e.g. "No space left on device").
void replaceFileAtomically(const std::string& path, const std::string& contents);

/// Appends `line` and a newline to `path` (created if absent) with one
/// checked write, then fsyncs. Throws Error naming the file on failure.
void appendLineChecked(const std::string& path, const std::string& line);

/// Fsyncs a folder so that a rename into it survives a power loss. Best effort.
void syncFolder(const std::string& dir);

/// Removes what an interrupted writer left in `dir` (not recursive): files
/// named `*.tmp` or `*.tmp.*` (the temporaries of replaceFileAtomically and
/// of the checkpoint writer). `control.tmp` is left alone: another process
/// (the training panel) may be writing it right now. Returns the names removed.
std::vector<std::string> removeStaleTemporaries(const std::string& dir);

/// One writer per folder: an exclusive flock(2) on `dir/lockName`, taken
/// without waiting and released by the kernel when the process ends (also
/// on SIGKILL), so a crashed writer never leaves a stale lock. The holder
/// writes "pid N on host H since T (what)" into the file; a second writer
/// gets an Error quoting it.
class FolderLock {
public:
    FolderLock(const std::string& dir, const std::string& lockName, const std::string& what);
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    int m_fd = -1;
};

/// Which file a lock path names now (device and inode; 0/0 when it is absent).
struct LockIdentity {
    std::string path;
    unsigned long long device = 0, inode = 0;
};
LockIdentity lockIdentity(const std::string& lockPath);
/// Throws Error when the lock file `id` named was deleted or replaced since:
/// another writer may then hold a new lock on `dir` (docs/reliability.md).
void checkLockIdentity(const LockIdentity& id, const std::string& dir);

/// What shows that `dir` holds a training run, finished or not: its
/// config.yaml, checkpoints or logs (RunRecords.h). A sentence such as
/// "a training run (config.yaml, last.pth, best.pth, metrics.jsonl: 6 epoch(s) logged)",
/// or "" when `dir` holds none of them (or does not exist). `countConfig`
/// false: config.yaml is the configuration given for the new run (the training
/// panel writes it there), not evidence of an earlier one.
std::string describeRunIn(const std::string& dir, bool countConfig = true);

/// Renames `dir` to `dir.old-<UTC time>` (e.g. runs/a.old-20261201T204000Z;
/// "-2", "-3", ... appended while that name is taken) so that nothing in it is
/// lost. Returns the new path; Error naming both paths on failure.
std::string moveRunAside(const std::string& dir);

/// The lock file of a training run folder.
inline constexpr const char* kRunLockFile = "train.lock";

/// Test hook: when the environment variable SPOOFLENS_FAULT equals `name`,
/// the process ends at once with `_exit(kFaultExitCode)` (no destructors, no
/// flushing: what a SIGKILL at that point would leave). Points are listed in
/// docs/reliability.md.
void faultPoint(const char* name);
inline constexpr int kFaultExitCode = 86;

} // namespace spooflens::core
