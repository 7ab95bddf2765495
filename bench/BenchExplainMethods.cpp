// BenchExplainMethods DETECTOR AUDIO [--xai STAGE2.pth] [--threads N] [--runs R] [--cut full|64600|66800]
// Cost of every explainer method (docs/explainers.md) of either detector family
// (XLS-R + TCM or AASIST), through core's Explainer, the path the CLI and the
// viewer take: for each method, R explanations of AUDIO with that method alone;
// each method's own wall time (Attribution::seconds, the detector pass not
// included) and its passes. Also the detector pass itself (R runs) for scale,
// and each method's ratio to it. The Stage 2 methods need --xai. Prints one JSON
// line per method. Run by hand (issue 25: window and occlusion against one pass).
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Attribution.h"
#include "core/explain/Explainer.h"
#include "core/util/Threads.h"
#include "core/Error.h"
#include "bench/BenchStats.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace spooflens::core;

using spooflens::bench::median;
using spooflens::bench::printTimesAndEndLine;

namespace {

void report(const std::string& name, int64_t passes, const std::vector<double>& times, double detectorSeconds)
{
    const double m = median(times);
    std::printf("{\"method\": \"%s\", \"passes\": %lld, \"median_s\": %.4f, \"per_detector_pass\": %.2f, ",
                name.c_str(), static_cast<long long>(passes), m, detectorSeconds > 0 ? m / detectorSeconds : 0.0);
    printTimesAndEndLine(times);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: BenchExplainMethods DETECTOR AUDIO [--xai STAGE2.pth] [--threads N] [--runs R] "
                     "[--cut full|64600|66800]\n";
        return 2;
    }
    try {
        DetectorOptions options;
        options.checkpointPath = argv[1];
        options.device = "cpu";
        int runs = 3;
        std::string xai;
        CutMode cut = CutMode::Full;
        for (int i = 3; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--threads" && i + 1 < argc)
                options.threads = std::stoi(argv[++i]);
            else if (a == "--runs" && i + 1 < argc)
                runs = std::max(1, std::stoi(argv[++i]));
            else if (a == "--xai" && i + 1 < argc)
                xai = argv[++i];
            else if (a == "--cut" && i + 1 < argc)
                cut = parseCutMode(argv[++i]);
            else
                throw ConfigError("unknown argument '" + a + "'");
        }
        Explainer explainer(options);
        if (!xai.empty())
            explainer.addStage2(xai);
        const AudioData audio = loadAudio(argv[2]);
        std::fprintf(stderr, "BenchExplainMethods: %s, %s, %.2f s of audio, %s\n", argv[1],
                     explainer.detectorInfo().family.c_str(), double(audio.samples.size()) / 16000.0,
                     convolutionCheck().c_str());
        DetectorRequest dreq;
        dreq.cut = cut;
        explainer.detector().run(audio.samples, dreq);  // warm-up
        std::vector<double> detector;
        for (int i = 0; i < runs; ++i)
            detector.push_back(explainer.detector().run(audio.samples, dreq).seconds);
        const double pass = median(detector);
        report("detector (one pass, for scale)", 1, detector, pass);
        for (AttributionMethod m : allMethods()) {
            if (methodNeedsStage2(m) && xai.empty())
                continue;
            ExplainRequest req;
            req.cut = cut;
            req.methods = {m};
            std::vector<double> times;
            int64_t passes = 0;
            for (int i = 0; i < runs; ++i) {
                const Explanation e = explainer.explain(audio, req);
                if (e.attributions.empty())
                    throw ConfigError("method '" + methodName(m) + "' returned no attribution");
                times.push_back(e.attributions.front().seconds);
                passes = e.attributions.front().backendPasses;
            }
            report(methodName(m), passes, times, pass);
        }
    } catch (const std::exception& e) {
        std::cerr << "BenchExplainMethods: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
