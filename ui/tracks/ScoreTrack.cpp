#include "ui/tracks/ScoreTrack.h"

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

ScoreTrack::ScoreTrack(QWidget* parent) : Track(parent)
{
    yAxis->setLabel(QStringLiteral("logit"));
    yAxis->ticker()->setTickCount(3);
    m_file = addGraph();
    m_file->setPen(QPen(QColor(20, 60, 160), 2.5));
    m_file->setName(QStringLiteral("file score"));
    m_windows = addGraph();
    m_windows->setPen(QPen(QColor(90, 140, 220), 1.5));
    m_windows->setLineStyle(QCPGraph::lsStepLeft);
    m_windows->setName(QStringLiteral("window scores"));
    m_line = new QCPItemStraightLine(this);
    m_line->setPen(QPen(QColor(150, 0, 150), 1, Qt::DashLine));
    m_line->point1->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_line->point2->setTypeX(QCPItemPosition::ptAxisRectRatio);
    m_line->setSelectable(false);
    setThreshold(m_threshold, m_origin);
}

void ScoreTrack::setExplanation(const core::Explanation& e, double durationSeconds)
{
    m_windowed = e.windowed;
    m_windowStarts = e.windowed ? e.windowStartSeconds : std::vector<float>{};
    m_windowScores = e.windowed ? e.windowScores : std::vector<float>{};
    m_hasScore = true;
    m_score = e.score;
    m_duration = durationSeconds;
    m_file->setData(QVector<double>{0.0, durationSeconds}, QVector<double>{e.score, e.score}, true);
    QVector<double> t, s;
    if (e.windowed) {
        for (size_t i = 0; i < e.windowScores.size() && i < e.windowStartSeconds.size(); ++i) {
            // Windows overlap: each is drawn from its start to the next start.
            t.push_back(e.windowStartSeconds[i]);
            s.push_back(e.windowScores[i]);
        }
        if (!t.isEmpty() && !e.windowEndSeconds.empty()) {
            t.push_back(e.windowEndSeconds.back());
            s.push_back(s.back());
        }
    }
    m_windows->setData(t, s, true);
    rescale();
    updateTitle();
    replot(QCustomPlot::rpQueuedReplot);
}

void ScoreTrack::clear()
{
    m_hasScore = false;
    m_windowed = false;
    m_windowStarts.clear();
    m_windowScores.clear();
    m_file->data()->clear();
    m_windows->data()->clear();
    updateTitle();
    replot(QCustomPlot::rpQueuedReplot);
}

void ScoreTrack::setThreshold(double threshold, const QString& origin)
{
    m_threshold = threshold;
    m_origin = origin;
    m_line->point1->setCoords(0, threshold);
    m_line->point2->setCoords(1, threshold);
    rescale();
    updateTitle();
    replot(QCustomPlot::rpQueuedReplot);
}

void ScoreTrack::rescale()
{
    double lo = m_threshold, hi = m_threshold;
    if (!std::isfinite(lo))
        lo = hi = 0.0;
    if (m_hasScore) {
        // Non-finite values are not drawn into the range (an axis to inf is no axis).
        for (float v : m_windowScores) {
            if (std::isfinite(v)) {
                lo = std::min(lo, double(v));
                hi = std::max(hi, double(v));
            }
        }
        if (std::isfinite(m_score)) {
            lo = std::min(lo, double(m_score));
            hi = std::max(hi, double(m_score));
        }
    }
    // Extra headroom on top keeps the line clear of the title.
    const double pad = std::max(1.0, (hi - lo) * 0.25);
    yAxis->setRange(lo - pad, hi + 2.5 * pad);
}

bool ScoreTrack::hasDecision() const
{
    return m_hasScore && std::isfinite(m_score) && std::isfinite(m_threshold);
}

QString ScoreTrack::verdict() const
{
    if (!hasDecision())
        return {};
    return m_score >= m_threshold ? QStringLiteral("bona fide") : QStringLiteral("spoof");
}

QString ScoreTrack::notFiniteText() const
{
    // NaN compares false with everything: "nan < threshold -> spoof" would be a
    // decision made of no number at all.
    if (!std::isfinite(m_score))
        return QStringLiteral("Error: the detector score is %1, not a number: no decision (the detector's output "
                              "is not finite; check the checkpoint and the audio)")
            .arg(double(m_score));
    return QStringLiteral("Error: the threshold is %1, not a number: no decision [threshold: %2]")
        .arg(m_threshold)
        .arg(m_origin);
}

QString ScoreTrack::summaryText() const
{
    if (!m_hasScore)
        return QStringLiteral("Detector: no score yet (open a detector checkpoint)");
    if (!hasDecision())
        return notFiniteText();
    return QStringLiteral("Detector score %1 (bona fide logit) %2 threshold %3 → %4   [threshold: %5]")
        .arg(double(m_score), 0, 'f', 3)
        .arg(m_score >= m_threshold ? QStringLiteral("≥") : QStringLiteral("<"))
        .arg(m_threshold, 0, 'f', 2)
        .arg(verdict())
        .arg(m_origin);
}

void ScoreTrack::updateTitle()
{
    QString text = QStringLiteral("Detector score: bona fide logit (solid; dashed = threshold %1, %2)")
                       .arg(m_threshold, 0, 'f', 2)
                       .arg(m_origin);
    if (m_hasScore && !hasDecision()) {
        text += QStringLiteral(" · ") + notFiniteText();
    } else if (m_hasScore) {
        text += QStringLiteral(" · file %1 → %2").arg(double(m_score), 0, 'f', 3).arg(verdict());
        if (m_windowed)
            text += QStringLiteral(" · light line: %1 windows").arg(m_windowScores.size());
    }
    setTitle(text);
}

QString ScoreTrack::readout(double seconds) const
{
    if (!m_hasScore)
        return {};
    for (size_t i = m_windowStarts.size(); i-- > 0;)
        if (m_windowed && seconds >= m_windowStarts[i] && i < m_windowScores.size())
            return QStringLiteral("window score=%1").arg(double(m_windowScores[i]), 0, 'f', 3);
    return {};
}

} // namespace spooflens::ui
