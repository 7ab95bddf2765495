#include "ui/LocalPath.h"

#include <QFile>
#include <QStringList>

#include <dirent.h>
#include <sys/stat.h>

namespace spooflens::ui {

namespace {

bool exists(const std::string& p)
{
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

// The one entry of `folder` whose decoded name is `name`, or "" (none, or several).
std::string findEntry(const std::string& folder, const QString& name)
{
    DIR* d = ::opendir(folder.empty() ? "." : folder.c_str());
    if (!d)
        return {};
    std::string found;
    int matches = 0;
    while (const dirent* e = ::readdir(d)) {
        if (QFile::decodeName(QByteArray(e->d_name)) == name) {
            found = e->d_name;
            ++matches;
        }
    }
    ::closedir(d);
    return matches == 1 ? found : std::string();
}

} // namespace

std::string localPath(const QString& path)
{
    const std::string direct = QFile::encodeName(path).toStdString();
    if (!path.contains(QChar(QChar::ReplacementCharacter)) || exists(direct))
        return direct;
    const QStringList parts = path.split(QLatin1Char('/'));
    std::string out;
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QString& part = parts[i];
        std::string bytes = QFile::encodeName(part).toStdString();
        if (part.contains(QChar(QChar::ReplacementCharacter))) {
            // The folder so far: "" before the first component is ".", after the root's "" it is "/".
            const std::string real = findEntry(out.empty() && i > 0 ? std::string("/") : out, part);
            if (!real.empty())
                bytes = real;
        }
        if (i > 0)
            out += '/';
        out += bytes;
    }
    return out;
}

} // namespace spooflens::ui
