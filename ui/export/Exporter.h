#pragma once
// Writes what the window shows: images of the track panel (PNG raster; SVG
// and PDF with the plots as vectors) and the data behind it (CSV, Audacity
// labels, JSON: the CLI's schemas, through core's serialiser). Functions return an empty string on
// success, else a plain-words error. GUI thread (they paint widgets).
#include "core/explain/Explanation.h"

#include <QList>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace spooflens::ui {

class Track;

/// Image of `panel` with each visible `tracks` member drawn by QCustomPlot
/// (vector output for SVG/PDF). The format comes from the file suffix
/// (.png, .svg, .pdf).
QString exportView(QWidget* panel, const QList<Track*>& tracks, const QString& path);

/// The data behind the view, written by core's one serialiser
/// (core/explain/ExplanationIO.h, schemas in docs/explainers.md "Files"), the
/// format from the suffix: .csv (one row per frame), .txt/.labels (Audacity
/// labels: Stage 2 regions where w > `importanceThreshold`, attribution top
/// 10 % regions) or .json (the keys of `spooflens explain --json`). Written
/// atomically (QSaveFile): a failed export never leaves a half file.
/// With `truth` (frame labels on the explanation's grid, 1 = spoof, and the
/// file they came from): the CSV gains a ground_truth column and the JSON a
/// `ground_truth` object {source, frames} and `localisation` (frame AUC, AP,
/// pointing game of every module and attribution, core's metrics).
struct ExportTruth {
    std::vector<uint8_t> frames;
    QString source;
};
QString exportData(const core::Explanation& e, double importanceThreshold, const QString& path,
                   const ExportTruth* truth = nullptr);

} // namespace spooflens::ui
