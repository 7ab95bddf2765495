#include "ui/Demo.h"

#include <QDir>
#include <QFileInfo>

namespace spooflens::ui {

DemoAssets findDemoAssets()
{
    DemoAssets d;
    const QByteArray env = qgetenv("SPOOFLENS_DEMO_DIR");
    d.dir = env.isEmpty() ? QStringLiteral(SPOOFLENS_DEMO_DIR) : QString::fromLocal8Bit(env);
    const QDir dir(d.dir);
    auto existing = [&](const QString& name) {
        const QString p = dir.filePath(name);
        return QFileInfo(p).isFile() ? QFileInfo(p).absoluteFilePath() : QString();
    };
    d.detector = existing(QStringLiteral("detector_tiny.pth"));
    d.utterance = existing(QStringLiteral("demo_utterance.wav"));
    for (const QString& mode : {QStringLiteral("ema"), QStringLiteral("fixed"), QStringLiteral("learnable")}) {
        const QString p = existing(QStringLiteral("xai_%1.pth").arg(mode));
        if (!p.isEmpty())
            d.stage2 << p;
    }
    d.complete = !d.detector.isEmpty() && !d.utterance.isEmpty() && !d.stage2.isEmpty();
    const QString fallback = QStringLiteral(SPOOFLENS_SOURCE_DIR "/tests/data/asvspoof_bonafide_sample.flac");
    if (QFileInfo(fallback).isFile())
        d.fallbackAudio = fallback;
    return d;
}

QString demoBannerText(const DemoAssets& demo)
{
    const QString howToReal =
        QStringLiteral("To explain the real detector, open the authors' <b>avg_5_best.pth</b> "
                       "(tcm_add, XLS-R 300M + ConformerTCM) with <i>File ▸ Open detector…</i> or "
                       "<tt>spooflens-gui --detector avg_5_best.pth --xai YOUR_STAGE2.pth FILE</tt>.");
    if (demo.complete)
        return QStringLiteral("<b>Demo.</b> The detector here is a <b>tiny detector with seeded random weights</b> "
                              "(2-layer SSL, 64-dim), <b>not</b> the authors' avg_5_best.pth: its scores say nothing "
                              "about real deepfakes. The Stage 2 modules (ema, fixed, learnable prototypes) were "
                              "trained by SpoofLens' own trainer on the demo data; the utterance has a spliced-in "
                              "segment to localise. ") +
               howToReal;
    return QStringLiteral("<b>Demo models not built yet</b> (looked in <tt>%1</tt>). Showing a bona fide ASVspoof "
                          "utterance without explanation. Build them with "
                          "<tt>build/app/spooflens demo --out build/demo</tt> (or run <tt>tools/quickstart.sh</tt>). ")
               .arg(demo.dir.toHtmlEscaped()) +
           howToReal;
}

} // namespace spooflens::ui
