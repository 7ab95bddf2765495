#include "ui/Document.h"

#include <QFileInfo>

#include <algorithm>

namespace spooflens::ui {

Document::Document(QObject* parent) : QObject(parent) {}

QString Document::attributionKey(const core::Attribution& a)
{
    return QString::fromStdString(a.method) + QLatin1Char('@') + QString::fromStdString(a.source);
}

QString Document::stage2Label(const core::Stage2Info& info)
{
    const QString mode = info.prototypeMode.empty() ? QStringLiteral("?") : QString::fromStdString(info.prototypeMode);
    const QString run = info.runName.empty() ? QFileInfo(QString::fromStdString(info.path)).completeBaseName()
                                             : QString::fromStdString(info.runName);
    return QStringLiteral("%1 · %2").arg(mode, run);
}

QString Document::attributionLabel(const core::Attribution& a)
{
    const QString method = QString::fromStdString(a.method);
    if (a.source.empty() || a.source == "detector")
        return method;
    return QStringLiteral("%1 · %2").arg(method, QFileInfo(QString::fromStdString(a.source)).completeBaseName());
}

// ---------------------------------------------------------------- audio

void Document::setAudio(AudioPtr audio)
{
    m_audio = std::move(audio);
    const bool hadExplanation = m_explanation.has_value();
    const bool hadTruth = m_truth.has_value();
    // Rows (and their order) stay: the next explanation fills them again.
    m_explanation.reset();
    m_truth.reset();
    emit audioChanged();
    if (hadExplanation)
        emit explanationChanged();
    if (hadTruth)
        emit groundTruthChanged();
}

QString Document::audioPath() const
{
    return m_audio ? QString::fromStdString(m_audio->path) : QString();
}

double Document::durationSeconds() const
{
    return m_audio ? double(m_audio->samples.size()) / core::kSampleRate : 0.0;
}

// ---------------------------------------------------------------- explanation

void Document::setExplanation(const core::Explanation& e)
{
    m_explanation = e;
    if (syncAttributionRows())
        emit rowsChanged();
    const bool reframed = alignTruthToExplanation();
    emit explanationChanged();
    if (reframed)
        emit groundTruthChanged();
}

bool Document::alignTruthToExplanation()
{
    if (!m_truth || !m_explanation || m_truth->grid == m_explanation->grid)
        return false;
    m_truth->grid = m_explanation->grid;
    m_truth->frameLabels.clear();
    for (uint8_t v : core::frameLabels(m_truth->labels, m_truth->samples, m_truth->grid, m_truth->labels.resolution))
        m_truth->frameLabels.push_back(int(v));
    return true;
}

void Document::clearExplanation()
{
    if (!m_explanation)
        return;
    m_explanation.reset();
    emit explanationChanged();
}

bool Document::syncAttributionRows()
{
    // Attribution rows follow the explanation's attributions; rows already
    // shown keep their place, new ones are appended in the explanation's order.
    std::vector<RowInfo> next;
    const auto& attrs = m_explanation ? m_explanation->attributions : std::vector<core::Attribution>{};
    auto present = [&](const QString& key) {
        return std::any_of(attrs.begin(), attrs.end(), [&](const core::Attribution& a) { return attributionKey(a) == key; });
    };
    for (const RowInfo& r : m_rows)
        if (r.kind == RowKind::Stage2 || present(r.key))
            next.push_back(r);
    for (const auto& a : attrs) {
        const QString key = attributionKey(a);
        if (std::any_of(next.begin(), next.end(), [&](const RowInfo& r) { return r.key == key; }))
            continue;
        RowInfo r;
        r.kind = RowKind::Attribution;
        r.key = key;
        r.label = attributionLabel(a);
        r.method = QString::fromStdString(a.method);
        r.source = QString::fromStdString(a.source);
        next.push_back(r);
    }
    const bool changed = next.size() != m_rows.size() ||
                         !std::equal(next.begin(), next.end(), m_rows.begin(),
                                     [](const RowInfo& a, const RowInfo& b) { return a.key == b.key; });
    m_rows = std::move(next);
    return changed;
}

// ---------------------------------------------------------------- rows

void Document::setStage2Modules(const std::vector<core::Stage2Info>& modules)
{
    std::vector<RowInfo> next;
    auto loaded = [&](const QString& key) -> const core::Stage2Info* {
        for (const auto& m : modules)
            if (QString::fromStdString(m.path) == key)
                return &m;
        return nullptr;
    };
    for (const RowInfo& r : m_rows) {
        if (r.kind == RowKind::Attribution) {
            next.push_back(r);
        } else if (const core::Stage2Info* info = loaded(r.key)) {
            RowInfo kept = r;
            kept.detectorMismatch = info->detectorMismatch;
            next.push_back(kept);
        }
    }
    // New modules go after the other Stage 2 rows, before the explainer rows.
    auto firstAttribution = [&] {
        return std::find_if(next.begin(), next.end(), [](const RowInfo& r) { return r.kind == RowKind::Attribution; });
    };
    for (const auto& m : modules) {
        const QString key = QString::fromStdString(m.path);
        if (std::any_of(next.begin(), next.end(), [&](const RowInfo& r) { return r.key == key; }))
            continue;
        RowInfo r;
        r.kind = RowKind::Stage2;
        r.key = key;
        r.source = key;
        r.label = stage2Label(m);
        r.detectorMismatch = m.detectorMismatch;
        next.insert(firstAttribution(), r);
    }
    const bool changed = next.size() != m_rows.size() ||
                         !std::equal(next.begin(), next.end(), m_rows.begin(), [](const RowInfo& a, const RowInfo& b) {
                             return a.key == b.key && a.detectorMismatch == b.detectorMismatch;
                         });
    m_rows = std::move(next);
    if (changed)
        emit rowsChanged();
}

int Document::rowIndex(const QString& key) const
{
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].key == key)
            return int(i);
    return -1;
}

void Document::moveRow(int from, int to)
{
    const int n = int(m_rows.size());
    if (from < 0 || from >= n || to < 0 || to >= n || from == to)
        return;
    RowInfo r = m_rows[size_t(from)];
    m_rows.erase(m_rows.begin() + from);
    m_rows.insert(m_rows.begin() + to, r);
    emit rowsChanged();
}

std::optional<RowInfo> Document::removeRow(int index)
{
    if (index < 0 || index >= int(m_rows.size()))
        return std::nullopt;
    RowInfo r = m_rows[size_t(index)];
    m_rows.erase(m_rows.begin() + index);
    bool dataChanged = false;
    if (m_explanation) {
        if (r.kind == RowKind::Stage2) {
            auto& tr = m_explanation->tracks;
            const auto end = std::remove_if(tr.begin(), tr.end(), [&](const core::Stage2Track& t) {
                return QString::fromStdString(t.xaiPath) == r.key;
            });
            dataChanged = end != tr.end();
            tr.erase(end, tr.end());
        } else {
            auto& at = m_explanation->attributions;
            auto& fa = m_explanation->faithfulness;
            for (size_t i = at.size(); i-- > 0;)
                if (attributionKey(at[i]) == r.key) {
                    at.erase(at.begin() + long(i));
                    if (i < fa.size())
                        fa.erase(fa.begin() + long(i));
                    dataChanged = true;
                }
        }
    }
    emit rowsChanged();
    if (dataChanged)
        emit explanationChanged();
    return r;
}

const core::Stage2Track* Document::stage2Track(const QString& key) const
{
    if (!m_explanation)
        return nullptr;
    for (const auto& t : m_explanation->tracks)
        if (QString::fromStdString(t.xaiPath) == key)
            return &t;
    return nullptr;
}

const core::Attribution* Document::attribution(const QString& key) const
{
    if (!m_explanation)
        return nullptr;
    for (const auto& a : m_explanation->attributions)
        if (attributionKey(a) == key)
            return &a;
    return nullptr;
}

const core::FaithfulnessCurves* Document::faithfulness(const QString& key) const
{
    if (!m_explanation)
        return nullptr;
    const auto& at = m_explanation->attributions;
    for (size_t i = 0; i < at.size() && i < m_explanation->faithfulness.size(); ++i)
        if (attributionKey(at[i]) == key)
            return &m_explanation->faithfulness[i];
    return nullptr;
}

const std::vector<float>* Document::rowValues(const QString& key) const
{
    if (const core::Stage2Track* t = stage2Track(key))
        return &t->importance;
    if (const core::Attribution* a = attribution(key))
        return &a->values;
    return nullptr;
}

std::vector<core::Stage2Track> Document::stage2TracksInOrder() const
{
    std::vector<core::Stage2Track> out;
    for (const RowInfo& r : m_rows)
        if (r.kind == RowKind::Stage2)
            if (const core::Stage2Track* t = stage2Track(r.key))
                out.push_back(*t);
    return out;
}

QStringList Document::stage2Labels() const
{
    QStringList out;
    for (const RowInfo& r : m_rows)
        if (r.kind == RowKind::Stage2 && stage2Track(r.key))
            out << r.label;
    return out;
}

std::optional<core::Explanation> Document::shownExplanation() const
{
    if (!m_explanation)
        return std::nullopt;
    core::Explanation shown = *m_explanation;
    shown.tracks = stage2TracksInOrder();
    shown.attributions.clear();
    shown.faithfulness.clear();
    const bool withCurves = !m_explanation->faithfulness.empty();
    for (const RowInfo& r : m_rows) {
        if (r.kind != RowKind::Attribution)
            continue;
        if (const core::Attribution* a = attribution(r.key)) {
            shown.attributions.push_back(*a);
            if (withCurves) {
                const core::FaithfulnessCurves* c = faithfulness(r.key);
                shown.faithfulness.push_back(c ? *c : core::FaithfulnessCurves{});
            }
        }
    }
    return shown;
}

// ---------------------------------------------------------------- ground truth

void Document::setGroundTruth(const GroundTruthView& truth)
{
    m_truth = truth;
    alignTruthToExplanation();
    emit groundTruthChanged();
}

void Document::clearGroundTruth()
{
    if (!m_truth)
        return;
    m_truth.reset();
    emit groundTruthChanged();
}

} // namespace spooflens::ui
