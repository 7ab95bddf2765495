// ctest-labels: fast
// .npy/.npz: writeNpyF32 -> readNpy / numpy.load, and clear errors for the
// variants we do not accept (naming the .npz entry at fault).
#include "core/Error.h"
#include "core/checkpoint/Npy.h"
#include "core/checkpoint/ZipArchive.h"
#include "tests/support/TestData.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>
#include <iterator>

using namespace spooflens::core;
using spooflens::test::dataPath;
using spooflens::test::pythonWithTorch;

namespace {

std::string npyBytes(const std::string& dict, size_t dataBytes, unsigned char major = 1)
{
    std::string header = dict;
    while ((10 + header.size() + 1) % 64 != 0)
        header.push_back(' ');
    header.push_back('\n');
    std::string out("\x93NUMPY", 6);
    out.push_back(char(major));
    out.push_back(0);
    out.push_back(char(header.size() & 0xff));
    out.push_back(char(header.size() >> 8));
    if (major >= 2) {   // version 2.0 has a 4-byte header length
        out.push_back(0);
        out.push_back(0);
    }
    return out + header + std::string(dataBytes, '\x01');
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

class TestNpy : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void writeThenRead()
    {
        std::vector<float> v(2 * 3 * 5);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = float(i) * 0.25f - 3.0f;
        const std::string path = file("a.npy");
        writeNpyF32(path, v.data(), {2, 3, 5});
        const NpyArray a = readNpy(path);
        QCOMPARE(QString::fromStdString(a.descr), QStringLiteral("<f4"));
        QCOMPARE(a.shape, (std::vector<int64_t>{2, 3, 5}));
        QVERIFY(std::memcmp(a.f32(), v.data(), v.size() * 4) == 0);
        QCOMPARE(readAll(path).size() % 64, size_t(v.size() * 4 % 64));   // data start 64-byte aligned

        const float one = 7.5f;
        writeNpyF32(file("scalar.npy"), &one, {});
        QCOMPARE(readNpy(file("scalar.npy")).shape, std::vector<int64_t>{});
        QCOMPARE(readNpy(file("scalar.npy")).f32()[0], 7.5f);
        writeNpyF32(file("vec.npy"), v.data(), {7});
        QCOMPARE(readNpy(file("vec.npy")).shape, std::vector<int64_t>{7});
        writeNpyF32(file("empty.npy"), nullptr, {0, 64});
        QCOMPARE(readNpy(file("empty.npy")).numel(), int64_t(0));
    }

    void numpyReadsOurFiles()
    {
        if (pythonWithTorch().isEmpty())
            QSKIP("no python3 with numpy");
        std::vector<float> v(201 * 64);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = float(i) * 0.5f - 100.0f;
        writeNpyF32(file("feats.npy"), v.data(), {201, 64});
        const float one = -1.5f;
        writeNpyF32(file("scalar.npy"), &one, {});
        writeNpyF32(file("vec.npy"), v.data(), {3});
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(pythonWithTorch(),
                {"-c",
                 "import sys, numpy as np\n"
                 "a = np.load(sys.argv[1]); assert a.dtype == np.float32 and a.shape == (201, 64) and a.flags.c_contiguous\n"
                 "assert np.array_equal(a.ravel(), np.arange(201 * 64, dtype=np.float32) * np.float32(0.5) - np.float32(100))\n"
                 "s = np.load(sys.argv[2]); assert s.shape == () and s == -1.5\n"
                 "v = np.load(sys.argv[3]); assert v.shape == (3,)\n"
                 "print('ok')\n",
                 QString::fromStdString(file("feats.npy")), QString::fromStdString(file("scalar.npy")),
                 QString::fromStdString(file("vec.npy"))});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAll().constData());
    }

    void rejectedVariantsNameTheEntry_data()
    {
        QTest::addColumn<QByteArray>("npy");
        QTest::addColumn<QString>("expected");
        QTest::newRow("float64") << QByteArray::fromStdString(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16))
                                 << "dtype '<f8' is not supported";
        QTest::newRow("big-endian") << QByteArray::fromStdString(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8))
                                    << "(big-endian)";
        QTest::newRow("fortran") << QByteArray::fromStdString(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16))
                                 << "Fortran-order arrays are not supported";
        QTest::newRow("version 2.0") << QByteArray::fromStdString(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 2))
                                     << ".npy version 2.0 is not supported";
        QTest::newRow("short data") << QByteArray::fromStdString(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8))
                                    << "does not match shape";
        QTest::newRow("bad magic") << QByteArray("hello world, not numpy") << "bad magic";
        QTest::newRow("no shape") << QByteArray::fromStdString(npyBytes("{'descr': '<f4', 'fortran_order': False, }", 4))
                                  << "no shape";
    }
    void rejectedVariantsNameTheEntry()
    {
        QFETCH(QByteArray, npy);
        QFETCH(QString, expected);
        // As a lone .npy ...
        writeBytes(file("bad.npy"), npy.toStdString());
        try {
            readNpy(file("bad.npy"));
            QFAIL("no error");
        } catch (const CheckpointError& e) {
            QVERIFY2(QString(e.what()).contains(expected) && QString(e.what()).contains("bad.npy"), e.what());
        }
        // ... and inside an .npz next to a good entry: the message names the entry.
        const std::string good = npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", 8);
        {
            ZipWriter zip(file("bad.npz"));
            zip.addEntry("good.npy", good.data(), good.size());
            zip.addEntry("mixed_grad_importance_net.net.0.weight.npy", npy.constData(), uint64_t(npy.size()));
            zip.finish();
        }
        try {
            readNpz(file("bad.npz"));
            QFAIL("no error");
        } catch (const CheckpointError& e) {
            QVERIFY2(QString(e.what()).contains(expected) &&
                         QString(e.what()).contains("entry 'mixed_grad_importance_net.net.0.weight.npy'"),
                     e.what());
        }
    }

    void storedNpzEntriesAndDottedNames()
    {
        const std::string a = npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", 8);
        {
            ZipWriter zip(file("ok.npz"));
            zip.addEntry("x.y.z.npy", a.data(), a.size());
            zip.finish();
        }
        const auto npz = readNpz(file("ok.npz"));
        QCOMPARE(int(npz.size()), 1);
        QCOMPARE(npz.begin()->first, std::string("x.y.z"));
        QCOMPARE(npz.begin()->second.i64()[0], int64_t(0x0101010101010101));
    }

    void corruptNpzIsAnError()
    {
        std::string bytes = readAll(dataPath("fixtures/xai_ref_tiny.npz"));
        bytes[bytes.size() / 3] = char(bytes[bytes.size() / 3] ^ 0x40);
        writeBytes(file("corrupt.npz"), bytes);
        QVERIFY_THROWS_EXCEPTION(CheckpointError, readNpz(file("corrupt.npz")));
        writeBytes(file("truncated.npz"), bytes.substr(0, bytes.size() / 2));
        QVERIFY_THROWS_EXCEPTION(CheckpointError, readNpz(file("truncated.npz")));
        QVERIFY_THROWS_EXCEPTION(CheckpointError, readNpz(file("missing.npz")));
    }

private:
    std::string file(const char* name) const { return m_dir.filePath(name).toStdString(); }
    static void writeBytes(const std::string& path, const std::string& bytes)
    {
        std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
    }
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestNpy)
#include "TestNpy.moc"
