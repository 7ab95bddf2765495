#pragma once
// Waveform of the 16 kHz mono signal the detector sees: min/max envelope
// from a WaveformSummary when zoomed out, the exact samples when zoomed in.
#include "ui/tracks/Track.h"
#include "ui/tracks/WaveformSummary.h"

#include <memory>

namespace spooflens::ui {

class WaveformTrack : public Track {
    Q_OBJECT
public:
    explicit WaveformTrack(QWidget* parent = nullptr);

    /// Builds the summary (O(samples), once per file) and draws the envelope.
    void setSamples(std::shared_ptr<const std::vector<float>> samples, int sampleRate);
    void clear();

    /// Points currently drawn (for tests): exact samples or one per pixel column.
    int pointCount() const;
    bool showsExactSamples() const { return m_exact; }
    const WaveformSummary* summary() const { return m_summary.get(); }

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 118; }

protected:
    void onTimeRangeChanged(double lo, double hi) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void refresh();

    std::unique_ptr<WaveformSummary> m_summary;
    QCPGraph* m_hi = nullptr;
    QCPGraph* m_lo = nullptr;
    bool m_exact = false;
};

} // namespace spooflens::ui
