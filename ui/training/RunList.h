#pragma once
// The past runs under a folder (each sub-folder holding a metrics.jsonl) with
// their final metrics. Double-click (or activate) to attach the monitor.
#include <QTreeWidget>

namespace spooflens::ui {

class RunList : public QTreeWidget {
    Q_OBJECT
public:
    explicit RunList(QWidget* parent = nullptr);

    /// Lists the runs directly under `root` (and `root` itself if it is a run).
    void scan(const QString& root);
    QString root() const { return m_root; }
    /// Run folders currently listed.
    QStringList runs() const;

Q_SIGNALS:
    void runActivated(const QString& runDir);
    /// After every scan: the run folders listed (possibly none).
    void scanned(const QStringList& runDirs);

private:
    QString m_root;
};

} // namespace spooflens::ui
