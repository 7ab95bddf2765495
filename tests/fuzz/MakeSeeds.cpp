// Writes the fuzz seed corpus: each checkpoint's data.pkl (raw pickle seeds)
// and, for checkpoints under 1 MB, the whole file (zip seeds).
//   fuzz_checkpoint_seeds OUT_DIR FILE.pth...
#include "core/Error.h"
#include "core/checkpoint/ZipArchive.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " OUT_DIR FILE.pth...\n";
        return 2;
    }
    const std::string out = argv[1];
    ::mkdir(out.c_str(), 0755);
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string path = argv[i];
            const std::string base = path.substr(path.find_last_of('/') + 1);
            const auto zip = spooflens::core::ZipArchive::openFile(path);
            for (const auto& e : zip.entries()) {
                if (e.name.size() >= 8 && e.name.compare(e.name.size() - 8, 8, "data.pkl") == 0) {
                    const auto bytes = zip.readEntry(e);
                    std::ofstream(out + "/" + base + ".data.pkl", std::ios::binary)
                        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
                }
            }
            std::ifstream in(path, std::ios::binary);
            const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (whole.size() < (1u << 20))
                std::ofstream(out + "/" + base, std::ios::binary).write(whole.data(), std::streamsize(whole.size()));
        }
    } catch (const spooflens::core::Error& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
