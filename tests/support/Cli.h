#pragma once
// Running the `spooflens` CLI from a test: one helper for every CLI test.
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace spooflens::test {

struct CliRun {
    int code = -1;      ///< exit status; -1 when it crashed or ran past the timeout (then killed)
    QString out, err;   ///< stdout and stderr, UTF-8
};

/// Runs cliPath() with `args` and waits for it (at most `timeoutMs`).
/// `env`: extra environment variables on top of the test's own.
CliRun runCli(const QStringList& args, int timeoutMs = 240000,
              const QProcessEnvironment& env = QProcessEnvironment());

/// Runs `program` (e.g. the GUI binary) the same way.
CliRun runProgram(const QString& program, const QStringList& args, int timeoutMs = 240000,
                  const QProcessEnvironment& env = QProcessEnvironment());

} // namespace spooflens::test
