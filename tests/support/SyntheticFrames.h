#pragma once
// A synthetic localisation task for Stage 2 objectives (docs/stage2-objective.md,
// "Comparison"): SSL-like frames where only a contiguous segment of each spoof
// utterance is separable from bona fide speech. Trains a Stage 2 module with the
// real model, loss, prototype updates and AdamW, then scores w(t) against the
// true spoof frames of held-out utterances (core::rocAuc). A harness of the
// tests and of bench/bench_objectives (target spooflens_synthetic), not part of
// the shipped library. Torch-free header; single-threaded use.
#include "core/stage2/Stage2Objective.h"
#include "core/training/TrainConfig.h"

#include <cstdint>
#include <vector>

namespace spooflens::core {

struct SyntheticFramesOptions {
    /// Objective, prototype mode, loss weights, learning rate, weight decay, batch,
    /// epochs, seed, hidden width, dropout, EMA momentum are read from here.
    TrainConfig config;
    int64_t dim = 32;                 ///< D
    int64_t frames = 50;              ///< T per utterance
    int64_t trainUtterances = 64;     ///< half spoof, half bona fide
    int64_t testUtterances = 32;
    double spoofFraction = 0.3;       ///< share of a spoof utterance's frames that are spoofed (one segment)
    double separation = 3.0;          ///< offset of spoofed frames along one direction, in noise std units
    /// Standard deviation of a random offset added to every frame of an utterance
    /// (one draw per utterance and dimension, either class): a stand-in for speaker
    /// and channel. 0 = none (and no extra random draws).
    double utteranceOffset = 0.0;
};

struct SyntheticFramesResult {
    double frameAuc = 0;              ///< ROC-AUC of w vs "spoofed frame", all test frames
    double frameAucWithinSpoof = 0;   ///< the same on the frames of spoof test utterances only
    double meanWSpoofedFrames = 0;    ///< mean w on spoofed frames
    double meanWOtherSpoofFrames = 0; ///< mean w on the bona fide frames of spoof utterances
    double meanWBonafide = 0;         ///< mean w on bona fide utterances
    double importanceMean = 0;        ///< as the trainer's metrics
    double importanceSpread = 0;
    ImportanceHealth health;
    double firstLoss = 0, lastLoss = 0;  ///< training loss of the first / last epoch
};

/// Deterministic for a given options.config.seed.
SyntheticFramesResult trainOnSyntheticFrames(const SyntheticFramesOptions& options);

} // namespace spooflens::core
