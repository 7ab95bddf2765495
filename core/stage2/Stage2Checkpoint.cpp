#include "core/stage2/Stage2Checkpoint.h"
#include "core/stage2/Stage2Objective.h"

#include "core/Error.h"

#include <torch/torch.h>

#include <cmath>

namespace spooflens::core {

namespace {

bool startsWith(const std::string& s, const std::string& p)
{
    return s.rfind(p, 0) == 0;
}

bool isXaiKey(const std::string& k)
{
    return startsWith(k, "importance_net.") || startsWith(k, "prototype_manager.");
}

void fillShapes(Stage2File& f)
{
    for (const auto& [k, t] : f.xai) {
        if (k == "importance_net.net.0.weight" && t.dim() == 2) {
            f.hiddenDim = t.size(0);
            f.embedDim = t.size(1);
        }
    }
    if (f.embedDim == 0)
        throw CheckpointError(f.path + ": not a Stage 2 checkpoint (no importance_net.net.0.weight)");
    bool haveProto = false;
    for (const auto& [k, t] : f.xai)
        if (k == "prototype_manager.prototypes") {
            haveProto = true;
            if (t.dim() != 2 || t.size(0) != 2 || t.size(1) != f.embedDim)
                throw CheckpointError(f.path + ": prototype_manager.prototypes must be (2, "
                                      + std::to_string(f.embedDim) + ")");
        }
    if (!haveProto)
        throw CheckpointError(f.path + ": Stage 2 checkpoint without prototype_manager.prototypes");
    // NaN is not a weight (docs/reliability.md): a sum in double is NaN/inf iff a value is.
    for (const auto& [k, t] : f.xai)
        if (t.is_floating_point() && t.numel() > 0 && !std::isfinite(t.sum(torch::kDouble).item<double>()))
            throw CheckpointError(f.path + ": tensor '" + k
                                  + "' holds NaN or infinite weights (a damaged file, or a training that diverged)");
}

} // namespace

Stage2File readStage2File(const std::string& path)
{
    CheckpointContents c = readCheckpoint(path);
    Stage2File f;
    f.path = path;
    const Value* sd = c.root.isDict() ? c.root.find("state_dict") : nullptr;
    if (sd) {
        f.format = "spooflens";
        f.xai = asTensorList(*sd, path);
        if (const Value* v = c.root.find("prototype_mode"); v && v->kind == Value::Kind::String)
            f.prototypeMode = v->s;
        if (const Value* v = c.root.find("detector_sha256"); v && v->kind == Value::Kind::String)
            f.detectorSha256 = v->s;
        if (const Value* v = c.root.find("epoch"); v && v->kind == Value::Kind::Int)
            f.epoch = v->i;
        if (const Value* v = c.root.find("config")) {
            f.config = *v;
            const Value* model = v->isDict() ? v->find("model") : nullptr;
            const Value* norm = model && model->isDict() ? model->find("feature_norm") : nullptr;
            if (norm && norm->kind == Value::Kind::String) {
                try {
                    parseStage2FeatureNorm(norm->s);
                } catch (const ConfigError& e) {
                    throw CheckpointError(path + ": " + e.what());
                }
                f.featureNorm = norm->s;
            }
        }
        if (const Value* v = c.root.find("optimizer"))
            f.optimizer = *v;
        if (const Value* v = c.root.find("trainer_state"))
            f.trainerState = *v;
        // Strip a DataParallel prefix if someone saved it that way.
        for (auto& [k, t] : f.xai)
            if (startsWith(k, "module."))
                k = k.substr(7);
    } else {
        TensorList all = asTensorList(c.root, path);
        for (auto& [k, t] : all) {
            std::string key = startsWith(k, "module.") ? k.substr(7) : k;
            if (isXaiKey(key))
                f.xai.emplace_back(key, t);
            else if (startsWith(key, "frozen_detector.detector."))
                f.hasDetector = true;
        }
        f.format = f.hasDetector ? "seed_whole_model" : "state_dict";
        if (f.xai.empty())
            throw CheckpointError(path + ": no Stage 2 keys (importance_net.*, prototype_manager.*) in this file");
    }
    fillShapes(f);
    f.prototypesAreParameter = f.prototypeMode == "learnable";
    return f;
}

void writeStage2File(const std::string& path, const TensorList& stateDict, const Value& optimizer,
                     const Value& config, int64_t epoch, const std::string& prototypeMode,
                     const std::string& detectorSha256, const Value& trainerState)
{
    Value sd = Value::dict(/*orderedDict=*/true);
    for (const auto& [k, t] : stateDict)
        sd.set(k, Value::fromTensor(t.detach().to(torch::kCPU).contiguous()));
    Value root = Value::dict();
    root.set("state_dict", std::move(sd));
    root.set("optimizer", optimizer);
    root.set("config", config);
    root.set("epoch", Value::integer(epoch));
    root.set("prototype_mode", Value::string(prototypeMode));
    root.set("detector_sha256", Value::string(detectorSha256));
    if (trainerState.kind != Value::Kind::None)
        root.set("trainer_state", trainerState);
    writeCheckpoint(path, root);
}

} // namespace spooflens::core
