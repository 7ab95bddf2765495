#pragma once
// File names between Qt and core. Qt decodes file names as UTF-8 and puts
// U+FFFD in place of bytes that are not (a Latin-1 name from an old archive,
// a name made by a script), so QString::toStdString() of such a path names
// no file, and the viewer called an existing file "not found"
// (docs/reliability.md). localPath recovers the bytes from the folder.
#include <QString>

#include <string>

namespace spooflens::ui {

/// The file-system bytes of `path`, for core. A path that exists as written
/// (the usual case) or holds no U+FFFD is its UTF-8. Otherwise each component
/// that holds U+FFFD is looked up in its folder: the one entry whose name
/// Qt decodes to the same text gives the real bytes (with several such
/// entries the name is ambiguous and left as written, so core reports it
/// missing). Reads folders only; thread-safe.
std::string localPath(const QString& path);

} // namespace spooflens::ui
