#pragma once
// Copy and save for the window's tables (issue 26; any QTableView): Ctrl+C copies the
// selected cells (Ctrl+A selects all) as tab-separated text with the column
// headers, ready to paste into a spreadsheet or a paper's table; the context
// menu adds "Copy table" and "Save table as CSV…". GUI thread.
#include <QString>

class QTableView;

namespace spooflens::ui {

enum class TableFormat { Tsv, Csv };

/// The table as text: a header line, then one line per row in display
/// (sorted) order, only the selected cells' rows and columns when
/// `selectionOnly` and something is selected. CSV fields with a comma, quote
/// or line break are quoted; TSV fields have tabs and line breaks replaced by spaces.
QString tableText(const QTableView* table, TableFormat format, bool selectionOnly);

/// Adds the actions above to `table`; `name` is the suggested file name stem.
void addTableActions(QTableView* table, const QString& name);

/// Writes tableText(table, Csv, false) to `path` atomically. Empty on success,
/// else the message.
QString saveTableCsv(const QTableView* table, const QString& path);

} // namespace spooflens::ui
