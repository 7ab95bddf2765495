#pragma once
// Form over a Stage 2 training configuration (core::TrainConfig, the seed's
// YAML keys) with an "edit YAML" view of the same configuration, kept in sync
// both ways. Validates before a start: missing files, bad values, with the
// message under the field at fault.
#include <QString>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QTimer;

namespace spooflens::core {
struct TrainConfig;
}

namespace spooflens::ui {

class TrainConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit TrainConfigForm(QWidget* parent = nullptr);
    ~TrainConfigForm() override;

    /// Loads a YAML file into the form. False + message on a bad file.
    bool loadYamlFile(const QString& path, QString* error = nullptr);
    /// Replaces the YAML text (as if typed in the YAML view, applied at once).
    bool setYaml(const QString& yaml, QString* error = nullptr);
    /// The configuration as YAML (every key; what the trainer receives).
    QString yaml() const;

    /// Sets a field by its config key ("model.temperature", "data.protocol_path")
    /// or "output" for the output folder. False if the key is not on the form.
    bool setField(const QString& key, const QString& value);
    QString field(const QString& key) const;

    QString outputFolder() const;
    void setOutputFolder(const QString& dir);

    /// Checks every field and the files they name; shows messages next to the
    /// fields at fault. Returns the messages (empty = ready to start).
    QStringList validate();
    /// The message currently shown under `key` (empty if none).
    QString fieldError(const QString& key) const;

    /// The widget showing the YAML (for tests and for focus).
    QPlainTextEdit* yamlEditor() const { return m_yaml; }

Q_SIGNALS:
    void changed();

private:
    struct Field;
    void buildForm();
    void formEdited();
    /// Greys the loss keys that the chosen objective does not read.
    void showObjectiveFields();
    void yamlEdited();
    void applyYaml();
    bool readForm(core::TrainConfig& cfg, QStringList* errors);
    void writeForm(const core::TrainConfig& cfg);
    void clearErrors();
    void showError(const QString& key, const QString& message);
    Field* fieldFor(const QString& key) const;

    std::unique_ptr<core::TrainConfig> m_config;
    std::vector<std::unique_ptr<Field>> m_fields;
    QTabWidget* m_tabs = nullptr;
    QPlainTextEdit* m_yaml = nullptr;
    QLabel* m_yamlError = nullptr;
    QLabel* m_generalError = nullptr;
    QTimer* m_yamlTimer = nullptr;
    bool m_syncing = false;
};

} // namespace spooflens::ui
