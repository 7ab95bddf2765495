#include "ui/training/TrainConfigForm.h"

#include "core/Error.h"
#include "core/stage2/Stage2Objective.h"
#include "core/training/TrainConfig.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace spooflens::ui {

using core::TrainConfig;

namespace {

enum class Kind { File, OptionalFile, Dir, OutDir, Text, Int, Double, Combo, Bool };

QString num(double v)
{
    return QLocale::c().toString(v, 'g', 10);
}

QString parseDouble(const QString& text, double& out)
{
    bool ok = false;
    const double v = QLocale::c().toDouble(text.trimmed(), &ok);
    if (!ok)
        return QStringLiteral("'%1' is not a number").arg(text);
    out = v;
    return {};
}

QString parseInt(const QString& text, int64_t& out)
{
    bool ok = false;
    const qlonglong v = text.trimmed().toLongLong(&ok);
    if (!ok)
        return QStringLiteral("'%1' is not a whole number").arg(text);
    out = v;
    return {};
}

} // namespace

struct TrainConfigForm::Field {
    QString key;  ///< config key, "output" for the run folder
    QString label;
    Kind kind = Kind::Text;
    QStringList choices;
    std::function<QString(const TrainConfig&)> get;
    std::function<QString(TrainConfig&, const QString&)> set;  ///< returns an error or empty
    QLineEdit* edit = nullptr;
    QComboBox* combo = nullptr;
    QCheckBox* check = nullptr;
    QLabel* error = nullptr;
    QLabel* labelWidget = nullptr;  ///< the form's label of the row (greyed with the field)

    QString value() const
    {
        if (combo)
            return combo->currentData().isValid() ? combo->currentData().toString() : combo->currentText();
        if (check)
            return check->isChecked() ? "true" : "false";
        return edit ? edit->text() : QString();
    }
    void setValue(const QString& v)
    {
        if (combo) {
            const int i = combo->findData(v);
            if (i >= 0)
                combo->setCurrentIndex(i);
            else if (combo->isEditable())
                combo->setEditText(v);
        } else if (check) {
            check->setChecked(v == "true");
        } else if (edit && edit->text() != v) {
            edit->setText(v);
        }
    }
};

TrainConfigForm::TrainConfigForm(QWidget* parent) : QWidget(parent), m_config(std::make_unique<TrainConfig>())
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tabs = new QTabWidget(this);
    layout->addWidget(m_tabs);
    m_generalError = new QLabel(this);
    m_generalError->setWordWrap(true);
    m_generalError->setStyleSheet("color: #b00020;");
    m_generalError->hide();
    layout->addWidget(m_generalError);

    buildForm();

    auto* yamlPage = new QWidget(this);
    auto* yl = new QVBoxLayout(yamlPage);
    m_yaml = new QPlainTextEdit(yamlPage);
    m_yaml->setObjectName("yamlEditor");
    QFont mono("monospace");
    mono.setStyleHint(QFont::Monospace);
    m_yaml->setFont(mono);
    m_yamlError = new QLabel(yamlPage);
    m_yamlError->setWordWrap(true);
    m_yamlError->setStyleSheet("color: #b00020;");
    yl->addWidget(m_yaml);
    yl->addWidget(m_yamlError);
    m_tabs->addTab(yamlPage, tr("Edit YAML"));

    m_yamlTimer = new QTimer(this);
    m_yamlTimer->setSingleShot(true);
    m_yamlTimer->setInterval(400);
    connect(m_yamlTimer, &QTimer::timeout, this, &TrainConfigForm::applyYaml);
    connect(m_yaml, &QPlainTextEdit::textChanged, this, &TrainConfigForm::yamlEdited);
    // Leaving the YAML view applies pending edits at once.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_yamlTimer->isActive())
            applyYaml();
    });

    writeForm(*m_config);
    m_syncing = true;
    m_yaml->setPlainText(QString::fromStdString(m_config->toYaml()));
    m_syncing = false;
}

TrainConfigForm::~TrainConfigForm() = default;

void TrainConfigForm::buildForm()
{
    using C = TrainConfig;
    auto str = [](std::string C::*m) {
        return std::make_pair(std::function<QString(const C&)>([m](const C& c) { return QString::fromStdString(c.*m); }),
                              std::function<QString(C&, const QString&)>([m](C& c, const QString& v) {
                                  c.*m = v.trimmed().toStdString();
                                  return QString();
                              }));
    };
    auto dbl = [](double C::*m) {
        return std::make_pair(std::function<QString(const C&)>([m](const C& c) { return num(c.*m); }),
                              std::function<QString(C&, const QString&)>(
                                  [m](C& c, const QString& v) { return parseDouble(v, c.*m); }));
    };
    auto i64 = [](int64_t C::*m) {
        return std::make_pair(std::function<QString(const C&)>([m](const C& c) { return QString::number(c.*m); }),
                              std::function<QString(C&, const QString&)>(
                                  [m](C& c, const QString& v) { return parseInt(v, c.*m); }));
    };
    auto add = [this](const QString& key, const QString& label, Kind kind,
                      std::pair<std::function<QString(const C&)>, std::function<QString(C&, const QString&)>> gs,
                      QStringList choices = {}) {
        auto f = std::make_unique<Field>();
        f->key = key;
        f->label = label;
        f->kind = kind;
        f->get = gs.first;
        f->set = gs.second;
        f->choices = choices;
        m_fields.push_back(std::move(f));
    };

    add("model.pretrained_checkpoint", tr("Detector checkpoint"), Kind::File, str(&C::pretrainedCheckpoint));
    add("model.detector_config", tr("Detector config (optional)"), Kind::OptionalFile, str(&C::detectorConfig));
    add("data.protocol_path", tr("Protocol file"), Kind::File, str(&C::protocolPath));
    add("data.database_path", tr("Audio folder"), Kind::Dir, str(&C::databasePath));
    add("data.train_subset", tr("Training subset"), Kind::Text, str(&C::trainSubset));
    add("data.val_subset", tr("Validation subset"), Kind::Text, str(&C::valSubset));
    add("data.val_fraction", tr("Validation fraction (no val rows)"), Kind::Double, dbl(&C::valFraction));
    // Choices from core's one table of names; the default objective first.
    auto names = [](const std::vector<std::string>& v, const std::string& first = std::string()) {
        QStringList out;
        if (!first.empty())
            out << QString::fromStdString(first);
        for (const auto& n : v)
            if (n != first)
                out << QString::fromStdString(n);
        return out;
    };
    add("model.prototype_mode", tr("Prototype mode"), Kind::Combo, str(&C::prototypeMode),
        names(core::prototypeModeNames()));
    add("model.objective", tr("Objective"), Kind::Combo, str(&C::objective),
        names(core::stage2ObjectiveNames(), core::stage2ObjectiveName(core::kDefaultStage2Objective)));
    add("model.feature_norm", tr("Feature normalisation"), Kind::Combo, str(&C::featureNorm),
        names(core::stage2FeatureNormNames()));
    add("model.importance_hidden_dim", tr("Hidden width"), Kind::Int, i64(&C::importanceHiddenDim));
    add("model.temperature", tr("Temperature \u03c4"), Kind::Double, dbl(&C::temperature));
    add("model.lambda_bonafide_reg", tr("\u03bb bona fide reg."), Kind::Double, dbl(&C::lambdaBonafideReg));
    add("model.lambda_temporal_smooth", tr("\u03bb smoothness"), Kind::Double, dbl(&C::lambdaTemporalSmooth));
    add("model.lambda_sparsity", tr("\u03bb sparsity"), Kind::Double, dbl(&C::lambdaSparsity));
    add("model.lambda_prior", tr("\u03bb importance prior"), Kind::Double, dbl(&C::lambdaPrior));
    add("model.importance_prior_bonafide", tr("Bona fide w prior"), Kind::Double, dbl(&C::importancePriorBonafide));
    add("model.importance_budget_spoof", tr("Spoof w budget"), Kind::Double, dbl(&C::importanceBudgetSpoof));
    add("model.ema_momentum", tr("EMA momentum"), Kind::Double, dbl(&C::emaMomentum));
    // The trainer implements the reference optimiser only (AdamW, betas 0.9/0.999).
    add("optimizer", tr("Optimiser"), Kind::Combo,
        {[](const C&) { return QStringLiteral("adamw"); }, [](C&, const QString&) { return QString(); }}, {"adamw"});
    add("training.learning_rate", tr("Learning rate"), Kind::Double, dbl(&C::learningRate));
    add("training.weight_decay", tr("Weight decay"), Kind::Double, dbl(&C::weightDecay));
    add("training.batch_size", tr("Batch size"), Kind::Int, i64(&C::batchSize));
    add("training.num_epochs", tr("Epochs"), Kind::Int, i64(&C::numEpochs));
    add("training.patience", tr("Patience (epochs)"), Kind::Int, i64(&C::patience));
    add("data.crop", tr("Crop (samples)"), Kind::Combo, i64(&C::crop), {"64600", "66800"});
    add("data.random_crop", tr("Random crop in training"), Kind::Bool,
        {[](const C& c) { return QString(c.randomCrop ? "true" : "false"); },
         [](C& c, const QString& v) {
             c.randomCrop = v == "true";
             return QString();
         }});
    add("augmentation.rawboost_algo", tr("Augmentation (RawBoost)"), Kind::Combo,
        {[](const C& c) { return QString::number(c.rawboostAlgo); },
         [](C& c, const QString& v) {
             int64_t a = 0;
             const QString e = parseInt(v, a);
             c.rawboostAlgo = int(a);
             return e;
         }},
        {"0", "1", "2", "3", "4", "5", "6", "7", "8"});
    add("training.device", tr("Device"), Kind::Combo, str(&C::device), {"auto", "cpu", "cuda"});
    add("cache.enabled", tr("Feature cache"), Kind::Bool,
        {[](const C& c) { return QString(c.cacheEnabled ? "true" : "false"); },
         [](C& c, const QString& v) {
             c.cacheEnabled = v == "true";
             return QString();
         }});
    add("cache.dir", tr("Cache folder (empty: beside the runs)"), Kind::Dir, str(&C::cacheDir));
    add("output", tr("Output (run) folder"), Kind::OutDir,
        {[](const C&) { return QString(); }, [](C&, const QString&) { return QString(); }});

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* page = new QWidget(scroll);
    auto* form = new QFormLayout(page);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(2);
    for (auto& fp : m_fields) {
        Field* f = fp.get();
        auto* cell = new QWidget(page);
        auto* v = new QVBoxLayout(cell);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(0);
        auto* row = new QHBoxLayout();
        row->setSpacing(2);
        switch (f->kind) {
        case Kind::Combo: {
            f->combo = new QComboBox(cell);
            for (const QString& c : f->choices) {
                QString text = c;
                if (f->key == "augmentation.rawboost_algo")
                    text = c == "0" ? tr("off") : tr("RawBoost %1").arg(c);
                f->combo->addItem(text, c);
            }
            if (f->key == "training.device")
                f->combo->setEditable(true);  // cuda:1 etc.
            row->addWidget(f->combo);
            if (f->combo->isEditable())
                connect(f->combo, &QComboBox::editTextChanged, this, &TrainConfigForm::formEdited);
            else
                connect(f->combo, &QComboBox::currentIndexChanged, this, &TrainConfigForm::formEdited);
            break;
        }
        case Kind::Bool:
            f->check = new QCheckBox(cell);
            row->addWidget(f->check);
            connect(f->check, &QCheckBox::toggled, this, &TrainConfigForm::formEdited);
            break;
        default: {
            f->edit = new QLineEdit(cell);
            row->addWidget(f->edit);
            connect(f->edit, &QLineEdit::textEdited, this, &TrainConfigForm::formEdited);
            if (f->kind == Kind::File || f->kind == Kind::OptionalFile || f->kind == Kind::Dir
                || f->kind == Kind::OutDir) {
                auto* b = new QPushButton(tr("\u2026"), cell);
                b->setFixedWidth(28);
                b->setToolTip(tr("Browse"));
                row->addWidget(b);
                const Kind k = f->kind;
                connect(b, &QPushButton::clicked, this, [this, f, k] {
                    const QString start = f->edit->text();
                    const QString p = (k == Kind::Dir || k == Kind::OutDir)
                                          ? QFileDialog::getExistingDirectory(this, f->label, start)
                                          : QFileDialog::getOpenFileName(this, f->label, start);
                    if (!p.isEmpty()) {
                        f->edit->setText(p);
                        formEdited();
                    }
                });
            }
        }
        }
        f->error = new QLabel(cell);
        f->error->setStyleSheet("color: #b00020; font-size: 8pt;");
        f->error->setWordWrap(true);
        f->error->hide();
        v->addLayout(row);
        v->addWidget(f->error);
        QWidget* w = f->edit ? static_cast<QWidget*>(f->edit)
                             : f->combo ? static_cast<QWidget*>(f->combo) : static_cast<QWidget*>(f->check);
        w->setObjectName(f->key);
        w->setToolTip(f->key);
        form->addRow(f->label, cell);
        f->labelWidget = qobject_cast<QLabel*>(form->labelForField(cell));
    }
    scroll->setWidget(page);
    m_tabs->addTab(scroll, tr("Form"));
    if (Field* obj = fieldFor(QStringLiteral("model.objective")))
        connect(obj->combo, &QComboBox::currentIndexChanged, this, &TrainConfigForm::showObjectiveFields);
    showObjectiveFields();
}

void TrainConfigForm::showObjectiveFields()
{
    const Field* obj = fieldFor(QStringLiteral("model.objective"));
    core::Stage2Objective o = core::kDefaultStage2Objective;
    try {
        o = core::parseStage2Objective(obj->value().toStdString());
    } catch (const std::exception&) {
        return;  // the form reports the bad value
    }
    for (const auto& f : m_fields) {
        const bool used = core::stage2ObjectiveUsesKey(o, f->key.toStdString());
        QWidget* w = f->edit ? static_cast<QWidget*>(f->edit)
                             : f->combo ? static_cast<QWidget*>(f->combo) : static_cast<QWidget*>(f->check);
        w->setEnabled(used);
        if (f->labelWidget)
            f->labelWidget->setEnabled(used);
        w->setToolTip(used ? f->key
                           : tr("%1: not used by the %2 objective (docs/stage2-objective.md)")
                                 .arg(f->key, obj->value()));
    }
}

TrainConfigForm::Field* TrainConfigForm::fieldFor(const QString& key) const
{
    for (const auto& f : m_fields)
        if (f->key == key)
            return f.get();
    return nullptr;
}

bool TrainConfigForm::readForm(TrainConfig& cfg, QStringList* errors)
{
    bool ok = true;
    for (const auto& f : m_fields) {
        const QString e = f->set(cfg, f->value());
        if (!e.isEmpty()) {
            ok = false;
            showError(f->key, e);
            if (errors)
                errors->append(f->key + ": " + e);
        }
    }
    return ok;
}

void TrainConfigForm::writeForm(const TrainConfig& cfg)
{
    const bool was = m_syncing;
    m_syncing = true;
    for (const auto& f : m_fields)
        if (f->key != "output")
            f->setValue(f->get(cfg));
    m_syncing = was;
}

void TrainConfigForm::formEdited()
{
    if (m_syncing)
        return;
    clearErrors();
    TrainConfig cfg = *m_config;
    if (readForm(cfg, nullptr)) {
        *m_config = cfg;
        m_syncing = true;
        m_yaml->setPlainText(QString::fromStdString(m_config->toYaml()));
        m_yamlError->clear();
        m_syncing = false;
    }
    Q_EMIT changed();
}

void TrainConfigForm::yamlEdited()
{
    if (!m_syncing)
        m_yamlTimer->start();
}

void TrainConfigForm::applyYaml()
{
    m_yamlTimer->stop();
    QString err;
    setYaml(m_yaml->toPlainText(), &err);
}

bool TrainConfigForm::setYaml(const QString& yaml, QString* error)
{
    try {
        const TrainConfig cfg = TrainConfig::parse(yaml.toStdString(), "YAML");
        *m_config = cfg;
        writeForm(cfg);
        if (m_yaml->toPlainText() != yaml) {
            m_syncing = true;
            m_yaml->setPlainText(yaml);
            m_syncing = false;
        }
        m_yamlError->clear();
        clearErrors();
        Q_EMIT changed();
        return true;
    } catch (const std::exception& e) {
        m_yamlError->setText(QString::fromStdString(e.what()));
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

bool TrainConfigForm::loadYamlFile(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("cannot open %1").arg(path);
        return false;
    }
    QString yamlText = QString::fromUtf8(f.readAll());
    // The CLI resolves relative paths against its working folder; the GUI has
    // none that means anything, so try the file's folder, then the current one,
    // and show absolute paths in the form.
    try {
        TrainConfig cfg = TrainConfig::parse(yamlText.toStdString(), path.toStdString());
        const QDir base = QFileInfo(path).absoluteDir();
        for (std::string* p : {&cfg.pretrainedCheckpoint, &cfg.detectorConfig, &cfg.protocolPath, &cfg.databasePath,
                               &cfg.cacheDir})
            if (!p->empty() && QFileInfo(QString::fromStdString(*p)).isRelative()) {
                const QString rel = QString::fromStdString(*p);
                const QString besideFile = QDir::cleanPath(base.filePath(rel));
                const QString inCwd = QFileInfo(rel).absoluteFilePath();
                *p = (QFileInfo::exists(besideFile) || !QFileInfo::exists(inCwd) ? besideFile : inCwd).toStdString();
            }
        yamlText = QString::fromStdString(cfg.toYaml());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        m_yamlError->setText(QString::fromStdString(e.what()));
        return false;
    }
    return setYaml(yamlText, error);
}

QString TrainConfigForm::yaml() const
{
    return QString::fromStdString(m_config->toYaml());
}

bool TrainConfigForm::setField(const QString& key, const QString& value)
{
    Field* f = fieldFor(key);
    if (!f)
        return false;
    f->setValue(value);
    formEdited();
    return true;
}

QString TrainConfigForm::field(const QString& key) const
{
    Field* f = fieldFor(key);
    return f ? f->value() : QString();
}

QString TrainConfigForm::outputFolder() const
{
    return field("output").trimmed();
}

void TrainConfigForm::setOutputFolder(const QString& dir)
{
    setField("output", dir);
}

void TrainConfigForm::clearErrors()
{
    for (const auto& f : m_fields) {
        f->error->clear();
        f->error->hide();
    }
    m_generalError->hide();
}

void TrainConfigForm::showError(const QString& key, const QString& message)
{
    if (Field* f = fieldFor(key)) {
        f->error->setText(message);
        f->error->show();
    } else {
        m_generalError->setText(message);
        m_generalError->show();
    }
}

QString TrainConfigForm::fieldError(const QString& key) const
{
    Field* f = fieldFor(key);
    return f && f->error->isVisible() ? f->error->text() : (f ? f->error->text() : QString());
}

QStringList TrainConfigForm::validate()
{
    if (m_yamlTimer->isActive())
        applyYaml();
    clearErrors();
    QStringList errors;
    TrainConfig cfg = *m_config;
    readForm(cfg, &errors);
    auto fail = [&](const QString& key, const QString& msg) {
        showError(key, msg);
        errors.append(key + ": " + msg);
    };
    auto needFile = [&](const QString& key, bool optional) {
        const QString p = field(key).trimmed();
        if (p.isEmpty()) {
            if (!optional)
                fail(key, tr("required"));
        } else if (!QFileInfo(p).isFile()) {
            fail(key, tr("file not found: %1").arg(p));
        }
    };
    needFile("model.pretrained_checkpoint", false);
    needFile("model.detector_config", true);
    needFile("data.protocol_path", false);
    const QString db = field("data.database_path").trimmed();
    if (db.isEmpty())
        fail("data.database_path", tr("required"));
    else if (!QFileInfo(db).isDir())
        fail("data.database_path", tr("folder not found: %1").arg(db));
    const QString out = outputFolder();
    if (out.isEmpty())
        fail("output", tr("required: the run folder that receives checkpoints and logs"));
    else if (QFileInfo(QDir(out).filePath("metrics.jsonl")).exists())
        fail("output", tr("already holds a run: pick a new folder, or resume that run"));
    try {
        cfg.validate();
    } catch (const core::ConfigError& e) {
        const QString msg = QString::fromStdString(e.what());
        // Core names the key at fault ("model.temperature must be > 0",
        // "unknown prototype_mode 'x'"): full key first, then the bare name.
        QString key;
        for (const auto& f : m_fields)
            if (key.isEmpty() && f->key.contains('.') && msg.contains(f->key))
                key = f->key;
        for (const auto& f : m_fields)
            if (key.isEmpty() && f->key.contains('.') && msg.contains(f->key.section('.', 1)))
                key = f->key;
        fail(key, msg);
    } catch (const std::exception& e) {
        fail(QString(), QString::fromStdString(e.what()));
    }
    return errors;
}

} // namespace spooflens::ui
