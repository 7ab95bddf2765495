#pragma once
#include <string>

namespace spooflens::core {

/// Lower-case hex SHA-256 of a file's bytes (streamed; OpenSSL). Throws Error if unreadable.
std::string sha256File(const std::string& path);

/// Lower-case hex SHA-256 of a byte string.
std::string sha256Bytes(const std::string& bytes);

} // namespace spooflens::core
