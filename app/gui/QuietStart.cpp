#include "QuietStart.h"

#include <QByteArray>
#include <QGuiApplication>
#include <QString>
#include <QtGlobal>

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace {

QtMessageHandler g_previous = nullptr;

void quietHandler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtWarningMsg && message.startsWith(QLatin1String("This plugin does not support propagateSizeHints")))
        return;
    if (g_previous)
        g_previous(type, context, message);
}

} // namespace

void prepareQuietStart()
{
    if (!qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR"))
        return;
    const QByteArray dir = "/tmp/runtime-" + QByteArray::number(uint(::getuid()));
    if (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST)
        return;  // Qt will say what went wrong
    struct stat st {};
    // Only a private folder of ours; anything else is left to Qt's own check and warning.
    if (::lstat(dir.constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid()
        && (st.st_mode & 0777) == 0700)
        qputenv("XDG_RUNTIME_DIR", dir);
}

void installQuietMessageFilter()
{
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal"))
        g_previous = qInstallMessageHandler(&quietHandler);
}
