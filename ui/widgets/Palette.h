#pragma once
// The colours of curves that share one chart (the explainers' deletion and
// insertion chart, the overlay view): Matplotlib's "tab10", so figures made
// with SpoofLens and with the field's Python scripts look alike.
#include <QColor>

#include <array>

namespace spooflens::ui {

inline QColor curveColour(int i)
{
    static const std::array<QColor, 10> tab10 = {QColor(31, 119, 180),  QColor(255, 127, 14), QColor(44, 160, 44),
                                                 QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
                                                 QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                                 QColor(23, 190, 207)};
    return tab10[size_t(((i % 10) + 10) % 10)];
}

} // namespace spooflens::ui
