#include "ui/export/Exporter.h"

#include "core/explain/ExplanationIO.h"
#include "core/explain/Metrics.h"
#include "ui/tracks/Track.h"

#include <qcustomplot.h>

#include <QAbstractButton>
#include <QFile>
#include <QFileInfo>
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
#include <sstream>
#include <utility>
#include <vector>

namespace spooflens::ui {
namespace {

void paintPanel(QCPPainter& painter, QWidget* panel, const QList<Track*>& tracks)
{
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    painter.fillRect(QRect(QPoint(0, 0), panel->size()), Qt::white);
    // Row headers and labels are ordinary widgets: draw the panel once
    // (raster for them), then each plot on top as vectors.
    panel->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
    for (Track* t : tracks) {
        if (!t || !t->isVisible())
            continue;
        const QPoint origin = t->mapTo(panel, QPoint(0, 0));
        painter.save();
        painter.translate(origin);
        painter.fillRect(QRect(QPoint(0, 0), t->size()), Qt::white);
        t->toPainter(&painter, t->width(), t->height());
        painter.restore();
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

} // namespace

QString exportView(QWidget* panel, const QList<Track*>& tracks, const QString& path)
{
    if (!panel)
        return QStringLiteral("Nothing to export.");
    const ControlsHidden noControls(panel);
    const QString suffix = QFileInfo(path).suffix().toLower();
    const QSize size = panel->size();
    if (suffix == QLatin1String("png")) {
        if (!panel->grab().save(path, "PNG"))
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
        paintPanel(painter, panel, tracks);
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
        paintPanel(painter, panel, tracks);
        painter.end();
        return QFileInfo(path).size() > 0 ? QString() : QStringLiteral("Cannot write the PDF file %1.").arg(path);
    }
    return QStringLiteral("Unknown image format '%1': use .png, .svg or .pdf.").arg(suffix);
}

QString exportData(const core::Explanation& e, double importanceThreshold, const QString& path,
                   const ExportTruth* truth)
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
        core::LabelOptions options;
        options.importanceThreshold = importanceThreshold;
        core::writeExplanationLabels(text, e, options);
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
    return {};
}

} // namespace spooflens::ui
