#pragma once
// Paths and small helpers shared by the tests.
#include <QString>
#include <string>

namespace spooflens::test {

/// Absolute path of a file under tests/data/.
std::string dataPath(const std::string& relative);

/// The `spooflens` CLI binary built alongside the tests (from CTest's environment).
QString cliPath();

/// Debian's python3 with torch (for round-trip tests), or empty if unavailable.
QString pythonWithTorch();

} // namespace spooflens::test
