#include "core/training/RunFolder.h"

#include "core/Error.h"
#include "core/training/RunRecords.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace spooflens::core {

namespace {

std::string errnoText(int e)
{
    return std::strerror(e);
}

// Writes all of `size` bytes or returns the errno of the failing write.
int writeAll(int fd, const char* p, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        p += n;
        size -= size_t(n);
    }
    return 0;
}

std::string parentOf(const std::string& path)
{
    const fs::path p = fs::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

} // namespace

void syncFolder(const std::string& dir)
{
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    ::fsync(fd);
    ::close(fd);
}

void replaceFileAtomically(const std::string& path, const std::string& contents)
{
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(path + ": cannot write (" + errnoText(errno) + ")");
    int err = writeAll(fd, contents.data(), contents.size());
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        throw Error(path + ": write failed, the file was left unchanged (" + errnoText(err) + ")");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        err = errno;
        ::unlink(tmp.c_str());
        throw Error(path + ": cannot move the new file into place, the file was left unchanged (" + errnoText(err)
                    + ")");
    }
    syncFolder(parentOf(path));
}

void appendLineChecked(const std::string& path, const std::string& line)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(path + ": cannot open for appending (" + errnoText(errno) + ")");
    const std::string data = line + "\n";
    // One write call: with O_APPEND the line lands whole or (on a full disk) not at all
    // beyond what the kernel managed to store; a short write is reported, not hidden.
    int err = writeAll(fd, data.data(), data.size());
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err != 0)
        throw Error(path + ": cannot append a line (" + errnoText(err) + ")");
}

std::vector<std::string> removeStaleTemporaries(const std::string& dir)
{
    std::vector<std::string> removed;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool isTmp = (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0)
            || name.find(".tmp.") != std::string::npos;
        if (!isTmp || name.rfind("control.", 0) == 0)
            continue;
        std::error_code rc;
        if (it->is_regular_file(rc) && fs::remove(it->path(), rc))
            removed.push_back(name);
    }
    return removed;
}

FolderLock::FolderLock(const std::string& dir, const std::string& lockName, const std::string& what)
    : m_path((fs::path(dir) / lockName).string())
{
    m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0)
        throw Error(m_path + ": cannot create the lock file (" + errnoText(errno) + ")");
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        char buf[512] = {};
        const ssize_t n = ::pread(m_fd, buf, sizeof buf - 1, 0);
        ::close(m_fd);
        m_fd = -1;
        if (e != EWOULDBLOCK)
            throw Error(m_path + ": cannot lock (" + errnoText(e) + ")");
        std::string holder = n > 0 ? std::string(buf, size_t(n)) : std::string();
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r'))
            holder.pop_back();
        for (char& c : holder)
            if (static_cast<unsigned char>(c) < 0x20)
                c = '?';
        throw Error(dir + " is in use by another writer: " + (holder.empty() ? std::string("holder unknown") : holder)
                    + " (lock " + m_path + "; wait for it to finish or stop it)");
    }
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        std::strcpy(host, "?");
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::gmtime_r(&now, &tm);
    char when[32] = {};
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const std::string info = "pid " + std::to_string(::getpid()) + " on host " + host + " since " + when + " (" + what
        + ")\n";
    // Best effort: the lock is the flock, the text only names the holder.
    if (::ftruncate(m_fd, 0) == 0)
        (void)::pwrite(m_fd, info.data(), info.size(), 0);
}

LockIdentity lockIdentity(const std::string& lockPath)
{
    LockIdentity id;
    id.path = lockPath;
    struct stat st {};
    if (::stat(lockPath.c_str(), &st) == 0) {
        id.device = static_cast<unsigned long long>(st.st_dev);
        id.inode = static_cast<unsigned long long>(st.st_ino);
    }
    return id;
}

void checkLockIdentity(const LockIdentity& id, const std::string& dir)
{
    const LockIdentity now = lockIdentity(id.path);
    if (now.device == id.device && now.inode == id.inode)
        return;
    throw Error(id.path + " was " + (now.inode == 0 ? "deleted" : "replaced")
                + " while this run was writing to " + dir
                + ": another trainer may now hold the folder, so this one stops before writing more (its last "
                  "checkpoint is intact; resume when no other trainer writes there)");
}

FolderLock::~FolderLock()
{
    if (m_fd >= 0)
        ::close(m_fd);  // releases the flock
}

void faultPoint(const char* name)
{
    const char* want = std::getenv("SPOOFLENS_FAULT");
    if (want && std::strcmp(want, name) == 0)
        ::_exit(kFaultExitCode);
}

std::string describeRunIn(const std::string& dir, bool countConfig)
{
    std::string found;
    int64_t epochs = -1;
    for (const char* name : {kRunConfigFile, kLastCheckpointFile, kBestCheckpointFile, kMetricsFile, kStepsFile}) {
        std::error_code ec;
        const fs::path p = fs::path(dir) / name;
        if ((!countConfig && std::string(name) == kRunConfigFile) || !fs::exists(fs::symlink_status(p, ec)))
            continue;
        found += (found.empty() ? "" : ", ") + std::string(name);
        if (std::string(name) == kMetricsFile) {
            std::ifstream in(p);
            std::string line;
            epochs = 0;
            while (std::getline(in, line))
                epochs += line.find_first_not_of(" \t\r") == std::string::npos ? 0 : 1;
            found += ": " + std::to_string(epochs) + " epoch(s) logged";
        }
    }
    if (found.empty())
        return "";
    return "a training run (" + found + ")";
}

std::string moveRunAside(const std::string& dir)
{
    fs::path from(dir);
    if (!from.has_filename())
        from = from.parent_path();  // "runs/a/" -> "runs/a"
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    const std::string base = from.string() + ".old-" + stamp;
    std::string to = base;
    std::error_code ec;
    for (int k = 2; fs::exists(fs::symlink_status(to, ec)); ++k)
        to = base + "-" + std::to_string(k);
    fs::rename(from, to, ec);
    if (ec)
        throw Error("cannot move " + from.string() + " aside to " + to + ": " + ec.message());
    syncFolder(fs::absolute(from).parent_path().string());
    return to;
}

} // namespace spooflens::core
