#pragma once
// Corpus throughput (docs/speed.md): runs the detector over many utterances,
// equal-length neighbours stacked into one batch, with the audio of the next
// utterances decoded on a prefetch thread while the current batch computes.
// Results equal those of Detector::run one utterance at a time (no padding:
// only utterances of exactly the same length share a batch; the tested
// tolerance is in docs/speed.md). Torch-free header.
#include "core/detector/Detector.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <vector>

namespace spooflens::core {

/// Default `--batch` of `spooflens cache` / `evaluate` (measured: docs/speed.md).
constexpr int kDefaultDetectorBatch = 4;

struct BatchRunOptions {
    int batch = kDefaultDetectorBatch;  ///< at most this many utterances per forward pass (>= 1)
    int prefetch = 0;                   ///< utterances decoded ahead; 0 = 2 x batch
    CutMode cut = CutMode::Full;        ///< applied after loading, as Detector::run does
};

struct BatchRunStats {
    int64_t utterances = 0;   ///< delivered results
    int64_t failed = 0;       ///< delivered errors
    int64_t passes = 0;       ///< forward passes (batched or single)
    int64_t batchedUtterances = 0;  ///< utterances that shared a pass with another
};

/// Runs `detector` over the inputs 0 .. count-1.
/// - `load(i)` returns the 16 kHz samples of input i; it is called on a
///   prefetch thread, in index order. It may throw (the error goes to `failed`).
/// - `done(i, result)` / `failed(i, error)` are called on the calling thread,
///   in index order, exactly once per input. An exception thrown by either
///   stops the run (the prefetch thread is joined) and propagates.
/// Consecutive inputs with the same length after the cut (and short enough for
/// one pass) share a forward pass, up to `options.batch`; others run alone
/// through Detector::run (long files in windows, errors as there).
/// `DetectorResult::seconds` of a batched utterance is its share of the pass.
BatchRunStats runDetectorBatched(const Detector& detector, size_t count,
                                 const std::function<std::vector<float>(size_t)>& load,
                                 const std::function<void(size_t, DetectorResult&&)>& done,
                                 const std::function<void(size_t, std::exception_ptr)>& failed,
                                 const BatchRunOptions& options = {});

} // namespace spooflens::core
