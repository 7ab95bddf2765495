// ctest-labels: fast
// Localisation and detection metrics against hand-computed cases (docs/metrics.md):
// perfect, inverted, constant, ties, no spoof frames, all spoof frames, a single frame;
// and the metrics of the field (frame F1, range-based EER, 10 ms segment labels,
// RCQ, ROAD's imputation, Spearman) on worked examples written out in docs/metrics.md, and
// a record of the first utterances.jsonl format getting them in the summary.
#include "core/Error.h"
#include "core/explain/Attribution.h"
#include "core/explain/Evaluation.h"
#include "core/explain/Metrics.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace spooflens::core;

namespace {

using Bytes = std::vector<uint8_t>;
using Floats = std::vector<float>;

std::vector<double> d(const Floats& f) { return std::vector<double>(f.begin(), f.end()); }

// Inputs are float attributions: compare to float precision.
bool near(double a, double b) { return std::fabs(a - b) < 1e-6; }

#define QNEAR(a, b) QVERIFY2(near(double(a), double(b)), qPrintable(QStringLiteral("%1 = %2, expected %3").arg(#a).arg(double(a), 0, 'g', 12).arg(double(b), 0, 'g', 12)))
#define QNAN(a) QVERIFY2(std::isnan(double(a)), qPrintable(QStringLiteral("%1 = %2, expected NaN").arg(#a).arg(double(a))))

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

    // Checks every per-utterance metric of one case. NaN expected values mean "undefined".
    void checkCase(const Floats& a, const Bytes& y, double auc, double eer, double ap, double pg, double rma, double iou)
    {
        auto check = [](double got, double want, const char* what) {
            if (std::isnan(want))
                QVERIFY2(std::isnan(got), qPrintable(QStringLiteral("%1 = %2, expected NaN").arg(what).arg(got)));
            else
                QVERIFY2(near(got, want), qPrintable(QStringLiteral("%1 = %2, expected %3").arg(what).arg(got, 0, 'g', 12).arg(want, 0, 'g', 12)));
        };
        check(rocAuc(d(a), y), auc, "auc");
        check(equalErrorRate(d(a), y), eer, "eer");
        check(averagePrecision(d(a), y), ap, "ap");
        check(pointingGame(a, y), pg, "pointing game");
        check(relevanceMass(a, y), rma, "relevance mass");
        check(iouTopK(a, y), iou, "iou top-k");
    }

private slots:
    void perfect() { checkCase({0.1f, 0.9f, 0.8f, 0.2f}, {0, 1, 1, 0}, 1, 0, 1, 1, (0.9 + 0.8) / 2.0, 1); }

    void inverted()
    {
        // AP: ranks 0.9 (bona), 0.8 (bona), 0.2 (spoof: P 1/3, R 1/2), 0.1 (spoof: P 1/2, R 1) -> 1/6 + 1/4.
        checkCase({0.9f, 0.1f, 0.2f, 0.8f}, {0, 1, 1, 0}, 0, 1, 5.0 / 12, 0, (0.1 + 0.2) / 2.0, 0);
    }

    void constant()
    {
        // One threshold group: AUC 1/2; EER: |miss - fa| = 1 at both thresholds -> (0 + 1) / 2;
        // AP = precision 2/4; arg-max = frame 0 (bona fide); top-2 = {0, 1} -> IoU 1/3.
        checkCase({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 1, 0}, 0.5, 0.5, 0.5, 0, 0.5, 1.0 / 3);
    }

    void ties()
    {
        // Spoof {0.7, 0.7} vs bona fide {0.3, 0.7, 0.1}: each spoof frame wins 2 pairs and ties 1 -> 5/6.
        // EER: at tau = 0.7, P_miss = 0 and P_fa = 1/3 (closest) -> 1/6. AP: one group at 0.7 with P = 2/3, R = 1.
        // Arg-max: first 0.7 is frame 1 (spoof). Mass: 1.4 / 2.5. Top-2 = {1, 2} (ties: lower index) -> 1/3.
        checkCase({0.3f, 0.7f, 0.7f, 0.1f, 0.7f}, {0, 1, 0, 0, 1}, 5.0 / 6, 1.0 / 6, 2.0 / 3, 1, 1.4 / 2.5, 1.0 / 3);
    }

    void noSpoofFrames()
    {
        const double n = kNaN;
        checkCase({0.3f, 0.7f, 0.1f}, {0, 0, 0}, n, n, n, n, n, n);
        const LocalisationMetrics m = localisationMetrics({0.3f, 0.7f, 0.1f}, {0, 0, 0});
        QNAN(m.frameAuc);
        QNAN(m.ap);
        QNAN(m.pointingGame);
    }

    void allSpoofFrames()
    {
        const double n = kNaN;
        checkCase({0.3f, 0.7f, 0.1f}, {1, 1, 1}, n, n, 1, 1, 1, 1);
        // evaluate reports localisation only for utterances with both kinds of frames.
        const LocalisationMetrics m = localisationMetrics({0.3f, 0.7f, 0.1f}, {1, 1, 1});
        for (double v : {m.frameAuc, m.frameEer, m.ap, m.pointingGame, m.relevanceMass, m.iouTopK})
            QNAN(v);
    }

    void singleFrame()
    {
        const double n = kNaN;
        checkCase({0.4f}, {1}, n, n, 1, 1, 1, 1);
        checkCase({0.4f}, {0}, n, n, n, n, n, n);
        checkCase({}, {}, n, n, n, n, n, n);
    }

    void relevanceMassSigns()
    {
        // Only positive attribution counts: (0 + 1) / (2 + 1).
        QNEAR(relevanceMass({-1.0f, 2.0f, 1.0f}, {1, 0, 1}), 1.0 / 3);
        QNAN(relevanceMass({-1.0f, -2.0f, 0.0f}, {1, 0, 1}));
    }

    void localisationBundle()
    {
        const LocalisationMetrics m = localisationMetrics({0.3f, 0.7f, 0.7f, 0.1f, 0.7f}, {0, 1, 0, 0, 1});
        QNEAR(m.frameAuc, 5.0 / 6);
        QNEAR(m.frameEer, 1.0 / 6);
        QNEAR(m.ap, 2.0 / 3);
        QNEAR(m.pointingGame, 1);
        QNEAR(m.iouTopK, 1.0 / 3);
        bool threw = false;
        try {
            localisationMetrics({0.1f, 0.2f}, {0, 1, 1});
        } catch (const ConfigError& e) {
            threw = std::string(e.what()).find("2 values but 3 labels") != std::string::npos;
        }
        QVERIFY(threw);
    }

    void rocCurvePoints()
    {
        const auto r = rocCurve({0.1, 0.9, 0.8, 0.2}, {0, 1, 1, 0});
        QCOMPARE(r.size(), size_t(5));
        const double want[5][2] = {{0, 0}, {0, 0.5}, {0, 1}, {0.5, 1}, {1, 1}};
        for (size_t i = 0; i < 5; ++i) {
            QNEAR(r[i].fpr, want[i][0]);
            QNEAR(r[i].tpr, want[i][1]);
        }
        QVERIFY(rocCurve({0.1, 0.2}, {1, 1}).empty());
    }

    void segmentPooling()
    {
        std::vector<double> s;
        Bytes l;
        poolSegments({0.1f, 0.5f, 0.2f, 0.9f, 0.3f}, {0, 0, 1, 0, 0}, 2, s, l);
        QCOMPARE(s.size(), size_t(3));
        QNEAR(s[0], 0.5);
        QNEAR(s[1], 0.9);
        QNEAR(s[2], 0.3);
        QCOMPARE(l, (Bytes{0, 1, 0}));
        // Appends (the set is pooled over utterances), one frame per segment = frames.
        poolSegments({0.4f}, {1}, 1, s, l);
        QCOMPARE(s.size(), size_t(4));
        QCOMPARE(l.back(), uint8_t(1));
        QCOMPARE(segmentResolutionsMs(), (std::vector<int>{20, 40, 80, 160, 320, 640}));
    }

    void segmentPoolingOnAnyGrid()
    {
        // XLS-R's grid: the same segments as pooling g frames at a time.
        std::vector<float> a;
        std::vector<uint8_t> y;
        for (int t = 0; t < 37; ++t) {
            a.push_back(float((t * 7) % 11) - 3.0f);
            y.push_back(t % 9 < 3 ? 1 : 0);
        }
        for (int g : {1, 2, 4, 8, 16, 32}) {
            std::vector<double> s1, s2;
            std::vector<uint8_t> l1, l2;
            poolSegments(a, y, g, s1, l1);
            poolSegmentsOnGrid(a, y, FrameGrid::xlsr(), int64_t(g) * 320, s2, l2);
            QCOMPARE(s2, s1);
            QCOMPARE(l2, l1);
        }
        // AASIST's grid (hop 2187): a 20 ms (320-sample) segment takes the frame that holds it;
        // a 640 ms (10 240-sample) segment pools the frames whose hop cells meet it.
        const std::vector<float> v{0.1f, 0.9f, 0.3f, 0.2f, 0.8f, 0.5f};
        const std::vector<uint8_t> l{0, 1, 0, 0, 0, 1};
        std::vector<double> s;
        std::vector<uint8_t> lab;
        poolSegmentsOnGrid(v, l, FrameGrid::aasist(), 320, s, lab);
        QCOMPARE(int64_t(s.size()), (6 * 2187 + 319) / 320);  // 41 segments over 13 122 samples
        QCOMPARE(s[0], double(0.1f));        // samples [0, 320): frame 0
        QCOMPARE(int(lab[0]), 0);
        QCOMPARE(s[6], double(0.9f));        // [1920, 2240): frames 0 and 1 (2187 starts frame 1)
        QCOMPARE(int(lab[6]), 1);
        QCOMPARE(s[7], double(0.9f));        // [2240, 2560): frame 1 alone
        s.clear();
        lab.clear();
        poolSegmentsOnGrid(v, l, FrameGrid::aasist(), 10240, s, lab);
        QCOMPARE(s.size(), size_t(2));       // [0, 10240), [10240, 13122)
        QCOMPARE(s[0], double(0.9f));        // frames 0..4
        QCOMPARE(int(lab[0]), 1);
        QCOMPARE(s[1], double(0.8f));        // frames 4..5
        QCOMPARE(int(lab[1]), 1);
    }

    void frameDecisions()
    {
        // Min-max normalised = a itself (min 0, max 1); decided: 1.0 and 0.6 (>= 0.5).
        // TP 2, FP 0, FN 1 (the 0.4 frame) -> P 1, R 2/3, F1 4/5.
        FrameDecisionMetrics m = frameDecisionMetrics({0.0f, 1.0f, 0.6f, 0.4f, 0.2f}, {0, 1, 1, 1, 0});
        QNEAR(m.precision, 1);
        QNEAR(m.recall, 2.0 / 3);
        QNEAR(m.f1, 0.8);
        // (a - 2) / 4 = 0, 0.5, 0.25, 1: the value at the threshold counts as decided.
        m = frameDecisionMetrics({2, 4, 3, 6}, {0, 1, 0, 1});
        QNEAR(m.precision, 1);
        QNEAR(m.recall, 1);
        QNEAR(m.f1, 1);
        // Inverted: TP 0, FP 2, FN 2.
        m = frameDecisionMetrics({1, 0, 0, 1}, {0, 1, 1, 0});
        QNEAR(m.precision, 0);
        QNEAR(m.recall, 0);
        QNEAR(m.f1, 0);
        // A constant map decides nothing: undefined.
        m = frameDecisionMetrics({0.3f, 0.3f}, {0, 1});
        QNAN(m.f1);
        QNAN(m.precision);
        // In the localisation bundle, only with both kinds of frames.
        const LocalisationMetrics l = localisationMetrics({0.0f, 1.0f, 0.6f, 0.4f, 0.2f}, {0, 1, 1, 1, 0});
        QNEAR(l.frameF1, 0.8);
        QNEAR(l.framePrecision, 1);
        QNEAR(l.frameRecall, 2.0 / 3);
        QNAN(localisationMetrics({0.0f, 1.0f}, {1, 1}).frameF1);
    }

    void segmentLabelsAtTenMs()
    {
        // 800 samples = 5 segments of 160; spoof [0.013, 0.037) s -> segments round(1.3) = 1 .. round(3.7) = 4.
        QCOMPARE(segmentLabelsFromTime({{0.013, 0.037}}, 800, 160), (Bytes{0, 1, 1, 1, 0}));
        QCOMPARE(segmentLabelsFromTime({}, 801, 160).size(), size_t(6));  // ceil
    }

    void rangeEer()
    {
        // XLS-R grid, 1600 samples = 0.1 s: 4 frames, cells [0, .02) .. [.06, .08); [.08, .1) is in no cell.
        // Spoof [0.03, 0.09): 0.06 s spoof, 0.04 s bona fide. Per cell (spoof, bona fide):
        // c0 (0, .02), c1 (.01, .01), c2 (.02, 0), c3 (.02, 0); outside the cells (.01, .01).
        // a = 0.1 0.8 0.6 0.2. tau = 0.1: FNR 1/6, FPR 3/4; tau = 0.2: FNR 1/6, FPR 1/4 (|diff| 1/12, least);
        // tau = 0.6: 1/2, 1/4; tau = 0.8: 5/6, 1/4; +inf: 1, 0. EER = (1/6 + 1/4) / 2 = 5/24.
        RangeEer r;
        r.add({0.1f, 0.8f, 0.6f, 0.2f}, FrameGrid::xlsr(), 1600, {{0.03, 0.09}});
        QNEAR(r.eer(), 5.0 / 24);
        // Pooled with a bona fide utterance of 0.1 s, a = 0.1 0.5 0.15 0.3 (0.02 s of bona fide time per cell,
        // 0.02 s outside the cells): bona fide time 0.14 s. At tau = 0.3 (least |FNR - FPR|) the marked time is
        // u1's c1 (0.01 s bona fide, 0.01 s spoof) and c2, u2's 0.5 and 0.3 cells: FNR = 0.03 / 0.06 = 1/2,
        // FPR = (0.01 + 0.02 + 0.02) / 0.14 = 5/14 -> EER = (1/2 + 5/14) / 2 = 3/7.
        r.add({0.1f, 0.5f, 0.15f, 0.3f}, FrameGrid::xlsr(), 1600, {});
        QNEAR(r.eer(), 3.0 / 7);
        RangeEer bonaOnly;
        bonaOnly.add({0.1f, 0.2f}, FrameGrid::xlsr(), 1600, {});
        QNAN(bonaOnly.eer());  // no spoof time
        RangeEer allSpoof;
        allSpoof.add({0.1f, 0.2f}, FrameGrid::xlsr(), 1600, {{0.0, 0.1}});
        QNAN(allSpoof.eer());  // no bona fide time
    }

    void rcqRegions()
    {
        // XLS-R grid, 3600 samples (0.225 s): 11 frames centred at 0.0125 + 0.02 t. Spoof [0.1, 0.225):
        // one splice boundary at 0.1 s (the end is the utterance's end). Transition: centres within
        // 50 ms of 0.1 -> t = 2..6; spoof frames (more than half the window after 1600 samples): t >= 5;
        // so bona fide t = 0, 1; spoof t = 7..10. a is already in [0, 1].
        const Floats a = {0, 0.2f, 0.4f, 1.0f, 0.8f, 0.6f, 0.4f, 0.2f, 0.2f, 0.2f, 0.2f};
        const Bytes y = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
        Rcq r;
        r.add(a, y, FrameGrid::xlsr(), 3600, {{0.1, 0.225}});
        QCOMPARE(r.frames(RcqRegion::Bonafide), int64_t(2));
        QCOMPARE(r.frames(RcqRegion::Transition), int64_t(5));
        QCOMPARE(r.frames(RcqRegion::Spoof), int64_t(4));
        // Means: bona fide 0.1, transition 3.2 / 5 = 0.64, spoof 0.2; all 4.2 / 11.
        const double all = 4.2 / 11;
        QVERIFY(std::fabs(r.rcq(RcqRegion::Bonafide) - (0.1 - all) / all * 100) < 1e-4);
        QVERIFY(std::fabs(r.rcq(RcqRegion::Transition) - (0.64 - all) / all * 100) < 1e-4);
        QVERIFY(std::fabs(r.rcq(RcqRegion::Spoof) - (0.2 - all) / all * 100) < 1e-4);
        QVERIFY(std::fabs(r.rcq(RcqRegion::Transition) - 67.6190476) < 1e-4);
        // The scale does not matter (min-max normalised per utterance).
        Floats scaled;
        for (float v : a)
            scaled.push_back(3 * v - 7);
        Rcq r2;
        r2.add(scaled, y, FrameGrid::xlsr(), 3600, {{0.1, 0.225}});
        QVERIFY(std::fabs(r2.rcq(RcqRegion::Transition) - r.rcq(RcqRegion::Transition)) < 1e-3);
        // No splice boundary (bona fide, or spoof from start to end): nothing added.
        Rcq none;
        none.add(a, Bytes(11, 0), FrameGrid::xlsr(), 3600, {});
        none.add(a, Bytes(11, 1), FrameGrid::xlsr(), 3600, {{0.0, 0.225}});
        QCOMPARE(none.frames(RcqRegion::Bonafide) + none.frames(RcqRegion::Spoof), int64_t(0));
        QNAN(none.rcq(RcqRegion::Transition));
    }

    void roadImputation()
    {
        // Removed {0, 2, 3, 5} of 6: frame 0 takes frame 1 (one neighbour), 2 and 3 lie on the line
        // from frame 1 to frame 4 (weights 1/3, 2/3), frame 5 takes frame 4.
        const auto s = linearImputation({1, 0, 1, 1, 0, 1});
        QCOMPARE(s[0].left, int64_t(1));
        QCOMPARE(s[0].right, int64_t(1));
        QCOMPARE(s[2].left, int64_t(1));
        QCOMPARE(s[2].right, int64_t(4));
        QNEAR(s[2].weight, 1.0 / 3);
        QNEAR(s[3].weight, 2.0 / 3);
        QCOMPARE(s[5].left, int64_t(4));
        QCOMPARE(s[1].left, int64_t(-1));  // kept
        // It solves ROAD's system: each removed value is the mean of its neighbours inside [0, T).
        const std::vector<uint8_t> removed = {1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1};
        std::vector<double> x = {0, 0, 2.5, 0, 0, 0, -1, 4, 0, 3, 0, 0};
        const auto src = linearImputation(removed);
        for (size_t t = 0; t < x.size(); ++t)
            if (removed[t])
                x[t] = (1 - src[t].weight) * x[size_t(src[t].left)] + src[t].weight * x[size_t(src[t].right)];
        for (size_t t = 0; t < x.size(); ++t) {
            if (!removed[t])
                continue;
            double sum = 0, n = 0;
            for (int d : {-1, 1})
                if (int64_t(t) + d >= 0 && int64_t(t) + d < int64_t(x.size())) {
                    sum += x[size_t(int64_t(t) + d)];
                    ++n;
                }
            QNEAR(x[t], sum / n);
        }
        bool threw = false;
        try {
            linearImputation({1, 1});
        } catch (const ConfigError&) {
            threw = true;
        }
        QVERIFY(threw);
        QCOMPARE(roadFractions().size(), size_t(10));
        QNEAR(roadFractions().back(), 0.9);
    }

    // A NaN score (an explainer that failed numerically) made the tie loops
    // spin forever on Debian 13 (issue 24): the metrics are NaN instead.
    void nanScoresGiveNaNNotAHang()
    {
        const double nan = std::nan("");
        const std::vector<double> s{0.3, nan, 0.9, 0.1};
        const Bytes y{0, 1, 1, 0};
        QVERIFY(std::isnan(spooflens::core::rocAuc(s, y)));
        QVERIFY(std::isnan(spooflens::core::averagePrecision(s, y)));
        QVERIFY(std::isnan(spooflens::core::equalErrorRate(s, y)));
        QVERIFY(spooflens::core::rocCurve(s, y).empty());
        QVERIFY(std::isnan(spooflens::core::minDcf({0.5, nan}, {0.1, 0.2}, spooflens::core::DcfParameters{})));
        const Floats a{0.3f, std::nanf(""), 0.9f, 0.1f};
        QVERIFY(std::isnan(spooflens::core::spearman(a, {1, 2, 3, 4})));
        QVERIFY(std::isnan(spooflens::core::localisationMetrics(a, y).frameAuc));
        QVERIFY(std::isnan(spooflens::core::localisationMetrics(a, y).ap));
    }

    void spearmanRanks()
    {
        // Ranks 1 2 3 4 vs 1 3 2 4: 1 - 6 x 2 / (4 x 15) = 0.8.
        QNEAR(spearman({1, 2, 3, 4}, {1, 3, 2, 4}), 0.8);
        // Ties take the mean rank: (1, 2.5, 2.5, 4) vs (1, 2, 3, 4) -> 4.5 / sqrt(4.5 x 5).
        QNEAR(spearman({1, 2, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(22.5));
        QNEAR(spearman({1, 2, 3}, {30, 20, 10}), -1);
        QNEAR(spearman({1, 2, 3}, {1, 4, 9}), 1);   // monotone, not linear
        QNAN(spearman({1, 1, 1}, {1, 2, 3}));        // constant
        QNAN(spearman({1, 2}, {1, 2, 3}));
    }

    // A record of the first utterances.jsonl format (no samples, no spoof_seconds, none of the new
    // keys) still reads, and the summary computes the new label metrics from its values: the RCQ
    // example above, its reference rebuilt from the spoof frames (5..10, to the end of 3600 samples).
    void olderRecordsGetTheNewMetrics()
    {
        const std::string line =
            R"({"utterance":"u","path":"u.wav","label":"spoof","score":0.1,"logits":[0.2,0.1],"frames":11,)"
            R"("spoof_frames":[[5,11]],"tracks":[{"method":"random","source":"detector","deletion_auc":0.5,)"
            R"("insertion_auc":0.5,"frame_auc":null,"frame_eer":null,"ap":null,"pointing_game":null,)"
            R"("relevance_mass":null,"iou_topk":null,"deletion":[],"insertion":[],)"
            R"("values":[0,0.2,0.4,1,0.8,0.6,0.4,0.2,0.2,0.2,0.2]}]})";
        const EvalRecord r = evalRecordFromJson(line, "old.jsonl:1");
        QVERIFY(!r.hasSpoofSeconds);
        QCOMPARE(referenceSamples(r), int64_t(3600));
        const auto ref = referenceSpoofSeconds(r);
        QCOMPARE(ref.size(), size_t(1));
        QNEAR(ref[0].first, 0.1);
        QNEAR(ref[0].second, 0.225);
        QVERIFY(std::isnan(r.tracks[0].rcq[2]));
        QTemporaryDir dir;
        const std::string text = writeEvalSummary({r}, dir.path().toStdString(), EvalSummaryOptions{});
        const QJsonObject t = QJsonDocument::fromJson(QByteArray::fromStdString(text)).object()["tracks"].toArray()[0].toObject();
        const double all = 4.2 / 11;
        QVERIFY(std::fabs(t["rcq"].toObject()["transition"].toDouble() - (0.64 - all) / all * 100) < 1e-3);
        QVERIFY(std::fabs(t["metrics"].toObject()["rcq_transition"].toObject()["mean"].toDouble() - (0.64 - all) / all * 100) < 1e-3);
        QVERIFY(t["range_eer"].isDouble());
        QVERIFY(t["metrics"].toObject()["frame_f1"].toObject()["mean"].isDouble());
        QVERIFY(t["road"].toObject()["mean_morf"].isNull());
        QVERIFY(t["randomisation"].isNull());
    }

    void detectorEerAndMinDcf()
    {
        // Bona fide {2, 1}, spoof {0, 1.5}. Thresholds 0, 1, 1.5, 2, +inf give
        // (P_miss, P_fa) = (0,1) (0,1/2) (1/2,1/2) (1/2,0) (1,0).
        QNEAR(equalErrorRate(std::vector<double>{2, 1}, std::vector<double>{0, 1.5}), 0.5);
        // Costs 0.5, 0.25, 0.725, 0.475, 0.95; normalised by min(0.95, 0.5).
        QNEAR(minDcf({2, 1}, {0, 1.5}), 0.25 / 0.5);
        QNEAR(minDcf({2, 3}, {0, 1}), 0);                 // perfect
        QNEAR(minDcf({0, 1}, {2, 3}), 1);                 // inverted: no better than accepting everything
        QNEAR(minDcf({1, 1}, {1, 1}), 1);                 // constant
        QNEAR(equalErrorRate(std::vector<double>{2, 3}, std::vector<double>{0, 1}), 0);
        QNEAR(equalErrorRate(std::vector<double>{0, 1}, std::vector<double>{2, 3}), 1);
        QNAN(minDcf({}, {1}));
        // Other parameters: C_fa = 1, π = 0.5 -> cost = (P_miss + P_fa) / 2, normaliser 0.5.
        DcfParameters p;
        p.cFa = 1;
        p.pSpoof = 0.5;
        QNEAR(minDcf({2, 1}, {0, 1.5}, p), 0.25 / 0.5);
    }

    void bootstrap()
    {
        const MeanCi a = bootstrapMean({0, 1, kNaN}, 7);
        QCOMPARE(a.n, int64_t(2));
        QNEAR(a.mean, 0.5);
        // Resampled means of two values are 0, 1/2 or 1 (probabilities 1/4, 1/2, 1/4).
        QNEAR(a.low, 0);
        QNEAR(a.high, 1);
        const MeanCi b = bootstrapMean({0, 1, kNaN}, 7);
        QCOMPARE(b.low, a.low);
        const MeanCi c = bootstrapMean({0.25, 0.5, 0.75, 1.0, 0.0, 0.6}, 3);
        QVERIFY(c.low < c.mean && c.mean < c.high);
        QVERIFY(c.low >= 0 && c.high <= 1);
        const MeanCi c2 = bootstrapMean({0.25, 0.5, 0.75, 1.0, 0.0, 0.6}, 3);
        QCOMPARE(c2.low, c.low);
        QCOMPARE(c2.high, c.high);
        const MeanCi one = bootstrapMean({0.3});
        QNEAR(one.low, 0.3);
        QNEAR(one.high, 0.3);
        const MeanCi none = bootstrapMean({kNaN});
        QCOMPARE(none.n, int64_t(0));
        QNAN(none.mean);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "TestMetrics.moc"
