#include "core/detector/DetectorConfig.h"

#include "core/Error.h"
#include "core/util/FileCheck.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace spooflens::core {
namespace {

int64_t positiveInt(const YAML::Node& node, const std::string& key, const std::string& origin)
{
    int64_t v = 0;
    try {
        v = node.as<int64_t>();
    } catch (const YAML::Exception&) {
        throw ConfigError(origin + ": '" + key + "' must be a positive integer (line "
                          + std::to_string(node.Mark().line + 1) + ")");
    }
    if (v <= 0)
        throw ConfigError(origin + ": '" + key + "' must be a positive integer, got " + std::to_string(v));
    return v;
}

std::array<double, 4> fourNumbers(const YAML::Node& node, const std::string& key, const std::string& origin)
{
    if (!node.IsSequence() || node.size() != 4)
        throw ConfigError(origin + ": 'model_config." + key + "' must be a list of 4 numbers (line "
                          + std::to_string(node.Mark().line + 1) + ")");
    std::array<double, 4> out{};
    for (size_t i = 0; i < 4; ++i) {
        try {
            out[i] = node[i].as<double>();
        } catch (const YAML::Exception&) {
            throw ConfigError(origin + ": 'model_config." + key + "' item " + std::to_string(i)
                              + " is not a number (line " + std::to_string(node[i].Mark().line + 1) + ")");
        }
        if (!(out[i] > 0) || !std::isfinite(out[i]))
            throw ConfigError(origin + ": 'model_config." + key + "' item " + std::to_string(i)
                              + " must be a positive number");
    }
    return out;
}

/// The AASIST authors' `model_config` (their JSON is YAML too).
void parseAasist(const YAML::Node& mc, DetectorConfig& cfg, const std::string& origin)
{
    if (!mc.IsMap())
        throw ConfigError(origin + ": 'model_config' must be a mapping");
    cfg.isAasistConfig = true;
    if (mc["architecture"] && mc["architecture"].as<std::string>("") != "AASIST")
        throw ConfigError(origin + ": model_config.architecture is '" + mc["architecture"].as<std::string>("")
                          + "'; SpoofLens reads AASIST configurations (architecture AASIST)");
    if (mc["pool_ratios"]) {
        cfg.aasistPoolRatios = fourNumbers(mc["pool_ratios"], "pool_ratios", origin);
        for (double r : *cfg.aasistPoolRatios)
            if (r > 1)
                throw ConfigError(origin + ": 'model_config.pool_ratios' are ratios of kept nodes, at most 1");
    }
    if (mc["temperatures"])
        cfg.aasistTemperatures = fourNumbers(mc["temperatures"], "temperatures", origin);
    if (mc["first_conv"])
        cfg.aasistFirstConv = positiveInt(mc["first_conv"], "model_config.first_conv", origin);
    if (mc["filts"]) {
        const YAML::Node f = mc["filts"];
        if (!f.IsSequence() || f.size() < 1)
            throw ConfigError(origin + ": 'model_config.filts' must be a list whose first item is the sinc filter count");
        cfg.aasistSincFilters = positiveInt(f[0], "model_config.filts[0]", origin);
    }
}

} // namespace

DetectorConfig DetectorConfig::parse(const std::string& yamlText, const std::string& origin)
{
    DetectorConfig cfg;
    cfg.path = origin;
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::DeepRecursion& e) {
        throw ConfigError(origin + ": YAML nested deeper than the reader allows (" + std::to_string(e.depth())
                          + " levels, line " + std::to_string(e.mark.line + 1) + ")");
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": not valid YAML (line " + std::to_string(e.mark.line + 1) + "): " + e.msg);
    }
    if (!root || root.IsNull())
        return cfg;  // an empty file means "all defaults"
    if (!root.IsMap())
        throw ConfigError(origin + ": the top level must be a mapping with keys 'ssl' and 'backend'");
    if (root["model_config"]) {
        parseAasist(root["model_config"], cfg, origin);
        return cfg;
    }
    for (const auto& section : root) {
        const std::string name = section.first.as<std::string>();
        if (name != "ssl" && name != "backend")
            throw ConfigError(origin + ": unknown key '" + name + "' (line "
                              + std::to_string(section.first.Mark().line + 1) + "); known: ssl, backend");
        if (section.second.IsNull())
            continue;
        if (!section.second.IsMap())
            throw ConfigError(origin + ": '" + name + "' must be a mapping");
        for (const auto& item : section.second) {
            const std::string key = item.first.as<std::string>();
            const std::string full = name + "." + key;
            if (key != "attention_heads")
                throw ConfigError(origin + ": unknown key '" + full + "' (line "
                                  + std::to_string(item.first.Mark().line + 1) + "); known: "
                                  + name + ".attention_heads");
            const int64_t v = positiveInt(item.second, full, origin);
            if (name == "ssl")
                cfg.sslHeads = v;
            else
                cfg.backendHeads = v;
        }
    }
    return cfg;
}

DetectorConfig DetectorConfig::load(const std::string& path)
{
    if (const std::string why = whyNotRegularFile(path, "a configuration file"); !why.empty())
        throw ConfigError(path + ": cannot open detector config: " + why);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(path + ": cannot open detector config");
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

} // namespace spooflens::core
