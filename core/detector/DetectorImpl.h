#pragma once
// Detector's private state, for core code that needs the LibTorch model behind
// the facade (the back-end explainers of core/explain/):
//   const auto& model = detector.impl().model;   // std::shared_ptr<DetectorModel>
// INTERNAL header (includes torch): core's .cpp files only, never ui/.
#include "core/detector/Detector.h"
#include "core/detector/DetectorModel.h"

#include <memory>

namespace spooflens::core {

struct Detector::Impl {
    DetectorOptions options;
    std::shared_ptr<DetectorModel> model;  ///< shared: an explainer may keep it beyond the facade
};

/// NaN is not an answer (docs/reliability.md): throws Error naming `what` (the
/// checkpoint) when a logit is NaN or infinite (finite but extreme weights overflow).
void requireFiniteLogits(const float logits[2], const std::string& what);

} // namespace spooflens::core
