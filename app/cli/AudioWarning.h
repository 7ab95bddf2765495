#pragma once
// The CLI's word on audio that ended early (docs/reliability.md): the command
// goes on with what could be decoded and says so on stderr.
#include "app/cli/ErrorText.h"
#include "core/audio/AudioFile.h"
#include "core/audio/AudioLength.h"

#include <iostream>

namespace spooflens::cli {

inline void warnIfEndedEarly(const core::AudioData& audio)
{
    const std::string w = core::endedEarlyWarning(audio);
    if (!w.empty())
        std::cerr << "warning: " << escapeControl(w) << "\n";
}

} // namespace spooflens::cli
