#pragma once
// Training the demo detector (docs/demo.md): the tiny preset's ConformerTCM
// back-end (LL, first_bn affine, conformer blocks, fc5) and, with trainSsl,
// the tiny SSL encoder too (all but its positional conv) are trained on the
// demo train split, class-balanced, with RawBoost augmentation, and saved in
// the detector checkpoint format (untrained tensors copied unchanged). This is a demo-building step only: the product never
// changes a detector it loads. BatchNorm running statistics stay frozen
// (eval-mode batch norm), the positional table too.
// Torch-free header. Thread-safety: one call at a time per process (LibTorch's
// global seed and thread pool).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spooflens::core {

struct DemoDetectorOptions {
    std::string sourceCheckpoint;             ///< the tiny preset (tests/data/fixtures/detector_tiny.pth)
    std::string outCheckpoint;                ///< written atomically
    std::vector<std::string> trainFiles;      ///< 16 kHz audio
    std::vector<bool> trainSpoof;
    std::vector<std::string> devFiles;        ///< model selection (best dev EER)
    std::vector<bool> devSpoof;
    int64_t steps = 600;                      ///< optimiser steps
    int64_t batch = 16;                       ///< half bona fide, half spoof
    int64_t cropFrames = 150;                 ///< random crop (3 s: 150 frames, 48 080 samples)
    bool trainSsl = false;                    ///< false: frozen SSL, back-end only (features computed once)
    double sslLearningRate = 5e-4;            ///< for the SSL tensors when trainSsl
    int64_t evalEvery = 50;                   ///< steps between dev evaluations
    double learningRate = 5e-4, weightDecay = 1e-4;
    int augmentCopies = 2;                    ///< RawBoost copies per train file (besides the original)
    int rawboostAlgo = 5;                     ///< LnL + ISD
    uint64_t seed = 1234;
    int threads = 0;                          ///< 0 = all cores
    std::function<void(const std::string&)> log;
};

struct DemoDetectorReport {
    int64_t steps = 0, bestStep = 0;
    double bestDevEer = 0;                    ///< 0..1, score = logit[1], bona fide positive
    double finalTrainLoss = 0;
    int64_t trainPool = 0;                    ///< train sequences (originals + augmented)
    bool sslTrained = false;
    int64_t trainedParameters = 0;            ///< scalar parameters updated
    double featureSeconds = 0, trainSeconds = 0;
};

/// Trains and writes options.outCheckpoint. Throws CheckpointError/AudioError/ConfigError.
DemoDetectorReport trainDemoDetector(const DemoDetectorOptions& options);

} // namespace spooflens::core
