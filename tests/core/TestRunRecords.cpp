// ctest-labels: fast
// The run folder's records (core/training/RunRecords.h): metrics.jsonl and
// steps.jsonl lines written and read by the same functions (round trip, torn
// and garbage lines rejected), the log trim and repair used on resume, the
// validation statistics, the progress report's JSON line, and the resume
// state of the random generators (the CPU path; CUDA only where present).
#include "core/checkpoint/Checkpoint.h"
#include "core/training/RunRecords.h"
#include "core/training/TrainerState.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <fstream>
#include <random>

namespace core = spooflens::core;

namespace {

core::EpochMetrics sampleEpoch(int64_t epoch, std::mt19937_64& rng)
{
    std::uniform_real_distribution<double> u(0.0, 2.0);
    core::EpochMetrics m;
    m.epoch = epoch;
    m.train = {u(rng), u(rng), u(rng), u(rng), u(rng)};
    m.val = {u(rng), u(rng), u(rng), u(rng), u(rng)};
    m.valAccuracy = u(rng) / 2;
    m.meanTotalImportanceBonafide = 100 * u(rng);
    m.meanTotalImportanceSpoof = 100 * u(rng);
    m.importanceMean = u(rng) / 2;
    m.importanceSpread = u(rng) / 4;
    m.collapseMean = true;
    m.saturated = true;
    m.collapsed = true;
    m.meanThreshold = 1e-3;
    m.spreadThreshold = 2e-3;
    m.saturationThreshold = 0.99;
    m.learningRate = 1e-4;
    m.seconds = 10 * u(rng);
    m.best = true;
    m.bestEpoch = epoch;
    m.bestValLoss = m.val.total;
    m.badEpochs = 3;
    m.prototypeMode = "learnable";
    m.objective = "attention_mil";
    return m;
}

void compareTerms(const core::LossTerms& a, const core::LossTerms& b)
{
    QCOMPARE(a.total, b.total);
    QCOMPARE(a.contrastive, b.contrastive);
    QCOMPARE(a.bonafideReg, b.bonafideReg);
    QCOMPARE(a.smooth, b.smooth);
    QCOMPARE(a.sparsity, b.sparsity);
}

std::vector<std::string> readLines(const std::string& path)
{
    std::ifstream in(path);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l))
        lines.push_back(l);
    return lines;
}

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

} // namespace

class TestRunRecords : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void epochRoundTrip()
    {
        std::mt19937_64 rng(7);
        const core::EpochMetrics m = sampleEpoch(4, rng);
        const std::string line = core::epochMetricsJson(m);
        core::EpochMetrics r;
        QVERIFY(core::parseEpochMetrics(line, r));
        QCOMPARE(r.epoch, m.epoch);
        compareTerms(r.train, m.train);
        compareTerms(r.val, m.val);
        QCOMPARE(r.valAccuracy, m.valAccuracy);
        QCOMPARE(r.meanTotalImportanceBonafide, m.meanTotalImportanceBonafide);
        QCOMPARE(r.meanTotalImportanceSpoof, m.meanTotalImportanceSpoof);
        QCOMPARE(r.importanceMean, m.importanceMean);
        QCOMPARE(r.importanceSpread, m.importanceSpread);
        QCOMPARE(r.collapseMean, m.collapseMean);
        QCOMPARE(r.collapseSpread, m.collapseSpread);
        QCOMPARE(r.saturated, m.saturated);
        QCOMPARE(r.collapsed, m.collapsed);
        QCOMPARE(r.meanThreshold, m.meanThreshold);
        QCOMPARE(r.spreadThreshold, m.spreadThreshold);
        QCOMPARE(r.saturationThreshold, m.saturationThreshold);
        QCOMPARE(r.learningRate, m.learningRate);
        QCOMPARE(r.seconds, m.seconds);
        QCOMPARE(r.best, m.best);
        QCOMPARE(r.bestEpoch, m.bestEpoch);
        QCOMPARE(r.bestValLoss, m.bestValLoss);
        QCOMPARE(r.badEpochs, m.badEpochs);
        QCOMPARE(r.prototypeMode, m.prototypeMode);
        QCOMPARE(r.objective, m.objective);
        QCOMPARE(r.json, line);
        // Written again from the parsed record: the same line.
        QCOMPARE(core::epochMetricsJson(r), line);
    }

    void malformedLinesRejected()
    {
        std::mt19937_64 rng(8);
        const std::string line = core::epochMetricsJson(sampleEpoch(2, rng));
        core::EpochMetrics r;
        r.epoch = 99;
        QVERIFY(!core::parseEpochMetrics(line.substr(0, line.size() / 2), r));  // torn
        QVERIFY(!core::parseEpochMetrics("garbage", r));
        QVERIFY(!core::parseEpochMetrics("[1,2]", r));
        QVERIFY(!core::parseEpochMetrics("{}", r));  // no epoch
        QVERIFY(!core::parseEpochMetrics(R"({"epoch":"2"})", r));
        QVERIFY(!core::parseEpochMetrics(R"({"epoch":2,"importance_mean":"high"})", r));
        QVERIFY(!core::parseEpochMetrics(R"({"epoch":2,"collapse":{"saturated":1}})", r));
        QCOMPARE(r.epoch, int64_t(99));  // untouched
        // Absent keys read as their defaults.
        QVERIFY(core::parseEpochMetrics(R"({"epoch":2,"lr":0.5})", r));
        QCOMPARE(r.learningRate, 0.5);
        QCOMPARE(r.train.total, 0.0);

        core::StepMetrics s;
        s.step = 12;
        s.epoch = 2;
        s.batch = 3;
        s.batches = 5;
        s.loss = {0.5, 0.25, 0.125, 0.0625, 0.03125};
        s.seconds = 1.5;
        s.device = "cpu";
        s.featuresCached = 7;
        s.featuresComputed = 2;
        const std::string sl = core::stepMetricsJson(s);
        core::StepMetrics t;
        QVERIFY(core::parseStepMetrics(sl, t));
        // Every field: written again from the parsed record, the same line.
        QCOMPARE(core::stepMetricsJson(t), sl);
        QCOMPARE(t.featuresComputed, s.featuresComputed);
        QVERIFY(!core::parseStepMetrics(sl.substr(0, sl.size() - 3), t));
        QVERIFY(!core::parseStepMetrics(R"({"epoch":1})", t));  // no step
    }

    void trimAndRepair()
    {
        QTemporaryDir tmp;
        const std::string path = core::runFile(tmp.path().toStdString(), core::kMetricsFile);
        std::mt19937_64 rng(9);
        const std::string e1 = core::epochMetricsJson(sampleEpoch(1, rng));
        const std::string e2 = core::epochMetricsJson(sampleEpoch(2, rng));
        const std::string e3 = core::epochMetricsJson(sampleEpoch(3, rng));
        writeText(path, e1 + "\n\n" + e2 + "\n" + e3 + "\n" + e3.substr(0, 20));
        core::trimJsonl(path, 2);
        QCOMPARE(readLines(path), (std::vector<std::string>{e1, e2}));
        // Nothing to trim: the file is left as it is.
        core::trimJsonl(path, 5);
        QCOMPARE(readLines(path), (std::vector<std::string>{e1, e2}));
        QVERIFY(!core::appendEpochLineIfMissing(path, 2, e2));
        QVERIFY(core::appendEpochLineIfMissing(path, 3, e3));
        QCOMPARE(readLines(path), (std::vector<std::string>{e1, e2, e3}));
        core::trimJsonl(core::runFile(tmp.path().toStdString(), "absent.jsonl"), 1);  // no file: no error
        QVERIFY(!QFile::exists(tmp.filePath("absent.jsonl")));
    }

    void validationStatistics()
    {
        // Two batches; the expected values are computed here from the same
        // inputs by the definitions of docs/stage2.md (means over utterances / frames).
        std::mt19937_64 rng(10);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::vector<core::ValidationBatch> batches(2);
        double correct = 0, n = 0, bona = 0, nBona = 0, spoof = 0, nSpoof = 0, spread = 0, sumW = 0, frames = 0;
        for (auto& b : batches) {
            for (int k = 0; k < 3; ++k) {
                const int label = int(rng() % 2);
                const int64_t pred = int64_t(rng() % 2);
                const double total = 50 * u(rng), sd = u(rng) / 3;
                b.labels.push_back(label);
                b.predicted.push_back(pred);
                b.totalImportance.push_back(total);
                b.importanceSpread.push_back(sd);
                correct += pred == label;
                n += 1;
                (label == 1 ? bona : spoof) += total;
                (label == 1 ? nBona : nSpoof) += 1;
                spread += sd;
            }
            b.importanceSum = 100 * u(rng);
            b.frames = 300;
            sumW += b.importanceSum;
            frames += b.frames;
        }
        const core::ValidationStats s = core::validationStats(batches);
        QCOMPARE(s.utterances, n);
        QVERIFY(qFuzzyCompare(s.accuracy + 1, correct / n + 1));
        QVERIFY(qFuzzyCompare(s.meanTotalImportanceBonafide + 1, (nBona > 0 ? bona / nBona : 0.0) + 1));
        QVERIFY(qFuzzyCompare(s.meanTotalImportanceSpoof + 1, (nSpoof > 0 ? spoof / nSpoof : 0.0) + 1));
        QVERIFY(qFuzzyCompare(s.importanceMean, sumW / frames));
        QVERIFY(qFuzzyCompare(s.importanceSpread, spread / n));
        const core::ValidationStats empty = core::validationStats({});
        QCOMPARE(empty.utterances, 0.0);
        QCOMPARE(empty.importanceMean, 0.0);
        QCOMPARE(empty.accuracy, 0.0);
    }

    void progressJson()
    {
        core::TrainProgress p;
        p.phase = core::TrainProgress::Phase::Paused;
        p.epoch = 3;
        p.epochs = 9;
        p.batch = 4;
        p.batches = 11;
        p.step = 26;
        p.loss = 0.75;
        p.etaSeconds = 12.5;
        const std::string line = core::trainProgressJson(p);
        QVERIFY(line.find('\n') == std::string::npos);
        QVERIFY(line.find("\"progress\":\"paused\"") != std::string::npos);
        core::TrainProgress r;
        QVERIFY(core::parseTrainProgress(line, r));
        QCOMPARE(int(r.phase), int(p.phase));
        QCOMPARE(r.epoch, p.epoch);
        QCOMPARE(r.epochs, p.epochs);
        QCOMPARE(r.batch, p.batch);
        QCOMPARE(r.batches, p.batches);
        QCOMPARE(r.step, p.step);
        QCOMPARE(r.loss, p.loss);
        QCOMPARE(r.etaSeconds, p.etaSeconds);
        QVERIFY(!core::parseTrainProgress("paused at step 26", r));
        QVERIFY(!core::parseTrainProgress(R"({"progress":"dancing"})", r));
        QVERIFY(!core::parseTrainProgress(R"({"epoch":3})", r));
    }

    void rngStateRestored()
    {
        // The CPU path of the resume state (CUDA is saved beside it only where available).
        core::TrainerState s;
        std::mt19937_64 rng(11);
        torch::manual_seed(5);
        (void)torch::rand({3});
        core::saveRngState(s, rng);
        const uint64_t nextStd = rng();
        const torch::Tensor nextTorch = torch::rand({8});
        QCOMPARE(s.rngCuda.defined(), torch::cuda::is_available());
        // Through the checkpoint's value tree, as a resume reads it.
        const core::TrainerState back = core::trainerStateFromValue(core::trainerStateToValue(s), "test");
        QCOMPARE(back.rngCuda.defined(), s.rngCuda.defined());
        (void)torch::rand({100});
        std::mt19937_64 other(12345);
        core::restoreRng(back, other);
        QCOMPARE(other(), nextStd);
        QVERIFY(torch::equal(torch::rand({8}), nextTorch));
    }
};

QTEST_GUILESS_MAIN(TestRunRecords)
#include "TestRunRecords.moc"
