#include "core/stage2/Stage2Objective.h"

#include "core/Error.h"

#include <cstdio>

namespace spooflens::core {

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

Stage2Objective parseStage2Objective(const std::string& text)
{
    for (Stage2Objective o : {Stage2Objective::Seed, Stage2Objective::AttentionMil, Stage2Objective::WeakFrame})
        if (text == stage2ObjectiveName(o))
            return o;
    throw ConfigError("model.objective: unknown objective '" + text + "' (expected seed, attention_mil or weak_frame)");
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
