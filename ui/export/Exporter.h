#pragma once
// Writes what the window shows: images of the track panel (PNG raster; SVG
// and PDF with the plots as vectors) and the data behind it (CSV of frame
// tracks, Audacity labels, JSON). Functions return an empty string on
// success, else a plain-words error. GUI thread (they paint widgets).
#include "core/explain/Explanation.h"

#include <QList>
#include <QString>
#include <QWidget>

namespace spooflens::ui {

class Track;

/// Image of `panel` with each visible `tracks` member drawn by QCustomPlot
/// (vector output for SVG/PDF). The format comes from the file suffix
/// (.png, .svg, .pdf).
QString exportView(QWidget* panel, const QList<Track*>& tracks, const QString& path);

/// CSV, one row per frame: frame, time_s (frame centre), then per Stage 2
/// row: w, sim_spoof, sim_bonafide (columns suffixed with the row label).
QString exportCsv(const core::Explanation& e, const QStringList& rowLabels, const QString& path);

/// Audacity label track: start<TAB>end<TAB>label for each region where w of
/// each row exceeds `threshold` (times in seconds, 6 decimals).
QString exportLabels(const core::Explanation& e, const QStringList& rowLabels, double threshold,
                     const QString& path);

/// The explanation as JSON (same keys as `spooflens explain --json`).
QString exportJson(const core::Explanation& e, const QString& path);
std::string explanationJson(const core::Explanation& e);

} // namespace spooflens::ui
