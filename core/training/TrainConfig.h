#pragma once
// Stage 2 training configuration: the seed's YAML keys (configs/xai_stage2.yaml)
// plus data, crop, device, augmentation and cache settings. Torch-free.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// Upper bound of model.importance_hidden_dim (TrainConfig::validate).
constexpr int64_t kMaxImportanceHiddenDim = 8192;

struct TrainConfig {
    // model.*
    std::string name = "xai_stage2";
    std::string pretrainedCheckpoint;      ///< the frozen detector (.pth)
    std::string detectorConfig;            ///< optional detector YAML
    std::string prototypeMode = "ema";     ///< ema | fixed | learnable
    /// seed | attention_mil | weak_frame (docs/stage2-objective.md); the seed
    /// objective is kept for ablation, the default has no trivial minimum.
    std::string objective = "weak_frame";
    /// none | utterance: per-utterance normalisation of h(t) inside the module
    /// (docs/stage2-objective.md, "Feature normalisation").
    std::string featureNorm = "none";
    int64_t importanceHiddenDim = 256;
    double temperature = 0.07;
    double lambdaBonafideReg = 0.1;
    double lambdaTemporalSmooth = 0.1;
    double lambdaSparsity = 0.01;
    double lambdaPrior = 1.0;              ///< new objectives: weight of the importance priors
    double importancePriorBonafide = 0.05; ///< new objectives: rho_b, low uniform w on bona fide frames
    double importanceBudgetSpoof = 0.3;    ///< attention_mil: rho_s, target mean w of a spoof utterance
    double emaMomentum = 0.99;
    double dropout = 0.1;
    // Detector-shape keys of the seed's file, checked against the checkpoint when set (0 = unset).
    int64_t embSize = 0, numEncoders = 0, heads = 0, kernelSize = 0, numClasses = 0;

    // training.*
    int64_t batchSize = 24;
    int64_t numEpochs = 50;
    double learningRate = 1e-4;
    double weightDecay = 1e-4;
    int64_t patience = 10;
    uint64_t seed = 1234;
    std::string device = "auto";           ///< auto | cpu | cuda[:N]
    int64_t threads = 0;                   ///< 0 = all cores
    double collapseMeanThreshold = 1e-3;   ///< collapse if mean w below this
    double collapseSpreadThreshold = 1e-3; ///< ... or the spread of w across frames below this
    double collapseSaturationThreshold = 0.99; ///< saturated if mean w above this (w ≈ 1 everywhere)

    // data.*
    std::string dataName;                  ///< informative (seed key)
    std::string databasePath;              ///< audio root
    std::string protocolPath;              ///< one protocol file (formats: Protocol.h)
    std::string trainSubset = "train";
    std::string valSubset = "dev";
    double valFraction = 0.1;              ///< used when the protocol has no `valSubset` rows
    int64_t crop = 64600;                  ///< 64600 or 66800 samples, repeat padding
    bool randomCrop = true;                ///< random crop of longer audio in training

    // augmentation.*
    int rawboostAlgo = 0;                  ///< 0 = off, 1..8 (Tak et al. 2022)

    // cache.*
    bool cacheEnabled = true;
    std::string cacheDir;                  ///< default: <run dir>/../feature_cache or ./feature_cache
    std::string cacheDtype = "float16";    ///< float16 | float32

    /// Loads a YAML file, then applies `overrides` ("section.key=value").
    /// Unknown/mistyped keys -> ConfigError naming the key and line.
    static TrainConfig load(const std::string& path,
                            const std::vector<std::string>& overrides = {});
    /// Defaults with overrides only (no file).
    static TrainConfig fromOverrides(const std::vector<std::string>& overrides);
    /// Parses YAML text (`source` names it in errors).
    static TrainConfig parse(const std::string& yamlText, const std::string& source,
                             const std::vector<std::string>& overrides = {});

    /// The resolved configuration as YAML (every key, reference layout).
    std::string toYaml() const;
    /// Throws ConfigError on inconsistent values (mode, crop, ranges).
    void validate() const;
};

} // namespace spooflens::core
