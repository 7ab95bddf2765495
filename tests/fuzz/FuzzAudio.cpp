// libFuzzer target for the audio reader (libsndfile + libsoxr behind
// loadAudio): the input is handed over as a file (a memfd, no disk I/O).
// Invariants beyond "no crash, no sanitizer report": only AudioError is
// thrown, and accepted audio is 16 kHz mono with every sample finite and in
// [-1, 1] (docs/reliability.md).
#include "core/Error.h"
#include "core/audio/AudioFile.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

using namespace spooflens::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const int fd = ::memfd_create("fuzz_audio", MFD_CLOEXEC);
    if (fd < 0)
        std::abort();
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0)
            std::abort();
        done += size_t(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    AudioLoadOptions o;
    o.maxDurationSeconds = 20.0;  // bounds the memory a header can ask for
    try {
        const AudioData a = loadAudio(path, o);
        for (const float v : a.samples)
            if (!std::isfinite(v) || v < -1.0f || v > 1.0f) {
                std::fprintf(stderr, "sample out of range: %g\n", double(v));
                std::abort();
            }
    } catch (const AudioError&) {
        // Expected for malformed input.
    }
    ::close(fd);
    return 0;
}
