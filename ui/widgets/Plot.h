#pragma once
// The one QCustomPlot of the viewer: every chart and track derives from it or
// is one. It differs from QCustomPlot in one thing: a resize to an empty size
// (a row squeezed to zero height by a layout, a widget laid out before it is
// shown) does not replot. QCustomPlot would paint into zero-sized pixmap
// buffers, and Qt then prints "QPainter::begin: Paint device returned engine
// == 0" and "QCPLayer::drawToPaintBuffer() paint buffer returned inactive
// painter" for each plot. The next resize to a real size replots as usual.
// GUI thread only.
#include <qcustomplot.h>

namespace spooflens::ui {

class Plot : public QCustomPlot {
    Q_OBJECT
public:
    explicit Plot(QWidget* parent = nullptr) : QCustomPlot(parent) {}

protected:
    void resizeEvent(QResizeEvent* event) override;
};

} // namespace spooflens::ui
