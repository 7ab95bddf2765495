#pragma once
// The Stage 2 model a training configuration asks for (width, dropout,
// prototype mode, EMA momentum, feature normalisation): one recipe for the
// trainer and for the synthetic objective harness (tests/support). Torch side.
#include "core/stage2/Stage2Model.h"
#include "core/training/TrainConfig.h"

#include <cstdint>

namespace spooflens::core {

/// Throws ConfigError on an unknown prototype mode or feature normalisation.
Stage2Options stage2Options(const TrainConfig& cfg, int64_t embedDim);

} // namespace spooflens::core
