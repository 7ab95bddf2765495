#include "ui/Demo.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

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
    // The seed-objective module (xai_seed.pth) comes last, for comparison.
    for (const QString& mode : {QStringLiteral("ema"), QStringLiteral("fixed"), QStringLiteral("learnable"),
                                QStringLiteral("seed")}) {
        const QString p = existing(QStringLiteral("xai_%1.pth").arg(mode));
        if (!p.isEmpty())
            d.stage2 << p;
    }
    QFile manifest(dir.filePath(QStringLiteral("manifest.json")));
    if (manifest.open(QIODevice::ReadOnly)) {
        const QJsonObject det = QJsonDocument::fromJson(manifest.readAll()).object().value(QStringLiteral("detector")).toObject();
        d.devEer = det.value(QStringLiteral("dev_eer")).toDouble(-1);
        d.evalEer = det.value(QStringLiteral("eval_eer")).toDouble(-1);
        d.sslTrained = det.value(QStringLiteral("ssl_trained")).toBool(false);
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
    if (demo.complete) {
        const QString eer = demo.devEer >= 0 && demo.evalEer >= 0
                                ? QStringLiteral("dev EER %1 %, eval EER %2 % (eval has synthesisers never seen in training)")
                                      .arg(100 * demo.devEer, 0, 'f', 1)
                                      .arg(100 * demo.evalEer, 0, 'f', 1)
                                : QStringLiteral("EER not measured");
        const QString what = demo.sslTrained
                                 ? QStringLiteral("a 2-layer 64-dim SSL front end and a ConformerTCM back-end that "
                                                  "SpoofLens trained end to end")
                                 : QStringLiteral("a 2-layer 64-dim SSL front end with seeded random weights and a "
                                                  "ConformerTCM back-end that SpoofLens trained");
        return QStringLiteral("<b>Demo.</b> The detector is a <b>tiny demo detector</b>, not the authors' "
                              "avg_5_best.pth: %2 on the small demo corpus (Debian's "
                              "human recordings vs espeak-ng / flite / festival speech): %1. Its scores say little "
                              "about real deepfakes. The utterance is held-out human speech with synthetic segments "
                              "spliced in (ground truth: demo_utterance.txt); the Stage 2 modules were trained by "
                              "SpoofLens' own trainer. ")
                   .arg(eer, what) +
               howToReal;
    }
    return QStringLiteral("<b>Demo models not built yet</b> (looked in <tt>%1</tt>). Showing a bona fide ASVspoof "
                          "utterance without explanation. Build them with "
                          "<tt>build/app/spooflens demo --out build/demo</tt> (or run <tt>tools/quickstart.sh</tt>). ")
               .arg(demo.dir.toHtmlEscaped()) +
           howToReal;
}

} // namespace spooflens::ui
