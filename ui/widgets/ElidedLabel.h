#pragma once
// A one-line label that never asks for more width than it is given: text
// longer than the label is elided at the right end ("…") and the whole text is
// its tooltip. For lines that change as the pointer moves (the readout): a
// plain QLabel would raise the window's minimum width to the longest text it
// ever showed (issue 26: ~2300 px with four modules). GUI thread only.
#include <QWidget>

namespace spooflens::ui {

class ElidedLabel : public QWidget {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);

    Q_INVOKABLE void setText(const QString& text);
    QString text() const { return m_text; }
    /// The text as drawn now (elided when it does not fit).
    QString shownText() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QString m_text;
};

} // namespace spooflens::ui
