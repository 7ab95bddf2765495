#include "tests/support/TestData.h"

#include <QFileInfo>
#include <QProcess>

namespace spooflens::test {

std::string dataPath(const std::string& relative)
{
    return std::string(SPOOFLENS_TEST_DATA_DIR) + "/" + relative;
}

QString cliPath()
{
    const QByteArray env = qgetenv("SPOOFLENS_CLI");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QStringLiteral(SPOOFLENS_BINARY_DIR "/app/spooflens");
}

QString pythonWithTorch()
{
    static const QString cached = [] {
        for (const QString& candidate : {QStringLiteral("/usr/bin/python3"), QStringLiteral("python3")}) {
            QProcess p;
            p.start(candidate, {QStringLiteral("-c"), QStringLiteral("import torch, numpy")});
            if (p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
                return candidate;
        }
        return QString();
    }();
    return cached;
}

} // namespace spooflens::test
