#include "ui/analysis/GroundTruthLoader.h"

#include "core/Error.h"
#include "core/explain/GroundTruth.h"

#include <QFileInfo>

namespace spooflens::ui {

QString findLabelsNextTo(const QString& audioPath)
{
    return QString::fromStdString(core::labelFileNextTo(audioPath.toStdString()));
}

GroundTruthView loadGroundTruth(const QString& path, const QString& utterance, int64_t samples,
                                const core::FrameGrid& grid)
{
    const std::string file = path.toStdString();
    const std::string id = utterance.toStdString();
    const core::LabelSet set = core::readLabels(file);
    const core::UtteranceLabels* labels = nullptr;
    if (const auto it = set.find(id); it != set.end())
        labels = &it->second;
    // One Audacity track opened by hand labels the file shown, whatever its name.
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool singleTrack = QFileInfo(path).isFile() && (suffix == QLatin1String("txt") || suffix == QLatin1String("lab"));
    if (!labels && singleTrack && set.size() == 1)
        labels = &set.begin()->second;
    if (!labels)
        throw core::ConfigError(file + ": no labels for utterance '" + id + "' (the file labels " +
                                std::to_string(set.size()) + " utterance(s))");
    GroundTruthView view;
    view.source = path;
    view.utterance = QString::fromStdString(labels->utterance);
    for (const auto& [start, end] : labels->spoofIntervals()) {
        view.segmentStart.push_back(start);
        view.segmentEnd.push_back(end);
    }
    view.labels = *labels;
    view.samples = samples;
    view.grid = grid;
    for (uint8_t v : core::frameLabels(*labels, samples, grid, labels->resolution))
        view.frameLabels.push_back(int(v));
    return view;
}

} // namespace spooflens::ui
