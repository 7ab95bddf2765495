#include "ui/compare/CompareRow.h"

#include "ui/tracks/ImportanceTrack.h"
#include "ui/tracks/SimilarityTrack.h"

#include "core/stage2/Stage2Objective.h"
#include "core/training/TrainConfig.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace spooflens::ui {

CompareRow::CompareRow(const QString& key, const QString& label, QWidget* parent, RowKind kind)
    : QFrame(parent), m_key(key), m_label(label), m_kind(kind)
{
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto* header = new QWidget(this);
    header->setAutoFillBackground(true);
    QPalette pal = header->palette();
    pal.setColor(QPalette::Window, QColor(235, 238, 245));
    header->setPalette(pal);
    auto* h = new QHBoxLayout(header);
    h->setContentsMargins(6, 1, 4, 1);
    m_title = new QLabel(QStringLiteral("<b>%1</b>").arg(label.toHtmlEscaped()), header);
    m_title->setTextFormat(Qt::RichText);
    m_title->setToolTip(key);
    h->addWidget(m_title, 1);
    m_warning = new QLabel(header);
    m_warning->setStyleSheet(QStringLiteral("color: #a04000; font-weight: bold;"));
    m_warning->setVisible(false);
    h->addWidget(m_warning);
    auto button = [&](const QString& text, const QString& tip) {
        auto* b = new QToolButton(header);
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        h->addWidget(b);
        return b;
    };
    m_hide = button(QStringLiteral("Hide"), QStringLiteral("Hide or show this row's tracks"));
    m_hide->setCheckable(true);
    connect(m_hide, &QToolButton::toggled, this, [this](bool hidden) {
        setTracksVisible(!hidden);
        emit visibilityToggled(!hidden);
    });
    connect(button(QStringLiteral("▲"), QStringLiteral("Move up")), &QToolButton::clicked, this,
            &CompareRow::moveUpRequested);
    connect(button(QStringLiteral("▼"), QStringLiteral("Move down")), &QToolButton::clicked, this,
            &CompareRow::moveDownRequested);
    connect(button(QStringLiteral("✕"), kind == RowKind::Stage2 ? QStringLiteral("Remove this Stage 2 module")
                                                    : QStringLiteral("Remove this explainer row")), &QToolButton::clicked, this,
            &CompareRow::removeRequested);
    layout->addWidget(header);
    m_importance = new ImportanceTrack(this);
    layout->addWidget(m_importance, m_importance->preferredHeight());
    if (kind == RowKind::Stage2) {
        m_similarity = new SimilarityTrack(this);
        layout->addWidget(m_similarity, m_similarity->preferredHeight());
    } else {
        m_importance->setTitle(QStringLiteral("%1 · higher = more spoof evidence (no explanation yet)").arg(label));
    }
}

QString CompareRow::attributionTitle(const core::Attribution& a, const QString& label, double hopMs)
{
    QString text = QStringLiteral("%1 per %2 ms frame · higher = more spoof evidence")
                       .arg(label)
                       .arg(hopMs, 0, 'g', 4);
    if (a.method == "ig" && std::isfinite(a.completenessGap))
        text += QStringLiteral(" · completeness gap %1").arg(a.completenessGap, 0, 'g', 3);
    return text;
}

void CompareRow::setAttribution(const core::Attribution& a)
{
    m_importance->setValues(a.values, attributionTitle(a, m_label, m_importance->frameGrid().hopSeconds() * 1000));
    QString title = QStringLiteral("<b>%1</b> &nbsp; explainer · higher = more spoof evidence").arg(m_label.toHtmlEscaped());
    if (a.backendPasses > 0)
        title += QStringLiteral(" · %1 back-end passes, %2 s").arg(a.backendPasses).arg(a.seconds, 0, 'f', 2);
    m_title->setText(title);
}

void CompareRow::clearData()
{
    m_importance->clear();
    if (m_similarity)
        m_similarity->clear();
    // The header's numbers were the previous file's: only the name stays.
    m_title->setText(QStringLiteral("<b>%1</b> &nbsp; <span style=\"color:#777;\">(computing\u2026)</span>")
                         .arg(m_label.toHtmlEscaped()));
}

QString CompareRow::summaryText(const core::Stage2Track& t)
{
    // "module says": the prototypes' class of the w-pooled utterance, not the
    // detector's decision (which is on the info line and may differ).
    return QStringLiteral("Σw = %1 · spread %2 · u_spoof %3 · u_bonafide %4 · module says %5")
        .arg(double(t.totalImportance), 0, 'f', 2)
        .arg(double(t.importanceSpread), 0, 'f', 3)
        .arg(double(t.uttSimSpoof), 0, 'f', 3)
        .arg(double(t.uttSimBonafide), 0, 'f', 3)
        .arg(t.predictedClass == 1 ? QStringLiteral("bona fide") : QStringLiteral("spoof"));
}

QString CompareRow::collapseText(const core::Stage2Track& t)
{
    // The trainer's rule and default thresholds (core importanceHealth), so the
    // viewer and metrics.jsonl agree on what "collapsed" and "saturated" mean.
    if (t.importance.empty())
        return {};
    const core::TrainConfig defaults;
    const core::ImportanceHealthThresholds th{defaults.collapseMeanThreshold, defaults.collapseSpreadThreshold,
                                              defaults.collapseSaturationThreshold};
    const double meanW = double(t.totalImportance) / double(t.importance.size());
    const double spread = double(t.importanceSpread);
    return QString::fromStdString(core::importanceHealthText(core::importanceHealth(meanW, spread, th), meanW, spread, th));
}

void CompareRow::setFrameGrid(const core::FrameGrid& grid)
{
    m_importance->setFrameGrid(grid);
    if (m_similarity)
        m_similarity->setFrameGrid(grid);
}

void CompareRow::setData(const core::Stage2Track& track)
{
    m_importance->setData(track, m_label);
    if (m_similarity)
        m_similarity->setData(track, m_label);
    QString title = QStringLiteral("<b>%1</b> &nbsp; %2").arg(m_label.toHtmlEscaped(), summaryText(track).toHtmlEscaped());
    const QString collapse = collapseText(track);
    if (!collapse.isEmpty())
        title += QStringLiteral(" &nbsp; <span style=\"color:#b00020; font-weight:bold;\">⚠ %1</span>")
                     .arg(collapse.toHtmlEscaped());
    m_title->setText(title);
}

void CompareRow::setWarning(const QString& text)
{
    m_warning->setText(text);
    m_warning->setVisible(!text.isEmpty());
}

void CompareRow::setTracksVisible(bool visible)
{
    m_visible = visible;
    m_importance->setVisible(visible);
    if (m_similarity)
        m_similarity->setVisible(visible);
    if (m_hide->isChecked() == visible) {
        const QSignalBlocker block(m_hide);
        m_hide->setChecked(!visible);
    }
}

} // namespace spooflens::ui
