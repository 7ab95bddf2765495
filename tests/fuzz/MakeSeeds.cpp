// Writes the fuzz seed corpus: each checkpoint's data.pkl (raw pickle seeds),
// for checkpoints under 1 MB the whole file (zip seeds), and a tiny
// checkpoint (one small tensor) so that zip mutations stay cheap.
//   fuzz_checkpoint_seeds OUT_DIR FILE.pth...
#include "core/Error.h"
#include "core/format/PickleReader.h"
#include "core/format/PickleWriter.h"
#include "core/format/ZipArchive.h"

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
        using namespace spooflens::core;
        PickleValue key;
        key.kind = PickleValue::Kind::String;
        key.s = "w";
        PickleValue t;
        t.kind = PickleValue::Kind::Tensor;
        t.tensor.storageKey = "0";
        t.tensor.storageNumel = 6;
        t.tensor.sizes = {2, 3};
        t.tensor.strides = {3, 1};
        PickleValue root;
        root.kind = PickleValue::Kind::Dict;
        root.ordered = true;
        root.entries.emplace_back(key, t);
        const std::string pkl = pickleToString(root);
        const float data[6] = {1, 2, 3, 4, 5, 6};
        ZipWriter zip(out + "/tiny.pth");
        zip.addEntry("tiny/data.pkl", pkl.data(), pkl.size());
        zip.addEntry("tiny/byteorder", "little", 6);
        zip.addEntry("tiny/data/0", data, sizeof data);
        zip.addEntry("tiny/version", "3\n", 2);
        zip.finish();
    } catch (const spooflens::core::Error& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
