#pragma once
// Where the embedded demo lives and what to say about it. The demo assets
// are written by `spooflens demo --out DIR` into the build tree
// (SPOOFLENS_DEMO_DIR, overridable with the environment variable of the
// same name).
#include <QString>
#include <QStringList>

namespace spooflens::ui {

struct DemoAssets {
    QString dir;
    QString detector;       ///< the demo's detector (manifest "detector.file", e.g. AASIST-L.pth)
    QString detectorName;   ///< its preset ("AASIST-L"), from the manifest
    QString utterance;      ///< demo_utterance.wav
    QStringList stage2;     ///< xai_{ema,fixed,learnable,seed}.pth that exist
    double devEer = -1, evalEer = -1;  ///< the demo detector's, from manifest.json (0..1; -1 unknown)
    double windowAuc = -1, stage2Auc = -1;  ///< held-out partials: `window` and the best Stage 2 mode's frame ROC-AUC (manifest)
    QString stage2BestMode;                 ///< that mode
    bool complete = false;  ///< detector, utterance and at least one Stage 2 file exist
    /// Audio shown when the demo is not built: the bona fide ASVspoof
    /// utterance from the source tree (empty if that is missing too).
    QString fallbackAudio;
};

DemoAssets findDemoAssets();

/// Banner (rich text) for the demo window: what the demo detector is (authors,
/// training data, its EER on the demo eval split) and how to open the tcm_add
/// authors' avg_5_best.pth; or how to build the demo.
QString demoBannerText(const DemoAssets& demo);

} // namespace spooflens::ui
