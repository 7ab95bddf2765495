#include "core/util/FileCheck.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace spooflens::core {

std::string whyNotRegularFile(const std::string& path, const std::string& noun)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int e = errno;
        if (e == ENOENT)
            return "file not found";
        if (e == ELOOP)
            return "symbolic link loop (too many levels of symbolic links)";
        if (e == ENOTDIR)
            return "file not found (a part of the path is not a directory)";
        return std::string("cannot access (") + std::strerror(e) + ")";
    }
    if (S_ISREG(st.st_mode))
        return {};
    if (S_ISDIR(st.st_mode))
        return "is a directory, not " + noun;
    if (S_ISFIFO(st.st_mode))
        return "is a FIFO (named pipe), not " + noun;
    if (S_ISSOCK(st.st_mode))
        return "is a socket, not " + noun;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return "is a device, not " + noun;
    return "is not a regular file";
}

} // namespace spooflens::core
