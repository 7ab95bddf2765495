// Feature cache: float16/float32 round trip, keys (detector SHA-256, audio
// file, crop policy), shards, and invalidation end to end with two detector files.
// ctest-labels: fast
#include "core/Error.h"
#include "core/training/FeatureCache.h"
#include "core/training/RunFolder.h"
#include "core/training/TrainConfig.h"
#include "core/training/Trainer.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <xxhash.h>

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
            QCOMPARE(qint64(fs::file_size(c.fileFor(k))), qint64(104 + v.size() * (dtype == "float32" ? 4 : 2)));
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

    void damagedEntriesAreRejected()
    {
        // docs/reliability.md: every entry carries an XXH64 of its header and
        // payload and the detector's SHA-256; the header's shape is bounded
        // before any allocation.
        const std::string audio = tmp("d.flac");
        fs::copy_file(spooflens::test::dataPath("asvspoof_spoof_sample.flac"), audio);
        std::vector<float> v(50 * 16);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = float(i % 7) - 3.0f;
        FeatureCache c(tmp("damaged"), std::string(64, 'a'), "float32");
        const std::string k = c.key(audio, "start:64600:repeat");
        const auto rewrite = [&](const std::function<void(std::string&)>& edit) {
            c.store(k, v.data(), 50, 16);
            std::string bytes;
            {
                std::ifstream in(c.fileFor(k), std::ios::binary);
                bytes.assign(std::istreambuf_iterator<char>(in), {});
            }
            edit(bytes);
            std::ofstream(c.fileFor(k), std::ios::binary | std::ios::trunc) << bytes;
        };
        const auto expectError = [&](const char* what) {
            try {
                c.load(k);
                QFAIL(qPrintable(QString("no error for: ") + what));
            } catch (const CheckpointError& e) {
                QVERIFY2(QString(e.what()).contains(what), e.what());
                QVERIFY2(QString(e.what()).contains(QString::fromStdString(c.fileFor(k))), e.what());
            }
        };
        // One flipped payload byte.
        rewrite([](std::string& b) { b[104 + 37] ^= 0x10; });
        expectError("checksum");
        // A NaN written over a value: caught by the checksum, and also when
        // the checksum is made to match (NaN is never a cached feature).
        rewrite([](std::string& b) {
            const float nan = std::nanf("");
            std::memcpy(&b[104 + 8], &nan, 4);
        });
        expectError("checksum");
        rewrite([](std::string& b) {
            const float nan = std::nanf("");
            std::memcpy(&b[104 + 8], &nan, 4);
            const uint64_t h = XXH64(b.data() + 104, b.size() - 104, XXH64(b.data(), 96, 0));
            std::memcpy(&b[96], &h, 8);
        });
        expectError("NaN");
        // T and D swapped (50 x 16 -> 16 x 50: the same size): the header is
        // inside the checksum, so the entry is damaged, not features of another shape.
        rewrite([](std::string& b) {
            const int64_t t = 16, d = 50;
            std::memcpy(&b[16], &t, 8);
            std::memcpy(&b[24], &d, 8);
        });
        QVERIFY_EXCEPTION_THROWN(c.shape(k), CheckpointError);
        expectError("checksum");
        // An entry of format version 2 (its checksum covered only the payload) is recomputed once.
        rewrite([](std::string& b) {
            const uint32_t v2 = 2;
            std::memcpy(&b[8], &v2, 4);
        });
        expectError("format version 2");
        // Another detector's SHA in the header.
        rewrite([](std::string& b) { b[32] = 'b'; });
        expectError("another detector");
        // frames x dim x 4 wraps to 0 in 64 bits: the header alone, 2^31 x 2^31.
        rewrite([](std::string& b) {
            const int64_t big = int64_t(1) << 31;
            std::memcpy(&b[16], &big, 8);
            std::memcpy(&b[24], &big, 8);
            b.resize(104);
        });
        QVERIFY_EXCEPTION_THROWN(c.shape(k), CheckpointError);
        expectError("bad feature cache header");
        // The writer refuses NaN features instead of caching them.
        std::vector<float> bad = v;
        bad[5] = std::nanf("");
        QVERIFY_EXCEPTION_THROWN(c.store(k, bad.data(), 50, 16), Error);
    }

    void damagedEntryIsRecomputedAndShardsLock()
    {
        const fs::path db = tmp("db2");
        fs::create_directories(db);
        fs::copy_file(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"), db / "b.flac");
        std::ofstream(db / "proto.txt") << "b.flac train bonafide\n";
        const std::string cacheDir = tmp("fc2");
        const TrainConfig cfg = TrainConfig::fromOverrides(
            {"model.pretrained_checkpoint=" + spooflens::test::dataPath("fixtures/detector_tiny.pth"),
             "data.database_path=" + db.string(), "data.protocol_path=" + (db / "proto.txt").string(),
             "cache.dir=" + cacheDir, "training.device=cpu"});
        QCOMPARE(fillFeatureCache(cfg, 0, 1, true, [](const std::string&) {}).computed, int64_t(1));
        fs::path entry;
        for (const auto& e : fs::recursive_directory_iterator(cacheDir))
            if (e.path().extension() == ".feat")
                entry = e.path();
        QVERIFY(!entry.empty());
        {
            std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(200);
            f.put('\x7f');
        }
        std::vector<std::string> logs;
        const CacheFillReport again = fillFeatureCache(cfg, 0, 1, true, [&](const std::string& m) { logs.push_back(m); });
        QCOMPARE(again.computed, int64_t(1));  // recomputed, not used
        QCOMPARE(again.reused, int64_t(0));
        bool warned = false;
        for (const auto& m : logs)
            warned = warned || (m.find("recomputing") != std::string::npos && m.find("checksum") != std::string::npos);
        QVERIFY(warned);
        QCOMPARE(fillFeatureCache(cfg, 0, 1, true, [](const std::string&) {}).reused, int64_t(1));
        // A second writer of the same shard is refused, naming the holder.
        const FolderLock holder(cacheDir, "fill-0-of-1.lock", "a test");
        try {
            fillFeatureCache(cfg, 0, 1, true, [](const std::string&) {});
            QFAIL("a second writer of shard 0/1 was not refused");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("in use") && QString(e.what()).contains("a test"), e.what());
        }
        // Other shards of the same folder are not blocked.
        QCOMPARE(fillFeatureCache(cfg, 0, 2, true, [](const std::string&) {}).reused, int64_t(1));
    }
};

QTEST_GUILESS_MAIN(TestCache)
#include "TestCache.moc"
