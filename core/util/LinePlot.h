#pragma once
// Small line charts for reports written by the CLI (which links core only, no
// Qt): SVG as text, and PNG from our own rasteriser (RGB, zlib). Torch-free.
// The PNG carries lines, grid and a colour key only (no text); the SVG the
// same chart with title, axis labels, ticks and legend.
// Thread-safety: stateless functions.
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

struct PlotSeries {
    std::string name;
    std::vector<double> x, y;
    uint32_t rgb = 0x1f77b4;   ///< 0xRRGGBB
    bool dashed = false;
};

struct PlotSpec {
    std::string title, xLabel, yLabel;
    double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
    bool diagonal = false;     ///< draw the chance line y = x (ROC)
    int width = 720, height = 460;
    std::vector<PlotSeries> series;
};

/// The i-th colour of a fixed qualitative palette (10 colours, then repeats).
uint32_t plotColour(size_t i);

std::string svgPlot(const PlotSpec& spec);
std::vector<uint8_t> pngPlot(const PlotSpec& spec);
/// Write the chart; throw ConfigError naming the path on failure.
void writeSvgPlot(const std::string& path, const PlotSpec& spec);
void writePngPlot(const std::string& path, const PlotSpec& spec);

} // namespace spooflens::core
