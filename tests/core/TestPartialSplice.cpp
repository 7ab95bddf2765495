// ctest-labels: fast
// The partial-spoof splicer and the set writer behind `spooflens make-partial`:
// deterministic by seed, segment lengths and placement within bounds,
// crossfades at the label boundaries, loudness matching, and files that the
// ground-truth readers read back to the same segments.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/PartialSplice.h"
#include "core/checkpoint/Npy.h"
#include "core/explain/GroundTruth.h"
#include "core/explain/PartialSet.h"
#include "core/training/Protocol.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace spooflens::core;

namespace {

std::vector<float> tone(int64_t n, double hz, double amp)
{
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        x[size_t(i)] = float(amp * std::sin(2 * 3.14159265358979 * hz * double(i) / 16000.0));
    return x;
}

} // namespace

class TestPartialSplice : public QObject {
    Q_OBJECT

private slots:
    void deterministicAndBounded()
    {
        const auto bona = tone(16000 * 4, 220, 0.3);
        const std::vector<std::vector<float>> spoof = {tone(16000 * 3, 700, 0.05), tone(16000 * 2, 900, 0.1)};
        PartialSpliceOptions o;
        o.seed = 99;
        int twoSegments = 0;
        for (uint64_t idx = 0; idx < 20; ++idx) {
            const SplicedUtterance a = splicePartial(bona, spoof, o, idx);
            const SplicedUtterance b = splicePartial(bona, spoof, o, idx);
            QCOMPARE(a.samples, b.samples);
            QCOMPARE(a.samples.size(), bona.size());
            QVERIFY(a.segments.size() >= 1 && a.segments.size() <= 2);
            twoSegments += a.segments.size() == 2 ? 1 : 0;
            int64_t prevEnd = 0;
            for (const SplicedSegment& s : a.segments) {
                const double len = s.endSeconds() - s.startSeconds();
                QVERIFY2(len >= 0.3 - 1e-9 && len <= 1.5 + 1e-9, qPrintable(QString::number(len)));
                QVERIFY(s.start >= prevEnd + 1600);   // 0.1 s margin before and between
                prevEnd = s.end;
                // Outside the crossfades the output is the loudness-matched spoof source.
                const auto& src = spoof[size_t(s.spoofIndex)];
                QVERIFY(std::fabs(s.gain - 0.3 / (s.spoofIndex == 0 ? 0.05 : 0.1)) < 0.02);
                for (int64_t t = s.start + 80; t < s.end - 80; t += 97)
                    QVERIFY(std::fabs(a.samples[size_t(t)] - float(s.gain) * src[size_t(s.sourceStart + (t - s.start))]) < 1e-5f);
                // At the boundary both signals weigh 1/2 (raised cosine centred on it).
                const float mid = 0.5f * bona[size_t(s.start)] + 0.5f * float(s.gain) * src[size_t(s.sourceStart)];
                QVERIFY(std::fabs(a.samples[size_t(s.start)] - mid) < 0.02f);
            }
            QVERIFY(prevEnd <= int64_t(bona.size()) - 1600);
            // Untouched bona fide audio away from the segments.
            QCOMPARE(a.samples[0], bona[0]);
        }
        QVERIFY(twoSegments > 0 && twoSegments < 20);
        // Another seed gives another set.
        o.seed = 100;
        QVERIFY(splicePartial(bona, spoof, o, 0).samples != splicePartial(bona, spoof, PartialSpliceOptions{}, 0).samples);
    }

    void tooShortIsAnError()
    {
        PartialSpliceOptions o;
        bool threw = false;
        try {
            splicePartial(tone(4000, 220, 0.3), {tone(32000, 500, 0.1)}, o, 0);
        } catch (const AudioError& e) {
            threw = std::string(e.what()).find("too short") != std::string::npos;
        }
        QVERIFY(threw);
        o.minSegments = 3;
        o.maxSegments = 2;
        QVERIFY_EXCEPTION_THROWN(splicePartial(tone(64000, 220, 0.3), {tone(32000, 500, 0.1)}, o, 0), ConfigError);
    }

    void setOnDisk()
    {
        QTemporaryDir dir;
        PartialSetOptions o;
        o.bonafide = {spooflens::test::dataPath("asvspoof_bonafide_sample.flac")};
        o.spoof = {spooflens::test::dataPath("asvspoof_spoof_sample.flac")};
        o.outDir = dir.filePath("set").toStdString();
        o.splice.seed = 5;
        const PartialSetReport r = makePartialSet(o);
        QCOMPARE(r.items.size(), size_t(1));
        QCOMPARE(r.bonafideWritten, int64_t(1));
        const PartialSetItem& item = r.items[0];
        const AudioData audio = loadAudio(item.audio);
        QCOMPARE(int64_t(audio.samples.size()), item.samples);
        // Audacity labels next to the audio: the same segments (to the 6 decimals written).
        const std::string lab = labelFileNextTo(item.audio);
        QVERIFY(!lab.empty());
        const UtteranceLabels u = readAudacityLabels(lab);
        QCOMPARE(u.segments.size(), item.segments.size());
        for (size_t k = 0; k < u.segments.size(); ++k) {
            QVERIFY(std::fabs(u.segments[k].start - item.segments[k].startSeconds()) < 1e-6);
            QVERIFY(std::fabs(u.segments[k].end - item.segments[k].endSeconds()) < 1e-6);
        }
        // Frame labels file = the frame rule on those segments; the CSV holds the same segments.
        const NpyArray fl = readNpy(o.outDir + "/frame_labels/partial_0001.npy");
        const std::vector<uint8_t> want = frameLabels(u, item.samples);
        QCOMPARE(fl.numel(), int64_t(want.size()));
        int64_t spoofFrames = 0;
        for (size_t t = 0; t < want.size(); ++t) {
            QCOMPARE(fl.f32()[t], float(want[t]));
            spoofFrames += want[t];
        }
        QVERIFY(spoofFrames > 0 && spoofFrames < int64_t(want.size()));
        const LabelSet csv = readLabels(r.labels);
        QCOMPARE(csv.at("partial_0001").segments.size(), item.segments.size());
        // The protocol lists both utterances with their labels, relative to the set folder.
        const Protocol p = readProtocol(r.protocol);
        QCOMPARE(p.entries.size(), size_t(2));
        QCOMPARE(QString::fromStdString(p.entries[0].file), QStringLiteral("audio/partial_0001.wav"));
        QCOMPARE(p.entries[0].label, 0);
        QCOMPARE(p.entries[1].label, 1);
        QVERIFY(!resolveAudioPath(o.outDir, p.entries[1]).empty());
        // The untouched bona fide copy has an empty label track: no spoof frames.
        const UtteranceLabels b = readAudacityLabels(o.outDir + "/audio/bonafide_0001.txt");
        QVERIFY(b.segments.empty());
    }
};

QTEST_GUILESS_MAIN(TestPartialSplice)
#include "TestPartialSplice.moc"
