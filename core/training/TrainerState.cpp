#include "core/training/TrainerState.h"

#include "core/Error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

namespace spooflens::core {

namespace {

const Value& need(const Value& d, const std::string& key, Value::Kind kind, const std::string& source)
{
    const Value* v = d.find(key);
    if (!v || v->kind != kind)
        throw CheckpointError(source + ": trainer state lacks '" + key + "'");
    return *v;
}

// The optimizer's per-parameter state map is keyed by a string in LibTorch
// 1.x and by the TensorImpl pointer in 2.x; build whichever key it uses.
template <typename Map>
auto stateKey(const torch::Tensor& p)
{
    using Key = typename std::decay_t<Map>::key_type;
    if constexpr (std::is_same_v<Key, std::string>) {
        // What c10::guts::to_string does (the pointer printed by a stream).
        std::ostringstream o;
        o << p.unsafeGetTensorImpl();
        return o.str();
    } else
        return static_cast<Key>(p.unsafeGetTensorImpl());
}

Value scalarValue(const YAML::Node& n)
{
    const std::string s = n.Scalar();
    if (s == "true")
        return Value::boolean(true);
    if (s == "false")
        return Value::boolean(false);
    try {
        size_t pos = 0;
        const long long i = std::stoll(s, &pos);
        if (pos == s.size())
            return Value::integer(i);
    } catch (const std::exception&) {
    }
    try {
        size_t pos = 0;
        const double d = std::stod(s, &pos);
        if (pos == s.size())
            return Value::real(d);
    } catch (const std::exception&) {
    }
    return Value::string(s);
}

} // namespace

Value trainerStateToValue(const TrainerState& s)
{
    Value v = Value::dict();
    v.set("epoch", Value::integer(s.epoch));
    v.set("best_epoch", Value::integer(s.bestEpoch));
    v.set("best_val_loss", Value::real(s.bestValLoss));
    v.set("bad_epochs", Value::integer(s.badEpochs));
    v.set("global_step", Value::integer(s.globalStep));
    v.set("stopped_early", Value::boolean(s.stoppedEarly));
    v.set("rng_std", Value::string(s.rngStd));
    if (s.rngTorch.defined())
        v.set("rng_torch", Value::fromTensor(s.rngTorch.contiguous()));
    if (s.rngCuda.defined())
        v.set("rng_cuda", Value::fromTensor(s.rngCuda.contiguous()));
    v.set("pending_metrics_line", Value::string(s.pendingMetricsLine));
    return v;
}

TrainerState trainerStateFromValue(const Value& v, const std::string& source)
{
    if (!v.isDict())
        throw CheckpointError(source + ": trainer_state is not a dict");
    TrainerState s;
    s.epoch = need(v, "epoch", Value::Kind::Int, source).i;
    s.bestEpoch = need(v, "best_epoch", Value::Kind::Int, source).i;
    const Value* b = v.find("best_val_loss");
    s.bestValLoss = b ? (b->kind == Value::Kind::Float ? b->f : double(b->i)) : 0.0;
    s.badEpochs = need(v, "bad_epochs", Value::Kind::Int, source).i;
    s.globalStep = need(v, "global_step", Value::Kind::Int, source).i;
    if (const Value* e = v.find("stopped_early"); e && e->kind == Value::Kind::Bool)
        s.stoppedEarly = e->b;
    s.rngStd = need(v, "rng_std", Value::Kind::String, source).s;
    if (const Value* t = v.find("rng_torch"); t && t->kind == Value::Kind::Tensor)
        s.rngTorch = t->tensor;
    if (const Value* t = v.find("rng_cuda"); t && t->kind == Value::Kind::Tensor)
        s.rngCuda = t->tensor;
    if (const Value* p = v.find("pending_metrics_line"); p && p->kind == Value::Kind::String)
        s.pendingMetricsLine = p->s;
    return s;
}

void saveRngState(TrainerState& s, const std::mt19937_64& rng)
{
    std::ostringstream o;
    o << rng;
    s.rngStd = o.str();
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    s.rngTorch = gen.get_state().clone();
    // The CUDA generator (dropout on a GPU draws from it), when there is one:
    // Context::defaultGenerator and Generator::get_state exist in LibTorch 1.13
    // and 2.x and need no CUDA headers.
    s.rngCuda = torch::Tensor();
    if (torch::cuda::is_available()) {
        auto cuda = at::globalContext().defaultGenerator(at::Device(at::kCUDA, 0));
        std::lock_guard<std::mutex> cudaLock(cuda.mutex());
        s.rngCuda = cuda.get_state().clone();
    }
}

void restoreRng(const TrainerState& s, std::mt19937_64& rng)
{
    std::istringstream in(s.rngStd);
    std::mt19937_64 restored;
    in >> restored;
    if (!in)
        throw CheckpointError("the trainer state's rng_std is not a std::mt19937_64 state (" + std::to_string(s.rngStd.size())
                              + " characters; a damaged or edited last.pth)");
    rng = restored;
    if (s.rngTorch.defined()) {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        try {
            gen.set_state(s.rngTorch);
        } catch (const std::exception&) {
            throw CheckpointError("the trainer state's rng_torch is not a CPU generator state ("
                                  + std::to_string(s.rngTorch.numel()) + " bytes; a damaged or edited last.pth)");
        }
    }
    // A run saved without a GPU (or resumed without one) keeps the CUDA stream as it is.
    if (s.rngCuda.defined() && torch::cuda::is_available()) {
        auto cuda = at::globalContext().defaultGenerator(at::Device(at::kCUDA, 0));
        std::lock_guard<std::mutex> cudaLock(cuda.mutex());
        cuda.set_state(s.rngCuda);
    }
}

Value optimizerStateToValue(torch::optim::AdamW& optimizer, const std::vector<torch::Tensor>& params,
                            const TrainConfig& config)
{
    Value stateDict = Value::dict();
    auto& states = optimizer.state();
    for (size_t i = 0; i < params.size(); ++i) {
        auto it = states.find(stateKey<decltype(states)>(params[i]));
        if (it == states.end())
            continue;
        const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        Value ps = Value::dict();
        ps.set("step", Value::fromTensor(torch::tensor(double(st.step()), torch::kFloat)));
        ps.set("exp_avg", Value::fromTensor(st.exp_avg().detach().to(torch::kCPU).contiguous().clone()));
        ps.set("exp_avg_sq", Value::fromTensor(st.exp_avg_sq().detach().to(torch::kCPU).contiguous().clone()));
        stateDict.entries.emplace_back(Value::integer(int64_t(i)), std::move(ps));
    }
    Value group = Value::dict();
    group.set("lr", Value::real(config.learningRate));
    group.set("betas", Value::tuple({Value::real(0.9), Value::real(0.999)}));
    group.set("eps", Value::real(1e-8));
    group.set("weight_decay", Value::real(config.weightDecay));
    group.set("amsgrad", Value::boolean(false));
    group.set("foreach", Value::none());
    group.set("maximize", Value::boolean(false));
    group.set("capturable", Value::boolean(false));
    std::vector<Value> ids;
    for (size_t i = 0; i < params.size(); ++i)
        ids.push_back(Value::integer(int64_t(i)));
    group.set("params", Value::list(std::move(ids)));
    Value root = Value::dict();
    root.set("state", std::move(stateDict));
    root.set("param_groups", Value::list({std::move(group)}));
    return root;
}

void loadOptimizerState(torch::optim::AdamW& optimizer, const std::vector<torch::Tensor>& params,
                        const Value& state, const std::string& source)
{
    const Value* st = state.isDict() ? state.find("state") : nullptr;
    if (!st || !st->isDict())
        throw CheckpointError(source + ": optimizer state is missing or not a dict");
    auto& states = optimizer.state();
    for (const auto& [k, v] : st->entries) {
        if (k.kind != Value::Kind::Int || k.i < 0 || size_t(k.i) >= params.size() || !v.isDict())
            throw CheckpointError(source + ": optimizer state does not match the module's parameters");
        const torch::Tensor& p = params[size_t(k.i)];
        const Value* step = v.find("step");
        const Value* m = v.find("exp_avg");
        const Value* s = v.find("exp_avg_sq");
        if (!step || !m || !s || m->kind != Value::Kind::Tensor || s->kind != Value::Kind::Tensor ||
            m->tensor.sizes() != p.sizes() || s->tensor.sizes() != p.sizes())
            throw CheckpointError(source + ": optimizer state of parameter " + std::to_string(k.i) + " is malformed");
        int64_t steps = 0;
        if (step->kind == Value::Kind::Tensor)
            steps = static_cast<int64_t>(step->tensor.item<double>());
        else if (step->kind == Value::Kind::Int)
            steps = step->i;
        else if (step->kind == Value::Kind::Float)
            steps = static_cast<int64_t>(step->f);
        auto ps = std::make_unique<torch::optim::AdamWParamState>();
        ps->step(steps);
        ps->exp_avg(m->tensor.to(p.device(), p.dtype()).clone());
        ps->exp_avg_sq(s->tensor.to(p.device(), p.dtype()).clone());
        states[stateKey<decltype(states)>(p)] = std::move(ps);
    }
}

Value configToValue(const TrainConfig& config)
{
    const YAML::Node root = YAML::Load(config.toYaml());
    Value out = Value::dict();
    for (const auto& sec : root) {
        Value section = Value::dict();
        for (const auto& kv : sec.second)
            section.set(kv.first.as<std::string>(), scalarValue(kv.second));
        out.set(sec.first.as<std::string>(), std::move(section));
    }
    return out;
}

namespace {

std::string valueText(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::None: return "(none)";
    case Value::Kind::Bool: return v.b ? "true" : "false";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::Float: {
        std::ostringstream o;
        o.precision(10);
        o << v.f;
        return o.str();
    }
    case Value::Kind::String: return v.s.empty() ? std::string("''") : v.s;
    default: return "(a " + std::string(v.isDict() ? "dict" : "list") + ")";
    }
}

bool sameValue(const Value& a, const Value& b)
{
    if (a.kind != b.kind) {
        // 1 and 1.0 are the same number (a YAML file may spell either).
        const bool numA = a.kind == Value::Kind::Int || a.kind == Value::Kind::Float;
        const bool numB = b.kind == Value::Kind::Int || b.kind == Value::Kind::Float;
        if (numA && numB)
            return (a.kind == Value::Kind::Int ? double(a.i) : a.f) == (b.kind == Value::Kind::Int ? double(b.i) : b.f);
        return false;
    }
    switch (a.kind) {
    case Value::Kind::None: return true;
    case Value::Kind::Bool: return a.b == b.b;
    case Value::Kind::Int: return a.i == b.i;
    case Value::Kind::Float: return a.f == b.f || (std::isnan(a.f) && std::isnan(b.f));
    case Value::Kind::String: return a.s == b.s;
    default: return valueText(a) == valueText(b);
    }
}

} // namespace

const std::vector<std::string>& resumableConfigKeys()
{
    static const std::vector<std::string> keys = {"training.num_epochs", "training.patience", "training.device",
                                                  "training.threads",    "model.name",        "data.name"};
    return keys;
}

std::vector<std::string> changedConfigKeys(const Value& recorded, const Value& now)
{
    std::vector<std::string> out;
    if (!recorded.isDict() || !now.isDict())
        return out;
    const auto& resumable = resumableConfigKeys();
    for (const auto& [sk, section] : now.entries) {
        if (sk.kind != Value::Kind::String || !section.isDict())
            continue;
        const Value* old = recorded.find(sk.s);
        if (!old || !old->isDict())
            continue;
        for (const auto& [kk, value] : section.entries) {
            if (kk.kind != Value::Kind::String)
                continue;
            const std::string key = sk.s + "." + kk.s;
            if (std::find(resumable.begin(), resumable.end(), key) != resumable.end())
                continue;
            const Value* was = old->find(kk.s);
            if (was && !sameValue(*was, value))
                out.push_back(key + ": " + valueText(*was) + " (recorded) vs " + valueText(value) + " (config.yaml)");
        }
    }
    return out;
}

void checkTrainerState(const TrainerState& s, int64_t fileEpoch, const std::string& source)
{
    const auto bad = [&](const std::string& what) {
        throw CheckpointError(source + ": the trainer state is not one a run writes (" + what
                              + "): a damaged or edited file; nothing was resumed");
    };
    if (s.epoch < 1)
        bad("epoch " + std::to_string(s.epoch) + ", expected >= 1");
    if (fileEpoch != s.epoch)
        bad("trainer_state.epoch " + std::to_string(s.epoch) + " but the checkpoint's epoch is " + std::to_string(fileEpoch));
    if (s.bestEpoch < 1 || s.bestEpoch > s.epoch)
        bad("best epoch " + std::to_string(s.bestEpoch) + ", expected 1 .. " + std::to_string(s.epoch));
    if (!std::isfinite(s.bestValLoss))
        bad("best loss " + valueText(Value::real(s.bestValLoss)) + ", expected a finite number");
    if (s.badEpochs < 0 || s.badEpochs > s.epoch)
        bad("bad epochs " + std::to_string(s.badEpochs) + ", expected 0 .. " + std::to_string(s.epoch));
    if (s.globalStep < s.epoch)
        bad("global step " + std::to_string(s.globalStep) + " after " + std::to_string(s.epoch)
            + " epoch(s) (at least one step each)");
}

} // namespace spooflens::core
