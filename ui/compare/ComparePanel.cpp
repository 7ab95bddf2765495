#include "ui/compare/ComparePanel.h"

#include "core/explain/Agreement.h"
#include "core/explain/Metrics.h"

#include "ui/widgets/TableActions.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

ComparePanel::ComparePanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto column = [&](const QString& title, QLabel** titleOut) {
        auto* box = new QWidget(this);
        auto* v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(1);
        auto* label = new QLabel(title, box);
        v->addWidget(label);
        auto* table = new QTableWidget(box);
        table->setEditTriggers(QAbstractItemView::NoEditTriggers);
        table->verticalHeader()->setVisible(false);
        table->verticalHeader()->setDefaultSectionSize(20);
        // Every column as wide as its contents: a narrow dock scrolls the
        // table sideways instead of cutting its last column (a stretched last
        // section shrinks below its contents).
        table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        table->horizontalHeader()->setStretchLastSection(false);
        v->addWidget(table);
        if (titleOut)
            *titleOut = label;
        return std::make_pair(box, table);
    };
    auto [summaryBox, summary] = column(QStringLiteral("<b>Stage 2 modules on this utterance</b>"), nullptr);
    auto [agreeBox, agreement] = column(QStringLiteral("<b>Agreement between modules</b>"), &m_agreementTitle);
    m_summary = summary;
    m_agreement = agreement;
    addTableActions(m_summary, QStringLiteral("stage2_modules"));
    addTableActions(m_agreement, QStringLiteral("stage2_agreement"));
    m_summary->setColumnCount(10);
    m_summary->setHorizontalHeaderLabels({QStringLiteral("module (mode · run)"), QStringLiteral("Σ w"),
                                          QStringLiteral("spread (std w)"), QStringLiteral("u_spoof"),
                                          QStringLiteral("u_bonafide"), QStringLiteral("module says"),
                                          QStringLiteral("trained on this detector"), QStringLiteral("frame AUC"),
                                          QStringLiteral("AP"), QStringLiteral("pointing game")});
    m_summary->horizontalHeaderItem(7)->setToolTip(
        QStringLiteral("With ground truth: ROC-AUC of w(t) against the spoof frames (0.5 = chance; docs/metrics.md)"));
    m_summary->horizontalHeaderItem(8)->setToolTip(QStringLiteral("With ground truth: average precision of w(t)"));
    m_summary->horizontalHeaderItem(9)->setToolTip(
        QStringLiteral("With ground truth: 1 when the frame of highest w(t) is a spoof frame"));
    m_summary->horizontalHeaderItem(5)->setToolTip(
        QStringLiteral("The class whose prototype is closer to the importance-pooled utterance (argmax u_c): the "
                       "module's own reading, not the detector's decision"));
    m_summary->horizontalHeaderItem(6)->setToolTip(
        QStringLiteral("Whether the module was trained on the frame embeddings of the detector now open (the SHA-256 "
                       "recorded in the module against the detector's); on another detector its w(t) means nothing"));
    m_agreement->setColumnCount(4);
    m_agreement->setHorizontalHeaderLabels({QStringLiteral("A"), QStringLiteral("B"),
                                            QStringLiteral("Spearman ρ of w"), QStringLiteral("top-k overlap")});
    // Ten columns against four: the module table gets two thirds (whole at 1400 px).
    layout->addWidget(summaryBox, 2);
    layout->addWidget(agreeBox, 1);
}

void ComparePanel::clear()
{
    m_summary->setRowCount(0);
    m_agreement->setRowCount(0);
}

void ComparePanel::setRows(const std::vector<core::Stage2Track>& tracks, const QStringList& labels,
                           const std::vector<uint8_t>* spoofFrames)
{
    clear();
    auto num = [](double v, int decimals) {
        auto* item = new QTableWidgetItem(std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', decimals));
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    };
    m_summary->setRowCount(int(tracks.size()));
    for (size_t i = 0; i < tracks.size(); ++i) {
        const auto& t = tracks[i];
        const int r = int(i);
        m_summary->setItem(r, 0, new QTableWidgetItem(i < size_t(labels.size()) ? labels[r] : QString()));
        m_summary->setItem(r, 1, num(t.totalImportance, 2));
        m_summary->setItem(r, 2, num(t.importanceSpread, 3));
        m_summary->setItem(r, 3, num(t.uttSimSpoof, 3));
        m_summary->setItem(r, 4, num(t.uttSimBonafide, 3));
        m_summary->setItem(r, 5, new QTableWidgetItem(t.predictedClass == 1 ? QStringLiteral("bona fide")
                                                                            : QStringLiteral("spoof")));
        m_summary->setItem(r, 6, new QTableWidgetItem(t.detectorMismatch ? QStringLiteral("⚠ no: another detector")
                                                                         : QStringLiteral("yes")));
        core::LocalisationMetrics m;
        if (spoofFrames && spoofFrames->size() == t.importance.size())
            m = core::localisationMetrics(t.importance, *spoofFrames);
        m_summary->setItem(r, 7, num(m.frameAuc, 3));
        m_summary->setItem(r, 8, num(m.ap, 3));
        m_summary->setItem(r, 9, num(m.pointingGame, 0));
    }
    const size_t frames = tracks.empty() ? 0 : tracks.front().importance.size();
    // Same k as `spooflens compare`: 10 % of the frames, at least 1.
    const int64_t k = std::max<int64_t>(1, std::llround(0.1 * double(frames)));
    m_agreementTitle->setText(QStringLiteral("<b>Agreement between modules</b> (top-k: k = %1 frames, 10 %)").arg(k));
    for (size_t a = 0; a < tracks.size(); ++a)
        for (size_t b = a + 1; b < tracks.size(); ++b) {
            const int r = m_agreement->rowCount();
            m_agreement->insertRow(r);
            m_agreement->setItem(r, 0, new QTableWidgetItem(labels.value(int(a))));
            m_agreement->setItem(r, 1, new QTableWidgetItem(labels.value(int(b))));
            m_agreement->setItem(r, 2, num(core::spearmanCorrelation(tracks[a].importance, tracks[b].importance), 3));
            m_agreement->setItem(r, 3, num(core::topKOverlap(tracks[a].importance, tracks[b].importance, k), 2));
        }
}

} // namespace spooflens::ui
