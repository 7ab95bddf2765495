#include "ui/export/Exporter.h"

#include "core/explain/ExplanationIO.h"
#include "core/explain/Metrics.h"
#include "ui/tracks/Track.h"

#include <qcustomplot.h>

#include <QAbstractButton>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QPointer>
#include <QObject>
#include <QSaveFile>
#include <QPdfWriter>
#include <QSvgGenerator>

#include <cmath>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

namespace spooflens::ui {
namespace {

/// The figure: `parts` stacked top to bottom at their widths, each drawn
/// once as widgets (row headers and labels, raster), then every visible
/// track inside it on top by QCustomPlot (vectors for SVG and PDF).
QSize figureSize(const QList<QWidget*>& parts)
{
    QSize size(0, 0);
    for (QWidget* w : parts)
        if (w && w->isVisible())
            size = QSize(std::max(size.width(), w->width()), size.height() + w->height());
    return size;
}

void paintParts(QCPPainter& painter, const QList<QWidget*>& parts, const QList<Track*>& tracks)
{
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    painter.fillRect(QRect(QPoint(0, 0), figureSize(parts)), Qt::white);
    int y = 0;
    for (QWidget* part : parts) {
        if (!part || !part->isVisible())
            continue;
        painter.save();
        painter.translate(0, y);
        part->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
        for (Track* t : tracks) {
            if (!t || !t->isVisible() || (t != part && !part->isAncestorOf(t)))
                continue;
            const QPoint origin = t == part ? QPoint(0, 0) : t->mapTo(part, QPoint(0, 0));
            painter.save();
            painter.translate(origin);
            painter.fillRect(QRect(QPoint(0, 0), t->size()), Qt::white);
            t->toPainter(&painter, t->width(), t->height());
            painter.restore();
        }
        painter.restore();
        y += part->height();
    }
}

/// While alive, the panel's buttons (each row's Hide / ▲ / ▼ / ×) are not
/// drawn: a figure for a paper has no UI controls. Their space is kept, so
/// nothing moves and the layout is the one on screen.
class ControlsHidden {
public:
    explicit ControlsHidden(QWidget* panel)
    {
        for (QAbstractButton* b : panel->findChildren<QAbstractButton*>()) {
            if (!b->isVisible())
                continue;
            QSizePolicy p = b->sizePolicy();
            m_buttons.push_back({b, p.retainSizeWhenHidden()});
            p.setRetainSizeWhenHidden(true);
            b->setSizePolicy(p);
            b->setVisible(false);
        }
    }
    ~ControlsHidden()
    {
        for (const auto& [b, retain] : m_buttons) {
            if (!b)
                continue;
            b->setVisible(true);
            QSizePolicy p = b->sizePolicy();
            p.setRetainSizeWhenHidden(retain);
            b->setSizePolicy(p);
        }
    }
    ControlsHidden(const ControlsHidden&) = delete;
    ControlsHidden& operator=(const ControlsHidden&) = delete;

private:
    std::vector<std::pair<QPointer<QAbstractButton>, bool>> m_buttons;
};

QString writeAtomically(const QString& path, const std::string& bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
    if (f.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()) || !f.commit())
        return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
    return {};
}

/// A row's name as a file-name part: letters, digits, '.', '-' and '_' kept,
/// anything else (':', '/', spaces) made '_'.
QString fileNamePart(const std::string& name)
{
    QString out = QString::fromStdString(name);
    for (QChar& c : out)
        if (!(c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('-') || c == QLatin1Char('_')))
            c = QLatin1Char('_');
    return out;
}

/// One Audacity label file per row (issue 26: Audacity reads one file as one
/// label track): STEM.NAME.txt next to `path` for each Stage 2 module (NAME:
/// core::moduleNames) and each attribution (METHOD_SOURCE). Core's label
/// writer on a one-row explanation, so the regions are those of
/// `spooflens explain --labels`.
QString exportLabelsPerRow(const core::Explanation& e, double importanceThreshold, const QString& path,
                           QStringList* written)
{
    const QFileInfo info(path);
    const QString stem = info.dir().filePath(info.completeBaseName());
    const QString suffix = info.suffix();
    core::LabelOptions options;
    options.importanceThreshold = importanceThreshold;
    const std::vector<std::string> names = core::moduleNames(e);
    QStringList files;
    auto writeRow = [&](int row, const QString& name) {
        const QString file = QStringLiteral("%1.%2.%3").arg(stem, name, suffix);
        if (files.contains(file))
            return QObject::tr("Two rows would share the label file %1.").arg(file);
        std::ostringstream text;
        options.onlyRow = row;
        core::writeExplanationLabels(text, e, options);
        files << file;
        return writeAtomically(file, text.str());
    };
    int row = 0;
    for (size_t k = 0; k < e.tracks.size(); ++k)
        if (QString err = writeRow(row++, fileNamePart(names[k])); !err.isEmpty())
            return err;
    for (const core::Attribution& a : e.attributions)
        if (QString err = writeRow(row++, fileNamePart(a.method + "_" + core::attributionSourceName(a, e)));
            !err.isEmpty())
            return err;
    if (files.isEmpty())
        return QObject::tr("No rows to export as labels: load a Stage 2 module or add an explainer.");
    if (written)
        *written = files;
    return {};
}

} // namespace

QString exportView(const QList<QWidget*>& parts, const QList<Track*>& tracks, const QString& path, double dpi)
{
    if (!(dpi >= kMinExportDpi && dpi <= kMaxExportDpi))
        return QStringLiteral("The figure resolution must be %1 to %2 dpi (got %3).")
            .arg(kMinExportDpi).arg(kMaxExportDpi).arg(dpi);
    // The size as on screen, taken before the buttons are hidden.
    const QSize size = figureSize(parts);
    if (size.isEmpty())
        return QStringLiteral("Nothing to export.");
    std::vector<std::unique_ptr<ControlsHidden>> noControls;
    for (QWidget* w : parts)
        if (w)
            noControls.push_back(std::make_unique<ControlsHidden>(w));
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png")) {
        // Screen pixels are 96 dpi: a 300 dpi figure is drawn 300/96 times
        // larger, the plots as vectors, so lines and text stay sharp.
        const double scale = dpi / 96.0;
        QImage image(QSize(int(std::lround(size.width() * scale)), int(std::lround(size.height() * scale))),
                     QImage::Format_RGB32);
        if (image.isNull())
            return QStringLiteral("The figure is too large at %1 dpi (%2 x %3 pixels).")
                .arg(dpi).arg(std::lround(size.width() * scale)).arg(std::lround(size.height() * scale));
        image.fill(Qt::white);
        // Painted at screen metrics (96 dpi: point sizes as on screen), scaled up.
        const int screenDotsPerMeter = int(std::lround(96 / 0.0254));
        image.setDotsPerMeterX(screenDotsPerMeter);
        image.setDotsPerMeterY(screenDotsPerMeter);
        {
            QCPPainter painter(&image);
            painter.setRenderHint(QPainter::Antialiasing);
            painter.setRenderHint(QPainter::TextAntialiasing);
            painter.scale(scale, scale);
            paintParts(painter, parts, tracks);
        }
        // The file records the chosen resolution.
        const int dotsPerMeter = int(std::lround(dpi / 0.0254));
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || !image.save(&f, "PNG") || !f.commit())
            return QStringLiteral("Cannot write the PNG file %1.").arg(path);
        return {};
    }
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(QStringLiteral("SpoofLens view"));
        QCPPainter painter;
        if (!painter.begin(&svg))
            return QStringLiteral("Cannot write the SVG file %1.").arg(path);
        paintParts(painter, parts, tracks);
        painter.end();
        return QFileInfo(path).size() > 0 ? QString() : QStringLiteral("Cannot write the SVG file %1.").arg(path);
    }
    if (suffix == QLatin1String("pdf")) {
        QPdfWriter pdf(path);
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QSizeF(size.width() * 72.0 / 96.0, size.height() * 72.0 / 96.0), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setTitle(QStringLiteral("SpoofLens view"));
        QCPPainter painter;
        if (!painter.begin(&pdf))
            return QStringLiteral("Cannot write the PDF file %1.").arg(path);
        paintParts(painter, parts, tracks);
        painter.end();
        return QFileInfo(path).size() > 0 ? QString() : QStringLiteral("Cannot write the PDF file %1.").arg(path);
    }
    return QStringLiteral("Unknown image format '%1': use .png, .svg or .pdf.").arg(suffix);
}

QString exportData(const core::Explanation& e, double importanceThreshold, const QString& path,
                   const ExportTruth* truth, QStringList* written)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    std::ostringstream text;
    const bool withTruth = truth && int64_t(truth->frames.size()) == e.frames;
    if (suffix == QLatin1String("csv")) {
        core::CsvOptions options;
        if (withTruth)
            options.groundTruth = &truth->frames;
        core::writeExplanationCsv(text, e, options);
    } else if (suffix == QLatin1String("txt") || suffix == QLatin1String("labels")) {
        return exportLabelsPerRow(e, importanceThreshold, path, written);
    } else if (suffix == QLatin1String("json")) {
        QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(core::explanationToJson(e))).object();
        if (withTruth) {
            QJsonArray frames;
            for (uint8_t v : truth->frames)
                frames.append(int(v));
            o[QStringLiteral("ground_truth")] =
                QJsonObject{{QStringLiteral("source"), truth->source}, {QStringLiteral("frames"), frames}};
            // The localisation of every curve against it (core's metrics, docs/metrics.md).
            QJsonArray loc;
            const std::vector<std::string> names = core::moduleNames(e);
            auto add = [&](const QString& key, const std::vector<float>& values) {
                const core::LocalisationMetrics m = core::localisationMetrics(values, truth->frames);
                auto num = [](double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(); };
                loc.append(QJsonObject{{QStringLiteral("curve"), key},
                                       {QStringLiteral("frame_auc"), num(m.frameAuc)},
                                       {QStringLiteral("frame_ap"), num(m.ap)},
                                       {QStringLiteral("pointing_game"), num(m.pointingGame)}});
            };
            for (size_t k = 0; k < e.tracks.size(); ++k)
                add(QStringLiteral("importance:%1").arg(QString::fromStdString(names[k])), e.tracks[k].importance);
            for (const core::Attribution& a : e.attributions)
                add(QString::fromStdString(core::attributionColumnName(a, e)), a.values);
            o[QStringLiteral("localisation")] = loc;
        }
        text << QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
    } else {
        return QObject::tr("Unknown data format '.%1': use .csv, .txt (Audacity labels) or .json.").arg(suffix);
    }
    const std::string bytes = text.str();
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
    if (f.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()) || !f.commit())
        return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
    if (written)
        *written = QStringList{path};
    return {};
}

} // namespace spooflens::ui
