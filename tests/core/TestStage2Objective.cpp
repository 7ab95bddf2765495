// ctest-labels: fast
// The Stage 2 objectives of docs/stage2-objective.md: no constant importance is
// a minimiser of the new objectives (w ≡ 0, w ≡ 1, w ≡ c all lose against a
// localising w), the seed objective keeps its trivial minimum, training on
// synthetic frames puts w on exactly the spoofed frames, and the importance
// health rule (collapse, flat, saturated) shared by trainer and viewer; and the
// importance network's dropout (HashDropout); and the per-utterance feature
// normalisation (model.feature_norm): invariant to speaker/channel offsets,
// stored with the module, and what localises when utterances carry such offsets.
#include "core/Error.h"
#include "core/stage2/ImportanceNetwork.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "core/stage2/Stage2Objective.h"
#include "tests/support/SyntheticFrames.h"
#include "core/stage2/Stage2Checkpoint.h"
#include "core/training/TrainConfig.h"
#include "core/training/TrainerState.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

using namespace spooflens::core;

namespace {

constexpr int64_t kB = 4, kT = 20, kD = 8;
constexpr int64_t kSpoofStart = 7, kSpoofEnd = 13;  // spoofed frames of each spoof utterance

struct FixedBatch {
    torch::Tensor h, labels;  // utterances 0, 2 spoof; 1, 3 bona fide
    Stage2Model model{nullptr};
};

// Frames mu + noise; the spoofed segment of the spoof utterances is offset along
// one direction. Prototypes: the class means (fixed mode), as the trainer does.
FixedBatch makeBatch()
{
    torch::manual_seed(7);
    FixedBatch b;
    const torch::Tensor mu = torch::randn({kD});
    torch::Tensor dir = torch::randn({kD});
    dir = dir / dir.norm();
    b.h = mu + 0.5 * torch::randn({kB, kT, kD});
    b.labels = torch::tensor({0, 1, 0, 1}, torch::kLong);
    for (int64_t i : {0, 2})
        b.h[i].slice(0, kSpoofStart, kSpoofEnd) += 3.0 * dir;
    Stage2Options o;
    o.embedDim = kD;
    o.hiddenDim = 8;
    o.mode = PrototypeMode::Fixed;
    b.model = Stage2Model(o);
    b.model->eval();
    const torch::Tensor means = torch::stack({b.h.index({b.labels.eq(0)}).reshape({-1, kD}).mean(0),
                                              b.h.index({b.labels.eq(1)}).reshape({-1, kD}).mean(0)});
    b.model->prototypeManager()->setFromMeans(means);
    return b;
}

// The model's output with its importance replaced by `w` (B, T), pooled as Stage2Model does.
Stage2Output withImportance(FixedBatch& b, const torch::Tensor& w)
{
    torch::NoGradGuard ng;
    Stage2Output out = b.model->forward(b.h);
    out.importance = w;
    out.importanceNorm = w / (w.sum(1, true) + 1e-9);
    out.utteranceScores = (out.frameScores * out.importanceNorm.unsqueeze(-1)).sum(1);
    return out;
}

// Low w on bona fide utterances and on the unspoofed frames of spoof
// utterances, high w on the spoofed frames (mean over a spoof utterance 0.305).
torch::Tensor localisingImportance()
{
    torch::Tensor w = torch::full({kB, kT}, 0.05);
    for (int64_t i : {0, 2})
        w[i].slice(0, kSpoofStart, kSpoofEnd).fill_(0.9);
    return w;
}

Stage2LossWeights weightsFor(Stage2Objective o)
{
    const TrainConfig c;  // the configured defaults
    return Stage2LossWeights{c.temperature,      c.lambdaBonafideReg, c.lambdaTemporalSmooth,  c.lambdaSparsity, o,
                             c.lambdaPrior, c.importancePriorBonafide, c.importanceBudgetSpoof};
}

double lossOf(FixedBatch& b, const torch::Tensor& w, Stage2Objective o)
{
    return stage2Loss(withImportance(b, w), b.labels, weightsFor(o)).total.item<double>();
}

SyntheticFramesOptions syntheticOptions(const std::string& objective, const std::string& mode, uint64_t seed)
{
    SyntheticFramesOptions o;
    o.separation = 4.0;
    o.config = TrainConfig::fromOverrides({"model.objective=" + objective, "model.prototype_mode=" + mode,
                                           "model.importance_hidden_dim=32", "model.ema_momentum=0.9",
                                           "training.learning_rate=0.003", "training.batch_size=16",
                                           "training.num_epochs=40", "training.seed=" + std::to_string(seed)});
    return o;
}

} // namespace

class TestStage2Objective : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void configKeyAndDefault()
    {
        const TrainConfig d;
        QCOMPARE(QString::fromStdString(d.objective), QStringLiteral("weak_frame"));
        QCOMPARE(parseStage2Objective(d.objective), kDefaultStage2Objective);
        for (const auto& name : stage2ObjectiveNames())
            QCOMPARE(QString::fromStdString(stage2ObjectiveName(parseStage2Objective(name))), QString::fromStdString(name));
        const TrainConfig seed = TrainConfig::parse("model:\n  objective: seed\n", "t.yaml");
        QCOMPARE(QString::fromStdString(seed.objective), QStringLiteral("seed"));
        QVERIFY(QString::fromStdString(seed.toYaml()).contains("objective: seed"));
        try {
            TrainConfig::parse("model:\n  objective: maximum_likelihood\n", "t.yaml");
            QFAIL("no error for an unknown objective");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains("model.objective"), e.what());
            QVERIFY2(QString(e.what()).contains("maximum_likelihood"), e.what());
        }
        QVERIFY_EXCEPTION_THROWN(TrainConfig::fromOverrides({"model.importance_prior_bonafide=1.5"}), ConfigError);
    }

    void noConstantImportanceIsAMinimum_data()
    {
        QTest::addColumn<int>("objective");
        QTest::newRow("attention_mil") << int(Stage2Objective::AttentionMil);
        QTest::newRow("weak_frame") << int(Stage2Objective::WeakFrame);
    }

    void noConstantImportanceIsAMinimum()
    {
        QFETCH(int, objective);
        const auto obj = Stage2Objective(objective);
        FixedBatch b = makeBatch();
        const double localising = lossOf(b, localisingImportance(), obj);
        QVERIFY(std::isfinite(localising));
        for (double c : {0.0, 1e-4, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0}) {
            const double constant = lossOf(b, torch::full({kB, kT}, c), obj);
            QVERIFY2(std::isfinite(constant), qPrintable(QString("w = %1").arg(c)));
            QVERIFY2(constant > localising,
                     qPrintable(QString("w ≡ %1: loss %2 <= %3 of the localising w").arg(c).arg(constant).arg(localising)));
        }
        // Putting the high importance on the wrong frames is worse too.
        torch::Tensor misplaced = localisingImportance().roll(kT / 2, 1);
        QVERIFY(lossOf(b, misplaced, obj) > localising);
    }

    void seedObjectiveKeepsItsTrivialMinimum()
    {
        // The known property of spec stage2.md: every seed term shrinks as w -> 0.
        FixedBatch b = makeBatch();
        const double zero = lossOf(b, torch::zeros({kB, kT}), Stage2Objective::Seed);
        QCOMPARE(zero, 0.0);
        QVERIFY(lossOf(b, localisingImportance(), Stage2Objective::Seed) > zero);
    }

    void gradientsReachTheImportanceAndLearnablePrototypes()
    {
        torch::manual_seed(3);
        Stage2Options o;
        o.embedDim = kD;
        o.hiddenDim = 8;
        o.mode = PrototypeMode::Learnable;
        Stage2Model m(o);
        FixedBatch b = makeBatch();
        for (auto obj : {Stage2Objective::AttentionMil, Stage2Objective::WeakFrame}) {
            m->zero_grad();
            const Stage2LossTerms t = stage2Loss(m->forward(b.h), b.labels, weightsFor(obj));
            QVERIFY(std::isfinite(t.total.item<double>()));
            t.total.backward();
            for (const auto& p : m->named_parameters()) {
                QVERIFY2(p.value().grad().defined(), p.key().c_str());
                QVERIFY2(std::isfinite(p.value().grad().abs().sum().item<double>()), p.key().c_str());
            }
            QVERIFY(m->prototypeManager()->prototypes().grad().abs().sum().item<double>() > 0);
        }
    }

    void trainingPutsImportanceOnTheSpoofedFrames_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("ema") << "ema";
        QTest::newRow("fixed") << "fixed";
        QTest::newRow("learnable") << "learnable";
    }

    void trainingPutsImportanceOnTheSpoofedFrames()
    {
        QFETCH(QString, mode);
        const SyntheticFramesResult r =
            trainOnSyntheticFrames(syntheticOptions(stage2ObjectiveName(kDefaultStage2Objective), mode.toStdString(), 1234));
        const QString info = QString("AUC %1 (within spoof %2), w spoofed %3, other spoof frames %4, bona fide %5")
                                 .arg(r.frameAuc).arg(r.frameAucWithinSpoof).arg(r.meanWSpoofedFrames)
                                 .arg(r.meanWOtherSpoofFrames).arg(r.meanWBonafide);
        QVERIFY2(r.frameAuc > 0.95, qPrintable(info));
        QVERIFY2(r.frameAucWithinSpoof > 0.95, qPrintable(info));
        QVERIFY2(r.meanWSpoofedFrames > r.meanWOtherSpoofFrames + 0.2, qPrintable(info));
        QVERIFY2(r.meanWSpoofedFrames > r.meanWBonafide + 0.2, qPrintable(info));
        QVERIFY2(!r.health.degenerate(), qPrintable(info));
        QVERIFY2(r.lastLoss < r.firstLoss, qPrintable(info));
    }

    void seedObjectiveCollapsesOnTheSameTask()
    {
        const SyntheticFramesResult r = trainOnSyntheticFrames(syntheticOptions("seed", "ema", 1234));
        QVERIFY2(r.health.degenerate(), qPrintable(QString("mean w %1, spread %2").arg(r.importanceMean).arg(r.importanceSpread)));
        QVERIFY(r.importanceMean < 0.05);
    }

    void hashDropout()
    {
        const double p = 0.1;
        HashDropout d(p);
        const torch::Tensor x = torch::rand({24, 201, 256}) + 0.5;
        d->eval();
        QVERIFY(torch::equal(d->forward(x), x));
        d->train();
        torch::manual_seed(11);
        const torch::Tensor y = d->forward(x);
        const torch::Tensor kept = y.ne(0);
        const double keptFraction = kept.to(torch::kDouble).mean().item<double>();
        QVERIFY2(std::abs(keptFraction - (1.0 - p)) < 0.002, qPrintable(QString::number(keptFraction)));
        // Kept elements are scaled by 1 / (1 - p); the mean is preserved.
        QVERIFY(torch::allclose(y.index({kept}), x.index({kept}) / (1.0 - p)));
        QVERIFY(std::abs(y.mean().item<double>() / x.mean().item<double>() - 1.0) < 0.01);
        // The torch seed decides the mask; the next call draws another.
        torch::manual_seed(11);
        QVERIFY(torch::equal(d->forward(x), y));
        QVERIFY(!torch::equal(d->forward(x), y));
        // No dependence on the thread count.
        const int threads = torch::get_num_threads();
        torch::set_num_threads(2);
        const torch::Tensor two = hashDropoutMask(1 << 20, p, 99);
        torch::set_num_threads(1);
        QVERIFY(torch::equal(hashDropoutMask(1 << 20, p, 99), two));
        torch::set_num_threads(threads);
        // Neighbouring elements are independent: a kept element is followed by a
        // kept one with probability 1 - p, not more.
        const torch::Tensor k = two.ne(0);
        const double both = (k.slice(0, 1) & k.slice(0, 0, -1)).to(torch::kDouble).mean().item<double>();
        QVERIFY2(std::abs(both - (1.0 - p) * (1.0 - p)) < 0.003, qPrintable(QString::number(both)));
        // The gradient is the mask.
        const torch::Tensor xg = x.clone().requires_grad_(true);
        torch::manual_seed(5);
        const torch::Tensor yg = d->forward(xg);
        yg.sum().backward();
        QVERIFY(torch::allclose(xg.grad(), yg.detach() / x));
    }

    void featureNormKeyAndCheckpoint()
    {
        const TrainConfig d;
        QCOMPARE(QString::fromStdString(d.featureNorm), QStringLiteral("none"));
        const TrainConfig u = TrainConfig::parse("model:\n  feature_norm: utterance\n", "t.yaml");
        QCOMPARE(parseStage2FeatureNorm(u.featureNorm), Stage2FeatureNorm::Utterance);
        QVERIFY(QString::fromStdString(u.toYaml()).contains("feature_norm: utterance"));
        try {
            TrainConfig::parse("model:\n  feature_norm: speaker\n", "t.yaml");
            QFAIL("no error for an unknown feature_norm");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains("model.feature_norm") && QString(e.what()).contains("speaker"), e.what());
        }
        // The module file carries it in its config; a damaged value is refused by name.
        QTemporaryDir dir;
        Stage2Options o;
        o.embedDim = kD;
        o.hiddenDim = 8;
        Stage2Model model(o);
        const std::string path = dir.filePath("m.pth").toStdString();
        writeStage2File(path, model->stateDict(), Value::none(), configToValue(u), 1, "ema", "");
        QCOMPARE(QString::fromStdString(readStage2File(path).featureNorm), QStringLiteral("utterance"));
        writeStage2File(path, model->stateDict(), Value::none(), configToValue(d), 1, "ema", "");
        QCOMPARE(QString::fromStdString(readStage2File(path).featureNorm), QStringLiteral("none"));
        Value bad = configToValue(d);
        Value model2 = *bad.find("model");
        model2.set("feature_norm", Value::string("speaker"));
        bad.set("model", model2);
        writeStage2File(path, model->stateDict(), Value::none(), bad, 1, "ema", "");
        try {
            readStage2File(path);
            QFAIL("no error for a damaged feature_norm");
        } catch (const CheckpointError& e) {
            QVERIFY2(QString(e.what()).contains("feature_norm") && QString(e.what()).contains("m.pth"), e.what());
        }
    }

    void utteranceNormIgnoresSpeakerOffsets()
    {
        torch::manual_seed(3);
        const torch::Tensor h = torch::randn({2, kT, kD});
        // Per utterance and dimension: a positive gain and an offset (a speaker, a channel).
        const torch::Tensor gain = torch::rand({2, 1, kD}) * 3.0 + 0.2;
        const torch::Tensor offset = torch::randn({2, 1, kD}) * 5.0;
        const torch::Tensor moved = h * gain + offset;
        for (auto norm : {Stage2FeatureNorm::None, Stage2FeatureNorm::Utterance}) {
            Stage2Options o;
            o.embedDim = kD;
            o.hiddenDim = 8;
            o.featureNorm = norm;
            torch::manual_seed(5);
            Stage2Model model(o);
            model->eval();
            torch::NoGradGuard ng;
            const Stage2Output a = model->forward(h), b = model->forward(moved);
            const double dw = (a.importance - b.importance).abs().max().item<double>();
            const double ds = (a.frameScores - b.frameScores).abs().max().item<double>();
            if (norm == Stage2FeatureNorm::Utterance) {
                QVERIFY2(dw < 1e-4 && ds < 1e-4, qPrintable(QString("dw %1 ds %2").arg(dw).arg(ds)));
                const torch::Tensor f = model->features(moved);
                QVERIFY(f.mean(1).abs().max().item<double>() < 1e-4);
                QVERIFY((f.pow(2).mean(1) - 1.0).abs().max().item<double>() < 1e-3);
            } else {
                QVERIFY2(dw > 1e-3, qPrintable(QString("dw %1").arg(dw)));  // the test can tell them apart
            }
        }
        // A constant dimension, or a single frame, maps to 0, not NaN.
        Stage2Options o;
        o.embedDim = kD;
        o.featureNorm = Stage2FeatureNorm::Utterance;
        Stage2Model model(o);
        QVERIFY(model->features(torch::ones({1, 1, kD})).abs().max().item<double>() == 0.0);
    }

    void utteranceNormLocalisesUnderSpeakerOffsets()
    {
        // Synthetic frames where every utterance also carries its own random offset
        // (std 3 per dimension, either class): the spoofed segment stays separable
        // within its utterance, across utterances the offset swamps it.
        auto run = [](const std::string& norm) {
            SyntheticFramesOptions o = syntheticOptions("weak_frame", "ema", 1234);
            o.config.featureNorm = norm;
            o.utteranceOffset = 3.0;
            return trainOnSyntheticFrames(o);
        };
        const SyntheticFramesResult none = run("none"), utt = run("utterance");
        const QString info = QString("within-spoof AUC none %1, utterance %2; AUC none %3, utterance %4")
                                 .arg(none.frameAucWithinSpoof).arg(utt.frameAucWithinSpoof).arg(none.frameAuc).arg(utt.frameAuc);
        qInfo("%s", qPrintable(info));
        QVERIFY2(utt.frameAucWithinSpoof > 0.88, qPrintable(info));
        QVERIFY2(utt.frameAucWithinSpoof > none.frameAucWithinSpoof + 0.15, qPrintable(info));
        QVERIFY2(!utt.health.degenerate(), qPrintable(info));
    }

    void healthRule()
    {
        const ImportanceHealthThresholds t;
        QVERIFY(importanceHealth(1e-5, 0.0, t).collapsedToZero);
        QVERIFY(importanceHealth(0.3, 1e-4, t).flat);
        const ImportanceHealth sat = importanceHealth(0.999, 5e-4, t);
        QVERIFY(sat.saturated && sat.degenerate());
        const QString text = QString::fromStdString(importanceHealthText(sat, 0.999, 5e-4, t));
        QVERIFY2(text.contains("saturated") && text.contains("w ≈ 1"), qPrintable(text));
        QVERIFY(!importanceHealth(0.3, 0.2, t).degenerate());
        QVERIFY(importanceHealthText(importanceHealth(0.3, 0.2, t), 0.3, 0.2, t).empty());
    }
};

QTEST_GUILESS_MAIN(TestStage2Objective)
#include "TestStage2Objective.moc"
