#pragma once
// Plain data passed between the inference worker and the GUI thread (queued
// signals copy them). No torch.
#include "core/audio/AudioFile.h"
#include "core/detector/Detector.h"
#include "core/explain/Explainer.h"
#include "core/explain/Explanation.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace spooflens::ui {

using AudioPtr = std::shared_ptr<const core::AudioData>;

/// What the worker has loaded, reported after every model change.
struct ModelState {
    bool hasDetector = false;
    core::DetectorInfo detector;
    std::vector<core::Stage2Info> stage2;
};

} // namespace spooflens::ui

Q_DECLARE_METATYPE(spooflens::ui::AudioPtr)
Q_DECLARE_METATYPE(spooflens::ui::ModelState)
Q_DECLARE_METATYPE(spooflens::core::Explanation)
Q_DECLARE_METATYPE(spooflens::core::ExplainRequest)
