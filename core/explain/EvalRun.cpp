#include "core/explain/EvalRun.h"

#include "core/Error.h"
#include "core/training/RunFolder.h"
#include "core/util/JsonText.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace spooflens::core {

namespace {
constexpr const char* kFormat = "spooflens evaluate run 1";
} // namespace

std::string evalRunConfigToJson(const EvalRunConfig& c)
{
    json j;
    j["format"] = kFormat;
    j["fingerprint"] = c.fingerprint;
    j["shard"] = {{"index", c.shardIndex}, {"count", c.shardCount}};
    j["utterances"] = c.utterances;
    j["labels_ignored"] = c.labelsIgnored >= 0 ? json(c.labelsIgnored) : json(nullptr);
    return jsonText(j, 2);
}

std::optional<EvalRunConfig> readEvalRunConfig(const std::string& outDir)
{
    const std::string path = (fs::path(outDir) / kEvalRunFile).string();
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(path + ": cannot read");
    EvalRunConfig c;
    try {
        const json j = json::parse(in);
        if (j.at("format").get<std::string>() != kFormat)
            throw ConfigError(path + ": unknown format '" + j.at("format").get<std::string>() + "'");
        c.fingerprint = j.at("fingerprint").get<std::map<std::string, std::string>>();
        c.shardIndex = j.at("shard").at("index").get<int64_t>();
        c.shardCount = j.at("shard").at("count").get<int64_t>();
        c.utterances = j.at("utterances").get<int64_t>();
        const json& li = j.at("labels_ignored");
        c.labelsIgnored = li.is_null() ? -1 : li.get<int64_t>();
    } catch (const json::exception& e) {
        throw ConfigError(path + ": not a SpoofLens evaluate run record: " + e.what());
    }
    if (c.shardCount < 1 || c.shardIndex < 0 || c.shardIndex >= c.shardCount)
        throw ConfigError(path + ": shard " + std::to_string(c.shardIndex) + "/" + std::to_string(c.shardCount)
                          + " is not a valid shard");
    return c;
}

void writeEvalRunConfig(const EvalRunConfig& c, const std::string& outDir)
{
    replaceFileAtomically((fs::path(outDir) / kEvalRunFile).string(), evalRunConfigToJson(c) + "\n");
}

std::vector<std::string> evalRunDifferences(const EvalRunConfig& folderRun, const std::string& folder,
                                            const EvalRunConfig& other, const std::string& what)
{
    std::set<std::string> keys;
    for (const auto& [k, v] : folderRun.fingerprint)
        keys.insert(k);
    for (const auto& [k, v] : other.fingerprint)
        keys.insert(k);
    const auto valueOf = [](const EvalRunConfig& c, const std::string& k) {
        const auto it = c.fingerprint.find(k);
        return it == c.fingerprint.end() ? std::string("(not recorded)") : it->second;
    };
    std::vector<std::string> out;
    for (const std::string& k : keys) {
        const std::string a = valueOf(folderRun, k), b = valueOf(other, k);
        if (a != b)
            out.push_back(k + ": " + a + " (in " + folder + ") vs " + b + " (" + what + ")");
    }
    return out;
}

} // namespace spooflens::core
