#pragma once
// What the CLI prints for an exception that is not a core::Error: LibTorch's
// c10::Error (whose what() ends in a C++ backtrace), std::bad_alloc,
// std::filesystem errors. The user gets one line that names the file where
// the exception knows it, never a backtrace (docs/reliability.md).
#include <exception>
#include <filesystem>
#include <new>
#include <string>

namespace spooflens::cli {

/// `text` with every control character but newline and tab shown as \xNN
/// (ESC, CR, BEL ...), so that a crafted file name or protocol line cannot
/// drive the terminal. Newlines stay: some messages list problems line by line.
inline std::string escapeControl(const std::string& text)
{
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    return out;
}

/// One line for `e`; `context` (e.g. the file being processed) is put in front when given.
inline std::string internalErrorText(const std::exception& e, const std::string& context = {})
{
    std::string msg;
    if (dynamic_cast<const std::bad_alloc*>(&e)) {
        msg = "out of memory";
    } else if (const auto* fe = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
        msg = (fe->path1().empty() ? std::string() : fe->path1().string() + ": ") + fe->code().message();
    } else {
        msg = e.what();
        // c10::Error: "message\nException raised from ... (most recent call first):\nframe #0 ..."
        for (const char* cut : {"\nException raised from", " (most recent call first)", "\nframe #"}) {
            const auto pos = msg.find(cut);
            if (pos != std::string::npos)
                msg.erase(pos);
        }
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
            msg.pop_back();
        const auto nl = msg.find('\n');
        if (nl != std::string::npos)
            msg = msg.substr(0, nl) + " ...";
    }
    return escapeControl((context.empty() ? std::string() : context + ": ") + msg);
}

} // namespace spooflens::cli
