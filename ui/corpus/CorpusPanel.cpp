#include "ui/corpus/CorpusPanel.h"

#include "ui/widgets/TableActions.h"

#include <QAbstractTableModel>
#include <QDir>
#include <QFont>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPalette>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

/// The corpus as a table in the order shown; sorting reorders `m_order`
/// (core::corpusOrder: unknown values last, ties in list order).
class CorpusModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setCorpus(core::Corpus c)
    {
        beginResetModel();
        m_base = std::move(c);
        m_shown = m_base;
        m_live.assign(m_shown.entries.size(), false);
        m_order = core::corpusOrder(m_shown, core::CorpusSortKey::List, false);
        endResetModel();
    }
    bool hasCorpus() const { return !m_shown.entries.empty(); }
    const core::Corpus& corpus() const { return m_shown; }
    const std::vector<size_t>& order() const { return m_order; }
    bool isLive(size_t entry) const { return entry < m_live.size() && m_live[entry]; }

    int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(m_order.size()); }
    int columnCount(const QModelIndex& parent = {}) const override
    {
        return parent.isValid() || !hasCorpus() ? 0 : CorpusPanel::kFirstAucColumn + int(m_shown.tracks.size());
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role) const override
    {
        if (orientation != Qt::Horizontal)
            return {};
        if (role == Qt::DisplayRole) {
            switch (section) {
            case 0: return QStringLiteral("#");
            case 1: return QStringLiteral("utterance");
            case 2: return QStringLiteral("label");
            case 3: return QStringLiteral("score");
            case 4: return QStringLiteral("disagreement");
            default:
                return QStringLiteral("AUC ")
                       + QString::fromStdString(m_shown.tracks.at(size_t(section - CorpusPanel::kFirstAucColumn)));
            }
        }
        if (role == Qt::ToolTipRole) {
            switch (section) {
            case 0: return QStringLiteral("Position in the list as read (protocol line order, sorted paths or ids)");
            case 1: return QStringLiteral("Utterance id: the audio file's stem");
            case 2: return QStringLiteral("Label from the protocol or the evaluate run (empty: unknown)");
            case 3: return QStringLiteral("Detector score: the bona fide logit (higher = more bona fide)");
            case 4:
                return QStringLiteral("1 − mean pairwise Spearman correlation of the Stage 2 modules' w(t): 0 = they "
                                      "rank the frames alike, 2 = opposite; needs two modules or more");
            default:
                return QStringLiteral("Frame ROC-AUC of this track against the frame labels (utterances with "
                                      "spoofed and bona fide frames only)");
            }
        }
        return {};
    }

    QVariant data(const QModelIndex& index, int role) const override
    {
        if (!index.isValid() || size_t(index.row()) >= m_order.size())
            return {};
        const size_t i = m_order[size_t(index.row())];
        const core::CorpusEntry& e = m_shown.entries[i];
        const int c = index.column();
        auto number = [](double v, int decimals) {
            return std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'f', decimals);
        };
        if (role == Qt::DisplayRole) {
            switch (c) {
            case 0: return QString::number(i + 1);
            case 1: return QString::fromStdString(e.utterance);
            case 2: return QString::fromStdString(e.label);
            case 3: return number(e.score, 3);
            case 4: return number(e.disagreement, 3);
            default: {
                const size_t k = size_t(c - CorpusPanel::kFirstAucColumn);
                return number(k < e.auc.size() ? e.auc[k] : core::kNaN, 3);
            }
            }
        }
        if (role == Qt::TextAlignmentRole && c != 1 && c != 2)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (role == Qt::ForegroundRole && e.path.empty())
            return QPalette().color(QPalette::Disabled, QPalette::Text);
        if (role == Qt::FontRole && m_live[i] && c >= 3) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        if (role == Qt::ToolTipRole) {
            if (e.path.empty())
                return QStringLiteral("Audio not found (protocol line %1)").arg(e.line);
            QString tip = QDir::toNativeSeparators(QString::fromStdString(e.path));
            if (m_live[i])
                tip += QStringLiteral("\nValues in italics: computed in this window with the models loaded now");
            return tip;
        }
        return {};
    }

    void sort(int column, Qt::SortOrder order) override
    {
        if (!hasCorpus())
            return;
        core::CorpusSortKey key = core::CorpusSortKey::List;
        size_t auc = 0;
        switch (column) {
        case 0: key = core::CorpusSortKey::List; break;
        case 1: key = core::CorpusSortKey::Utterance; break;
        case 2: key = core::CorpusSortKey::Label; break;
        case 3: key = core::CorpusSortKey::Score; break;
        case 4: key = core::CorpusSortKey::Disagreement; break;
        default:
            key = core::CorpusSortKey::Auc;
            auc = size_t(column - CorpusPanel::kFirstAucColumn);
        }
        emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        // The selection and the current row follow their entries.
        const QModelIndexList before = persistentIndexList();
        std::vector<size_t> entries;
        for (const QModelIndex& i : before)
            entries.push_back(m_order[size_t(i.row())]);
        m_order = core::corpusOrder(m_shown, key, order == Qt::DescendingOrder, auc);
        std::vector<int> rowOf(m_order.size());
        for (size_t r = 0; r < m_order.size(); ++r)
            rowOf[m_order[r]] = int(r);
        QModelIndexList after;
        for (int k = 0; k < before.size(); ++k)
            after << index(rowOf[entries[size_t(k)]], before[k].column());
        changePersistentIndexList(before, after);
        emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
        m_sortColumn = column;
        m_sortOrder = order;
    }

    void setLive(size_t i, double score, double disagreement, const std::vector<std::pair<std::string, double>>& auc)
    {
        bool newColumns = false;
        for (const auto& [track, value] : auc)
            newColumns = newColumns || (!std::isnan(value)
                                        && std::find(m_shown.tracks.begin(), m_shown.tracks.end(), track) == m_shown.tracks.end());
        if (newColumns)  // the column count changes: views must start over
            beginResetModel();
        core::CorpusEntry& e = m_shown.entries[i];
        if (!std::isnan(score))
            e.score = score;
        if (!std::isnan(disagreement))
            e.disagreement = disagreement;
        for (const auto& [track, value] : auc)
            if (!std::isnan(value)) {
                const size_t k = m_shown.trackColumn(track);
                m_shown.entries[i].auc[k] = value;
            }
        m_live[i] = true;
        if (newColumns)
            endResetModel();
        resort();
    }

    void clearLive()
    {
        beginResetModel();
        m_shown = m_base;
        m_live.assign(m_shown.entries.size(), false);
        m_order = core::corpusOrder(m_shown, core::CorpusSortKey::List, false);
        endResetModel();
        resort();
    }

private:
    /// Keeps the order shown after values changed.
    void resort()
    {
        if (m_sortColumn >= 0)
            sort(m_sortColumn, m_sortOrder);
        else
            emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
    }

    core::Corpus m_base, m_shown;
    std::vector<bool> m_live;
    std::vector<size_t> m_order;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

CorpusPanel::CorpusPanel(QWidget* parent) : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(4, 4, 4, 4);
    m_header = new QLabel(this);
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_model = new CorpusModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSortIndicator(0, Qt::AscendingOrder);
    addTableActions(m_table, QStringLiteral("corpus"));
    v->addWidget(m_header);
    v->addWidget(m_table, 1);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex& index) {
        const std::vector<size_t>& order = m_model->order();
        if (!index.isValid() || size_t(index.row()) >= order.size())
            return;
        const core::CorpusEntry& e = m_model->corpus().entries[order[size_t(index.row())]];
        if (!e.path.empty())
            emit openRequested(QString::fromStdString(e.path));
    });
    updateHeader();
}

void CorpusPanel::setCorpus(core::Corpus corpus)
{
    m_current = -1;
    m_model->setCorpus(std::move(corpus));
    m_table->horizontalHeader()->setSortIndicator(0, Qt::AscendingOrder);
    m_table->resizeColumnsToContents();
    // Long ids are elided in the middle, so the numbers stay in view.
    m_table->setColumnWidth(1, std::min(m_table->columnWidth(1), 22 * m_table->fontMetrics().averageCharWidth() + 24));
    updateHeader();
}

bool CorpusPanel::hasCorpus() const
{
    return m_model->hasCorpus();
}

const core::Corpus& CorpusPanel::corpus() const
{
    return m_model->corpus();
}

std::vector<size_t> CorpusPanel::shownOrder() const
{
    return m_model->order();
}

int64_t CorpusPanel::setCurrentPath(const QString& path)
{
    selectEntry(hasCorpus() ? corpus().findPath(path.toStdString()) : -1);
    return m_current;
}

void CorpusPanel::selectEntry(int64_t entry)
{
    m_current = entry;
    if (m_current < 0) {
        m_table->clearSelection();
        return;
    }
    const std::vector<size_t>& order = m_model->order();
    for (size_t r = 0; r < order.size(); ++r)
        if (int64_t(order[r]) == m_current) {
            m_table->selectRow(int(r));
            m_table->scrollTo(m_model->index(int(r), 1));
            break;
        }
}

QString CorpusPanel::step(int delta) const
{
    if (!hasCorpus() || delta == 0)
        return {};
    const std::vector<size_t>& order = m_model->order();
    const int64_t n = int64_t(order.size());
    int64_t from = -1;
    for (int64_t r = 0; r < n; ++r)
        if (int64_t(order[size_t(r)]) == m_current)
            from = r;
    int64_t r = from >= 0 ? from + delta : (delta > 0 ? 0 : n - 1);
    for (; r >= 0 && r < n; r += delta) {
        const core::CorpusEntry& e = corpus().entries[order[size_t(r)]];
        if (!e.path.empty())
            return QString::fromStdString(e.path);
    }
    return {};
}

bool CorpusPanel::setLiveValues(const QString& path, double score, double disagreement,
                                const std::vector<std::pair<std::string, double>>& auc)
{
    if (!hasCorpus() || corpus().kind == core::Corpus::Kind::Evaluate)
        return false;
    const int64_t i = corpus().findPath(path.toStdString());
    if (i < 0)
        return false;
    m_model->setLive(size_t(i), score, disagreement, auc);
    selectEntry(i);
    return true;
}

void CorpusPanel::clearLiveValues()
{
    if (!hasCorpus())
        return;
    const int64_t current = m_current;
    m_model->clearLive();  // the entries and their indices stay
    selectEntry(current);
}

void CorpusPanel::updateHeader()
{
    if (!hasCorpus()) {
        m_header->setText(QStringLiteral("No corpus: File ▸ Open corpus… takes a protocol, a folder of audio "
                                         "files or the output folder of <tt>spooflens evaluate</tt>."));
        return;
    }
    const core::Corpus& c = corpus();
    const int64_t n = int64_t(c.entries.size());
    const int64_t playable = c.playable();
    QString text = QStringLiteral("<b>%1</b> (%2): %3 utterances")
                       .arg(QDir::toNativeSeparators(QString::fromStdString(c.source)).toHtmlEscaped(),
                            QString::fromStdString(core::corpusKindName(c.kind)))
                       .arg(n);
    if (playable < n)
        text += QStringLiteral(", <b>%1 without audio</b> (greyed)").arg(n - playable);
    text += c.kind == core::Corpus::Kind::Evaluate
                ? QStringLiteral(". Scores and AUCs are the evaluate run's.")
                : QStringLiteral(". Scores fill in as files are analysed here (italics: the models loaded now; "
                                 "<tt>spooflens evaluate</tt> scores a whole corpus).");
    text += QStringLiteral(" Next / previous file: Page Down / Page Up.");
    m_header->setText(text);
}

} // namespace spooflens::ui
