#pragma once
// Small text helpers shared by the line-oriented readers (protocols, label
// files). Torch-free, no state.
#include <algorithm>
#include <cctype>
#include <cstddef>
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

/// Length of the well-formed UTF-8 sequence at `s[i]` (1 to 4 bytes; no
/// overlong forms, surrogates or code points above U+10FFFF), or 0 when the
/// bytes there are not valid UTF-8.
inline size_t utf8SequenceLength(const std::string& s, size_t i)
{
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80)
        return 1;
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (i + n > s.size() || b(i + 1) < lo || b(i + 1) > hi)
        return 0;
    for (size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xbf)
            return 0;
    return n;
}

/// True when `s` is well-formed UTF-8.
inline bool isValidUtf8(const std::string& s)
{
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8SequenceLength(s, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/// A file name or path as it may be shown on a terminal or in a log line:
/// every control character (C0 including newline and tab, DEL, and the C1
/// controls U+0080..U+009F) and every byte that is not valid UTF-8 is written
/// as \xNN, so that a crafted name can neither forge an output line nor send
/// escape sequences to the terminal. Everything else is kept as it is. The
/// one helper for paths in human-readable output (docs/reliability.md).
inline std::string printablePath(const std::string& path)
{
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(path.size());
    const auto escape = [&](unsigned char c) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    };
    for (size_t i = 0; i < path.size();) {
        const size_t n = utf8SequenceLength(path, i);
        const auto c = static_cast<unsigned char>(path[i]);
        if (n == 0) {
            escape(c);
            ++i;
        } else if (n == 1 && (c < 0x20 || c == 0x7f)) {
            escape(c);
            ++i;
        } else if (n == 2 && c == 0xc2 && static_cast<unsigned char>(path[i + 1]) < 0xa0) {
            escape(c);
            escape(static_cast<unsigned char>(path[i + 1]));
            i += 2;
        } else {
            out.append(path, i, n);
            i += n;
        }
    }
    return out;
}

} // namespace spooflens::core
