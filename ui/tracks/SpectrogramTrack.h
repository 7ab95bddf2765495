#pragma once
// Log-magnitude spectrogram (dB re full-scale sine) on a Hz axis. The STFT
// runs on QThreadPool: an overview of the whole file once, and a detailed
// image of the visible range when zoomed in further than the overview
// resolves. GUI-thread object; results arrive through queued calls.
#include "ui/tracks/Spectrogram.h"
#include "ui/tracks/Track.h"

#include <atomic>
#include <memory>

class QTimer;

namespace spooflens::ui {

class SpectrogramTrack : public Track {
    Q_OBJECT
public:
    explicit SpectrogramTrack(QWidget* parent = nullptr);
    ~SpectrogramTrack() override;

    void setSamples(std::shared_ptr<const std::vector<float>> samples, int sampleRate);
    void clear();

    void setParams(const SpectrogramParams& params);  ///< recomputes
    SpectrogramParams params() const { return m_params; }
    /// dB range of the colour scale. `autoTop`: top = loudest bin of the file.
    void setDbRange(double bottomDb, double topDb, bool autoTop);
    double dbBottom() const { return m_dbBottom; }
    double dbTop() const { return m_dbTop; }
    bool dbAutoTop() const { return m_autoTop; }
    void setGradient(QCPColorGradient::GradientPreset preset);
    QCPColorGradient::GradientPreset gradientPreset() const { return m_preset; }

    bool isBusy() const override { return m_pending > 0; }
    /// Image currently shown (overview or detail) and its columns, for tests.
    const SpectrogramImage& overview() const { return m_overviewImage; }
    const SpectrogramImage& detail() const { return m_detailImage; }

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 178; }

protected:
    void onTimeRangeChanged(double lo, double hi) override;

private:
    void request(bool overview, double t0, double t1, int maxColumns);
    void accept(quint64 generation, bool overview, SpectrogramImage image);
    void show(QCPColorMap* map, const SpectrogramImage& image);
    void applyScale();
    void maybeRequestDetail();
    void updateTitle();

    std::shared_ptr<const std::vector<float>> m_samples;
    int m_rate = 16000;
    SpectrogramParams m_params;
    double m_dbBottom = -90, m_dbTop = 0;
    bool m_autoTop = true;
    QCPColorGradient::GradientPreset m_preset = QCPColorGradient::gpThermal;
    QCPColorMap* m_overviewMap = nullptr;
    QCPColorMap* m_detailMap = nullptr;
    SpectrogramImage m_overviewImage, m_detailImage;
    double m_detailLo = 0, m_detailHi = 0;
    quint64 m_generation = 0;
    int m_pending = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QTimer* m_detailTimer = nullptr;
};

} // namespace spooflens::ui
