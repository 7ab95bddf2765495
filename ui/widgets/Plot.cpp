#include "ui/widgets/Plot.h"

#include <QResizeEvent>

namespace spooflens::ui {

void Plot::resizeEvent(QResizeEvent* event)
{
    if (event->size().isEmpty()) {
        QWidget::resizeEvent(event);  // nothing to draw into: no replot
        return;
    }
    QCustomPlot::resizeEvent(event);
}

} // namespace spooflens::ui
