// Compiled with exactly the usage requirements ui/ gets (see
// tests/facade/CheckFacade.cmake): every core header ui/ and app/ include
// must build there. The control for TorchInclude.cpp, which must not.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/FrameGrid.h"
#include "core/audio/Resampler.h"
#include "core/detector/Detector.h"
#include "core/explain/Agreement.h"
#include "core/explain/Explainer.h"
#include "core/explain/Explanation.h"
#include "core/format/Npy.h"
#include "core/training/Demo.h"
#include "core/training/FeatureCache.h"
#include "core/training/RunControl.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"

int spooflensFacadeProbe() { return spooflens::core::FrameGrid::xlsr().hop; }
