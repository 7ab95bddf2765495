// Exports of the window on a real explanation: images decode, the CSV has
// one row per frame, Audacity labels parse and match the shaded regions,
// the JSON has the `spooflens explain --json` keys.
// ctest-labels: gui
#include "tests/support/TestData.h"
#include "ui/Document.h"
#include "ui/MainWindow.h"
#include "ui/compare/CompareRow.h"
#include "ui/tracks/FrameRegions.h"
#include "ui/tracks/GroundTruthTrack.h"
#include "ui/tracks/ImportanceTrack.h"

#include <QAbstractButton>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens;
using spooflens::test::dataPath;

class TestExport : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::unique_ptr<ui::MainWindow> m_w;

    QByteArray read(const QString& path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_w = std::make_unique<ui::MainWindow>(false);
        m_w->resize(1200, 900);
        m_w->show();
        m_w->openModels(QString::fromStdString(dataPath("fixtures/detector_tiny.pth")), QString(),
                        {QString::fromStdString(dataPath("fixtures/xai_tiny.pth"))});
        m_w->openAudio(QString::fromStdString(dataPath("asvspoof_bonafide_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(m_w->explanation() && m_w->isIdle(), 120000);
    }

    void cleanupTestCase() { m_w.reset(); }

    void pngDecodes()
    {
        const QString p = m_tmp.filePath(QStringLiteral("view.png"));
        QCOMPARE(m_w->exportTo(p), QString());
        QImage img(p);
        QVERIFY(!img.isNull());
        QVERIFY(!m_w->groundTruthTrack()->isVisible());  // no labels here: the panel alone
        QCOMPARE(img.size(), m_w->trackPanel()->size());
        // Not blank: the waveform is drawn in dark blue somewhere.
        int coloured = 0;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3)
                coloured += img.pixelColor(x, y) != QColor(Qt::white);
        QVERIFY(coloured > img.width() * img.height() / 9 / 10);
    }

    // A figure has no UI controls (issue 26): where each row's Hide / ▲ / ▼ /
    // × buttons are on screen, the exported PNG shows the header's background
    // only; the buttons are back afterwards.
    void exportedFigureHasNoButtons()
    {
        QWidget* panel = m_w->trackPanel();
        const QList<QAbstractButton*> buttons = panel->findChildren<QAbstractButton*>();
        QVERIFY(!buttons.isEmpty());
        const QString p = m_tmp.filePath(QStringLiteral("nobuttons.png"));
        QCOMPARE(m_w->exportTo(p), QString());
        QImage img(p);
        QVERIFY(!img.isNull());
        int checked = 0;
        for (QAbstractButton* b : buttons) {
            if (!b->isVisible())
                continue;
            const QRect r(b->mapTo(panel, QPoint(0, 0)), b->size());
            QVERIFY(img.rect().contains(r));
            const QColor bg = img.pixelColor(r.topLeft());
            for (int y = r.top(); y <= r.bottom(); ++y)
                for (int x = r.left(); x <= r.right(); ++x)
                    QVERIFY2(img.pixelColor(x, y) == bg,
                             qPrintable(QStringLiteral("button '%1' drawn at %2,%3").arg(b->text()).arg(x).arg(y)));
            ++checked;
        }
        QVERIFY(checked >= 4);  // one row: Hide, up, down, close
        for (QAbstractButton* b : buttons)
            QVERIFY(b->isVisibleTo(panel));
    }

    // A figure at a chosen resolution: drawn larger (vectors, not an
    // upscaled screen grab) and the file says its dpi; nonsense dpi is refused.
    void pngAtChosenDpi()
    {
        const QString p = m_tmp.filePath(QStringLiteral("view300.png"));
        QCOMPARE(m_w->exportTo(p, 300), QString());
        QImage img(p);
        QVERIFY(!img.isNull());
        const QSize panel = m_w->trackPanel()->size();
        QCOMPARE(img.width(), int(std::lround(panel.width() * 300.0 / 96.0)));
        QCOMPARE(img.height(), int(std::lround(panel.height() * 300.0 / 96.0)));
        QVERIFY(std::abs(img.dotsPerMeterX() - 300 / 0.0254) < 2);
        // Drawn, not blank: the waveform's dark blue and the text.
        int dark = 0;
        for (int y = 0; y < img.height(); y += 2)
            for (int x = 0; x < img.width(); x += 2)
                dark += img.pixelColor(x, y).lightness() < 100;
        QVERIFY(dark > 100);
        QVERIFY(m_w->exportTo(m_tmp.filePath(QStringLiteral("bad.png")), 5).contains(QStringLiteral("dpi")));
        QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("bad.png"))));
    }

    void svgAndPdfAreValid()
    {
        const QString svg = m_tmp.filePath(QStringLiteral("view.svg"));
        QCOMPARE(m_w->exportTo(svg), QString());
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QVERIFY(read(svg).contains("<path") || read(svg).contains("<polyline"));
        const QString pdf = m_tmp.filePath(QStringLiteral("view.pdf"));
        QCOMPARE(m_w->exportTo(pdf), QString());
        const QByteArray bytes = read(pdf);
        QVERIFY(bytes.startsWith("%PDF-"));
        QVERIFY(bytes.contains("%%EOF"));
    }

    void csvHasOneRowPerFrame()
    {
        const QString p = m_tmp.filePath(QStringLiteral("frames.csv"));
        QCOMPARE(m_w->exportTo(p), QString());
        const QList<QByteArray> lines = read(p).trimmed().split('\n');
        const auto& e = *m_w->explanation();
        QCOMPARE(lines.size(), int(e.frames) + 1);
        // The schema of `spooflens explain --csv` (docs/explainers.md "Files"):
        // every column named, the module by its file name, never a path.
        QCOMPARE(lines[0], QByteArray("frame,time_s,start_s,end_s,importance:xai_tiny,sim_spoof:xai_tiny,"
                                      "sim_bonafide:xai_tiny,detector_score"));
        const QList<QByteArray> row = lines[11].split(',');
        QCOMPARE(row.size(), 8);
        QCOMPARE(row[0].toInt(), 10);
        QCOMPARE(row[1].toDouble(), (3200.0 + 200.0) / 16000.0);
        QCOMPARE(row[2].toDouble(), 3200.0 / 16000.0);
        QCOMPARE(row[3].toDouble(), 3600.0 / 16000.0);
        QVERIFY(std::abs(row[4].toDouble() - double(e.tracks[0].importance[10])) < 1e-6);
        QVERIFY(std::abs(row[5].toDouble() - double(e.tracks[0].simSpoof[10])) < 1e-6);
        QVERIFY(std::abs(row[6].toDouble() - double(e.tracks[0].simBonafide[10])) < 1e-6);
        QVERIFY(std::abs(row[7].toDouble() - double(e.score)) < 1e-5);
    }

    // With ground truth in the window, the CSV gains its frame labels and the
    // JSON the labels and every curve's localisation (issue 26).
    void exportsCarryTheGroundTruth()
    {
        ui::MainWindow w(false);
        w.resize(1200, 900);
        w.show();
        w.openModels(QString::fromStdString(dataPath("fixtures/detector_tiny.pth")), QString(),
                     {QString::fromStdString(dataPath("fixtures/xai_tiny.pth"))});
        const QString labels = m_tmp.filePath(QStringLiteral("truth.txt"));
        QFile lf(labels);
        QVERIFY(lf.open(QIODevice::WriteOnly));
        lf.write("1.000000\t2.000000\tspoof\n");
        lf.close();
        w.openAudio(QString::fromStdString(dataPath("asvspoof_bonafide_sample.flac")));
        QTRY_VERIFY_WITH_TIMEOUT(w.explanation() && w.isIdle(), 120000);
        w.openLabels(labels);
        QTRY_VERIFY(w.document()->groundTruth() != nullptr);
        const QString csv = m_tmp.filePath(QStringLiteral("truth.csv"));
        QCOMPARE(w.exportTo(csv), QString());
        const QList<QByteArray> lines = read(csv).trimmed().split('\n');
        QVERIFY(lines[0].endsWith(",detector_score,ground_truth"));
        const core::FrameGrid g = w.explanation()->grid;
        int spoofRows = 0;
        for (int t = 0; t < int(w.explanation()->frames); ++t) {
            const QList<QByteArray> row = lines[t + 1].split(',');
            const int label = row.last().toInt();
            const double centre = g.centreSeconds(t);
            if (centre > 1.05 && centre < 1.95)
                QCOMPARE(label, 1);
            if (centre < 0.95 || centre > 2.05)
                QCOMPARE(label, 0);
            spoofRows += label;
        }
        QVERIFY(spoofRows >= 45 && spoofRows <= 51);  // 1 s of 20 ms frames
        const QString json = m_tmp.filePath(QStringLiteral("truth.json"));
        QCOMPARE(w.exportTo(json), QString());
        const QJsonObject o = QJsonDocument::fromJson(read(json)).object();
        QCOMPARE(o[QStringLiteral("ground_truth")].toObject()[QStringLiteral("frames")].toArray().size(),
                 int(w.explanation()->frames));
        const QJsonArray loc = o[QStringLiteral("localisation")].toArray();
        QCOMPARE(loc.size(), 1);
        QCOMPARE(loc[0].toObject()[QStringLiteral("curve")].toString(), QStringLiteral("importance:xai_tiny"));
        QVERIFY(loc[0].toObject()[QStringLiteral("frame_auc")].isDouble());
        // The figure has the pinned ground-truth track on top of the panel,
        // its shaded segment drawn (reddish pixels in the top strip).
        const QString png = m_tmp.filePath(QStringLiteral("truth.png"));
        QCOMPARE(w.exportTo(png), QString());
        const QImage img(png);
        ui::GroundTruthTrack* truthTrack = w.groundTruthTrack();
        QVERIFY(truthTrack->isVisible());
        QCOMPARE(img.height(), truthTrack->height() + w.trackPanel()->height());
        int red = 0;
        for (int y = 0; y < truthTrack->height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                red += c.red() > c.green() + 30 && c.red() > c.blue() + 30;
            }
        QVERIFY(red > 200);
    }

    void audacityLabelsParse()
    {
        const auto& w = m_w->explanation()->tracks[0].importance;
        // A threshold with regions on this file: the median of w.
        std::vector<float> sorted = w;
        std::sort(sorted.begin(), sorted.end());
        const double thr = sorted[sorted.size() / 2];
        m_w->setImportanceThreshold(thr);
        // One Audacity label file per row (issue 26), named after the module.
        QStringList written;
        QCOMPARE(m_w->exportTo(m_tmp.filePath(QStringLiteral("labels.txt")), 96, &written), QString());
        const QString p = m_tmp.filePath(QStringLiteral("labels.xai_tiny.txt"));
        QCOMPARE(written, QStringList{p});
        QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("labels.txt"))));
        const QList<QByteArray> lines = read(p).trimmed().split('\n');
        const auto regions = ui::regionsAbove(w, thr);
        QVERIFY(!regions.empty());
        QCOMPARE(lines.size(), int(regions.size()));
        QCOMPARE(m_w->rows().front()->importance()->regionCount(), int(regions.size()));
        double previousEnd = -1;
        for (int i = 0; i < lines.size(); ++i) {
            const QList<QByteArray> f = lines[i].split('\t');
            QCOMPARE(f.size(), 3);
            bool ok1 = false, ok2 = false;
            const double start = f[0].toDouble(&ok1), end = f[1].toDouble(&ok2);
            QVERIFY(ok1 && ok2);
            QVERIFY(start < end && start >= previousEnd);
            QVERIFY(std::abs(start - regions[size_t(i)].startSeconds) < 1e-6);
            QVERIFY(!f[2].isEmpty());
            previousEnd = end;
        }
    }

    void jsonHasExplainKeys()
    {
        const QString p = m_tmp.filePath(QStringLiteral("explanation.json"));
        QCOMPARE(m_w->exportTo(p), QString());
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(read(p), &err);
        QCOMPARE(err.error, QJsonParseError::NoError);
        const QJsonObject o = doc.object();
        const auto& e = *m_w->explanation();
        for (const char* key : {"path", "time_s", "importance", "sim_spoof", "sim_bonafide", "utterance_sim", "detector",
                                "xai", "tracks", "attributions"})
            QVERIFY2(o.contains(QLatin1String(key)), key);
        QCOMPARE(o[QStringLiteral("importance")].toArray().size(), int(e.frames));
        QCOMPARE(o[QStringLiteral("time_s")].toArray().at(0).toDouble(), 0.0125);
        QCOMPARE(o[QStringLiteral("detector")].toObject()[QStringLiteral("score")].toDouble(), double(e.score));
        QCOMPARE(o[QStringLiteral("tracks")].toArray().size(), 1);
    }

    // Adds an explainer row (the tests after it do not look at rows). Its attribution reaches all three files
    // with the CLI's names (one serialiser, docs/explainers.md "Files").
    void explainerRowsAreExportedLikeTheCli()
    {
        m_w->setMethods({QStringLiteral("random")});
        QTRY_VERIFY_WITH_TIMEOUT(m_w->isIdle() && m_w->explanation()->attributions.size() == 1, 120000);
        const auto& e = *m_w->explanation();
        const QString csv = m_tmp.filePath(QStringLiteral("with-random.csv"));
        QCOMPARE(m_w->exportTo(csv), QString());
        const QList<QByteArray> lines = read(csv).trimmed().split('\n');
        QCOMPARE(lines[0], QByteArray("frame,time_s,start_s,end_s,importance:xai_tiny,sim_spoof:xai_tiny,"
                                      "sim_bonafide:xai_tiny,random:detector,detector_score"));
        QCOMPARE(lines.size(), int(e.frames) + 1);
        const QList<QByteArray> row = lines[6].split(',');
        QVERIFY(std::abs(row[7].toDouble() - double(e.attributions[0].values[5])) < 1e-6);

        const QString json = m_tmp.filePath(QStringLiteral("with-random.json"));
        QCOMPARE(m_w->exportTo(json), QString());
        const QJsonArray at = QJsonDocument::fromJson(read(json)).object()[QStringLiteral("attributions")].toArray();
        QCOMPARE(at.size(), 1);
        QCOMPARE(at[0].toObject()[QStringLiteral("method")].toString(), QStringLiteral("random"));
        QCOMPARE(at[0].toObject()[QStringLiteral("values")].toArray().size(), int(e.frames));

        // A label file per row: the module's, then the explainer's, each with its rows only.
        QStringList written;
        QCOMPARE(m_w->exportTo(m_tmp.filePath(QStringLiteral("with-random.txt")), 96, &written), QString());
        QCOMPARE(written, QStringList({m_tmp.filePath(QStringLiteral("with-random.xai_tiny.txt")),
                                       m_tmp.filePath(QStringLiteral("with-random.random_detector.txt"))}));
        const QByteArray moduleLabels = read(written[0]), randomLabels = read(written[1]);
        QVERIFY(!moduleLabels.isEmpty() && !moduleLabels.contains("random:"));
        QVERIFY(!randomLabels.isEmpty());
        for (const QByteArray& line : randomLabels.trimmed().split('\n'))
            QVERIFY2(line.contains("\trandom:detector top 10%"), line.constData());
    }

    void unknownFormatIsAMessage()
    {
        QVERIFY(m_w->exportTo(m_tmp.filePath(QStringLiteral("view.bmpx"))).contains(QStringLiteral("Unknown")));
        QVERIFY(!m_w->exportTo(QStringLiteral("/nonexistent-dir/x.csv")).isEmpty());
    }
};

QTEST_MAIN(TestExport)
#include "TestExport.moc"
