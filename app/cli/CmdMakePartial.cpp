// `spooflens make-partial --bonafide LIST --spoof LIST --out DIR [--segments 1-2]
// [--min-s 0.3] [--max-s 1.5] [--seed S]`: a partial-spoof evaluation set
// (spliced audio, Audacity labels, frame labels, a 3-column protocol) so that
// localisation can be measured without PartialSpoof. Layout: core/explain/PartialSet.h.
#include "app/cli/Command.h"
#include "core/Error.h"
#include "core/explain/PartialSet.h"

#include <cstdio>
#include <iostream>
#include <memory>

namespace spooflens::cli {
namespace {

struct MakePartialArgs {
    std::string bonafide, spoof, out, segments = "1-2", subset = "eval";
    double minS = 0.3, maxS = 1.5, crossfadeMs = 10;
    uint64_t seed = 1234;
    bool noBonafide = false, quiet = false;
};

int runMakePartial(const MakePartialArgs& a)
{
    core::PartialSetOptions o;
    int lo = 0, hi = 0;
    char dash = 0, extra = 0;
    const int n = std::sscanf(a.segments.c_str(), "%d%c%d%c", &lo, &dash, &hi, &extra);
    if (n == 1) {
        hi = lo;
    } else if (n != 3 || dash != '-') {
        std::cerr << "spooflens make-partial: --segments must be N or MIN-MAX, got '" << a.segments << "'\n";
        return kExitUsage;
    }
    if (lo < 1 || hi < lo || hi > 16) {
        std::cerr << "spooflens make-partial: --segments must satisfy 1 <= MIN <= MAX <= 16\n";
        return kExitUsage;
    }
    if (!(a.maxS >= a.minS)) {
        std::cerr << "spooflens make-partial: --max-s must be >= --min-s\n";
        return kExitUsage;
    }
    o.splice.minSegments = lo;
    o.splice.maxSegments = hi;
    o.splice.minSeconds = a.minS;
    o.splice.maxSeconds = a.maxS;
    o.splice.crossfadeSeconds = a.crossfadeMs / 1000.0;
    o.splice.seed = a.seed;
    o.subset = a.subset;
    o.includeBonafide = !a.noBonafide;
    o.outDir = a.out;
    o.bonafide = core::readAudioList(a.bonafide);
    o.spoof = core::readAudioList(a.spoof);
    const core::PartialSetReport r = core::makePartialSet(o);
    if (!a.quiet) {
        for (const auto& item : r.items) {
            std::cout << item.utterance << " <- " << item.bonafideSource << ":";
            for (const auto& s : item.segments)
                std::cout << " " << s.startSeconds() << "-" << s.endSeconds() << " s";
            std::cout << "\n";
        }
        std::cout << r.items.size() << " spliced + " << r.bonafideWritten << " bona fide utterances; protocol "
                  << r.protocol << ", labels " << r.labels << "\n";
    }
    return kExitOk;
}

const bool kRegistered = registerCommand("make-partial", [](CLI::App& app) -> std::function<int()> {
    auto a = std::make_shared<MakePartialArgs>();
    CLI::App* sub = app.add_subcommand("make-partial", "Splice spoof segments into bona fide utterances (a labelled partial-spoof set)");
    sub->add_option("--bonafide", a->bonafide, "Bona fide audio: a list file (one path per line) or a folder")->required();
    sub->add_option("--spoof", a->spoof, "Spoof audio to cut segments from: a list file or a folder")->required();
    sub->add_option("--out", a->out, "Output folder")->required();
    sub->add_option("--segments", a->segments, "Spoof segments per utterance, N or MIN-MAX (default 1-2)");
    sub->add_option("--min-s", a->minS, "Shortest segment in seconds (default 0.3)")->check(CLI::PositiveNumber);
    sub->add_option("--max-s", a->maxS, "Longest segment in seconds (default 1.5)")->check(CLI::PositiveNumber);
    sub->add_option("--crossfade-ms", a->crossfadeMs, "Raised-cosine crossfade at each boundary (default 10 ms)")
        ->check(CLI::Range(0.0, 1000.0));
    sub->add_option("--seed", a->seed, "Random seed (default 1234)");
    sub->add_option("--subset", a->subset, "Subset column of the protocol (default eval)")
        ->check(CLI::IsMember({"train", "dev", "eval"}));
    sub->add_flag("--no-bonafide", a->noBonafide, "Do not also write the untouched bona fide utterances");
    sub->add_flag("--quiet", a->quiet, "Print nothing on success");
    return [a] { return runMakePartial(*a); };
});

} // namespace
} // namespace spooflens::cli
