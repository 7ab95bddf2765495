#pragma once
// Stage 2 prototype modes and objectives by name and the importance-health rule (collapse to 0,
// flat importance, saturation at 1) shared by the trainer, metrics.jsonl and
// the viewer. Torch-free: the UI and the configuration include it.
// Definitions: docs/stage2-objective.md.
#include <string>
#include <vector>

namespace spooflens::core {

/// `model.prototype_mode`: how the two class prototypes are kept (docs/stage2.md §4).
enum class PrototypeMode { Ema, Fixed, Learnable };
std::string prototypeModeName(PrototypeMode m);              ///< "ema" | "fixed" | "learnable"
PrototypeMode parsePrototypeMode(const std::string& text);   ///< throws ConfigError
std::vector<std::string> prototypeModeNames();               ///< in that order

enum class Stage2Objective {
    Seed,          ///< "seed": spec stage2.md, kept exactly (ablation; w = 0 is a global minimiser)
    AttentionMil,  ///< "attention_mil": prototype classification of the w-pooled utterance + budgets
    WeakFrame,     ///< "weak_frame": per-frame cross-entropy of w against a weak, prototype-gated target
};

/// The default of `model.objective` (chosen by the comparison in docs/stage2-objective.md).
constexpr Stage2Objective kDefaultStage2Objective = Stage2Objective::WeakFrame;

std::string stage2ObjectiveName(Stage2Objective o);             ///< "seed" | "attention_mil" | "weak_frame"
Stage2Objective parseStage2Objective(const std::string& text);  ///< throws ConfigError naming the value
std::vector<std::string> stage2ObjectiveNames();

/// Whether the objective reads a loss key of the configuration
/// (`model.lambda_bonafide_reg`, `model.lambda_sparsity`: seed only;
/// `model.lambda_prior`, `model.importance_prior_bonafide`: the new
/// objectives; `model.importance_budget_spoof`: attention_mil). Every other key
/// is read by every objective. The one table the trainer's docs, the training
/// form and the charts follow (docs/stage2-objective.md).
bool stage2ObjectiveUsesKey(Stage2Objective o, const std::string& key);

/// The four loss slots of metrics.jsonl ("contrastive", "bonafide_reg",
/// "smooth", "sparsity") keep their names for every objective; this says what
/// a slot holds under the objective, in a few words for a legend.
std::string stage2LossSlotLabel(Stage2Objective o, const std::string& slot);

/// `model.feature_norm`: what the Stage 2 module does to h(t) before the
/// importance network and the prototypes (docs/stage2-objective.md, "Feature
/// normalisation"). Stored in the module's config; a file without it is None.
enum class Stage2FeatureNorm {
    None,       ///< "none": h(t) as the detector gives it (the reference behaviour)
    Utterance,  ///< "utterance": per-utterance mean and variance normalisation of every dimension
};
std::string stage2FeatureNormName(Stage2FeatureNorm n);                ///< "none" | "utterance"
Stage2FeatureNorm parseStage2FeatureNorm(const std::string& text);  ///< throws ConfigError naming the value
std::vector<std::string> stage2FeatureNormNames();                  ///< "none", "utterance"

/// Thresholds of the health rule; the defaults are the trainer's (`training.collapse_*`).
struct ImportanceHealthThresholds {
    double meanBelow = 1e-3;     ///< collapse: mean w below this (w ≈ 0 everywhere)
    double spreadBelow = 1e-3;   ///< flat: mean over utterances of std_t w below this
    double meanAbove = 0.99;     ///< saturation: mean w above this (w ≈ 1 everywhere)
};

struct ImportanceHealth {
    bool collapsedToZero = false;
    bool flat = false;
    bool saturated = false;
    /// Any of the three: the module singles out no region.
    bool degenerate() const { return collapsedToZero || flat || saturated; }
};

/// mean = mean of w over frames, spread = mean over utterances of the (population)
/// standard deviation of w(t) across frames.
ImportanceHealth importanceHealth(double mean, double spread,
                                  const ImportanceHealthThresholds& t = ImportanceHealthThresholds());

/// One clause per flag set, joined by "; " ("" when healthy), for a banner or a row header.
std::string importanceHealthText(const ImportanceHealth& h, double mean, double spread,
                                 const ImportanceHealthThresholds& t = ImportanceHealthThresholds());

} // namespace spooflens::core
