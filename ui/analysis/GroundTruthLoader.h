#pragma once
// Ground truth for the viewer: finds and reads spoofed-segment labels with
// core's readers (core/explain/GroundTruth.h) and turns them into what the
// Document holds. GUI thread (label files are small).
#include "ui/Document.h"

#include <QString>

#include <cstdint>

namespace spooflens::ui {

/// A label file next to `audioPath`: same stem with .txt or .lab (Audacity
/// label track); empty when there is none.
QString findLabelsNextTo(const QString& audioPath);

/// The spoofed segments of `utterance` (the audio's file stem) in the label
/// file `path` (Audacity track, PartialSpoof `*_seglab_*.npy`, or CSV/TSV
/// `utterance,start,end,label`), with frame labels on `grid` for `samples`
/// samples (the Document re-frames them on the explanation's grid).
/// Throws core's errors (file, line and key named) on bad input or when the
/// file has no labels for the utterance.
GroundTruthView loadGroundTruth(const QString& path, const QString& utterance, int64_t samples,
                                const core::FrameGrid& grid = core::FrameGrid::xlsr());

} // namespace spooflens::ui
