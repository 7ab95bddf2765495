#include "ui/tracks/SpectrogramTrack.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace spooflens::ui {
namespace {
constexpr int kOverviewColumns = 4000;
}

SpectrogramTrack::SpectrogramTrack(QWidget* parent)
    : Track(parent), m_cancel(std::make_shared<std::atomic<bool>>(false))
{
    yAxis->setLabel(QStringLiteral("frequency (Hz)"));
    yAxis->setRange(0, 8000);
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    m_overviewMap = new QCPColorMap(xAxis, yAxis);
    m_detailMap = new QCPColorMap(xAxis, yAxis);
    for (QCPColorMap* m : {m_overviewMap, m_detailMap}) {
        m->setInterpolate(true);
        m->setTightBoundary(true);
        m->setVisible(false);
    }
    applyScale();
    m_detailTimer = new QTimer(this);
    m_detailTimer->setSingleShot(true);
    m_detailTimer->setInterval(120);
    connect(m_detailTimer, &QTimer::timeout, this, &SpectrogramTrack::maybeRequestDetail);
    updateTitle();
}

SpectrogramTrack::~SpectrogramTrack()
{
    m_cancel->store(true);
}

void SpectrogramTrack::updateTitle()
{
    setTitle(QStringLiteral("Spectrogram: log magnitude, dB re full-scale sine (%1 … %2 dB), "
                            "Hann %3 ms / hop %4 ms")
                 .arg(m_dbBottom, 0, 'f', 0)
                 .arg(m_dbTop, 0, 'f', 0)
                 .arg(m_params.windowSeconds * 1000, 0, 'g', 4)
                 .arg(m_params.hopSeconds * 1000, 0, 'g', 4));
}

void SpectrogramTrack::setSamples(std::shared_ptr<const std::vector<float>> samples, int sampleRate)
{
    clear();
    m_samples = std::move(samples);
    m_rate = std::max(1, sampleRate);
    yAxis->setRange(0, m_rate / 2.0);
    const double dur = double(m_samples->size()) / m_rate;
    request(true, 0, dur, kOverviewColumns);
}

void SpectrogramTrack::clear()
{
    m_cancel->store(true);
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    ++m_generation;
    if (m_pending > 0) {
        m_pending = 0;
        emit busyChanged(false);
    }
    m_samples.reset();
    m_overviewImage = {};
    m_detailImage = {};
    m_overviewMap->setVisible(false);
    m_detailMap->setVisible(false);
    replot(QCustomPlot::rpQueuedReplot);
}

void SpectrogramTrack::setParams(const SpectrogramParams& params)
{
    m_params = params;
    updateTitle();
    if (m_samples) {
        auto samples = m_samples;
        setSamples(samples, m_rate);
    }
}

void SpectrogramTrack::setDbRange(double bottomDb, double topDb, bool autoTop)
{
    m_autoTop = autoTop;
    const double span = std::max(1.0, topDb - bottomDb);
    m_dbTop = autoTop && !m_overviewImage.empty() ? std::ceil(m_overviewImage.maxDb) : topDb;
    m_dbBottom = autoTop ? m_dbTop - span : bottomDb;
    applyScale();
    updateTitle();
    replot(QCustomPlot::rpQueuedReplot);
}

void SpectrogramTrack::setGradient(QCPColorGradient::GradientPreset preset)
{
    m_preset = preset;
    applyScale();
    replot(QCustomPlot::rpQueuedReplot);
}

void SpectrogramTrack::applyScale()
{
    for (QCPColorMap* m : {m_overviewMap, m_detailMap}) {
        m->setGradient(QCPColorGradient(m_preset));
        m->setDataRange(QCPRange(m_dbBottom, m_dbTop));
    }
}

void SpectrogramTrack::request(bool overview, double t0, double t1, int maxColumns)
{
    if (!m_samples)
        return;
    const quint64 gen = m_generation;
    auto samples = m_samples;
    auto cancel = m_cancel;
    const int rate = m_rate;
    const SpectrogramParams params = m_params;
    QPointer<SpectrogramTrack> guard(this);
    if (m_pending++ == 0)
        emit busyChanged(true);
    QThreadPool::globalInstance()->start([=]() {
        SpectrogramImage img = computeSpectrogram(samples->data(), int64_t(samples->size()), rate,
                                                  params, t0, t1, maxColumns, cancel.get());
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [guard, gen, overview, img = std::move(img)]() mutable {
                if (guard)
                    guard->accept(gen, overview, std::move(img));
            },
            Qt::QueuedConnection);
    });
}

void SpectrogramTrack::accept(quint64 generation, bool overview, SpectrogramImage image)
{
    if (generation != m_generation)
        return;  // a newer file or parameter set replaced this request
    if (overview) {
        m_overviewImage = std::move(image);
        show(m_overviewMap, m_overviewImage);
        if (m_autoTop)
            setDbRange(m_dbBottom, m_dbTop, true);
    } else {
        m_detailImage = std::move(image);
        show(m_detailMap, m_detailImage);
    }
    replot(QCustomPlot::rpQueuedReplot);
    if (--m_pending == 0) {
        emit busyChanged(false);
        if (overview)
            m_detailTimer->start();
    }
}

void SpectrogramTrack::show(QCPColorMap* map, const SpectrogramImage& img)
{
    if (img.empty()) {
        map->setVisible(false);
        return;
    }
    auto* cells = new QCPColorMapData(img.columns, img.bins,
                                     QCPRange(img.firstTime, img.firstTime + img.columnStep * (img.columns - 1)),
                                     QCPRange(0, img.binStep * (img.bins - 1)));
    for (int c = 0; c < img.columns; ++c) {
        const float* col = img.db.data() + size_t(c) * size_t(img.bins);
        for (int b = 0; b < img.bins; ++b)
            cells->setCell(c, b, col[b]);
    }
    map->setData(cells, false);
    map->setVisible(true);
}

void SpectrogramTrack::onTimeRangeChanged(double, double)
{
    m_detailTimer->start();
}

void SpectrogramTrack::maybeRequestDetail()
{
    if (!m_samples || m_overviewImage.empty())
        return;
    const QCPRange r = xAxis->range();
    const int width = dataWidthPixels();
    // The overview resolves the view when it has about a column per pixel
    // or is already at the STFT's own hop.
    const double overviewCols = r.size() / m_overviewImage.columnStep;
    if (m_overviewImage.framesPerColumn == 1 || overviewCols >= width * 0.7) {
        if (m_detailMap->visible()) {
            m_detailMap->setVisible(false);
            replot(QCustomPlot::rpQueuedReplot);
        }
        return;
    }
    if (!m_detailImage.empty() && m_detailMap->visible() && r.lower >= m_detailLo && r.upper <= m_detailHi) {
        const double detailCols = r.size() / m_detailImage.columnStep;
        if (detailCols >= width * 0.7 || m_detailImage.framesPerColumn == 1)
            return;
    }
    m_detailLo = std::max(0.0, r.lower - r.size() * 0.5);
    m_detailHi = r.upper + r.size() * 0.5;
    m_detailMap->setVisible(false);
    request(false, m_detailLo, m_detailHi, width * 2 * 2);
}

QString SpectrogramTrack::readout(double seconds) const
{
    const SpectrogramImage& img = m_detailMap->visible() ? m_detailImage : m_overviewImage;
    if (img.empty())
        return {};
    const int c = int(std::lround((seconds - img.firstTime) / img.columnStep));
    if (c < 0 || c >= img.columns)
        return {};
    const float* col = img.db.data() + size_t(c) * size_t(img.bins);
    const int peak = int(std::max_element(col, col + img.bins) - col);
    return QStringLiteral("peak %1 Hz").arg(peak * img.binStep, 0, 'f', 0);
}

} // namespace spooflens::ui
