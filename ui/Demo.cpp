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
        const QJsonObject root = QJsonDocument::fromJson(manifest.readAll()).object();
        const QJsonObject det = root.value(QStringLiteral("detector")).toObject();
        d.detector = existing(det.value(QStringLiteral("file")).toString());
        d.detectorName = det.value(QStringLiteral("preset")).toString();
        d.devEer = det.value(QStringLiteral("dev_eer")).toDouble(-1);
        d.evalEer = det.value(QStringLiteral("eval_eer")).toDouble(-1);
        const QJsonObject loc = root.value(QStringLiteral("localisation")).toObject();
        d.windowAuc = loc.value(QStringLiteral("explainers")).toObject().value(QStringLiteral("window")).toObject()
                          .value(QStringLiteral("frame_auc")).toDouble(-1);
        // The best prototype mode (mean over its seeds).
        const QJsonObject modes = loc.value(QStringLiteral("stage2_default_objective_by_mode")).toObject();
        for (auto it = modes.begin(); it != modes.end(); ++it) {
            const double auc = it.value().toObject().value(QStringLiteral("frame_auc_mean")).toDouble(-1);
            if (auc > d.stage2Auc) {
                d.stage2Auc = auc;
                d.stage2BestMode = it.key();
            }
        }
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
        QStringLiteral("To explain XLS-R + ConformerTCM, open the tcm_add authors' <b>avg_5_best.pth</b> "
                       "(tcm_add, XLS-R 300M + ConformerTCM) with <i>File ▸ Open detector…</i> or "
                       "<tt>spooflens-gui --detector avg_5_best.pth --xai YOUR_STAGE2.pth FILE</tt>.");
    if (demo.complete) {
        const QString eer = demo.evalEer >= 0
                                ? QStringLiteral("EER %1 % on the demo's eval split (Debian human speech vs espeak-ng / "
                                                 "flite / festival voices it never saw)")
                                      .arg(100 * demo.evalEer, 0, 'f', 1)
                                : QStringLiteral("EER not measured");
        QString loc;
        if (demo.windowAuc >= 0 && demo.stage2Auc >= 0)
            loc = QStringLiteral(" On the held-out partial-spoof utterances the frame ROC-AUC is %1 for the "
                                 "<i>window</i> explainer (the detector's score on sliding 1 s windows) and %2 for "
                                 "Stage 2 at best (%3 prototypes, mean over seeds).")
                      .arg(demo.windowAuc, 0, 'f', 2)
                      .arg(demo.stage2Auc, 0, 'f', 2)
                      .arg(demo.stage2BestMode.toHtmlEscaped());
        return QStringLiteral("<b>Demo.</b> The detector is <b>%1</b> (Jung et al., ICASSP 2022), the authors' "
                              "pretrained weights (trained on ASVspoof 2019 LA, MIT licence), unchanged: %2. The "
                              "utterance is held-out human speech with synthetic segments spliced in (ground truth "
                              "shaded, from demo_utterance.txt); the Stage 2 modules were trained by SpoofLens on "
                              "the detector's temporal node embeddings e_T (136.7 ms frames).%3 ")
                   .arg(demo.detectorName.isEmpty() ? QStringLiteral("AASIST") : demo.detectorName.toHtmlEscaped(),
                        eer, loc) +
               howToReal;
    }
    return QStringLiteral("<b>Demo models not built yet</b> (looked in <tt>%1</tt>). Showing a bona fide ASVspoof "
                          "utterance without explanation. Build them with "
                          "<tt>build/app/spooflens demo --out build/demo</tt> (or run <tt>tools/quickstart.sh</tt>). ")
               .arg(demo.dir.toHtmlEscaped()) +
           howToReal;
}

} // namespace spooflens::ui
