#pragma once
// Writes what the window shows: images of the track panel (PNG raster; SVG
// and PDF with the plots as vectors) and the data behind it (CSV, Audacity
// labels, JSON: the CLI's schemas, through core's serialiser). Functions return an empty string on
// success, else a plain-words error. GUI thread (they paint widgets).
#include "core/explain/Explanation.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace spooflens::ui {

class Track;

/// A figure for a paper: `parts` (the pinned ground truth, the track panel)
/// stacked top to bottom, each visible `tracks` member inside them drawn by
/// QCustomPlot as vectors, no buttons. The format comes from the file suffix:
/// .png at `dpi` (96 = one pixel per screen pixel; the file records the
/// resolution), .svg or .pdf (vectors; `dpi` unused). Written atomically.
constexpr double kMinExportDpi = 72;
constexpr double kMaxExportDpi = 1200;
QString exportView(const QList<QWidget*>& parts, const QList<Track*>& tracks, const QString& path,
                   double dpi = 96);

/// The data behind the view, written by core's one serialiser
/// (core/explain/ExplanationIO.h, schemas in docs/explainers.md "Files"), the
/// format from the suffix: .csv (one row per frame), .txt/.labels (Audacity
/// labels, one file per row as Audacity reads one file as one label track:
/// STEM.NAME.txt beside `path`, NAME the module's name or METHOD_SOURCE;
/// Stage 2 regions where w > `importanceThreshold`, attribution top 10 %
/// regions) or .json (the keys of `spooflens explain --json`). Written
/// atomically (QSaveFile): a failed export never leaves a half file.
/// `written` (optional) receives the files written.
/// With `truth` (frame labels on the explanation's grid, 1 = spoof, and the
/// file they came from): the CSV gains a ground_truth column and the JSON a
/// `ground_truth` object {source, frames} and `localisation` (frame AUC, AP,
/// pointing game of every module and attribution, core's metrics).
struct ExportTruth {
    std::vector<uint8_t> frames;
    QString source;
};
QString exportData(const core::Explanation& e, double importanceThreshold, const QString& path,
                   const ExportTruth* truth = nullptr, QStringList* written = nullptr);

} // namespace spooflens::ui
