#pragma once
// The audio file name extensions SpoofLens opens (libsndfile's formats with
// their usual names): the one list the GUI's file dialogs, folder scans and
// partial-spoof sets use.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace spooflens::core {

inline constexpr std::array<std::string_view, 9> kAudioExtensions = {"wav",  "flac", "ogg", "oga", "opus",
                                                                     "mp3", "aiff", "aif", "au"};

/// True when `extension` (with or without the dot, any case) is one of kAudioExtensions.
inline bool isAudioExtension(std::string extension)
{
    if (!extension.empty() && extension.front() == '.')
        extension.erase(0, 1);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return std::find(kAudioExtensions.begin(), kAudioExtensions.end(), extension) != kAudioExtensions.end();
}

} // namespace spooflens::core
