// MainWindow: the file, export and settings dialogs, and drag and drop.
#include "ui/MainWindow.h"

#include "core/audio/AudioFormats.h"
#include "ui/Document.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/export/Exporter.h"
#include "ui/tracks/GroundTruthTrack.h"
#include "ui/tracks/ScoreTrack.h"
#include "ui/tracks/SpectrogramTrack.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QMap>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QVBoxLayout>

#include <optional>

namespace spooflens::ui {
namespace {

/// "Audio (*.wav *.flac …);;All files (*)" from core's one list.
QString audioFilter()
{
    QStringList patterns;
    for (std::string_view e : core::kAudioExtensions)
        patterns << QStringLiteral("*.") + QString::fromLatin1(e.data(), qsizetype(e.size()));
    return QStringLiteral("Audio (%1);;All files (*)").arg(patterns.join(QLatin1Char(' ')));
}

/// What each explainer computes, its cost in passes and its parameters (the
/// viewer runs the defaults of docs/explainers.md; the CLI sets them).
QString methodDescription(core::AttributionMethod m)
{
    using M = core::AttributionMethod;
    switch (m) {
    case M::Stage2: return QStringLiteral("w(t) of each loaded Stage 2 module. Free (computed with the module).");
    case M::Stage2Contrast:
        return QStringLiteral("s(t, spoof) − s(t, bona fide): cosine of h(t) with each module's prototypes. Free.");
    case M::Occlusion:
        return QStringLiteral("Drop of the spoof margin when 5 frames of h(t) are replaced by their mean, window by "
                              "window. T − 4 back-end passes (198 for a 4 s XLS-R clip). CLI: --occlusion-window.");
    case M::GradXInput: return QStringLiteral("Gradient × input on h(t). 2 back-end passes: the cheapest gradient method.");
    case M::IntegratedGradients:
        return QStringLiteral("Integrated Gradients on h(t) from the utterance mean, 32 steps, with a completeness "
                              "check. 66 back-end passes. CLI: --ig-steps, --ig-baseline.");
    case M::Rollout:
        return QStringLiteral("Attention rollout through the back-end's attention blocks (class-token row). 1 pass.");
    case M::Gatr:
        return QStringLiteral("Gradient-weighted attention relevancy (Chefer et al.). 2 back-end passes.");
    case M::Random: return QStringLiteral("Seeded uniform noise: the chance line every method should beat. Free.");
    case M::Window:
        return QStringLiteral("The whole detector's spoof margin on 1 s windows of the waveform (hop one frame for "
                              "AASIST, 100 ms for XLS-R), averaged per frame. One whole-detector pass per window: the "
                              "slowest on XLS-R. CLI: --window-seconds, --window-hop.");
    case M::WaveOcclusion:
        return QStringLiteral("Drop of the spoof margin when one hop of waveform samples is zeroed. One whole-detector "
                              "pass per hop. CLI: --wave-occlusion.");
    case M::WaveGradXInput:
        return QStringLiteral("Gradient × input on the waveform samples, summed per frame. 2 whole-detector passes.");
    }
    return {};
}

} // namespace

void MainWindow::openAudioDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open audio"), MainWindow::lastDir(), audioFilter());
    if (path.isEmpty())
        return;
    MainWindow::setLastDir(path);
    openAudio(path);
}

void MainWindow::openLabelsDialog()
{
    const QString path = QFileDialog::getOpenFileName(
        this, QStringLiteral("Open labels (ground truth)"), MainWindow::lastDir(),
        QStringLiteral("Labels (*.txt *.lab *.npy *.csv *.tsv);;All files (*)"));
    if (path.isEmpty())
        return;
    MainWindow::setLastDir(path);
    // A file of many utterances (PartialSpoof .npy, CSV) also serves the next files opened.
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool many = suffix == QLatin1String("npy") || suffix == QLatin1String("csv") || suffix == QLatin1String("tsv");
    openLabels(path, many);
}

void MainWindow::explainersDialog()
{
    QDialog dlg(this);
    dlg.setWindowTitle(QStringLiteral("Explainers"));
    auto* form = new QVBoxLayout(&dlg);
    auto* intro = new QLabel(QStringLiteral("Each explainer gives one value per frame of the detector (XLS-R 20 ms, AASIST 136.7 ms), higher = more evidence "
                                            "that the frame is spoofed (explained: the detector's spoof margin "
                                            "logit[0] − logit[1]). Each becomes a row; the table below the tracks "
                                            "shows its deletion/insertion AUC."),
                             &dlg);
    intro->setWordWrap(true);
    form->addWidget(intro);
    const QStringList chosen = methods();
    // The seconds each method took on the file shown, where it ran.
    QMap<QString, double> seconds;
    if (const core::Explanation* e = m_doc->explanation())
        for (const core::Attribution& a : e->attributions)
            seconds[QString::fromStdString(a.method)] += a.seconds;
    QList<QCheckBox*> boxes;
    auto* grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    grid->setHorizontalSpacing(12);
    for (core::AttributionMethod m : core::allMethods()) {
        const QString name = QString::fromStdString(core::methodName(m));
        auto* box = new QCheckBox(name, &dlg);
        box->setChecked(chosen.contains(name));
        QString text = methodDescription(m);
        if (core::methodNeedsStage2(m))
            text += QStringLiteral(" One row per loaded Stage 2 module.");
        if (seconds.contains(name))
            text += QStringLiteral(" <b>%1 s on this file.</b>").arg(seconds.value(name), 0, 'f', 2);
        auto* about = new QLabel(text, &dlg);
        about->setObjectName(QStringLiteral("about_") + name);
        about->setWordWrap(true);
        about->setStyleSheet(QStringLiteral("QLabel { color: #444; }"));
        const int row = grid->rowCount();
        grid->addWidget(box, row, 0, Qt::AlignTop);
        grid->addWidget(about, row, 1);
        boxes << box;
    }
    form->addLayout(grid);
    dlg.resize(760, dlg.sizeHint().height());
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted)
        return;
    QStringList names;
    for (QCheckBox* b : boxes)
        if (b->isChecked())
            names << b->text();
    try {
        setMethods(names);
    } catch (const std::exception& e) {
        showError(QString::fromUtf8(e.what()));
    }
}

static QString askDetectorCheckpoint(QWidget* parent)
{
    const QString ckpt = QFileDialog::getOpenFileName(
        parent, QStringLiteral("Open detector checkpoint (e.g. avg_5_best.pth)"), MainWindow::lastDir(),
        QStringLiteral("PyTorch checkpoints (*.pth *.pt);;All files (*)"));
    if (!ckpt.isEmpty())
        MainWindow::setLastDir(ckpt);
    return ckpt;
}

void MainWindow::openDetectorWithConfigDialog()
{
    const QString ckpt = askDetectorCheckpoint(this);
    if (ckpt.isEmpty())
        return;
    const QString config = QFileDialog::getOpenFileName(
        this, QStringLiteral("Detector configuration (YAML with backend.attention_heads, or the AASIST authors' JSON)"),
        QFileInfo(ckpt).absolutePath(), QStringLiteral("Configurations (*.yaml *.yml *.conf *.json);;All files (*)"));
    if (!config.isEmpty())
        openModels(ckpt, config, m_analysis->stage2Paths());
}

// No question about a configuration: the family and every shape come from the
// checkpoint's key table; only non-default XLS-R attention heads need one
// (File > Open detector with configuration...).
void MainWindow::openDetectorDialog()
{
    const QString ckpt = askDetectorCheckpoint(this);
    if (!ckpt.isEmpty())
        openModels(ckpt, QString(), m_analysis->stage2Paths());
}

void MainWindow::addStage2Dialog()
{
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, QStringLiteral("Add Stage 2 checkpoints"), MainWindow::lastDir(),
        QStringLiteral("PyTorch checkpoints (*.pth *.pt);;All files (*)"));
    if (paths.isEmpty())
        return;
    MainWindow::setLastDir(paths.front());
    addStage2(paths);
}

void MainWindow::exportDialog(const QString& filter, const QString& suffix)
{
    const QString audioPath = m_doc->audioPath();
    QString base = audioPath.isEmpty() ? QStringLiteral("spooflens") : QFileInfo(audioPath).completeBaseName();
    if (suffix == QLatin1String("txt"))
        base += QStringLiteral("_labels");
    const QString suggested = QDir(MainWindow::lastDir()).filePath(base + QLatin1Char('.') + suffix);
    QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export"), suggested, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    MainWindow::setLastDir(path);
    double dpi = 96;
    if (suffix == QLatin1String("png")) {
        bool ok = false;
        dpi = QInputDialog::getInt(this, QStringLiteral("PNG resolution"),
                                   QStringLiteral("Resolution in dots per inch (96 = as on screen, 300 for print):"),
                                   m_persist ? QSettings().value(QStringLiteral("export/dpi"), 300).toInt() : 300,
                                   int(kMinExportDpi), int(kMaxExportDpi), 1, &ok);
        if (!ok)
            return;
        if (m_persist)
            QSettings().setValue(QStringLiteral("export/dpi"), int(dpi));
    }
    QStringList written;
    const QString err = exportTo(path, dpi, &written);
    if (!err.isEmpty())
        showError(err);
    else if (written.size() == 1)
        m_statusStage->setText(QStringLiteral("Wrote %1").arg(path));
    else
        m_statusStage->setText(QStringLiteral("Wrote %1 label files (one per row): %2")
                                   .arg(written.size())
                                   .arg(QFileInfo(written.front()).fileName() + QStringLiteral(", …")));
}

QString MainWindow::exportTo(const QString& path, double dpi, QStringList* written)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png") || suffix == QLatin1String("svg") || suffix == QLatin1String("pdf")) {
        const QString err = exportView({m_truth, m_overlayBox, m_panel}, tracks(), path, dpi);
        if (err.isEmpty() && written)
            *written = QStringList{path};
        return err;
    }
    const std::optional<core::Explanation> shownOpt = m_doc->shownExplanation();
    if (!shownOpt)
        return QStringLiteral("Nothing to export yet: the explanation has not been computed (a detector and an "
                              "audio file are needed).");
    const core::Explanation& shown = *shownOpt;
    if (suffix == QLatin1String("csv") || suffix == QLatin1String("txt") || suffix == QLatin1String("labels")
        || suffix == QLatin1String("json")) {
        // The ground truth shown, when it is on the explanation's grid.
        std::optional<ExportTruth> truth;
        if (const GroundTruthView* g = m_doc->groundTruth();
            g && g->grid == shown.grid && int64_t(g->frameLabels.size()) == shown.frames) {
            truth.emplace();
            truth->frames.assign(g->frameLabels.begin(), g->frameLabels.end());
            truth->source = g->source;
        }
        return exportData(shown, m_importanceThreshold, path, truth ? &*truth : nullptr, written);
    }
    return tr("Unknown export format '.%1': use .png, .svg, .pdf, .csv, .txt (Audacity labels) or .json.")
        .arg(suffix);
}

void MainWindow::spectrogramDialog()
{
    QDialog dlg(this);
    dlg.setWindowTitle(QStringLiteral("Spectrogram"));
    auto* form = new QFormLayout(&dlg);
    auto spin = [&](double value, double lo, double hi, const QString& suffix) {
        auto* s = new QDoubleSpinBox(&dlg);
        s->setRange(lo, hi);
        s->setDecimals(1);
        s->setValue(value);
        s->setSuffix(suffix);
        return s;
    };
    const auto p = m_spectrogram->params();
    auto* win = spin(p.windowSeconds * 1000, 2, 500, QStringLiteral(" ms"));
    auto* hop = spin(p.hopSeconds * 1000, 1, 500, QStringLiteral(" ms"));
    auto* bottom = spin(m_spectrogram->dbBottom(), -200, 50, QStringLiteral(" dB"));
    auto* top = spin(m_spectrogram->dbTop(), -150, 100, QStringLiteral(" dB"));
    auto* autoTop = new QCheckBox(QStringLiteral("Top = loudest bin of the file (keeps the range width)"), &dlg);
    autoTop->setChecked(m_spectrogram->dbAutoTop());
    form->addRow(QStringLiteral("Window (Hann)"), win);
    form->addRow(QStringLiteral("Hop"), hop);
    form->addRow(QStringLiteral("Colour scale bottom"), bottom);
    form->addRow(QStringLiteral("Colour scale top"), top);
    form->addRow(autoTop);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted)
        return;
    SpectrogramParams np;
    np.windowSeconds = win->value() / 1000.0;
    np.hopSeconds = hop->value() / 1000.0;
    m_spectrogram->setDbRange(bottom->value(), std::max(bottom->value() + 1, top->value()), autoTop->isChecked());
    if (np.windowSeconds != p.windowSeconds || np.hopSeconds != p.hopSeconds)
        m_spectrogram->setParams(np);
    saveSettings();
}

void MainWindow::importanceThresholdDialog()
{
    bool ok = false;
    const double v = QInputDialog::getDouble(this, QStringLiteral("Importance threshold"),
                                             QStringLiteral("Shade and export regions where w(t) exceeds:"),
                                             m_importanceThreshold, 0.0, 1.0, 3, &ok);
    if (ok)
        setImportanceThreshold(v);
}

void MainWindow::scoreThresholdDialog()
{
    bool ok = false;
    // The loaded detector family's default (XLS-R + TCM: tcm_add's -3.73).
    const bool known = m_models.hasDetector && !m_models.detector.thresholdSource.empty();
    const double def = known ? m_models.detector.threshold : kDefaultScoreThreshold;
    const QString defOrigin =
        known ? QString::fromStdString(m_models.detector.thresholdSource) : QString::fromUtf8(kDefaultThresholdOrigin);
    const double v = QInputDialog::getDouble(
        this, QStringLiteral("Detector score threshold"),
        QStringLiteral("Bona fide when the score (bona fide logit) is at least:\n(default %1: %2)").arg(def).arg(defOrigin),
        m_score->threshold(), -1000, 1000, 3, &ok);
    if (!ok)
        return;
    const QString origin = std::abs(v - def) < 1e-9 ? defOrigin : QStringLiteral("set by the user");
    setScoreThreshold(v, origin);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    QStringList stage2;
    QString detector, config;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile())
            continue;
        const QString path = url.toLocalFile();
        const QString suffix = QFileInfo(path).suffix().toLower();
        if (suffix == QLatin1String("pth") || suffix == QLatin1String("pt")) {
            // The first checkpoint dropped without a detector loaded is the detector.
            if (!m_analysis->hasDetector() && detector.isEmpty())
                detector = path;
            else
                stage2 << path;
        } else if (suffix == QLatin1String("yaml") || suffix == QLatin1String("yml")) {
            config = path;
        } else {
            openAudio(path);  // anything else is tried as audio; a bad file gives a message
        }
    }
    if (!detector.isEmpty() || !config.isEmpty()) {
        const QString det = detector.isEmpty() ? m_analysis->detectorPath() : detector;
        if (!det.isEmpty())
            openModels(det, config.isEmpty() ? m_analysis->detectorConfigPath() : config,
                       m_analysis->stage2Paths() + stage2);
    } else if (!stage2.isEmpty()) {
        addStage2(stage2);
    }
    event->acceptProposedAction();
}

} // namespace spooflens::ui
