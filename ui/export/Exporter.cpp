#include "ui/export/Exporter.h"

#include "ui/tracks/FrameRegions.h"

#include "core/audio/FrameGrid.h"
#include "ui/tracks/Track.h"

#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include <QFile>
#include <QFileInfo>
#include <QPainter>
#include <QRegularExpression>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QTextStream>

#include <algorithm>

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

QString openText(QFile& f, const QString& path)
{
    f.setFileName(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        return QStringLiteral("Cannot write %1: %2").arg(path, f.errorString());
    return {};
}

QString safeLabel(QString s)
{
    s.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    return s;
}

} // namespace

QString exportView(QWidget* panel, const QList<Track*>& tracks, const QString& path)
{
    if (!panel)
        return QStringLiteral("Nothing to export.");
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

QString exportCsv(const core::Explanation& e, const QStringList& rowLabels, const QString& path)
{
    QFile f;
    if (QString err = openText(f, path); !err.isEmpty())
        return err;
    QTextStream out(&f);
    out << "frame,time_s";
    for (size_t r = 0; r < e.tracks.size(); ++r) {
        const QString l = r < size_t(rowLabels.size()) ? safeLabel(rowLabels[int(r)]) : QString::number(r);
        out << ",w_" << l << ",sim_spoof_" << l << ",sim_bonafide_" << l;
    }
    out << "\n";
    for (int64_t t = 0; t < e.frames; ++t) {
        out << t << ',' << QString::number(core::frameCentreSeconds(t), 'f', 6);
        for (const auto& tr : e.tracks) {
            auto at = [t](const std::vector<float>& v) {
                return size_t(t) < v.size() ? QString::number(double(v[size_t(t)]), 'g', 8) : QString();
            };
            out << ',' << at(tr.importance) << ',' << at(tr.simSpoof) << ',' << at(tr.simBonafide);
        }
        out << "\n";
    }
    out.flush();
    return f.error() == QFile::NoError ? QString() : QStringLiteral("Cannot write %1.").arg(path);
}

QString exportLabels(const core::Explanation& e, const QStringList& rowLabels, double threshold, const QString& path)
{
    QFile f;
    if (QString err = openText(f, path); !err.isEmpty())
        return err;
    QTextStream out(&f);
    for (size_t r = 0; r < e.tracks.size(); ++r) {
        const QString l = r < size_t(rowLabels.size()) ? rowLabels[int(r)] : QString::number(r);
        for (const FrameRegion& region : regionsAbove(e.tracks[r].importance, threshold))
            out << QString::number(region.startSeconds, 'f', 6) << '\t' << QString::number(region.endSeconds, 'f', 6)
                << '\t' << QStringLiteral("%1 w>%2 (peak %3)").arg(l).arg(threshold).arg(double(region.peak), 0, 'f', 3)
                << '\n';
    }
    out.flush();
    return f.error() == QFile::NoError ? QString() : QStringLiteral("Cannot write %1.").arg(path);
}

std::string explanationJson(const core::Explanation& e)
{
    using nlohmann::json;
    std::vector<double> time(size_t(std::max<int64_t>(0, e.frames)));
    for (size_t t = 0; t < time.size(); ++t)
        time[t] = core::frameCentreSeconds(int64_t(t));
    auto trackJson = [](const core::Stage2Track& tr) {
        return json{{"xai", tr.xaiPath},
                    {"run", tr.runName},
                    {"prototype_mode", tr.prototypeMode},
                    {"detector_sha256", tr.detectorSha256},
                    {"detector_mismatch", tr.detectorMismatch},
                    {"importance", tr.importance},
                    {"sim_spoof", tr.simSpoof},
                    {"sim_bonafide", tr.simBonafide},
                    {"utterance_sim", {{"spoof", tr.uttSimSpoof}, {"bonafide", tr.uttSimBonafide}}},
                    {"total_importance", tr.totalImportance},
                    {"importance_spread", tr.importanceSpread},
                    {"predicted_class", tr.predictedClass}};
    };
    json j{{"path", e.path},
           {"hop_s", e.hopSeconds},
           {"frames", e.frames},
           {"samples", e.samples},
           {"cut", e.cut},
           {"time_s", time},
           {"detector", {{"score", e.score}, {"logits", {e.logits[0], e.logits[1]}}, {"windowed", e.windowed}}}};
    if (e.windowed) {
        j["detector"]["windows"] = json{{"start_s", e.windowStartSeconds},
                                        {"end_s", e.windowEndSeconds},
                                        {"score", e.windowScores}};
    }
    if (!e.tracks.empty()) {
        // The first module's arrays at top level, as `spooflens explain --json`.
        const auto& first = e.tracks.front();
        j["importance"] = first.importance;
        j["sim_spoof"] = first.simSpoof;
        j["sim_bonafide"] = first.simBonafide;
        j["utterance_sim"] = {{"spoof", first.uttSimSpoof}, {"bonafide", first.uttSimBonafide}};
    }
    json rows = json::array();
    for (const auto& tr : e.tracks)
        rows.push_back(trackJson(tr));
    j["tracks"] = rows;
    return j.dump(1);
}

QString exportJson(const core::Explanation& e, const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("Cannot write %1: %2").arg(path, f.errorString());
    const std::string text = explanationJson(e) + "\n";
    if (f.write(text.data(), qint64(text.size())) != qint64(text.size()))
        return QStringLiteral("Cannot write %1.").arg(path);
    return {};
}

} // namespace spooflens::ui
