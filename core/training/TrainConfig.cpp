#include "core/training/TrainConfig.h"
#include "core/training/TrainConfigKeys.h"

#include "core/Error.h"
#include "core/util/FileCheck.h"
#include "core/util/Threads.h"
#include "core/stage2/PrototypeManager.h"
#include "core/stage2/Stage2Objective.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace spooflens::core {

namespace {

std::string where(const std::string& source, const YAML::Node& node)
{
    const YAML::Mark m = node.Mark();
    if (m.line < 0)
        return source;
    return source + ":" + std::to_string(m.line + 1);
}

template <typename T>
T as(const YAML::Node& node, const std::string& key, const std::string& source, const char* typeName)
{
    if (!node.IsScalar())
        throw ConfigError(where(source, node) + ": key '" + key + "' must be a " + typeName);
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        throw ConfigError(where(source, node) + ": key '" + key + "' must be a " + typeName + ", got '"
                          + node.Scalar() + "'");
    }
}

struct Field {
    std::function<void(TrainConfig&, const YAML::Node&, const std::string&)> set;
    std::function<void(const TrainConfig&, YAML::Emitter&)> emit;
};

template <typename T>
Field field(T TrainConfig::*member, const char* typeName)
{
    Field f;
    f.set = [member, typeName](TrainConfig& c, const YAML::Node& n, const std::string& src) {
        c.*member = as<T>(n, "", src, typeName);
    };
    f.emit = [member](const TrainConfig& c, YAML::Emitter& e) { e << c.*member; };
    return f;
}

// Key table: section -> key -> field (order = output order).
const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Field>>>>& table()
{
    using C = TrainConfig;
    static const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Field>>>> t = {
        {"model",
         {{"name", field(&C::name, "string")},
          {"pretrained_checkpoint", field(&C::pretrainedCheckpoint, "string")},
          {"detector_config", field(&C::detectorConfig, "string")},
          {"prototype_mode", field(&C::prototypeMode, "string")},
          {"objective", field(&C::objective, "string")},
          {"feature_norm", field(&C::featureNorm, "string")},
          {"importance_hidden_dim", field(&C::importanceHiddenDim, "integer")},
          {"temperature", field(&C::temperature, "number")},
          {"lambda_bonafide_reg", field(&C::lambdaBonafideReg, "number")},
          {"lambda_temporal_smooth", field(&C::lambdaTemporalSmooth, "number")},
          {"lambda_sparsity", field(&C::lambdaSparsity, "number")},
          {"lambda_prior", field(&C::lambdaPrior, "number")},
          {"importance_prior_bonafide", field(&C::importancePriorBonafide, "number")},
          {"importance_budget_spoof", field(&C::importanceBudgetSpoof, "number")},
          {"ema_momentum", field(&C::emaMomentum, "number")},
          {"dropout", field(&C::dropout, "number")},
          {"emb_size", field(&C::embSize, "integer")},
          {"num_encoders", field(&C::numEncoders, "integer")},
          {"heads", field(&C::heads, "integer")},
          {"kernel_size", field(&C::kernelSize, "integer")},
          {"num_classes", field(&C::numClasses, "integer")}}},
        {"training",
         {{"batch_size", field(&C::batchSize, "integer")},
          {"num_epochs", field(&C::numEpochs, "integer")},
          {"learning_rate", field(&C::learningRate, "number")},
          {"weight_decay", field(&C::weightDecay, "number")},
          {"patience", field(&C::patience, "integer")},
          {"seed", field(&C::seed, "integer")},
          {"device", field(&C::device, "string")},
          {"threads", field(&C::threads, "integer")},
          {"collapse_mean_threshold", field(&C::collapseMeanThreshold, "number")},
          {"collapse_spread_threshold", field(&C::collapseSpreadThreshold, "number")},
          {"collapse_saturation_threshold", field(&C::collapseSaturationThreshold, "number")}}},
        {"data",
         {{"name", field(&C::dataName, "string")},
          {"database_path", field(&C::databasePath, "string")},
          {"protocol_path", field(&C::protocolPath, "string")},
          {"train_subset", field(&C::trainSubset, "string")},
          {"val_subset", field(&C::valSubset, "string")},
          {"val_fraction", field(&C::valFraction, "number")},
          {"crop", field(&C::crop, "integer")},
          {"random_crop", field(&C::randomCrop, "boolean")}}},
        {"augmentation", {{"rawboost_algo", field(&C::rawboostAlgo, "integer")}}},
        {"cache",
         {{"enabled", field(&C::cacheEnabled, "boolean")},
          {"dir", field(&C::cacheDir, "string")},
          {"dtype", field(&C::cacheDtype, "string")}}},
    };
    return t;
}

const Field* findField(const std::string& section, const std::string& key)
{
    for (const auto& [s, fields] : table()) {
        if (s != section)
            continue;
        for (const auto& [k, f] : fields)
            if (k == key)
                return &f;
    }
    return nullptr;
}

bool knownSection(const std::string& section)
{
    for (const auto& [s, fields] : table())
        if (s == section)
            return true;
    return false;
}

// A mapping key as text: YAML allows a sequence or a mapping as a key
// ("[a, b]: 1"), which as<std::string>() reports as "bad conversion".
std::string keyName(const YAML::Node& key, const std::string& source, const std::string& in)
{
    if (!key.IsScalar())
        throw ConfigError(where(source, key) + ": a key " + in + "is a "
                          + (key.IsSequence() ? "sequence" : key.IsMap() ? "mapping" : "null")
                          + ", not a name (write section: {key: value})");
    return key.Scalar();
}

void applyNode(TrainConfig& c, const YAML::Node& root, const std::string& source)
{
    if (!root || root.IsNull())
        return;
    if (!root.IsMap())
        throw ConfigError(where(source, root) + ": the configuration must be a mapping of sections");
    std::set<std::string> seenSections;
    for (const auto& sec : root) {
        const std::string section = keyName(sec.first, source, "");
        // YAML allows a repeated key and keeps the last one silently: an error here.
        if (!seenSections.insert(section).second)
            throw ConfigError(where(source, sec.first) + ": section '" + section
                              + "' appears twice (merge the two into one)");
        if (!knownSection(section))
            throw ConfigError(where(source, sec.first) + ": unknown section '" + section
                              + "' (known: model, training, data, augmentation, cache)");
        if (sec.second.IsNull())
            continue;
        if (!sec.second.IsMap())
            throw ConfigError(where(source, sec.second) + ": section '" + section + "' must be a mapping");
        std::set<std::string> seenKeys;
        for (const auto& kv : sec.second) {
            const std::string key = keyName(kv.first, source, "of section '" + section + "' ");
            if (!seenKeys.insert(key).second)
                throw ConfigError(where(source, kv.first) + ": key '" + section + "." + key + "' appears twice");
            const Field* f = findField(section, key);
            if (!f)
                throw ConfigError(where(source, kv.first) + ": unknown key '" + section + "." + key + "'");
            try {
                f->set(c, kv.second, source);
            } catch (const ConfigError& e) {
                std::string msg = e.what();
                const std::string needle = "key ''";
                const auto pos = msg.find(needle);
                if (pos != std::string::npos)
                    msg.replace(pos, needle.size(), "key '" + section + "." + key + "'");
                throw ConfigError(msg);
            }
        }
    }
}

void applyOverride(TrainConfig& c, const std::string& assignment)
{
    const auto eq = assignment.find('=');
    const std::string lhs = assignment.substr(0, eq);
    const auto dot = lhs.find('.');
    if (eq == std::string::npos || dot == std::string::npos)
        throw ConfigError("--set '" + assignment + "': expected section.key=value");
    const std::string section = lhs.substr(0, dot), key = lhs.substr(dot + 1);
    const Field* f = findField(section, key);
    if (!f)
        throw ConfigError("--set '" + assignment + "': unknown key '" + lhs + "'");
    YAML::Node value;
    try {
        value = YAML::Load(assignment.substr(eq + 1));
    } catch (const YAML::Exception& e) {
        throw ConfigError("--set '" + assignment + "': " + e.what());
    }
    if (!value || value.IsNull())
        value = YAML::Node(std::string());
    try {
        f->set(c, value, "--set");
    } catch (const ConfigError&) {
        throw ConfigError("--set '" + assignment + "': bad value for '" + lhs + "'");
    }
}

} // namespace

TrainConfig TrainConfig::parse(const std::string& yamlText, const std::string& source,
                               const std::vector<std::string>& overrides)
{
    TrainConfig c;
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp 0.7 says only "bad file" here.
        throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": YAML nested deeper than the reader "
                          "allows (" + std::to_string(e.depth()) + " levels); a configuration needs two");
    } catch (const YAML::ParserException& e) {
        throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source + ": cannot read the YAML: " + e.msg);
    }
    try {
        applyNode(c, root, source);
    } catch (const YAML::Exception& e) {
        // Anything yaml-cpp itself reports while the nodes are read names the file too.
        throw ConfigError(source + (e.mark.line >= 0 ? ":" + std::to_string(e.mark.line + 1) : std::string()) + ": "
                          + e.msg);
    }
    for (const auto& o : overrides)
        applyOverride(c, o);
    c.validate();
    return c;
}

TrainConfig TrainConfig::load(const std::string& path, const std::vector<std::string>& overrides)
{
    if (const std::string why = whyNotRegularFile(path, "a configuration file"); !why.empty())
        throw ConfigError(path + ": cannot open the configuration file: " + why);
    std::ifstream in(path);
    if (!in)
        throw ConfigError(path + ": cannot open the configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path, overrides);
}

TrainConfig TrainConfig::fromOverrides(const std::vector<std::string>& overrides)
{
    return parse("{}", "<defaults>", overrides);
}

void TrainConfig::validate() const
{
    parsePrototypeMode(prototypeMode);
    parseStage2Objective(objective);
    parseStage2FeatureNorm(featureNorm);
    const auto number = [](double v) {
        std::ostringstream o;
        o << v;
        return o.str();
    };
    auto require = [](bool ok, const std::string& msg) {
        if (!ok)
            throw ConfigError(msg);
    };
    // Upper bounds far above any sensible value, so that a typo is an error
    // naming the key instead of an allocation failure deep in the trainer.
    // The network holds D x H + H x H/2 weights (and AdamW two more copies):
    // H = 65536 asked for ~26 GB. 8192 (32 x the default) stays under 1 GB.
    require(importanceHiddenDim >= 2 && importanceHiddenDim <= kMaxImportanceHiddenDim,
            "model.importance_hidden_dim must be in 2 .. " + std::to_string(kMaxImportanceHiddenDim) + ", got "
                + std::to_string(importanceHiddenDim) + " (the default is 256)");
    require(std::isfinite(temperature) && temperature > 0, "model.temperature must be a finite number > 0");
    require(lambdaPrior >= 0, "model.lambda_prior must be >= 0");
    require(importancePriorBonafide > 0 && importancePriorBonafide < 1,
            "model.importance_prior_bonafide must be in (0, 1)");
    require(importanceBudgetSpoof > 0 && importanceBudgetSpoof < 1, "model.importance_budget_spoof must be in (0, 1)");
    require(collapseSaturationThreshold > 0 && collapseSaturationThreshold <= 1,
            "training.collapse_saturation_threshold must be in (0, 1]");
    // NaN compares false with everything: a NaN threshold would never flag a collapse.
    require(std::isfinite(collapseMeanThreshold) && collapseMeanThreshold >= 0 && collapseMeanThreshold < 1,
            "training.collapse_mean_threshold must be a number in [0, 1), got " + number(collapseMeanThreshold));
    require(std::isfinite(collapseSpreadThreshold) && collapseSpreadThreshold >= 0 && collapseSpreadThreshold < 1,
            "training.collapse_spread_threshold must be a number in [0, 1), got " + number(collapseSpreadThreshold));
    require(emaMomentum >= 0 && emaMomentum <= 1, "model.ema_momentum must be in [0, 1]");
    require(dropout >= 0 && dropout < 1, "model.dropout must be in [0, 1)");
    require(batchSize >= 1 && batchSize <= 4096, "training.batch_size must be in 1 .. 4096");
    require(numEpochs >= 1 && numEpochs <= 1000000, "training.num_epochs must be in 1 .. 1000000");
    require(std::isfinite(learningRate) && learningRate > 0, "training.learning_rate must be a finite number > 0");
    require(std::isfinite(weightDecay) && weightDecay >= 0, "training.weight_decay must be a finite number >= 0");
    require(patience >= 1, "training.patience must be >= 1");
    require(threads >= 0 && threads <= kMaxComputeThreads,
            "training.threads must be in 0 (all cores) .. " + std::to_string(kMaxComputeThreads) + ", got "
                + std::to_string(threads));
    for (const auto& [key, v] : {std::pair<const char*, double>{"model.lambda_bonafide_reg", lambdaBonafideReg},
                                 {"model.lambda_temporal_smooth", lambdaTemporalSmooth},
                                 {"model.lambda_sparsity", lambdaSparsity}})
        require(std::isfinite(v), std::string(key) + " must be a finite number");
    require(crop == 64600 || crop == 66800, "data.crop must be 64600 or 66800");
    require(valFraction >= 0 && valFraction < 1, "data.val_fraction must be in [0, 1)");
    // The same subset for both would validate on the training rows (and the split finds no 'train' rows).
    require(trainSubset != valSubset, "data.train_subset and data.val_subset are both '" + trainSubset
                                          + "': validation needs rows the training does not use (e.g. train and dev)");
    require(rawboostAlgo >= 0 && rawboostAlgo <= 8, "augmentation.rawboost_algo must be 0 (off) .. 8");
    require(cacheDtype == "float16" || cacheDtype == "float32", "cache.dtype must be float16 or float32");
}

std::vector<std::string> trainConfigKeys()
{
    std::vector<std::string> keys;
    for (const auto& [section, fields] : table())
        for (const auto& [key, f] : fields)
            keys.push_back(section + "." + key);
    return keys;
}

std::string TrainConfig::toYaml() const
{
    YAML::Emitter e;
    e << YAML::BeginMap;
    for (const auto& [section, fields] : table()) {
        e << YAML::Key << section << YAML::Value << YAML::BeginMap;
        for (const auto& [key, f] : fields) {
            e << YAML::Key << key << YAML::Value;
            f.emit(*this, e);
        }
        e << YAML::EndMap;
    }
    e << YAML::EndMap;
    return std::string(e.c_str()) + "\n";
}

} // namespace spooflens::core
