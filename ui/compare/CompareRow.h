#pragma once
// One row of the window: a header (name, summary, buttons to hide, move and
// remove it) above its tracks. A Stage 2 row shows importance and
// similarity; an explainer row shows its attribution on the same
// ImportanceTrack class (no similarity track).
#include "core/explain/Explanation.h"
#include "ui/Document.h"

#include <QFrame>

class QLabel;
class QToolButton;

namespace spooflens::ui {

class ImportanceTrack;
class SimilarityTrack;

class CompareRow : public QFrame {
    Q_OBJECT
public:
    /// `key` identifies the row (Stage 2: its checkpoint path); `label` is
    /// "mode · run" or the explainer's name.
    CompareRow(const QString& key, const QString& label, QWidget* parent = nullptr,
               RowKind kind = RowKind::Stage2);

    QString key() const { return m_key; }
    QString label() const { return m_label; }
    RowKind kind() const { return m_kind; }
    /// The frame grid of the data that follows (the explanation's).
    void setFrameGrid(const core::FrameGrid& grid);
    void setData(const core::Stage2Track& track);
    /// Explainer rows: the attribution's values, titled with method and orientation.
    void setAttribution(const core::Attribution& a);
    /// No data for this utterance (yet).
    void clearData();
    /// Title of an explainer row's track: method, source and orientation.
    static QString attributionTitle(const core::Attribution& a, const QString& label, double hopMs = 20.0);
    void setWarning(const QString& text);  ///< e.g. detector SHA-256 mismatch; empty hides
    void setTracksVisible(bool visible);
    bool tracksVisible() const { return m_visible; }

    ImportanceTrack* importance() const { return m_importance; }
    /// nullptr for an explainer row.
    SimilarityTrack* similarity() const { return m_similarity; }
    static QString summaryText(const core::Stage2Track& t);
    /// Non-empty when w(t) is degenerate by the trainer's rule and default thresholds
    /// (core importanceHealth: mean or spread below 1e-3, or mean above 0.99).
    static QString collapseText(const core::Stage2Track& t);

signals:
    void moveUpRequested();
    void moveDownRequested();
    void removeRequested();
    void visibilityToggled(bool visible);

private:
    QString m_key, m_label;
    RowKind m_kind = RowKind::Stage2;
    bool m_visible = true;
    QLabel* m_title = nullptr;
    QLabel* m_warning = nullptr;
    QToolButton* m_hide = nullptr;
    ImportanceTrack* m_importance = nullptr;
    SimilarityTrack* m_similarity = nullptr;
};

} // namespace spooflens::ui
