// libFuzzer target for the torch-free checkpoint parsers: the ZIP reader plus
// torch archive checks (inputs starting with "PK") and the restricted
// unpickler (anything else, as a raw data.pkl). Invariants beyond "no crash,
// no sanitizer report": only CheckpointError is thrown, and whatever the
// unpickler accepts survives pickle -> unpickle -> pickle unchanged.
#include "core/Error.h"
#include "core/format/TorchArchive.h"
#include "core/format/PickleReader.h"
#include "core/format/PickleWriter.h"
#include "core/format/ZipArchive.h"

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <vector>

using namespace spooflens::core;

namespace {

void checkRepickle(const PickleValue& v)
{
    const std::string once = pickleToString(v);
    const PickleValue back = unpickle(reinterpret_cast<const unsigned char*>(once.data()), once.size(), "repickle");
    if (pickleToString(back) != once) {
        std::fprintf(stderr, "repickle mismatch\n");
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
            const ZipArchive zip = ZipArchive::fromMemory(data, size, "fuzz.pth");
            for (const ZipEntry& e : zip.entries()) {
                if (e.uncompressedSize <= (1u << 20)) {
                    try {
                        (void)zip.readEntry(e);
                    } catch (const CheckpointError&) {
                    }
                }
            }
            const TorchArchive archive = parseTorchArchive(zip, "fuzz.pth");
            for (const auto& [key, rec] : archive.records) {
                if (rec->uncompressedSize <= (1u << 20)) {
                    std::vector<unsigned char> buf(rec->uncompressedSize);
                    zip.readEntry(*rec, buf.data());
                }
            }
            checkRepickle(archive.root);
        } else {
            const PickleValue v = unpickle(data, size, "fuzz.pth");
            checkRepickle(v);
        }
    } catch (const CheckpointError&) {
        // Expected for malformed input.
    }
    return 0;
}
