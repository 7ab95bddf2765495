#pragma once
// JSON text for output files and stdout. File names on Linux are bytes, not
// necessarily UTF-8; nlohmann::json's default dump() throws type_error.316 on
// such a string (a failure that names no file). Invalid UTF-8 bytes become
// U+FFFD instead, so the record is still written and still names the file as
// far as it can be spelled (docs/reliability.md). For targets that link
// nlohmann_json.
#include <nlohmann/json.hpp>

#include <string>

namespace spooflens::core {

/// `j.dump(indent)` with every invalid UTF-8 byte replaced by U+FFFD
/// (never throws type_error.316). `indent` < 0: one line.
inline std::string jsonText(const nlohmann::json& j, int indent = -1)
{
    return j.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

} // namespace spooflens::core
