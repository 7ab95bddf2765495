#include "core/detector/DetectorConfig.h"

#include "core/Error.h"
#include "core/util/FileCheck.h"

#include <yaml-cpp/yaml.h>

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

} // namespace

DetectorConfig DetectorConfig::parse(const std::string& yamlText, const std::string& origin)
{
    DetectorConfig cfg;
    cfg.path = origin;
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": not valid YAML (line " + std::to_string(e.mark.line + 1) + "): " + e.msg);
    }
    if (!root || root.IsNull())
        return cfg;  // an empty file means "all defaults"
    if (!root.IsMap())
        throw ConfigError(origin + ": the top level must be a mapping with keys 'ssl' and 'backend'");
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
