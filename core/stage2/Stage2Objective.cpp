#include "core/stage2/Stage2Objective.h"

#include "core/Error.h"

#include <cstdio>

namespace spooflens::core {

std::string prototypeModeName(PrototypeMode m)
{
    switch (m) {
    case PrototypeMode::Ema: return "ema";
    case PrototypeMode::Fixed: return "fixed";
    case PrototypeMode::Learnable: return "learnable";
    }
    return "ema";
}

std::vector<std::string> prototypeModeNames()
{
    return {"ema", "fixed", "learnable"};
}

PrototypeMode parsePrototypeMode(const std::string& text)
{
    for (PrototypeMode m : {PrototypeMode::Ema, PrototypeMode::Fixed, PrototypeMode::Learnable})
        if (text == prototypeModeName(m))
            return m;
    throw ConfigError("unknown prototype mode '" + text + "' (expected ema, fixed or learnable)");
}

std::string stage2ObjectiveName(Stage2Objective o)
{
    switch (o) {
    case Stage2Objective::Seed:
        return "seed";
    case Stage2Objective::AttentionMil:
        return "attention_mil";
    case Stage2Objective::WeakFrame:
        return "weak_frame";
    }
    return "seed";
}

std::vector<std::string> stage2ObjectiveNames()
{
    return {"seed", "attention_mil", "weak_frame"};
}

bool stage2ObjectiveUsesKey(Stage2Objective o, const std::string& key)
{
    const bool seed = o == Stage2Objective::Seed;
    if (key == "model.lambda_bonafide_reg" || key == "model.lambda_sparsity")
        return seed;
    if (key == "model.lambda_prior" || key == "model.importance_prior_bonafide")
        return !seed;
    if (key == "model.importance_budget_spoof")
        return o == Stage2Objective::AttentionMil;
    return true;
}

std::string stage2LossSlotLabel(Stage2Objective o, const std::string& slot)
{
    if (slot == "smooth")
        return "smoothness";
    switch (o) {
    case Stage2Objective::Seed:
        if (slot == "contrastive")
            return "w-weighted contrastive";
        if (slot == "bonafide_reg")
            return "bona fide \u03a3w";
        if (slot == "sparsity")
            return "spoof |w| (sparsity)";
        break;
    case Stage2Objective::AttentionMil:
        if (slot == "contrastive")
            return "utterance CE (w-pooled)";
        if (slot == "bonafide_reg")
            return "bona fide w vs prior";
        if (slot == "sparsity")
            return "spoof w budget";
        break;
    case Stage2Objective::WeakFrame:
        if (slot == "contrastive")
            return "gated contrastive";
        if (slot == "bonafide_reg")
            return "bona fide w vs prior";
        if (slot == "sparsity")
            return "spoof w vs target q";
        break;
    }
    return slot;
}

Stage2Objective parseStage2Objective(const std::string& text)
{
    for (Stage2Objective o : {Stage2Objective::Seed, Stage2Objective::AttentionMil, Stage2Objective::WeakFrame})
        if (text == stage2ObjectiveName(o))
            return o;
    throw ConfigError("model.objective: unknown objective '" + text + "' (expected seed, attention_mil or weak_frame)");
}

std::vector<std::string> stage2FeatureNormNames()
{
    return {"none", "utterance"};
}

std::string stage2FeatureNormName(Stage2FeatureNorm n)
{
    return n == Stage2FeatureNorm::Utterance ? "utterance" : "none";
}

Stage2FeatureNorm parseStage2FeatureNorm(const std::string& text)
{
    for (Stage2FeatureNorm n : {Stage2FeatureNorm::None, Stage2FeatureNorm::Utterance})
        if (text == stage2FeatureNormName(n))
            return n;
    throw ConfigError("model.feature_norm: unknown feature normalisation '" + text + "' (expected none or utterance)");
}

ImportanceHealth importanceHealth(double mean, double spread, const ImportanceHealthThresholds& t)
{
    ImportanceHealth h;
    h.collapsedToZero = mean < t.meanBelow;
    h.flat = spread < t.spreadBelow;
    h.saturated = mean > t.meanAbove;
    return h;
}

namespace {

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

} // namespace

std::string importanceHealthText(const ImportanceHealth& h, double mean, double spread,
                                 const ImportanceHealthThresholds& t)
{
    std::string out;
    const auto add = [&out](const std::string& line) { out += (out.empty() ? "" : "; ") + line; };
    if (h.collapsedToZero)
        add("collapsed: mean w " + num(mean) + " < " + num(t.meanBelow)
            + " (w ≈ 0 everywhere, the seed objective's trivial minimum)");
    if (h.saturated)
        add("saturated: mean w " + num(mean) + " > " + num(t.meanAbove) + " (w ≈ 1 everywhere)");
    if (h.flat)
        add("collapsed: spread of w " + num(spread) + " < " + num(t.spreadBelow) + " (flat importance singles out no region)");
    return out;
}

} // namespace spooflens::core
