// Stage 2 module, seed objective, EMA step and one AdamW step against the
// independent PyTorch reference (tests/data/fixtures/xai_ref_tiny.npz).
// ctest-labels: fast
#include "core/checkpoint/Checkpoint.h"
#include "core/checkpoint/Npy.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "tests/support/TestData.h"

#include <QtTest>
#include <torch/torch.h>

#include <map>

using namespace spooflens::core;

namespace {

torch::Tensor toTensor(const NpyArray& a)
{
    std::vector<int64_t> shape(a.shape.begin(), a.shape.end());
    if (a.descr == "<i8")
        return torch::from_blob(const_cast<int64_t*>(a.i64()), shape, torch::kLong).clone();
    return torch::from_blob(const_cast<float*>(a.f32()), shape, torch::kFloat).clone();
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

const std::map<std::string, NpyArray>& ref()
{
    static const auto npz = readNpz(spooflens::test::dataPath("fixtures/xai_ref_tiny.npz"));
    return npz;
}

torch::Tensor R(const std::string& name)
{
    auto it = ref().find(name);
    if (it == ref().end())
        throw std::runtime_error("fixture array missing: " + name);
    return toTensor(it->second);
}

Stage2Model makeModel(PrototypeMode mode)
{
    Stage2Options o;
    o.embedDim = 64;
    o.hiddenDim = 256;
    o.mode = mode;
    Stage2Model m(o);
    m->loadStateDict(readStateDict(spooflens::test::dataPath("fixtures/xai_tiny.pth")), "xai_tiny.pth");
    m->eval();  // the reference has dropout off
    return m;
}

} // namespace

class TestStage2Golden : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
    }

    void stateDictNamesAndInit()
    {
        Stage2Model m = makeModel(PrototypeMode::Ema);
        const TensorList sd = m->stateDict();
        QCOMPARE(int(sd.size()), 11);
        const std::vector<std::string> expected = {
            "importance_net.net.0.weight", "importance_net.net.0.bias", "importance_net.net.1.weight",
            "importance_net.net.1.bias",   "importance_net.net.4.weight", "importance_net.net.4.bias",
            "importance_net.net.5.weight", "importance_net.net.5.bias",  "importance_net.net.8.weight",
            "importance_net.net.8.bias",   "prototype_manager.prototypes"};
        for (size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(QString::fromStdString(sd[i].first), QString::fromStdString(expected[i]));
            QCOMPARE(maxAbs(sd[i].second, R("init_" + expected[i])), 0.0);
        }
        // Buffer in ema/fixed, parameter in learnable.
        QCOMPARE(int(m->parameters().size()), 10);
        Stage2Model learn = makeModel(PrototypeMode::Learnable);
        QCOMPARE(int(learn->parameters().size()), 11);
    }

    void goldenCase_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("mixed") << "mixed";
        QTest::newRow("allspoof") << "allspoof";
        QTest::newRow("allbona") << "allbona";
    }

    void goldenCase()
    {
        QFETCH(QString, name);
        const std::string c = name.toStdString() + "_";
        Stage2Model m = makeModel(PrototypeMode::Ema);
        const torch::Tensor h = R("ssl_batch3");
        const torch::Tensor labels = R(c + "labels");
        QCOMPARE(maxAbs(m->prototypeManager()->prototypes(), R(c + "prototypes_before")), 0.0);

        const Stage2Output out = m->forward(h);
        QVERIFY(maxAbs(out.importance, R(c + "importance")) <= 1e-5);
        QVERIFY(maxAbs(out.importanceNorm, R(c + "importance_norm")) <= 1e-5);
        QVERIFY(maxAbs(out.frameScores, R(c + "frame_scores")) <= 1e-5);
        QVERIFY(maxAbs(out.utteranceScores, R(c + "utterance_scores")) <= 1e-5);

        const Stage2LossTerms t = stage2Loss(out, labels, Stage2LossWeights{});
        QVERIFY(maxAbs(t.frameLoss, R(c + "frame_loss")) <= 1e-4);
        const std::pair<const char*, torch::Tensor> terms[] = {
            {"loss_contrastive", t.contrastive}, {"loss_bonafide_reg", t.bonafideReg},
            {"loss_smooth", t.smooth},           {"loss_sparsity", t.sparsity},
            {"loss_total", t.total}};
        for (const auto& [key, value] : terms) {
            const double r = R(c + key).item<double>();
            const double v = value.item<double>();
            if (std::abs(v - r) > 1e-5 * std::max(1.0, std::abs(r)))
                QFAIL(qPrintable(QString("%1%2: %3 vs reference %4").arg(c.c_str(), key).arg(v, 0, 'g', 9).arg(r, 0, 'g', 9)));
        }

        torch::optim::AdamW opt(m->parameters(),
                                torch::optim::AdamWOptions(1e-4).weight_decay(1e-4).betas({0.9, 0.999}).eps(1e-8));
        opt.zero_grad();
        t.total.backward();
        for (const auto& p : m->named_parameters()) {
            const torch::Tensor g = R(c + "grad_" + p.key());
            const double tol = 1e-4 * g.abs().max().item<double>() + 1e-6;
            const double err = maxAbs(p.value().grad(), g);
            if (err > tol)
                QFAIL(qPrintable(QString("grad %1: %2 > %3").arg(p.key().c_str()).arg(err).arg(tol)));
            // Exact zeros (dead ReLU units) stay exactly zero.
            const torch::Tensor zeroRef = g.eq(0);
            QVERIFY(p.value().grad().index({zeroRef}).abs().sum().item<double>() == 0.0);
        }
        std::map<std::string, torch::Tensor> gradsRef;
        for (const auto& p : m->named_parameters())
            gradsRef[p.key()] = R(c + "grad_" + p.key());
        opt.step();
        for (const auto& p : m->named_parameters()) {
            const torch::Tensor a = R(c + "adamw1_" + p.key());
            const torch::Tensor g = gradsRef[p.key()].abs();
            const torch::Tensor diff = (p.value().detach() - a).abs();
            const torch::Tensor tiny = g.gt(0) & g.lt(1e-5);
            const double strict = diff.index({~tiny}).numel() ? diff.index({~tiny}).max().item<double>() : 0.0;
            const double loose = diff.index({tiny}).numel() ? diff.index({tiny}).max().item<double>() : 0.0;
            if (strict > 1e-6 || loose > 2.01e-4)
                QFAIL(qPrintable(QString("adamw1 %1: %2 / %3").arg(p.key().c_str()).arg(strict).arg(loose)));
        }

        // EMA after the loss, with the prototypes the loss used.
        m->prototypeManager()->emaUpdate(h, labels);
        QVERIFY(maxAbs(m->prototypeManager()->prototypes(), R(c + "prototypes_after")) <= 1e-6);
    }

    void modesBehave()
    {
        const torch::Tensor h = R("ssl_batch3");
        const torch::Tensor labels = R("mixed_labels");
        // Fixed: EMA is a no-op; setFromMeans gives unit rows pointing at the means.
        Stage2Model fixed = makeModel(PrototypeMode::Fixed);
        const torch::Tensor before = fixed->prototypeManager()->prototypes().clone();
        fixed->prototypeManager()->emaUpdate(h, labels);
        QCOMPARE(maxAbs(fixed->prototypeManager()->prototypes(), before), 0.0);
        const torch::Tensor means = torch::stack({h[0].mean(0), h[1].mean(0)});
        fixed->prototypeManager()->setFromMeans(means);
        const torch::Tensor p = fixed->prototypeManager()->prototypes();
        QVERIFY((p.norm(2, 1) - 1).abs().max().item<double>() < 1e-6);
        QVERIFY(torch::cosine_similarity(p, means, 1).min().item<double>() > 1 - 1e-6);

        // Learnable: prototypes get a gradient and the optimizer moves them.
        Stage2Model learn = makeModel(PrototypeMode::Learnable);
        const Stage2Output out = learn->forward(h);
        const Stage2LossTerms t = stage2Loss(out, labels, Stage2LossWeights{});
        QVERIFY(std::abs(t.total.item<double>() - R("mixed_loss_total").item<double>()) < 1e-3);
        t.total.backward();
        QVERIFY(learn->prototypeManager()->prototypes().grad().abs().sum().item<double>() > 0);
    }
};

QTEST_GUILESS_MAIN(TestStage2Golden)
#include "TestStage2Golden.moc"
