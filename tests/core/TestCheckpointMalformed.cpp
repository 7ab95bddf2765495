// ctest-labels: fast
// Malformed and malicious checkpoints: every one gives a clear CheckpointError
// naming the file and the problem, and nothing in a pickle is ever executed.
// The bad files are made here, in a temporary folder.
// torch before any Qt header: Qt's `slots` macro breaks torch's headers.
#include <torch/torch.h>

#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/checkpoint/Unpickler.h"
#include "core/checkpoint/ZipArchive.h"
#include "tests/support/TestData.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

using namespace spooflens::core;
using spooflens::test::dataPath;
using spooflens::test::pythonWithTorch;

// Byte strings from literals that contain NULs (length from the literal).
#define B(lit) QByteArray(lit, int(sizeof(lit) - 1))
#define S(lit) std::string(lit, sizeof(lit) - 1)

namespace {

using Bytes = std::string;

Bytes readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const Bytes& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

void writeZip(const std::string& path, const std::vector<std::pair<std::string, Bytes>>& entries)
{
    ZipWriter zip(path);
    for (const auto& [name, bytes] : entries)
        zip.addEntry(name, bytes.data(), bytes.size());
    zip.finish();
}

// A state dict {"w": tensor} whose descriptor we control.
Bytes stateDictPickle(const TensorDesc& d)
{
    PickleValue t;
    t.kind = PickleValue::Kind::Tensor;
    t.tensor = d;
    PickleValue key;
    key.kind = PickleValue::Kind::String;
    key.s = "w";
    PickleValue root;
    root.kind = PickleValue::Kind::Dict;
    root.ordered = true;
    root.entries.emplace_back(key, t);
    return pickleToString(root);
}

TensorDesc floatDesc(int64_t storageNumel, std::vector<int64_t> sizes, std::vector<int64_t> strides, int64_t offset = 0)
{
    TensorDesc d;
    d.dtype = StorageDtype::Float32;
    d.storageKey = "0";
    d.storageNumel = storageNumel;
    d.sizes = std::move(sizes);
    d.strides = std::move(strides);
    d.offset = offset;
    return d;
}

// The error message of reading `path` as a state dict, or "" if it loaded.
QString readError(const std::string& path)
{
    try {
        readStateDict(path);
    } catch (const CheckpointError& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return "NOT A CheckpointError: " + QString::fromStdString(e.what());
    }
    return {};
}

Bytes fixturePickle()
{
    const ZipArchive zip = ZipArchive::openFile(dataPath("fixtures/detector_tiny.pth"));
    const std::vector<unsigned char> b = zip.readEntry(*zip.find("detector_tiny/data.pkl"));
    return Bytes(b.begin(), b.end());
}

bool runPython(const QString& script, const QStringList& args, QString* output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(pythonWithTorch(), QStringList{"-c", script} + args);
    const bool finished = p.waitForFinished(120000);
    *output = QString::fromLocal8Bit(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

} // namespace

#define EXPECT_ERROR(path, ...)                                                              \
    do {                                                                                     \
        const QString msg_ = readError(path);                                                \
        QVERIFY2(!msg_.isEmpty(), "no error for " #path);                                    \
        QVERIFY2(!msg_.startsWith("NOT A"), qPrintable(msg_));                               \
        QVERIFY2(msg_.contains(QString::fromStdString(path)), qPrintable(msg_));             \
        for (const QString& part_ : std::initializer_list<QString>{__VA_ARGS__})                                           \
            QVERIFY2(msg_.contains(part_), qPrintable(msg_ + " ## " + part_)); \
    } while (0)

class TestCheckpointMalformed : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void truncatedZip_data() 
    {
        QTest::addColumn<int>("keep");
        const int size = int(readFile(dataPath("fixtures/detector_tiny.pth")).size());
        QTest::newRow("half") << size / 2;
        QTest::newRow("all but the end record") << size - 10;
        QTest::newRow("header only") << 100;
        QTest::newRow("empty") << 0;
    }
    void truncatedZip()
    {
        QFETCH(int, keep);
        const std::string path = file("truncated.pth");
        writeFile(path, readFile(dataPath("fixtures/detector_tiny.pth")).substr(0, size_t(keep)));
        EXPECT_ERROR(path, "");
        const QString msg = readError(path);
        QVERIFY2(msg.contains("truncated") || msg.contains("empty file"), qPrintable(msg));
    }

    void corruptRecordFailsCrc()
    {
        Bytes b = readFile(dataPath("fixtures/detector_tiny.pth"));
        b[b.size() / 2] = char(b[b.size() / 2] ^ 0x5a);   // inside some tensor's data
        const std::string path = file("crc.pth");
        writeFile(path, b);
        // Every tensor record is checked by default (torch.load checks none).
        EXPECT_ERROR(path, QString::fromStdString(path), "CRC-32 mismatch in entry 'detector_tiny/data/");
        // The check, not some other one, is what refuses it: without it the bytes load.
        CheckpointReadOptions noCrc;
        noCrc.verifyTensorCrc = false;
        readCheckpoint(path, noCrc);
        // data.pkl is always checked.
        Bytes pkl = readFile(dataPath("fixtures/detector_tiny.pth"));
        pkl[100] = char(pkl[100] ^ 0x01);   // inside data.pkl (its data start at offset 64)
        writeFile(path, pkl);
        EXPECT_ERROR(path, "CRC-32 mismatch in entry 'detector_tiny/data.pkl'");
        try {
            readCheckpoint(path, noCrc);
            QFAIL("data.pkl was not checked");
        } catch (const CheckpointError& e) {
            QVERIFY2(QString(e.what()).contains("CRC-32 mismatch in entry 'detector_tiny/data.pkl'"), e.what());
        }
    }

    void patchedWeightInRealCheckpointIsRefused_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::newRow("AASIST") << QString(SPOOFLENS_SOURCE_DIR "/resources/detectors/aasist/AASIST.pth");
        QTest::newRow("AASIST-L") << QString(SPOOFLENS_SOURCE_DIR "/resources/detectors/aasist/AASIST-L.pth");
        QTest::newRow("tiny XLS-R") << QString::fromStdString(dataPath("fixtures/detector_tiny.pth"));
    }
    void patchedWeightInRealCheckpointIsRefused()
    {
        // A copy of a real checkpoint with one byte of one storage record
        // changed in place (an exponent bit: the zip structure, sizes and the
        // pickle stay intact, as when weight bytes are edited or damaged): the
        // reader refuses it, naming the file and the record. Before the CRC
        // check was on by default the edited weight loaded silently.
        QFETCH(QString, checkpoint);
        const std::string original = checkpoint.toStdString();
        const ZipArchive zip = ZipArchive::openFile(original);
        const ZipEntry* target = nullptr;
        for (const ZipEntry& e : zip.entries())
            if (e.name.find("/data/") != std::string::npos && e.method == 0
                && (!target || e.uncompressedSize > target->uncompressedSize))
                target = &e;
        QVERIFY(target && target->uncompressedSize >= 8);
        Bytes b = readFile(original);
        // The middle float32 of the largest record: flip the top exponent bit
        // (little endian: byte 3 of the value) - 0.01 becomes ~3e36.
        const uint64_t at = target->dataOffset + (target->uncompressedSize / 8) * 4 + 3;
        b[at] = char(b[at] ^ 0x40);
        const std::string path = file(qPrintable("patched-" + QFileInfo(checkpoint).fileName()));
        writeFile(path, b);
        EXPECT_ERROR(path, QString::fromStdString(path), "CRC-32 mismatch in entry '" + QString::fromStdString(target->name) + "'");
        CheckpointReadOptions noCrc;
        noCrc.verifyTensorCrc = false;
        const CheckpointContents c = readCheckpoint(path, noCrc);
        QVERIFY(c.root.kind == Value::Kind::Dict);
        // The unpatched file loads with the check on.
        QCOMPARE(readError(original), QString());
    }

    void corruptPickle()
    {
        const Bytes pkl = fixturePickle();
        const std::string cut = file("cut.pth");
        writeZip(cut, {{"a/data.pkl", pkl.substr(0, 1000)}});
        EXPECT_ERROR(cut, "corrupt pickle in data.pkl at offset", "unexpected end of data");

        Bytes garbage = pkl;
        garbage[34] = char(0xff);   // the first key's BINUNICODE opcode
        const std::string bad = file("badop.pth");
        writeZip(bad, {{"a/data.pkl", garbage}});
        EXPECT_ERROR(bad, "corrupt pickle in data.pkl at offset 34", "opcode 0xff is not allowed");

        const std::string noStop = file("nostop.pth");
        writeZip(noStop, {{"a/data.pkl", S("\x80\x02]q\x00")}});
        EXPECT_ERROR(noStop, "no STOP");
    }

    void wrongProtocol()
    {
        Bytes pkl = fixturePickle();
        pkl[1] = 4;
        const std::string path = file("proto4.pth");
        writeZip(path, {{"a/data.pkl", pkl}});
        EXPECT_ERROR(path, "pickle protocol 4 is not supported");
        const std::string proto0 = file("proto0.pth");
        writeZip(proto0, {{"a/data.pkl", Bytes("(dp0\n.")}});
        EXPECT_ERROR(proto0, "not a protocol-2 pickle");
    }

    void viewOutsideStorage_data()
    {
        QTest::addColumn<qint64>("numel");
        QTest::addColumn<QVector<qint64>>("sizes");
        QTest::addColumn<QVector<qint64>>("strides");
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<QString>("expected");
        QTest::newRow("one too many") << qint64(4) << QVector<qint64>{5} << QVector<qint64>{1} << qint64(0)
                                      << "lies outside its storage";
        QTest::newRow("offset") << qint64(4) << QVector<qint64>{2, 2} << QVector<qint64>{2, 1} << qint64(1)
                                << "lies outside its storage";
        QTest::newRow("stride") << qint64(6) << QVector<qint64>{2, 3} << QVector<qint64>{4, 1} << qint64(0)
                                << "lies outside its storage";
        QTest::newRow("overflow") << qint64(4) << QVector<qint64>{qint64(1) << 62, 4}
                                  << QVector<qint64>{qint64(1) << 62, 1} << qint64(0) << "overflow";
        QTest::newRow("negative stride") << qint64(4) << QVector<qint64>{2} << QVector<qint64>{-1} << qint64(3)
                                         << "stride is negative";
        QTest::newRow("empty view past end") << qint64(4) << QVector<qint64>{0} << QVector<qint64>{1} << qint64(5)
                                             << "starts outside its storage";
    }
    void viewOutsideStorage()
    {
        QFETCH(qint64, numel);
        QFETCH(QVector<qint64>, sizes);
        QFETCH(QVector<qint64>, strides);
        QFETCH(qint64, offset);
        QFETCH(QString, expected);
        const TensorDesc d = floatDesc(numel, {sizes.begin(), sizes.end()}, {strides.begin(), strides.end()}, offset);
        const std::string path = file("view.pth");
        writeZip(path, {{"a/data.pkl", stateDictPickle(d)}, {"a/data/0", Bytes(size_t(numel) * 4, '\0')}});
        EXPECT_ERROR(path, expected);
    }

    void validViewsLoad()
    {
        // The same machinery accepts legal views (and copies them out correctly).
        const TensorDesc d = floatDesc(6, {2, 2}, {1, 3}, 1);   // transposed view of elements 1..5
        Bytes record;
        for (int i = 0; i < 6; ++i) {
            const float v = float(i);
            record.append(reinterpret_cast<const char*>(&v), 4);
        }
        const std::string path = file("goodview.pth");
        writeZip(path, {{"a/data.pkl", stateDictPickle(d)}, {"a/data/0", record}});
        const TensorList sd = readStateDict(path);
        QCOMPARE(int(sd.size()), 1);
        QVERIFY(torch::equal(sd[0].second, torch::tensor({{1.0f, 4.0f}, {2.0f, 5.0f}})));
    }

    void recordSizeMismatch()
    {
        const std::string path = file("size.pth");
        writeZip(path, {{"a/data.pkl", stateDictPickle(floatDesc(4, {4}, {1}))}, {"a/data/0", Bytes(12, '\0')}});
        EXPECT_ERROR(path, "storage record 'a/data/0' has 12 bytes; expected 4 float32 elements = 16 bytes");
    }

    void missingRecord()
    {
        const std::string path = file("missing.pth");
        writeZip(path, {{"a/data.pkl", stateDictPickle(floatDesc(4, {4}, {1}))}, {"a/version", "3\n"}});
        EXPECT_ERROR(path, "storage record 'a/data/0' is missing");
        const std::string noPickle = file("nopickle.pth");
        writeZip(noPickle, {{"a/version", "3\n"}});
        EXPECT_ERROR(noPickle, "no 'a/data.pkl' record");
    }

    void bigEndianByteorder()
    {
        const std::string path = file("big.pth");
        writeZip(path, {{"a/data.pkl", stateDictPickle(floatDesc(1, {1}, {1}))},
                        {"a/byteorder", "big"},
                        {"a/data/0", Bytes(4, '\0')}});
        EXPECT_ERROR(path, "byteorder record says 'big'", "little-endian");
        // "little" is accepted (written by torch >= 2.1 and by us).
        writeZip(path, {{"a/data.pkl", stateDictPickle(floatDesc(1, {1}, {1}))},
                        {"a/byteorder", "little"},
                        {"a/data/0", Bytes(4, '\0')}});
        QCOMPARE(readError(path), QString());
    }

    void legacyFormat()
    {
        // torch < 1.6 wrote a bare pickle stream starting with a pickled magic number.
        const std::string path = file("legacy.pth");
        writeFile(path, S("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."));
        EXPECT_ERROR(path, "legacy (pre-1.6) PyTorch checkpoint format", "re-save it with a current torch");
        if (pythonWithTorch().isEmpty())
            return;
        const std::string real = file("legacy_real.pth");
        QString out;
        QVERIFY2(runPython("import sys, torch\n"
                           "torch.save(torch.nn.Linear(2, 2).state_dict(), sys.argv[1], _use_new_zipfile_serialization=False)\n",
                           {QString::fromStdString(real)}, &out),
                 qPrintable(out));
        EXPECT_ERROR(real, "legacy (pre-1.6) PyTorch checkpoint format");
    }

    void notACheckpoint()
    {
        const std::string text = file("text.pth");
        writeFile(text, "hello, I am not a checkpoint\n");
        EXPECT_ERROR(text, "not a PyTorch zip checkpoint");
        EXPECT_ERROR(file("does_not_exist.pth"), "cannot open");
        // A zip whose root is not a dict of tensors.
        const std::string list = file("list.pth");
        writeZip(list, {{"a/data.pkl", S("\x80\x02]q\x00.")}});
        EXPECT_ERROR(list, "not a state dict");
    }

    void restrictedPickleRules_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("expected");
        QTest::newRow("call a storage type") << B("\x80\x02" "ctorch\nFloatStorage\n)R.")
                                             << "calling torch.FloatStorage is not allowed";
        QTest::newRow("persistent id not a storage")
            << B("\x80\x02X\x03\x00\x00\x00" "abcQ.") << "persistent id must be a 5-tuple";
        QTest::newRow("memo key never stored") << B("\x80\x02h\x07.") << "memo key 7 was never stored";
        QTest::newRow("stack underflow") << B("\x80\x02s.") << "stack underflow";
        QTest::newRow("BUILD on a list") << B("\x80\x02]}b.") << "BUILD is only allowed";
        QTest::newRow("float key") << B("\x80\x02}G\x3f\xf0\x00\x00\x00\x00\x00\x00Ns.")
                                   << "keys must be strings or integers";
        QTest::newRow("huge integer") << B("\x80\x02\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01.")
                                      << "integer too large";
        QTest::newRow("string past end") << B("\x80\x02X\xff\xff\xff\x7f" "ab.")
                                         << "unexpected end of data";
        QByteArray cycle = B("\x80\x02]q\x00h\x00" "a.");   // a list that contains itself
        QTest::newRow("reference cycle") << cycle << "nesting too deep";
        QByteArray deep = B("\x80\x02");
        for (int i = 0; i < 5000; ++i)
            deep += "]";
        for (int i = 0; i < 4999; ++i)
            deep += "a";
        deep += ".";
        QTest::newRow("deep nesting") << deep << "nesting too deep";
        QByteArray marks = B("\x80\x02");
        for (int i = 0; i < 2000000; ++i)
            marks += "(";
        QTest::newRow("stack bomb") << marks << "stack too deep";
        QByteArray wide = B("\x80\x02Nq\x00");   // x = (x, x) 21 times: 2^21 values via memo sharing
        for (int i = 0; i < 21; ++i)
            wide += B("h\x00\x86q\x00");
        wide += ".";
        QTest::newRow("memo expansion bomb") << wide << "too many values";
        QByteArray many = B("\x80\x02]");   // 3M tiny lists appended to one list
        for (int i = 0; i < 3000000; ++i)
            many += "]a";
        many += ".";
        QTest::newRow("object bomb") << many << "too many objects";
    }
    void restrictedPickleRules()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, expected);
        const std::string path = file("rules.pth");
        writeZip(path, {{"a/data.pkl", pickle.toStdString()}});
        EXPECT_ERROR(path, expected);
    }

    void forbiddenGlobalsAreNamedAndNeverRun()
    {
        // A hand-made payload: posix.system("touch MARKER") via GLOBAL + REDUCE.
        const QString marker = m_dir.filePath("marker_cpp");
        const Bytes cmd = "touch " + marker.toStdString();
        Bytes payload = S("\x80\x02" "cposix\nsystem\n");
        payload += 'X';
        const uint32_t n = uint32_t(cmd.size());
        payload.append(reinterpret_cast<const char*>(&n), 4);
        payload += cmd + "\x85R.";
        const std::string path = file("evil_cpp.pth");
        writeZip(path, {{"a/data.pkl", payload}});
        EXPECT_ERROR(path, "pickle global 'posix.system' is not allowed in a state-dict checkpoint (data.pkl offset 2)");
        QVERIFY(!QFile::exists(marker));

        const std::string evalPath = file("evil_eval.pth");
        writeZip(evalPath, {{"a/data.pkl", S("\x80\x02" "cbuiltins\neval\nX\x01\x00\x00\x00" "1\x85R.")}});
        EXPECT_ERROR(evalPath, "pickle global 'builtins.eval' is not allowed", "(data.pkl offset 2)");

        // A whole pickled model gets the state_dict hint.
        const std::string model = file("model.pth");
        writeZip(model, {{"a/data.pkl", S("\x80\x02" "c__main__\nNet\nq\x00)\x81q\x01.")}});
        EXPECT_ERROR(model, "pickle global '__main__.Net' is not allowed", "save model.state_dict() instead");

        // STACK_GLOBAL / INST are not protocol 2, but the global is still named.
        const std::string inst = file("inst.pth");
        writeZip(inst, {{"a/data.pkl", S("\x80\x02(ios\nsystem\n.")}});
        EXPECT_ERROR(inst, "pickle global 'os.system' is not allowed");

        if (pythonWithTorch().isEmpty())
            QSKIP("no python3 with torch: the torch.save-made malicious files are not tested");
        // Real torch.save files with a malicious object after a legitimate tensor.
        // The control copy proves the payloads do run under Python's general unpickler
        // (torch.load with weights_only=False: torch >= 2.6 defaults to True, which would
        // refuse the payload itself and so prove nothing about the file).
        const char* script = R"PY(
import collections, inspect, os, sys, torch
d = sys.argv[1]
def load_unrestricted(path):
    if "weights_only" in inspect.signature(torch.load).parameters:   # torch >= 1.13
        return torch.load(path, weights_only=False)
    return torch.load(path)
class System:
    def __init__(self, path): self.path = path
    def __reduce__(self): return (os.system, ("touch " + self.path,))
class Eval:
    def __init__(self, path): self.path = path
    def __reduce__(self): return (eval, ("open(%r, 'w').close()" % self.path,))
for name, cls in (("system", System), ("eval", Eval)):
    sd = collections.OrderedDict([("w", torch.zeros(3)), ("evil", cls(d + "/marker_" + name))])
    torch.save(sd, d + "/evil_" + name + ".pth")
    ctl = collections.OrderedDict([("w", torch.zeros(3)), ("evil", cls(d + "/control_" + name))])
    torch.save(ctl, d + "/control_" + name + ".pth")
    load_unrestricted(d + "/control_" + name + ".pth")
    assert os.path.exists(d + "/control_" + name), "the payload did not run under torch.load(weights_only=False)"
    assert not os.path.exists(d + "/marker_" + name)
torch.save(torch.nn.Linear(2, 2), d + "/whole_model.pth")
print("ok")
)PY";
        QString out;
        QVERIFY2(runPython(script, {m_dir.path()}, &out), qPrintable(out));
        QVERIFY(QFile::exists(m_dir.filePath("control_system")));
        QVERIFY(QFile::exists(m_dir.filePath("control_eval")));

        const std::string sys = file("evil_system.pth");
        const Bytes sysPickle = [&] {
            const ZipArchive z = ZipArchive::openFile(sys);
            const auto b = z.readEntry(*z.find("evil_system/data.pkl"));
            return Bytes(b.begin(), b.end());
        }();
        const size_t at = sysPickle.find("cposix\nsystem\n");
        QVERIFY(at != Bytes::npos && at > 2);   // after the legitimate tensor
        const std::string expected =
            "pickle global 'posix.system' is not allowed in a state-dict checkpoint (data.pkl offset " + std::to_string(at) + ")";
        EXPECT_ERROR(sys, QString::fromStdString(expected));
        // Protocol 2 writes builtins as __builtin__ (Python 2 compatible names).
        EXPECT_ERROR(file("evil_eval.pth"), "pickle global '__builtin__.eval' is not allowed");
        QVERIFY(!QFile::exists(m_dir.filePath("marker_system")));
        QVERIFY(!QFile::exists(m_dir.filePath("marker_eval")));

        EXPECT_ERROR(file("whole_model.pth"), "pickle global 'torch.nn.modules.linear.Linear' is not allowed",
                     "save model.state_dict() instead");
    }

private:
    std::string file(const char* name) const { return m_dir.filePath(name).toStdString(); }
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCheckpointMalformed)
#include "TestCheckpointMalformed.moc"
