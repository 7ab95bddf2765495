#pragma once
// Small text helpers shared by the line-oriented readers (protocols, label
// files). Torch-free, no state.
#include <algorithm>
#include <cctype>
#include <string>

namespace spooflens::core {

/// `s` without leading and trailing spaces, tabs, CR and LF.
inline std::string trimmed(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

/// ASCII lower case.
inline std::string lowered(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

} // namespace spooflens::core
