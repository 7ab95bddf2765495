// Feature cache: float16/float32 round trip, keys (detector SHA-256, audio
// file, crop policy), shards, and invalidation end to end with two detector files.
// ctest-labels: fast
#include "core/Error.h"
#include "core/training/FeatureCache.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace spooflens::core;
namespace fs = std::filesystem;

class TestCache : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string tmp(const std::string& name) const { return (fs::path(m_dir.path().toStdString()) / name).string(); }

    int countFeat(const std::string& dir)
    {
        int n = 0;
        for (const auto& e : fs::recursive_directory_iterator(dir))
            n += e.path().extension() == ".feat" ? 1 : 0;
        return n;
    }

private slots:
    void roundTrip()
    {
        const std::string audio = tmp("a.flac");
        fs::copy_file(spooflens::test::dataPath("asvspoof_spoof_sample.flac"), audio);
        std::vector<float> v(201 * 64);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = float(std::sin(double(i) * 0.37)) * 3.0f;
        for (const std::string dtype : {"float32", "float16"}) {
            FeatureCache c(tmp("cache_" + dtype), std::string(64, 'a'), dtype);
            const std::string k = c.key(audio, "start:64600:repeat");
            QVERIFY(!c.contains(k));
            c.store(k, v.data(), 201, 64);
            QVERIFY(c.contains(k));
            const CachedFeatures f = c.load(k);
            QCOMPARE(f.frames, int64_t(201));
            QCOMPARE(f.dim, int64_t(64));
            double err = 0;
            for (size_t i = 0; i < v.size(); ++i)
                err = std::max(err, double(std::abs(f.values[i] - v[i])));
            QVERIFY(dtype == "float32" ? err == 0.0 : err < 3.0 * 1e-3);
            QCOMPARE(qint64(fs::file_size(c.fileFor(k))), qint64(96 + v.size() * (dtype == "float32" ? 4 : 2)));
        }
        // Truncated file -> CheckpointError, not garbage.
        FeatureCache c(tmp("cache_float32"), std::string(64, 'a'), "float32");
        const std::string k = c.key(audio, "start:64600:repeat");
        fs::resize_file(c.fileFor(k), 1000);
        QVERIFY_EXCEPTION_THROWN(c.load(k), CheckpointError);
    }

    void keys()
    {
        const std::string audio = tmp("k.flac");
        fs::copy_file(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"), audio);
        FeatureCache a(tmp("ka"), std::string(64, 'a'));
        FeatureCache b(tmp("kb"), std::string(64, 'b'));
        const std::string k1 = a.key(audio, "start:64600:repeat");
        QCOMPARE(k1, a.key(audio, "start:64600:repeat"));
        QVERIFY(k1 != b.key(audio, "start:64600:repeat"));   // other detector
        QVERIFY(k1 != a.key(audio, "start:66800:repeat"));   // other crop
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        fs::last_write_time(audio, fs::file_time_type::clock::now());
        QVERIFY(k1 != a.key(audio, "start:64600:repeat"));   // audio changed
        QVERIFY_EXCEPTION_THROWN(a.key(tmp("missing.flac"), "x"), AudioError);
        QCOMPARE(parseShard("2/4"), std::make_pair(int64_t(2), int64_t(4)));
        QVERIFY_EXCEPTION_THROWN(parseShard("4/4"), ConfigError);
        QVERIFY_EXCEPTION_THROWN(parseShard("x/4"), ConfigError);
        QVERIFY_EXCEPTION_THROWN(parseShard("1/0"), ConfigError);
    }

    void invalidationAndShards()
    {
        // Two utterances, a merged protocol.
        const fs::path db = tmp("db");
        fs::create_directories(db);
        fs::copy_file(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"), db / "b.flac");
        fs::copy_file(spooflens::test::dataPath("asvspoof_spoof_sample.flac"), db / "s.flac");
        std::ofstream(db / "proto.txt") << "b.flac train bonafide\ns.flac train spoof\n";
        const std::string cacheDir = tmp("fc");
        auto cfg = [&](const std::string& detector) {
            return TrainConfig::fromOverrides({"model.pretrained_checkpoint=" + detector,
                                               "data.database_path=" + db.string(),
                                               "data.protocol_path=" + (db / "proto.txt").string(),
                                               "cache.dir=" + cacheDir, "training.device=cpu"});
        };
        const std::string det1 = spooflens::test::dataPath("fixtures/detector_tiny.pth");
        const std::string det2 = spooflens::test::dataPath("fixtures/detector_tiny_dataparallel.pth");
        // Shards 0/2 and 1/2 split the work and fill the same folder.
        const CacheFillReport s0 = fillFeatureCache(cfg(det1), 0, 2, true, [](const std::string&) {});
        QCOMPARE(s0.utterances, int64_t(1));
        QCOMPARE(s0.computed, int64_t(1));
        const CacheFillReport s1 = fillFeatureCache(cfg(det1), 1, 2, true, [](const std::string&) {});
        QCOMPARE(s1.computed, int64_t(1));
        QCOMPARE(countFeat(cacheDir), 2);
        // The whole set again: everything reused.
        const CacheFillReport all = fillFeatureCache(cfg(det1), 0, 1, true, [](const std::string&) {});
        QCOMPARE(all.reused, int64_t(2));
        QCOMPARE(all.computed, int64_t(0));
        // Another detector file (other SHA-256): recomputed, never reused.
        const CacheFillReport other = fillFeatureCache(cfg(det2), 0, 1, true, [](const std::string&) {});
        QCOMPARE(other.computed, int64_t(2));
        QCOMPARE(countFeat(cacheDir), 4);
        // A touched audio file: recomputed for that file only.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        fs::last_write_time(db / "s.flac", fs::file_time_type::clock::now());
        const CacheFillReport touched = fillFeatureCache(cfg(det1), 0, 1, true, [](const std::string&) {});
        QCOMPARE(touched.computed, int64_t(1));
        QCOMPARE(touched.reused, int64_t(1));
    }
};

QTEST_GUILESS_MAIN(TestCache)
#include "TestCache.moc"
