#include "tests/support/Cli.h"

#include "tests/support/TestData.h"

#include <QProcess>

namespace spooflens::test {

CliRun runProgram(const QString& program, const QStringList& args, int timeoutMs, const QProcessEnvironment& env)
{
    QProcess p;
    if (!env.isEmpty()) {
        QProcessEnvironment all = QProcessEnvironment::systemEnvironment();
        for (const QString& k : env.keys())
            all.insert(k, env.value(k));
        p.setProcessEnvironment(all);
    }
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
    }
    CliRun r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

CliRun runCli(const QStringList& args, int timeoutMs, const QProcessEnvironment& env)
{
    return runProgram(cliPath(), args, timeoutMs, env);
}

} // namespace spooflens::test
