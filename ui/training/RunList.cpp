#include "ui/training/RunList.h"

#include "ui/training/RunMonitor.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHeaderView>

namespace spooflens::ui {

RunList::RunList(QWidget* parent) : QTreeWidget(parent)
{
    setRootIsDecorated(false);
    setColumnCount(7);
    setHeaderLabels({tr("Run"), tr("Mode"), tr("Epochs"), tr("Best val loss"), tr("Val acc."), tr("Collapse"),
                     tr("Modified")});
    header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    setSortingEnabled(true);
    connect(this, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem* it) { Q_EMIT runActivated(it->data(0, Qt::UserRole).toString()); });
}

QStringList RunList::runs() const
{
    QStringList r;
    for (int i = 0; i < topLevelItemCount(); ++i)
        r << topLevelItem(i)->data(0, Qt::UserRole).toString();
    return r;
}

void RunList::scan(const QString& root)
{
    m_root = root;
    clear();
    if (root.isEmpty() || !QFileInfo(root).isDir()) {
        Q_EMIT scanned({});
        return;
    }
    QStringList dirs;
    if (QFileInfo::exists(QDir(root).filePath("metrics.jsonl")))
        dirs << QFileInfo(root).absoluteFilePath();
    for (const QFileInfo& fi : QDir(root).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (QFileInfo::exists(QDir(fi.absoluteFilePath()).filePath("metrics.jsonl"))
            || QFileInfo::exists(QDir(fi.absoluteFilePath()).filePath("last.pth")))
            dirs << fi.absoluteFilePath();
    for (const QString& d : dirs) {
        // One-shot read of the logs (no watching): a few hundred lines at most.
        RunMonitor m;
        if (!m.attach(d))
            continue;
        auto* it = new QTreeWidgetItem(this);
        it->setText(0, QFileInfo(d).fileName());
        it->setData(0, Qt::UserRole, d);
        it->setToolTip(0, d);
        const auto& ep = m.epochs();
        QString mode = m.info().prototypeMode;
        if (!ep.isEmpty()) {
            const EpochRecord& last = ep.last();
            if (mode.isEmpty())
                mode = last.prototypeMode;
            it->setText(2, m.info().numEpochs > 0 ? QStringLiteral("%1/%2").arg(last.epoch).arg(m.info().numEpochs)
                                                  : QString::number(last.epoch));
            it->setText(3, QStringLiteral("%1 (ep. %2)").arg(last.bestValLoss, 0, 'f', 4).arg(last.bestEpoch));
            it->setText(4, QString::number(last.valAccuracy, 'f', 3));
            const bool collapsed = last.collapseMean || last.collapseSpread || last.saturated;
            it->setText(5, collapsed ? tr("YES") : tr("no"));
            if (collapsed)
                it->setForeground(5, QColor(176, 0, 32));
        } else {
            it->setText(2, tr("0"));
        }
        it->setText(1, mode);
        const QFileInfo mf(QDir(d).filePath("metrics.jsonl"));
        it->setText(6, (mf.exists() ? mf : QFileInfo(d)).lastModified().toString("yyyy-MM-dd HH:mm"));
        m.detach();
    }
    Q_EMIT scanned(runs());
}

} // namespace spooflens::ui
