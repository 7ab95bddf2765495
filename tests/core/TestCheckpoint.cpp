// ctest-labels: fast
// Reading the real-format fixture checkpoints and the reference .npz files.
// torch before any Qt header: Qt's `slots` macro breaks torch's headers.
#include <torch/torch.h>

#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/checkpoint/Npy.h"
#include "tests/support/TestData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace spooflens::core;
using spooflens::test::dataPath;

namespace {

QJsonObject manifest()
{
    QFile f(QString::fromStdString(dataPath("fixtures/manifest_tiny.json")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::string dtypeName(torch::ScalarType t)
{
    if (t == torch::kFloat32)
        return "float32";
    if (t == torch::kInt64)
        return "int64";
    return c10::toString(t);
}

QString shapeString(const std::vector<int64_t>& s)
{
    QStringList parts;
    for (int64_t v : s)
        parts << QString::number(v);
    return "[" + parts.join(", ") + "]";
}

} // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT
private slots:
    void keyTableMatchesManifest()
    {
        const QJsonArray keys = manifest().value("keys").toArray();
        QCOMPARE(keys.size(), 236);
        std::vector<std::string> notes;
        const TensorList sd = readStateDict(dataPath("fixtures/detector_tiny.pth"), &notes);
        QVERIFY(notes.empty());
        QCOMPARE(int(sd.size()), keys.size());
        int int64Count = 0;
        for (int i = 0; i < keys.size(); ++i) {
            const QJsonArray k = keys[i].toArray();
            QCOMPARE(QString::fromStdString(sd[size_t(i)].first), k[0].toString());
            std::vector<int64_t> shape;
            for (const auto& d : k[1].toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(shapeString(sd[size_t(i)].second.sizes().vec()), shapeString(shape));
            QCOMPARE(QString::fromStdString(dtypeName(sd[size_t(i)].second.scalar_type())), k[2].toString());
            QVERIFY(sd[size_t(i)].second.is_contiguous());
            if (sd[size_t(i)].second.scalar_type() == torch::kInt64) {
                ++int64Count;
                QCOMPARE(sd[size_t(i)].second.dim(), int64_t(0));
                QCOMPARE(sd[size_t(i)].second.item<int64_t>(), int64_t(4321));
            }
        }
        QCOMPARE(int64Count, 5);
        int64_t values = 0;
        for (const auto& [name, t] : sd)
            values += t.numel();
        QCOMPARE(values, manifest().value("num_params").toInteger());
    }

    void metadataIsKept()
    {
        const CheckpointContents c = readCheckpoint(dataPath("fixtures/detector_tiny.pth"));
        QCOMPARE(QString::fromStdString(c.archiveName), QStringLiteral("detector_tiny"));
        QVERIFY(c.root.isDict());
        QVERIFY(c.root.ordered);
        QCOMPARE(int(c.root.attributes.size()), 1);
        QCOMPARE(QString::fromStdString(c.root.attributes[0].first.s), QStringLiteral("_metadata"));
        const Value& meta = c.root.attributes[0].second;
        QVERIFY(meta.isDict());
        QCOMPARE(int(meta.entries.size()), 250);
    }

    void dataParallelVariantIsIdenticalAfterStrip()
    {
        TensorList plain = readStateDict(dataPath("fixtures/detector_tiny.pth"));
        TensorList dp = readStateDict(dataPath("fixtures/detector_tiny_dataparallel.pth"));
        QVERIFY(!stripModulePrefix(plain, "plain"));
        QVERIFY(dp[0].first.rfind("module.", 0) == 0);
        QVERIFY(stripModulePrefix(dp, "dp"));
        QCOMPARE(dp.size(), plain.size());
        for (size_t i = 0; i < dp.size(); ++i) {
            QCOMPARE(dp[i].first, plain[i].first);
            QVERIFY2(torch::equal(dp[i].second, plain[i].second), dp[i].first.c_str());
        }
    }

    void mixedModulePrefixIsAnError()
    {
        TensorList mixed = {{"module.a", torch::zeros({1})}, {"b", torch::zeros({1})}};
        try {
            stripModulePrefix(mixed, "mix.pth");
            QFAIL("no error for a mix of prefixed and unprefixed keys");
        } catch (const CheckpointError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("mix.pth") && msg.contains("'module.a'") && msg.contains("'b'"), e.what());
        }
    }

    void xaiCheckpointMatchesItsNpz()
    {
        const TensorList sd = readStateDict(dataPath("fixtures/xai_tiny.pth"));
        QCOMPARE(int(sd.size()), 11);
        const auto npz = readNpz(dataPath("fixtures/xai_ref_tiny.npz"));
        for (const auto& [name, t] : sd) {
            const auto it = npz.find("init_" + name);
            QVERIFY2(it != npz.end(), name.c_str());
            QCOMPARE(shapeString(it->second.shape), shapeString(t.sizes().vec()));
            QVERIFY2(std::memcmp(it->second.f32(), t.data_ptr<float>(), size_t(t.numel()) * 4) == 0, name.c_str());
        }
    }

    void refNpzMatchesManifest()
    {
        const QJsonObject arrays = manifest().value("arrays_ref").toObject();
        QCOMPARE(arrays.size(), 46);
        const auto npz = readNpz(dataPath("fixtures/ref_tiny.npz"));
        QCOMPARE(int(npz.size()), arrays.size());
        for (auto it = arrays.begin(); it != arrays.end(); ++it) {
            const auto found = npz.find(it.key().toStdString());
            QVERIFY2(found != npz.end(), qPrintable(it.key()));
            const QJsonArray spec = it.value().toArray();
            std::vector<int64_t> shape;
            for (const auto& d : spec[0].toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(shapeString(found->second.shape), shapeString(shape));
            QCOMPARE(QString::fromStdString(found->second.descr), spec[1].toString() == "float32" ? QStringLiteral("<f4")
                                                                                              : QStringLiteral("<i8"));
            QCOMPARE(int64_t(found->second.data.size()), found->second.numel() * 4);
        }
        // Attention rows are softmax outputs: they sum to one (checks the data, not only the header).
        const NpyArray& attn = npz.at("attn_rand64600_block0");
        double row = 0;
        for (int j = 0; j < 206; ++j)
            row += attn.f32()[j];
        QVERIFY(std::abs(row - 1.0) < 1e-4);
    }

    void xaiNpzHasInt64Labels()
    {
        const auto npz = readNpz(dataPath("fixtures/xai_ref_tiny.npz"));
        const NpyArray& labels = npz.at("mixed_labels");
        QCOMPARE(QString::fromStdString(labels.descr), QStringLiteral("<i8"));
        QCOMPARE(shapeString(labels.shape), QStringLiteral("[3]"));
        QCOMPARE(labels.i64()[0], int64_t(0));
        QCOMPARE(labels.i64()[1], int64_t(1));
        QCOMPARE(labels.i64()[2], int64_t(0));
        QCOMPARE(shapeString(npz.at("ssl_batch3").shape), QStringLiteral("[3, 201, 64]"));
        QCOMPARE(shapeString(npz.at("mixed_loss_total").shape), QStringLiteral("[]"));
        QCOMPARE(npz.at("mixed_loss_total").numel(), int64_t(1));
        QVERIFY(std::abs(npz.at("mixed_loss_total").f32()[0] - 102.233116f) < 1e-4f);
        QVERIFY_THROWS_EXCEPTION(CheckpointError, labels.f32());
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "TestCheckpoint.moc"
