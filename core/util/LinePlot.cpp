#include "core/util/LinePlot.h"

#include "core/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace spooflens::core {

namespace {

constexpr int kLeft = 70, kRight = 230, kTop = 40, kBottom = 55;  // margins (legend on the right)

std::string xmlEscape(const std::string& s)
{
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o.push_back(c);
        }
    }
    return o;
}

std::string hex(uint32_t rgb)
{
    char b[8];
    std::snprintf(b, sizeof b, "#%06x", unsigned(rgb & 0xffffff));
    return b;
}

struct Frame {
    double x0, y0, w, h;
    const PlotSpec& s;
    double px(double x) const { return x0 + (x - s.xMin) / (s.xMax - s.xMin) * w; }
    double py(double y) const { return y0 + h - (y - s.yMin) / (s.yMax - s.yMin) * h; }
};

Frame frameOf(const PlotSpec& s)
{
    return Frame{double(kLeft), double(kTop), double(std::max(10, s.width - kLeft - kRight)),
                 double(std::max(10, s.height - kTop - kBottom)), s};
}

std::string num(double v)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

// PNG canvas.
struct Canvas {
    int w, h;
    std::vector<uint8_t> rgb;
    Canvas(int width, int height) : w(width), h(height), rgb(size_t(width) * size_t(height) * 3, 255) {}
    void blend(int x, int y, uint32_t c, double a)
    {
        if (x < 0 || y < 0 || x >= w || y >= h || a <= 0)
            return;
        a = std::min(1.0, a);
        uint8_t* p = &rgb[(size_t(y) * size_t(w) + size_t(x)) * 3];
        const uint8_t col[3] = {uint8_t(c >> 16), uint8_t(c >> 8), uint8_t(c)};
        for (int k = 0; k < 3; ++k)
            p[k] = uint8_t(std::lround(p[k] * (1 - a) + col[k] * a));
    }
    void rect(int x0, int y0, int x1, int y1, uint32_t c)
    {
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x)
                blend(x, y, c, 1);
    }
    // Anti-aliased thick line: distance of each pixel near the segment to it.
    void line(double xa, double ya, double xb, double yb, uint32_t c, double width, bool dashed = false)
    {
        const double r = width / 2;
        const int minX = int(std::floor(std::min(xa, xb) - r - 1)), maxX = int(std::ceil(std::max(xa, xb) + r + 1));
        const int minY = int(std::floor(std::min(ya, yb) - r - 1)), maxY = int(std::ceil(std::max(ya, yb) + r + 1));
        const double dx = xb - xa, dy = yb - ya, len2 = dx * dx + dy * dy;
        for (int y = std::max(0, minY); y <= std::min(h - 1, maxY); ++y)
            for (int x = std::max(0, minX); x <= std::min(w - 1, maxX); ++x) {
                const double t = len2 > 0 ? std::clamp(((x - xa) * dx + (y - ya) * dy) / len2, 0.0, 1.0) : 0.0;
                if (dashed && std::fmod(t * std::sqrt(len2), 10.0) > 6.0)
                    continue;
                const double ex = xa + t * dx - x, ey = ya + t * dy - y;
                const double dist = std::sqrt(ex * ex + ey * ey);
                blend(x, y, c, r + 0.5 - dist);
            }
    }
};

void put32(std::vector<uint8_t>& v, uint32_t x)
{
    for (int k = 3; k >= 0; --k)
        v.push_back(uint8_t(x >> (8 * k)));
}

void chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data)
{
    put32(out, uint32_t(data.size()));
    const size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    const uLong crc = crc32(0L, out.data() + start, uInt(out.size() - start));
    put32(out, uint32_t(crc));
}

void writeFile(const std::string& path, const char* data, size_t n)
{
    std::ofstream f(path, std::ios::binary);
    f.write(data, std::streamsize(n));
    if (!f)
        throw ConfigError(path + ": cannot write the chart");
}

} // namespace

uint32_t plotColour(size_t i)
{
    static const uint32_t kPalette[10] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd,
                                          0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    return kPalette[i % 10];
}

std::string svgPlot(const PlotSpec& s)
{
    const Frame f = frameOf(s);
    std::string o;
    char b[512];
    std::snprintf(b, sizeof b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                  s.width, s.height, s.width, s.height);
    o += b;
    o += "<text x=\"" + num(f.x0 + f.w / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + xmlEscape(s.title) + "</text>\n";
    for (int k = 0; k <= 5; ++k) {
        const double xv = s.xMin + (s.xMax - s.xMin) * k / 5, yv = s.yMin + (s.yMax - s.yMin) * k / 5;
        std::snprintf(b, sizeof b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                      f.px(xv), f.y0, f.px(xv), f.y0 + f.h, f.x0, f.py(yv), f.x0 + f.w, f.py(yv), f.px(xv),
                      f.y0 + f.h + 16, num(xv).c_str(), f.x0 - 6, f.py(yv) + 4, num(yv).c_str());
        o += b;
    }
    std::snprintf(b, sizeof b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#606060\"/>\n",
                  f.x0, f.y0, f.w, f.h);
    o += b;
    o += "<text x=\"" + num(f.x0 + f.w / 2) + "\" y=\"" + num(f.y0 + f.h + 38) + "\" text-anchor=\"middle\">" +
         xmlEscape(s.xLabel) + "</text>\n";
    o += "<text transform=\"translate(18," + num(f.y0 + f.h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         xmlEscape(s.yLabel) + "</text>\n";
    if (s.diagonal) {
        std::snprintf(b, sizeof b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#a0a0a0\" stroke-dasharray=\"4 4\"/>\n",
                      f.px(s.xMin), f.py(s.yMin), f.px(s.xMax), f.py(s.yMax));
        o += b;
    }
    for (size_t i = 0; i < s.series.size(); ++i) {
        const PlotSeries& ser = s.series[i];
        o += "<polyline fill=\"none\" stroke=\"" + hex(ser.rgb) + "\" stroke-width=\"2\"" +
             (ser.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"";
        for (size_t k = 0; k < std::min(ser.x.size(), ser.y.size()); ++k) {
            if (!std::isfinite(ser.x[k]) || !std::isfinite(ser.y[k]))
                continue;
            std::snprintf(b, sizeof b, "%.2f,%.2f ", f.px(ser.x[k]), f.py(ser.y[k]));
            o += b;
        }
        o += "\"/>\n";
        const double ly = f.y0 + 10 + 18 * double(i);
        std::snprintf(b, sizeof b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"%s/>\n",
                      f.x0 + f.w + 12, ly, f.x0 + f.w + 36, ly, hex(ser.rgb).c_str(),
                      ser.dashed ? " stroke-dasharray=\"6 4\"" : "");
        o += b;
        o += "<text x=\"" + num(f.x0 + f.w + 42) + "\" y=\"" + num(ly + 4) + "\">" + xmlEscape(ser.name) + "</text>\n";
    }
    o += "</svg>\n";
    return o;
}

std::vector<uint8_t> pngPlot(const PlotSpec& s)
{
    const Frame f = frameOf(s);
    Canvas c(s.width, s.height);
    for (int k = 0; k <= 5; ++k) {
        const double x = f.x0 + f.w * k / 5, y = f.y0 + f.h * k / 5;
        c.line(x, f.y0, x, f.y0 + f.h, 0xe0e0e0, 1);
        c.line(f.x0, y, f.x0 + f.w, y, 0xe0e0e0, 1);
    }
    c.line(f.x0, f.y0, f.x0 + f.w, f.y0, 0x606060, 1);
    c.line(f.x0, f.y0 + f.h, f.x0 + f.w, f.y0 + f.h, 0x606060, 1);
    c.line(f.x0, f.y0, f.x0, f.y0 + f.h, 0x606060, 1);
    c.line(f.x0 + f.w, f.y0, f.x0 + f.w, f.y0 + f.h, 0x606060, 1);
    if (s.diagonal)
        c.line(f.px(s.xMin), f.py(s.yMin), f.px(s.xMax), f.py(s.yMax), 0xa0a0a0, 1, true);
    for (size_t i = 0; i < s.series.size(); ++i) {
        const PlotSeries& ser = s.series[i];
        for (size_t k = 1; k < std::min(ser.x.size(), ser.y.size()); ++k) {
            if (!std::isfinite(ser.x[k]) || !std::isfinite(ser.y[k]) || !std::isfinite(ser.x[k - 1]) ||
                !std::isfinite(ser.y[k - 1]))
                continue;
            c.line(f.px(ser.x[k - 1]), f.py(ser.y[k - 1]), f.px(ser.x[k]), f.py(ser.y[k]), ser.rgb, 2, ser.dashed);
        }
        // Colour key in the legend column, in series order (names: the SVG / report).
        const int ly = int(f.y0 + 10 + 18 * double(i));
        c.rect(int(f.x0 + f.w + 12), ly - 2, int(f.x0 + f.w + 36), ly + 2, ser.rgb);
    }
    std::vector<uint8_t> raw;
    raw.reserve(size_t(c.h) * (size_t(c.w) * 3 + 1));
    for (int y = 0; y < c.h; ++y) {
        raw.push_back(0);  // filter: none
        raw.insert(raw.end(), c.rgb.begin() + std::ptrdiff_t(size_t(y) * size_t(c.w) * 3),
                   c.rgb.begin() + std::ptrdiff_t(size_t(y + 1) * size_t(c.w) * 3));
    }
    uLongf zlen = compressBound(uLong(raw.size()));
    std::vector<uint8_t> z(zlen);
    if (compress2(z.data(), &zlen, raw.data(), uLong(raw.size()), 6) != Z_OK)
        throw ConfigError("PNG: compression failed");
    z.resize(zlen);
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::vector<uint8_t> ihdr;
    put32(ihdr, uint32_t(c.w));
    put32(ihdr, uint32_t(c.h));
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter choice, no interlace
    chunk(png, "IHDR", ihdr);
    chunk(png, "IDAT", z);
    chunk(png, "IEND", {});
    return png;
}

void writeSvgPlot(const std::string& path, const PlotSpec& spec)
{
    const std::string s = svgPlot(spec);
    writeFile(path, s.data(), s.size());
}

void writePngPlot(const std::string& path, const PlotSpec& spec)
{
    const std::vector<uint8_t> p = pngPlot(spec);
    writeFile(path, reinterpret_cast<const char*>(p.data()), p.size());
}

} // namespace spooflens::core
