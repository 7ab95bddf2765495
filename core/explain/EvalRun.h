#pragma once
// OUT/run.json of `spooflens evaluate` (docs/reliability.md, "Evaluate
// folders"): what determines the records of OUT/utterances.jsonl, so that a
// resume goes on only with the configuration that made them and a merge joins
// only shards of one run. Torch-free.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spooflens::core {

/// The file name inside an evaluate output folder.
inline constexpr const char* kEvalRunFile = "run.json";

struct EvalRunConfig {
    /// Everything but the shard that determines a record: name -> value (the
    /// detector's SHA-256, each Stage 2 module's path and SHA-256, the methods,
    /// explainer options, precision, cut, protocol, subset, labels, ...).
    std::map<std::string, std::string> fingerprint;
    int64_t shardIndex = 0;     ///< K of --shard K/N
    int64_t shardCount = 1;     ///< N
    int64_t utterances = 0;     ///< utterances of this shard (distinct ids)
    int64_t labelsIgnored = -1; ///< --labels entries of utterances this run does not evaluate; -1: no --labels
};

std::string evalRunConfigToJson(const EvalRunConfig& c);
/// Reads OUTDIR/run.json: nullopt when there is none; ConfigError naming the
/// file when it is not one written by evalRunConfigToJson.
std::optional<EvalRunConfig> readEvalRunConfig(const std::string& outDir);
/// Writes OUTDIR/run.json (atomically; Error naming the file on failure).
void writeEvalRunConfig(const EvalRunConfig& c, const std::string& outDir);

/// The fingerprint entries that differ, one sentence each:
/// "KEY: A (in FOLDER) vs B (WHAT)", in key order. The shard is not compared.
std::vector<std::string> evalRunDifferences(const EvalRunConfig& folderRun, const std::string& folder,
                                            const EvalRunConfig& other, const std::string& what);

} // namespace spooflens::core
