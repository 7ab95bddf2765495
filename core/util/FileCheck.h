#pragma once
// Inputs that are not regular files: a FIFO without a writer would block the
// open() forever, a device or socket is no file either, and a symbolic link
// loop deserves its own words rather than "file not found"
// (docs/reliability.md). Torch-free.
#include <string>

namespace spooflens::core {

/// Empty when `path` (following symbolic links) is a regular file; otherwise
/// why not, e.g. "file not found", "symbolic link loop (too many levels of
/// symbolic links)", "is a FIFO (named pipe), not a <noun>", "is a directory,
/// not a <noun>". Never opens the file, so it never blocks.
std::string whyNotRegularFile(const std::string& path, const std::string& noun);

} // namespace spooflens::core
