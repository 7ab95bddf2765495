#include "tests/support/SyntheticFrames.h"

#include "core/Error.h"
#include "core/explain/Metrics.h"
#include "core/stage2/Stage2Loss.h"
#include "core/stage2/Stage2Model.h"
#include "core/training/Stage2Recipe.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

namespace spooflens::core {

namespace {

struct SyntheticSet {
    torch::Tensor h;        // (N, T, D)
    torch::Tensor labels;   // (N) bona fide = 1, spoof = 0
    torch::Tensor spoofed;  // (N, T) bool
};

// Bona fide frames: mu + n, n ~ N(0, I). Spoofed frames: the same plus
// `separation` along a fixed unit direction. Each spoof utterance has one
// spoofed segment at a random place; the rest of it is bona fide-like. With
// utteranceOffset, each utterance is then shifted as a whole (speaker, channel).
SyntheticSet makeSet(const SyntheticFramesOptions& o, int64_t count, const torch::Tensor& mu,
                     const torch::Tensor& direction, torch::Generator& gen)
{
    SyntheticSet s;
    s.h = torch::randn({count, o.frames, o.dim}, gen) + mu;
    s.labels = torch::empty({count}, torch::kLong);
    s.spoofed = torch::zeros({count, o.frames}, torch::kBool);
    const int64_t len = std::max<int64_t>(1, int64_t(std::llround(o.spoofFraction * double(o.frames))));
    for (int64_t i = 0; i < count; ++i) {
        const bool spoof = i % 2 == 0;
        s.labels[i] = spoof ? 0 : 1;
        if (!spoof)
            continue;
        const int64_t start = torch::randint(0, o.frames - len + 1, {1}, gen).item<int64_t>();
        s.spoofed[i].slice(0, start, start + len).fill_(true);
        s.h[i].slice(0, start, start + len) += o.separation * direction;
    }
    if (o.utteranceOffset > 0)
        s.h += o.utteranceOffset * torch::randn({count, 1, o.dim}, gen);
    return s;
}

} // namespace

SyntheticFramesResult trainOnSyntheticFrames(const SyntheticFramesOptions& o)
{
    if (o.dim < 2 || o.frames < 2 || o.trainUtterances < 2 || o.testUtterances < 2)
        throw ConfigError("synthetic frames: dim, frames and utterance counts must be >= 2");
    const TrainConfig& c = o.config;
    c.validate();
    torch::NoGradGuard outer;  // re-enabled around the training steps below
    torch::manual_seed(c.seed);
    torch::Generator gen = at::detail::createCPUGenerator(c.seed);

    const torch::Tensor mu = torch::randn({o.dim}, gen);
    torch::Tensor direction = torch::randn({o.dim}, gen);
    direction = direction / direction.norm();
    const SyntheticSet train = makeSet(o, o.trainUtterances, mu, direction, gen);
    const SyntheticSet test = makeSet(o, o.testUtterances, mu, direction, gen);

    const Stage2Options so = stage2Options(c, o.dim);
    Stage2Model model(so);
    if (so.mode == PrototypeMode::Fixed) {
        const torch::Tensor seen = model->features(train.h);
        torch::Tensor means = torch::stack({seen.index({train.labels.eq(0)}).reshape({-1, o.dim}).mean(0),
                                            seen.index({train.labels.eq(1)}).reshape({-1, o.dim}).mean(0)});
        model->prototypeManager()->setFromMeans(means);
    }
    torch::optim::AdamW optimizer(
        model->parameters(),
        torch::optim::AdamWOptions(c.learningRate).weight_decay(c.weightDecay).betas({0.9, 0.999}).eps(1e-8));
    const Stage2LossWeights lw{c.temperature,       c.lambdaBonafideReg,          c.lambdaTemporalSmooth,
                               c.lambdaSparsity,    parseStage2Objective(c.objective), c.lambdaPrior,
                               c.importancePriorBonafide, c.importanceBudgetSpoof};

    SyntheticFramesResult r;
    const int64_t n = o.trainUtterances;
    for (int64_t epoch = 0; epoch < c.numEpochs; ++epoch) {
        model->train();
        const torch::Tensor order = torch::randperm(n, gen);
        double sum = 0;
        for (int64_t b = 0; b < n; b += c.batchSize) {
            const torch::Tensor idx = order.slice(0, b, std::min(n, b + c.batchSize));
            const torch::Tensor h = train.h.index_select(0, idx);
            const torch::Tensor y = train.labels.index_select(0, idx);
            torch::AutoGradMode grad(true);
            const Stage2LossTerms t = stage2Loss(model->forward(h), y, lw);
            optimizer.zero_grad();
            t.total.backward();
            optimizer.step();
            model->prototypeManager()->emaUpdate(model->features(h), y);
            sum += t.total.item<double>() * double(idx.size(0));
        }
        (epoch == 0 ? r.firstLoss : r.lastLoss) = sum / double(n);
        if (c.numEpochs == 1)
            r.lastLoss = r.firstLoss;
    }

    model->eval();
    const torch::Tensor w = model->forward(test.h).importance.to(torch::kDouble).contiguous();
    const torch::Tensor spoofed = test.spoofed.contiguous();
    std::vector<double> all, within;
    std::vector<uint8_t> allPos, withinPos;
    double sSpoofed = 0, nSpoofed = 0, sOther = 0, nOther = 0, sBona = 0, nBona = 0;
    const double* wp = w.data_ptr<double>();
    const bool* sp = spoofed.data_ptr<bool>();
    for (int64_t i = 0; i < o.testUtterances; ++i) {
        const bool spoofUtt = test.labels[i].item<int64_t>() == 0;
        for (int64_t t = 0; t < o.frames; ++t) {
            const double v = wp[i * o.frames + t];
            const bool pos = sp[i * o.frames + t];
            all.push_back(v);
            allPos.push_back(pos);
            if (spoofUtt) {
                within.push_back(v);
                withinPos.push_back(pos);
                (pos ? sSpoofed : sOther) += v;
                (pos ? nSpoofed : nOther) += 1;
            } else {
                sBona += v;
                nBona += 1;
            }
        }
    }
    r.frameAuc = rocAuc(all, allPos);
    r.frameAucWithinSpoof = rocAuc(within, withinPos);
    r.meanWSpoofedFrames = nSpoofed > 0 ? sSpoofed / nSpoofed : 0;
    r.meanWOtherSpoofFrames = nOther > 0 ? sOther / nOther : 0;
    r.meanWBonafide = nBona > 0 ? sBona / nBona : 0;
    r.importanceMean = w.mean().item<double>();
    r.importanceSpread = w.std(1, /*unbiased=*/false).mean().item<double>();
    r.health = importanceHealth(r.importanceMean, r.importanceSpread,
                                {c.collapseMeanThreshold, c.collapseSpreadThreshold, c.collapseSaturationThreshold});
    return r;
}

} // namespace spooflens::core
