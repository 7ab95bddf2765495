// ctest-labels: medium
// End to end through the CLI on the demo data and the tiny detector: training
// (loss goes down, collapse flags, files), resume after a real SIGKILL and
// after a stop (the loss curve continues: nothing repeated or lost),
// checkpoints read by Python's torch.load and Python-written files read back,
// the `explain` JSON/CSV contract and `compare`.
#include "core/audio/AudioFile.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QFileInfo>
#include <QtTest>

#include <cmath>

using spooflens::test::cliPath;
using spooflens::test::dataPath;

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

// Waits for the command to end, however long a loaded machine makes it take:
// a hang is stopped by the test's own limits (QTEST_FUNCTION_TIMEOUT and
// CTest's TIMEOUT, tests/CMakeLists.txt), not by a timing window here (a
// 240 s limit killed the 5-epoch run on a loaded Debian 13 system).
Run cli(const QStringList& args)
{
    QProcess p;
    p.start(cliPath(), args);
    Run r;
    p.waitForFinished(-1);
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QList<QJsonObject> jsonl(const QString& path)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            out.push_back(QJsonDocument::fromJson(line).object());
    return out;
}

int lineCount(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readAll().count('\n');
}

} // namespace

class TestTrainRun : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_demo, m_runFull, m_runA;
    int m_trainCount = 0;
    const int kEpochs = 4;

    QString path(const QString& rel) const { return m_tmp.path() + "/" + rel; }

    // The resume tests use a 12-utterance subset (batch 4: 2 steps per epoch) and
    // the tiny XLS-R fixture as detector (its features cost a fraction of
    // AASIST-L's) so that the runs with online features stay short; the demo's
    // own AASIST-L run is m_runFull.
    QStringList trainArgs(const QString& out, const QStringList& extra = {}) const
    {
        QStringList a{"train", "--config", m_demo + "/demo.yaml", "--out", out, "--quiet",
                      "--set", QString("training.num_epochs=%1").arg(kEpochs), "--set", "training.patience=50",
                      "--set", "training.batch_size=4", "--set", "data.protocol_path=" + m_demo + "/data/small.txt",
                      "--set", "model.pretrained_checkpoint=" + QString::fromStdString(dataPath("fixtures/detector_tiny.pth"))};
        for (const auto& e : extra)
            a << "--set" << e;
        return a;
    }

    void compareCurves(const QString& runDir, const QString& reference = {})
    {
        const auto a = jsonl((reference.isEmpty() ? m_runA : reference) + "/metrics.jsonl");
        const auto b = jsonl(runDir + "/metrics.jsonl");
        QCOMPARE(b.size(), a.size());
        for (int i = 0; i < a.size(); ++i) {
            QCOMPARE(b[i]["epoch"].toInt(), i + 1);
            for (const char* split : {"train", "val"})
                for (const char* key : {"loss_total", "loss_contrastive", "loss_bonafide_reg", "loss_smooth"}) {
                    const double x = a[i][split].toObject()[key].toDouble();
                    const double y = b[i][split].toObject()[key].toDouble();
                    if (std::abs(x - y) > 1e-5 * std::max(1.0, std::abs(x)))
                        QFAIL(qPrintable(QString("epoch %1 %2.%3: %4 vs %5").arg(i + 1).arg(split, key).arg(x, 0, 'g', 10).arg(y, 0, 'g', 10)));
                }
        }
        const auto sa = jsonl((reference.isEmpty() ? m_runA : reference) + "/steps.jsonl");
        const auto sb = jsonl(runDir + "/steps.jsonl");
        QCOMPARE(sb.size(), sa.size());
        for (int i = 0; i < sb.size(); ++i) {
            QCOMPARE(sb[i]["step"].toInt(), i + 1);  // nothing repeated, nothing lost
            QVERIFY(std::abs(sb[i]["loss_total"].toDouble() - sa[i]["loss_total"].toDouble())
                    <= 1e-5 * std::max(1.0, std::abs(sa[i]["loss_total"].toDouble())));
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_demo = path("demo");
        const Run r = cli({"demo", "--small", "--out", m_demo, "--data", QString::fromStdString(dataPath("")), "--no-train"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        for (const char* f : {"AASIST-L.pth", "demo_utterance.wav", "demo_utterance.json", "demo.yaml", "data/protocol.txt"})
            QVERIFY2(QFile::exists(m_demo + "/" + f), f);
        // The demo corpus: train and dev files of both classes (counts in manifest.json).
        QVERIFY(lineCount(m_demo + "/data/protocol.txt") >= 32);
        QFile all(m_demo + "/data/protocol.txt");
        QVERIFY(all.open(QIODevice::ReadOnly));
        QFile small(m_demo + "/data/small.txt");
        QVERIFY(small.open(QIODevice::WriteOnly));
        QMap<QString, int> taken;
        for (const QByteArray& line : all.readAll().split('\n')) {
            const QList<QByteArray> cols = line.split(' ');
            if (cols.size() != 3)
                continue;
            m_trainCount += cols[1] == "train" ? 1 : 0;
            const QString key = QString::fromUtf8(cols[1] + cols[2]);
            if (taken[key]++ < (cols[1] == "train" ? 4 : 2))
                small.write(line + "\n");
        }
        small.close();
        QCOMPARE(lineCount(m_demo + "/data/small.txt"), 12);
        m_runA = path("runA");
        const Run r2 = cli(trainArgs(m_runA));
        QVERIFY2(r2.code == 0, qPrintable(r2.err));
        QCOMPARE(jsonl(m_runA + "/metrics.jsonl").size(), kEpochs);
        QCOMPARE(jsonl(m_runA + "/steps.jsonl").size(), kEpochs * 2);
    }

    void trainLossGoesDown()
    {
        // The whole demo set, demo settings.
        m_runFull = path("runFull");
        const Run r = cli({"train", "--config", m_demo + "/demo.yaml", "--out", m_runFull, "--quiet", "--set",
                           "training.num_epochs=5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        for (const char* f : {"best.pth", "last.pth", "metrics.jsonl", "steps.jsonl", "config.yaml"})
            QVERIFY2(QFile::exists(m_runFull + "/" + f), f);
        const auto m = jsonl(m_runFull + "/metrics.jsonl");
        QCOMPARE(m.size(), 5);
        QVERIFY(m.last()["train"].toObject()["loss_total"].toDouble() < m.first()["train"].toObject()["loss_total"].toDouble());
        // The default objective's frame targets follow the moving prototypes
        // (docs/stage2-objective.md), so the validation loss need not fall
        // monotonically over 5 epochs; it must stay finite.
        for (const auto& e : m)
            QVERIFY(std::isfinite(e["val"].toObject()["loss_total"].toDouble()));
        for (const auto& e : m) {
            const QJsonObject c = e["collapse"].toObject();
            QVERIFY(c["mean_below_threshold"].isBool());
            QVERIFY(c["spread_below_threshold"].isBool());
            QVERIFY(c["saturated"].isBool());
            QCOMPARE(c["collapsed"].toBool(), c["mean_below_threshold"].toBool() || c["spread_below_threshold"].toBool()
                                                  || c["saturated"].toBool());
            QCOMPARE(c["saturated"].toBool(), e["importance_mean"].toDouble() > 0.99);
            QCOMPARE(e["objective"].toString(), QStringLiteral("weak_frame"));
            QCOMPARE(c["mean_below_threshold"].toBool(), e["importance_mean"].toDouble() < 1e-3);
            QVERIFY(e["val"].toObject().contains("accuracy"));
            QVERIFY(e["mean_total_importance"].toObject().contains("bonafide"));
            QVERIFY(e["seconds"].toDouble() > 0);
            QCOMPARE(e["lr"].toDouble(), 1e-3);
        }
        // The default objective (weak_frame) has no trivial minimum: no collapse on the demo.
        QVERIFY2(!m.last()["collapse"].toObject()["collapsed"].toBool(),
                 qPrintable(QString("mean w %1, spread %2").arg(m.last()["importance_mean"].toDouble())
                                .arg(m.last()["importance_spread"].toDouble())));
        QCOMPARE(jsonl(m_runFull + "/steps.jsonl").size(), 5 * ((m_trainCount + 7) / 8));  // batch 8
        // A clear error for a bad key, naming key and line.
        const Run bad = cli({"train", "--config", m_demo + "/demo.yaml", "--set", "training.bach_size=3", "--out", path("bad")});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("training.bach_size"), qPrintable(bad.err));
    }

    void earlyStoppingAndCollapse()
    {
        // A huge learning rate drives w to 0 (the seed objective's degenerate
        // minimum): collapse must be flagged, and patience 1 stops the run.
        const QString run = path("runCollapse");
        const Run r = cli(QStringList(trainArgs(run, {"model.objective=seed", "training.learning_rate=0.5",
                                                      "training.patience=1", "training.num_epochs=8"})));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("early stopping"), qPrintable(r.err));
        const auto m = jsonl(run + "/metrics.jsonl");
        QVERIFY(m.size() >= 2 && m.size() < 8);
        QVERIFY(m.last()["collapse"].toObject()["collapsed"].toBool());
        QVERIFY(m.last()["importance_mean"].toDouble() < 1e-3);
        const Run again = cli({"train", "--resume", run, "--quiet"});
        QCOMPARE(again.code, 0);
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), m.size());
    }

    void augmentedTraining()
    {
        // RawBoost 3 on: features are recomputed for training crops, and said so.
        const QString run = path("runAug");
        const Run r = cli(QStringList(trainArgs(run, {"augmentation.rawboost_algo=3", "training.num_epochs=1"})));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("recomputed"), qPrintable(r.err));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 1);
    }

    void resumeAfterStop()
    {
        const QString run = path("runStop");
        Run r = cli(QStringList(trainArgs(run)) << "--stop-after" << "2");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(jsonl(run + "/metrics.jsonl").size(), 2);
        r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        compareCurves(run);
    }

    void resumeAfterKill()
    {
        // Online features (no cache) make an epoch slow enough to kill it midway.
        const QString run = path("runKill");
        QProcess p;
        p.start(cliPath(), trainArgs(run, {"cache.enabled=false"}));
        QVERIFY(p.waitForStarted());
        QElapsedTimer t;
        t.start();
        while (lineCount(run + "/steps.jsonl") < 3 && t.elapsed() < 180000 && p.state() != QProcess::NotRunning)
            QThread::msleep(5);
        QVERIFY2(p.state() != QProcess::NotRunning, "the run finished before it could be killed");
        p.kill();  // SIGKILL, in epoch 2
        p.waitForFinished();
        const int loggedEpochs = jsonl(run + "/metrics.jsonl").size();
        QVERIFY(loggedEpochs < kEpochs);
        const Run r = cli({"train", "--resume", run, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // Online features take random crops of the demo's longer files, cached
        // ones start at sample 0: compare with an uninterrupted online run.
        const QString reference = path("runKillReference");
        const Run ref = cli(trainArgs(reference, {"cache.enabled=false"}));
        QVERIFY2(ref.code == 0, qPrintable(ref.err));
        compareCurves(run, reference);
    }

    void pythonRoundTrip()
    {
        const QString py = spooflens::test::pythonWithTorch();
        if (py.isEmpty())
            QSKIP("no python3 with torch");
        const QString script = R"PY(
import sys, torch
run, det, out = sys.argv[1], sys.argv[2], sys.argv[3]
ck = torch.load(run + '/best.pth')
assert set(ck) >= {'state_dict', 'optimizer', 'config', 'epoch', 'prototype_mode', 'detector_sha256'}, list(ck)
sd = ck['state_dict']
names = ['importance_net.net.%d.%s' % (i, p) for i in (0, 1, 4, 5, 8) for p in ('weight', 'bias')]
assert list(sd) == names + ['prototype_manager.prototypes'], list(sd)
assert ck['prototype_mode'] == 'ema' and len(ck['detector_sha256']) == 64 and isinstance(ck['epoch'], int)
assert ck['config']['model']['prototype_mode'] == 'ema'
assert ck['config']['model']['feature_norm'] == 'utterance'  # the demo's setting
D, H = sd['importance_net.net.0.weight'].shape[1], sd['importance_net.net.0.weight'].shape[0]
class PM(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.register_buffer('prototypes', torch.zeros(2, D))
class IN(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.net = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.LayerNorm(H), torch.nn.ReLU(), torch.nn.Dropout(0.1),
            torch.nn.Linear(H, H // 2), torch.nn.LayerNorm(H // 2), torch.nn.ReLU(), torch.nn.Dropout(0.1),
            torch.nn.Linear(H // 2, 1), torch.nn.Sigmoid())
class M(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.importance_net = IN(); s.prototype_manager = PM()
m = M(); m.load_state_dict(sd, strict=True)
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-4)
opt.load_state_dict(ck['optimizer'])
assert len(opt.state) == 10 and all(int(v['step']) > 0 for v in opt.state.values())
assert abs(torch.linalg.norm(sd['prototype_manager.prototypes'], dim=1) - 1).max() < 1e-5
torch.save(m.state_dict(), out + '/plain.pth')
whole = {'module.' + k: v for k, v in m.state_dict().items()}
for k, v in torch.load(det, map_location='cpu').items():  # the AASIST authors saved theirs from a GPU
    whole['module.frozen_detector.detector.' + k] = v
torch.save(whole, out + '/seed_whole.pth')
# The same file with the normalisation switched off, as the reference layouts imply.
ck['config']['model']['feature_norm'] = 'none'
torch.save(ck, out + '/none.pth')
print('ok')
)PY";
        QProcess p;
        p.start(py, {"-c", script, m_runFull, m_demo + "/AASIST-L.pth", m_tmp.path()});
        QVERIFY(p.waitForFinished(-1));
        QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
        // The same module through four files gives the same explanation.
        auto importance = [&](const QString& xai, const QString& detector = QString()) {
            const Run r = cli({"explain", "--detector", detector.isEmpty() ? m_demo + "/AASIST-L.pth" : detector,
                               "--xai", xai, "--json", m_demo + "/demo_utterance.wav"});
            if (r.code != 0)
                qWarning() << r.err;
            return QJsonDocument::fromJson(r.out.toUtf8()).object()["importance"].toArray();
        };
        // The reference layouts carry no model.feature_norm: they mean "none", which
        // only the SpoofLens layout can switch (docs/stage2-objective.md).
        const QJsonArray a = importance(m_tmp.path() + "/none.pth");
        QVERIFY(!a.isEmpty());
        QVERIFY(importance(m_runFull + "/best.pth") != a);  // the demo's utterance normalisation is applied
        auto featureNorm = [&](const QString& xai) {
            const Run r = cli({"explain", "--detector", m_demo + "/AASIST-L.pth", "--xai", xai, "--json",
                               m_demo + "/demo_utterance.wav"});
            const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
            const QString top = o["xai"].toObject()["feature_norm"].toString();
            return top == o["tracks"].toArray().at(0).toObject()["feature_norm"].toString() ? top : QStringLiteral("differs");
        };
        QCOMPARE(featureNorm(m_runFull + "/best.pth"), QStringLiteral("utterance"));
        QCOMPARE(featureNorm(m_tmp.path() + "/plain.pth"), QStringLiteral("none"));
        QCOMPARE(importance(m_tmp.path() + "/plain.pth"), a);
        QCOMPARE(importance(m_tmp.path() + "/seed_whole.pth"), a);
        // The seed's whole-model file also serves as the detector.
        QCOMPARE(importance(m_tmp.path() + "/seed_whole.pth", m_tmp.path() + "/seed_whole.pth"), a);
    }

    void explainContract()
    {
        const QString xai = m_runFull + "/best.pth";
        const Run r = cli({"explain", "--detector", m_demo + "/AASIST-L.pth", "--xai", xai, "--json",
                           m_demo + "/demo_utterance.wav"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        // The demo explains AASIST-L: frames of its e_T grid (hop 2187, window 2315 samples).
        const int T = int(spooflens::core::loadAudio((m_demo + "/demo_utterance.wav").toStdString())
                              .frames(spooflens::core::FrameGrid::aasist()));
        QCOMPARE(j["hop_samples"].toInt(), 2187);
        QCOMPARE(j["window_samples"].toInt(), 2315);
        QCOMPARE(j["offset_samples"].toInt(), 0);
        QCOMPARE(j["path"].toString(), m_demo + "/demo_utterance.wav");
        for (const char* k : {"time_s", "importance", "sim_spoof", "sim_bonafide"})
            QCOMPARE(j[k].toArray().size(), T);
        for (int t = 0; t < T; ++t) {
            QVERIFY(std::abs(j["time_s"].toArray()[t].toDouble() - (2187.0 * t + 1157.5) / 16000) < 1e-12);
            const double w = j["importance"].toArray()[t].toDouble();
            QVERIFY(w >= 0 && w <= 1);
            QVERIFY(std::abs(j["sim_spoof"].toArray()[t].toDouble()) <= 1 + 1e-6);
        }
        QVERIFY(j["utterance_sim"].toObject().contains("spoof") && j["utterance_sim"].toObject().contains("bonafide"));
        const QJsonObject det = j["detector"].toObject();
        QCOMPARE(det["logits"].toArray().size(), 2);
        QCOMPARE(det["score"].toDouble(), det["logits"].toArray()[1].toDouble());

        const Run c = cli({"explain", "--detector", m_demo + "/AASIST-L.pth", "--xai", xai, "--csv",
                           m_demo + "/demo_utterance.wav"});
        QVERIFY2(c.code == 0, qPrintable(c.err));
        const QStringList lines = c.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), T + 1);
        const QString stem = QFileInfo(xai).completeBaseName();
        QCOMPARE(lines[0], QString("frame,time_s,start_s,end_s,importance:%1,sim_spoof:%1,sim_bonafide:%1,detector_score")
                               .arg(stem));
        QCOMPARE(lines[1].split(',').size(), 8);

        // The fixture (plain PyTorch state dict) is a Stage 2 file of another width
        // (the tiny XLS-R preset's D = 64; AASIST-L's e_T has C = 24): a clear error.
        const Run f = cli({"explain", "--detector", m_demo + "/AASIST-L.pth", "--xai",
                           QString::fromStdString(dataPath("fixtures/xai_tiny.pth")), "--json", m_demo + "/demo_utterance.wav"});
        QCOMPARE(f.code, 1);
        QVERIFY2(f.err.contains("64") && f.err.contains("24"), qPrintable(f.err));
        // A detector file is not a Stage 2 file: a clear error.
        const Run bad = cli({"explain", "--detector", m_demo + "/AASIST-L.pth", "--xai", m_demo + "/AASIST-L.pth",
                             m_demo + "/demo_utterance.wav"});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("Stage 2"), qPrintable(bad.err));
    }

    void compareModes()
    {
        const QString a = m_runFull + "/best.pth";
        const QString b = m_runFull + "/last.pth";  // another module of the same width (AASIST-L's e_T)
        const Run r = cli({"compare", "--detector", m_demo + "/AASIST-L.pth", "--xai", a, "--xai", b, "--xai", a,
                           "--json", m_demo + "/demo_utterance.wav"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["rows"].toArray().size(), 3);
        const QJsonArray pairs = j["agreement"].toArray();
        QCOMPARE(pairs.size(), 3);
        for (const auto& v : pairs) {
            const QJsonObject p = v.toObject();
            QVERIFY(std::abs(p["spearman"].toDouble()) <= 1 + 1e-9);
            if (p["a"].toInt() == 0 && p["b"].toInt() == 2) {  // a file against itself
                QVERIFY(std::abs(p["spearman"].toDouble() - 1) < 1e-9);
                QCOMPARE(p["topk_overlap"].toDouble(), 1.0);
            }
        }
        const QJsonObject row = j["rows"].toArray()[0].toObject();
        QCOMPARE(row["prototype_mode"].toString(), QString("ema"));
        QVERIFY(row["predicted_class"].toString() == "spoof" || row["predicted_class"].toString() == "bonafide");
        const Run text = cli({"compare", "--detector", m_demo + "/AASIST-L.pth", "--xai", a, "--xai", b,
                              m_demo + "/demo_utterance.wav"});
        QVERIFY2(text.code == 0 && text.out.contains("Spearman"), qPrintable(text.err));
    }
};

QTEST_GUILESS_MAIN(TestTrainRun)
#include "TestTrainRun.moc"
