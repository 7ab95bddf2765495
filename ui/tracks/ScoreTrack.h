#pragma once
// The detector's output: the file's bona fide logit (score) against the
// decision threshold, and for long files processed in windows the score of
// each window. Higher = more bona fide.
#include "core/explain/Explanation.h"
#include "ui/tracks/Track.h"

namespace spooflens::ui {

/// The tcm_add authors' example threshold and where it comes from.
constexpr double kDefaultScoreThreshold = -3.73;
inline const char* kDefaultThresholdOrigin = "tcm_add inference.py default, DF EER";

class ScoreTrack : public Track {
    Q_OBJECT
public:
    explicit ScoreTrack(QWidget* parent = nullptr);

    /// `durationSeconds`: length of the file (the file score spans it).
    void setExplanation(const core::Explanation& e, double durationSeconds);
    void clear();
    void setThreshold(double threshold, const QString& origin);
    double threshold() const { return m_threshold; }
    QString thresholdOrigin() const { return m_origin; }

    bool hasScore() const { return m_hasScore; }
    float score() const { return m_score; }
    /// True when there is a score and both it and the threshold are finite.
    bool hasDecision() const;
    /// "bona fide" / "spoof" by score >= threshold; empty without a decision
    /// (no score, or a NaN/infinite score or threshold).
    QString verdict() const;
    /// One line for the banner: score, threshold and its origin, verdict; an
    /// error line ("Error: the detector score is nan ...: no decision") when
    /// the score or threshold is not finite.
    QString summaryText() const;
    int windowCount() const { return m_windows->dataCount(); }

    QString readout(double seconds) const override;
    int preferredHeight() const override { return 88; }

private:
    void rescale();
    QString notFiniteText() const;
    void updateTitle();

    bool m_hasScore = false;
    float m_score = 0;
    double m_duration = 0;
    double m_threshold = kDefaultScoreThreshold;
    QString m_origin = QString::fromUtf8(kDefaultThresholdOrigin);
    // Only what is drawn and read out; the explanation itself lives in the Document.
    bool m_windowed = false;
    std::vector<float> m_windowStarts, m_windowScores;
    QCPGraph* m_file = nullptr;
    QCPGraph* m_windows = nullptr;
    QCPItemStraightLine* m_line = nullptr;
};

} // namespace spooflens::ui
