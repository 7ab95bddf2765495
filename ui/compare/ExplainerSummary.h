#pragma once
// Table of the explainer rows on this utterance: deletion and insertion AUC
// of the detector's spoof probability (faithfulness) and, with ground truth,
// frame ROC-AUC, average precision, pointing game, frame F1, range-based EER
// and the transition region's RCQ (localisation; metrics of core,
// docs/metrics.md). Sortable by any column. Beside it, the
// deletion/insertion curves of the selected rows.
#include "ui/Document.h"

#include <QWidget>

class QCustomPlot;
class QSplitter;
class QTableWidget;

namespace spooflens::ui {

class ExplainerSummary : public QWidget {
    Q_OBJECT
public:
    enum Column {
        Row,
        Deletion,
        Insertion,
        FrameAuc,
        AveragePrecision,
        PointingGame,
        FrameF1,
        RangeEer,
        RcqTransition,
        ColumnCount
    };

    explicit ExplainerSummary(QWidget* parent = nullptr);

    /// Rebuilds the table and chart from the document's explainer rows.
    void update(const Document& doc);
    bool isEmpty() const;

    QTableWidget* table() const { return m_table; }
    QCustomPlot* chart() const { return m_chart; }
    /// Table | chart divider (its state is saved with the window's layout).
    QSplitter* splitter() const { return m_split; }
    /// Curves drawn (two per row with faithfulness curves).
    int curveCount() const;

private:
    QTableWidget* m_table = nullptr;
    QCustomPlot* m_chart = nullptr;
    QSplitter* m_split = nullptr;
};

} // namespace spooflens::ui
