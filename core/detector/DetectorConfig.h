#pragma once
// What the checkpoint's tensor shapes cannot tell about the detector: the
// attention head counts. Read from an optional YAML file
// (`--detector-config FILE`):
//
//   ssl:
//     attention_heads: 16   # XLS-R 300M
//   backend:
//     attention_heads: 4    # ConformerTCM
//
// or, for AASIST, the authors' own JSON configuration (AASIST.conf,
// AASIST-L.conf): its `model_config` gives what the AASIST weights do not
// (pool_ratios, temperatures, filts[0], first_conv); the other keys of that
// file (training settings) are ignored.
//
// Torch-free; thread-safe (plain data).
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace spooflens::core {

struct DetectorConfig {
    /// SSL (wav2vec 2.0) attention heads. Unset: the preset's value (16 for
    /// XLS-R 300M and unknown sizes, 4 for the tiny test preset).
    std::optional<int64_t> sslHeads;
    /// TCM attention heads. The checkpoint fixes it (`attn.fn.pos_embed` has
    /// one row per head); a configured value must agree with it.
    std::optional<int64_t> backendHeads;
    /// AASIST `model_config` values (unset: the recognised variant's own).
    std::optional<std::array<double, 4>> aasistPoolRatios, aasistTemperatures;
    std::optional<int64_t> aasistSincFilters, aasistFirstConv;
    bool isAasistConfig = false;  ///< the file had a `model_config`
    std::string path;  ///< the YAML file it came from, empty for defaults

    static constexpr int64_t kDefaultSslHeads = 16;
    static constexpr int64_t kDefaultBackendHeads = 4;

    /// Parses `path`. Throws ConfigError naming the file and the key at fault
    /// (unknown key, non-positive or non-integer value, YAML syntax error with line).
    static DetectorConfig load(const std::string& path);
    /// Parses YAML text; `origin` names it in error messages.
    static DetectorConfig parse(const std::string& yamlText, const std::string& origin);
};

} // namespace spooflens::core
