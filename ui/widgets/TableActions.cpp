#include "ui/widgets/TableActions.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QKeyEvent>
#include <QMessageBox>
#include <QSaveFile>
#include <QItemSelectionModel>
#include <QTableView>

#include <set>

namespace spooflens::ui {
namespace {

QString field(QString text, TableFormat format)
{
    if (format == TableFormat::Tsv) {
        text.replace(QLatin1Char('\t'), QLatin1Char(' '));
        text.replace(QLatin1Char('\n'), QLatin1Char(' '));
        return text;
    }
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) || text.contains(QLatin1Char('\n'))) {
        text.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        return QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

/// Ctrl+C on the table copies the selection as text. An event filter, as the
/// view's own key handling would copy the current cell only.
class CopyKey : public QObject {
public:
    explicit CopyKey(QTableView* table) : QObject(table), m_table(table) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (watched == m_table && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)
            && static_cast<QKeyEvent*>(event)->matches(QKeySequence::Copy)) {
            event->accept();
            if (event->type() == QEvent::KeyPress)
                QApplication::clipboard()->setText(tableText(m_table, TableFormat::Tsv, true));
            return true;
        }
        return QObject::eventFilter(watched, event);
    }

private:
    QTableView* m_table;
};

} // namespace

QString tableText(const QTableView* table, TableFormat format, bool selectionOnly)
{
    const QAbstractItemModel* model = table->model();
    if (!model)
        return {};
    std::set<int> rows, columns;
    if (selectionOnly && table->selectionModel())
        for (const QModelIndex& i : table->selectionModel()->selectedIndexes()) {
            rows.insert(i.row());
            columns.insert(i.column());
        }
    if (rows.empty() || columns.empty()) {
        rows.clear();
        columns.clear();
        for (int i = 0; i < model->rowCount(); ++i)
            rows.insert(i);
        for (int j = 0; j < model->columnCount(); ++j)
            columns.insert(j);
    }
    const QString sep = format == TableFormat::Tsv ? QStringLiteral("\t") : QStringLiteral(",");
    QString out;
    QStringList line;
    for (int j : columns) {
        const QString h = model->headerData(j, Qt::Horizontal, Qt::DisplayRole).toString();
        line << field(h.isEmpty() ? QString::number(j + 1) : h, format);
    }
    out += line.join(sep) + QLatin1Char('\n');
    for (int i : rows) {
        line.clear();
        for (int j : columns)
            line << field(model->index(i, j).data(Qt::DisplayRole).toString(), format);
        out += line.join(sep) + QLatin1Char('\n');
    }
    return out;
}

QString saveTableCsv(const QTableView* table, const QString& path)
{
    const QByteArray bytes = tableText(table, TableFormat::Csv, false).toUtf8();
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
    return {};
}

void addTableActions(QTableView* table, const QString& name)
{
    table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table->setContextMenuPolicy(Qt::ActionsContextMenu);
    table->installEventFilter(new CopyKey(table));
    auto* copy = new QAction(QObject::tr("Copy (%1)").arg(QKeySequence(QKeySequence::Copy).toString(QKeySequence::NativeText)), table);
    QObject::connect(copy, &QAction::triggered, table, [table] {
        QApplication::clipboard()->setText(tableText(table, TableFormat::Tsv, true));
    });
    auto* copyAll = new QAction(QObject::tr("Copy table"), table);
    QObject::connect(copyAll, &QAction::triggered, table, [table] {
        QApplication::clipboard()->setText(tableText(table, TableFormat::Tsv, false));
    });
    auto* save = new QAction(QObject::tr("Save table as CSV…"), table);
    QObject::connect(save, &QAction::triggered, table, [table, name] {
        const QString path = QFileDialog::getSaveFileName(table, QObject::tr("Save table"),
                                                          QDir::current().filePath(name + QStringLiteral(".csv")),
                                                          QObject::tr("CSV (*.csv)"));
        if (path.isEmpty())
            return;
        const QString err = saveTableCsv(table, path);
        if (!err.isEmpty())
            QMessageBox::warning(table, QObject::tr("Save table"), err);
    });
    table->addActions({copy, copyAll, save});
}

} // namespace spooflens::ui
