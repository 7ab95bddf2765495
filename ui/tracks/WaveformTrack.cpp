#include "ui/tracks/WaveformTrack.h"

#include <algorithm>
#include <cmath>

namespace spooflens::ui {

WaveformTrack::WaveformTrack(QWidget* parent) : Track(parent)
{
    setTitle(QStringLiteral("Waveform: amplitude of the 16 kHz mono input (full scale ±1)"));
    yAxis->setLabel(QStringLiteral("amplitude"));
    yAxis->setRange(-1.05, 1.05);
    const QColor colour(30, 70, 140);
    m_hi = addGraph();
    m_lo = addGraph();
    m_hi->setPen(QPen(colour, 1));
    m_lo->setPen(QPen(colour, 1));
    m_hi->setBrush(colour);
    m_hi->setChannelFillGraph(m_lo);
    m_hi->setAdaptiveSampling(false);
    m_lo->setAdaptiveSampling(false);
}

void WaveformTrack::setSamples(std::shared_ptr<const std::vector<float>> samples, int sampleRate)
{
    m_summary = std::make_unique<WaveformSummary>(std::move(samples), sampleRate);
    double peak = 0;
    const auto env = m_summary->envelope(0, m_summary->durationSeconds(), 512);
    for (size_t i = 0; i < env.lo.size(); ++i)
        peak = std::max({peak, std::abs(env.lo[i]), std::abs(env.hi[i])});
    // Quiet files would be a flat line on a ±1 axis; keep ±1 for loud ones.
    const double range = peak > 0.5 ? 1.05 : std::max(0.02, peak * 1.15);
    yAxis->setRange(-range, range);
    refresh();
    replot(QCustomPlot::rpQueuedReplot);
}

void WaveformTrack::clear()
{
    m_summary.reset();
    m_hi->data()->clear();
    m_lo->data()->clear();
    replot(QCustomPlot::rpQueuedReplot);
}

int WaveformTrack::pointCount() const
{
    return m_hi->dataCount();
}

void WaveformTrack::onTimeRangeChanged(double, double)
{
    refresh();
}

void WaveformTrack::resizeEvent(QResizeEvent* event)
{
    Track::resizeEvent(event);
    refresh();
}

void WaveformTrack::refresh()
{
    if (!m_summary)
        return;
    const QCPRange r = xAxis->range();
    const auto env = m_summary->envelope(r.lower, r.upper, dataWidthPixels());
    m_exact = env.exact;
    QVector<double> t(env.time.begin(), env.time.end());
    QVector<double> lo(env.lo.begin(), env.lo.end());
    QVector<double> hi(env.hi.begin(), env.hi.end());
    m_hi->setData(t, hi, true);
    m_lo->setData(t, lo, true);
    if (m_exact) {
        // Individual samples: a line through them, dots when they are far apart.
        m_hi->setBrush(Qt::NoBrush);
        m_lo->setVisible(false);
        const bool dots = env.time.size() < size_t(dataWidthPixels() / 6);
        m_hi->setScatterStyle(dots ? QCPScatterStyle(QCPScatterStyle::ssDisc, 4) : QCPScatterStyle());
    } else {
        m_hi->setBrush(m_hi->pen().color());
        m_lo->setVisible(true);
        m_hi->setScatterStyle(QCPScatterStyle());
    }
}

QString WaveformTrack::readout(double seconds) const
{
    if (!m_summary || seconds < 0 || seconds >= m_summary->durationSeconds())
        return {};
    const auto env = m_summary->envelope(seconds, seconds + 1.0 / m_summary->sampleRate(), 1);
    if (env.lo.empty())
        return {};
    return QStringLiteral("x=%1").arg(double(env.lo.front()), 0, 'f', 3);
}

} // namespace spooflens::ui
