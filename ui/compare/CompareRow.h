#pragma once
// One Stage 2 module in the window: a header (mode, run, summary, buttons to
// hide, move and remove it) above its importance and similarity tracks.
#include "core/explain/Explanation.h"

#include <QFrame>

class QLabel;
class QToolButton;

namespace spooflens::ui {

class ImportanceTrack;
class SimilarityTrack;

class CompareRow : public QFrame {
    Q_OBJECT
public:
    /// `key` identifies the module (its checkpoint path); `label` is "mode · run".
    CompareRow(const QString& key, const QString& label, QWidget* parent = nullptr);

    QString key() const { return m_key; }
    QString label() const { return m_label; }
    void setData(const core::Stage2Track& track);
    void setWarning(const QString& text);  ///< e.g. detector SHA-256 mismatch; empty hides
    void setTracksVisible(bool visible);
    bool tracksVisible() const { return m_visible; }

    ImportanceTrack* importance() const { return m_importance; }
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
    bool m_visible = true;
    QLabel* m_title = nullptr;
    QLabel* m_warning = nullptr;
    QToolButton* m_hide = nullptr;
    ImportanceTrack* m_importance = nullptr;
    SimilarityTrack* m_similarity = nullptr;
};

} // namespace spooflens::ui
