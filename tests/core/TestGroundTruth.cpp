// ctest-labels: fast
// Ground-truth readers (Audacity label tracks, CSV/TSV tables, PartialSpoof
// segment labels written by Debian NumPy's own np.save) and the frame-label
// rule (frame t is spoof when more than 200 of its 400 samples are spoofed).
#include "core/Error.h"
#include "core/explain/GroundTruth.h"
#include "core/format/PickleReader.h"
#include "tests/support/TestData.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <string>

using namespace spooflens::core;

namespace {

void writeText(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

// Runs a Python snippet with Debian's python3 (numpy); returns its exit code.
int python(const QString& code)
{
    QProcess p;
    p.start(spooflens::test::pythonWithTorch(), {QStringLiteral("-c"), code});
    if (!p.waitForFinished(120000))
        return -1;
    if (p.exitCode() != 0)
        qWarning("%s", p.readAllStandardError().constData());
    return p.exitCode();
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const spooflens::core::Error& e) {
        return e.what();
    }
    return {};
}

#define EXPECT_ERROR(expr, ...)                                                                \
    do {                                                                                       \
        const std::string msg_ = errorOf([&] { (void)(expr); });                               \
        QVERIFY2(!msg_.empty(), "no error thrown by " #expr);                                  \
        for (const char* part_ : {__VA_ARGS__})                                                \
            QVERIFY2(msg_.find(part_) != std::string::npos, (msg_ + " lacks: " + part_).c_str()); \
    } while (0)

std::string s(const QString& q) { return q.toStdString(); }

// Bytes of a string literal (which may hold NULs).
template <size_t N>
std::string bytes(const char (&text)[N])
{
    return std::string(text, N - 1);
}

// A protocol-4 pickle: PROTO 4, FRAME with the body's length, the body.
std::string protocol4(const std::string& body)
{
    std::string out("\x80\x04\x95", 3);
    for (int k = 0; k < 8; ++k)
        out.push_back(char((uint64_t(body.size()) >> (8 * k)) & 0xff));
    return out + body;
}

PickleValue unpickleNumpy(const std::string& bytes)
{
    return unpickle(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), "x.npy", "the pickled array",
                    UnpicklerLimits{}, PickleGlobals::NumpyArrays);
}

} // namespace

class TestGroundTruth : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void audacityTrack()
    {
        writeText(path("utt1.txt"), "# comment\n0.5\t1.25\tspoof\n\\t1000.0\t2000.0\n2.0 3.0 bona fide\n3.5\t4.0\t\n");
        const UtteranceLabels u = readAudacityLabels(s(path("utt1.txt")));
        QCOMPARE(QString::fromStdString(u.utterance), QStringLiteral("utt1"));
        QCOMPARE(u.segments.size(), size_t(3));
        QCOMPARE(u.segments[0].start, 0.5);
        QCOMPARE(u.segments[0].end, 1.25);
        QVERIFY(u.segments[0].spoof);
        QVERIFY(!u.segments[1].spoof);          // "bona fide" with a space
        QCOMPARE(QString::fromStdString(u.segments[1].label), QStringLiteral("bona fide"));
        QVERIFY(u.segments[2].spoof);           // a label without text marks a spoofed region
        QVERIFY(u.segments[0].origin.find("utt1.txt:2") != std::string::npos);
        const auto iv = u.spoofIntervals();
        QCOMPARE(iv.size(), size_t(2));
        QCOMPARE(iv[1].first, 3.5);
    }

    void frameRule()
    {
        // Samples of frame t: [320 t, 320 t + 400). A 216-sample segment at 0
        // covers 216 > 200 samples of frame 0 and none of frame 1; a segment of
        // samples [320, 520) covers 80 samples of frame 0 and exactly 200 of
        // frame 1 (not more than 200: bona fide) and 200 of frame ... none else.
        UtteranceLabels u;
        u.utterance = "x";
        u.segments.push_back({0.0, 216.0 / 16000, true, "spoof", "a:1"});
        QCOMPARE(frameLabels(u, 1600), (std::vector<uint8_t>{1, 0, 0, 0}));
        u.segments[0] = {320.0 / 16000, 520.0 / 16000, true, "spoof", "a:1"};
        QCOMPARE(frameLabels(u, 1600), (std::vector<uint8_t>{0, 0, 0, 0}));
        u.segments[0] = {320.0 / 16000, 521.0 / 16000, true, "spoof", "a:1"};
        QCOMPARE(frameLabels(u, 1600), (std::vector<uint8_t>{0, 1, 0, 0}));
        // Two touching segments add up; a bona fide segment is ignored.
        u.segments = {{0.0, 150.0 / 16000, true, "spoof", "a:1"},
                      {150.0 / 16000, 260.0 / 16000, true, "spoof", "a:2"},
                      {0.0, 0.1, false, "bonafide", "a:3"}};
        QCOMPARE(frameLabels(u, 1600), (std::vector<uint8_t>{1, 0, 0, 0}));
        // The whole utterance (T = 4 for 1600 samples).
        u.segments = {{0.0, 0.1, true, "spoof", "a:1"}};
        QCOMPARE(frameLabels(u, 1600), (std::vector<uint8_t>{1, 1, 1, 1}));
        // Past the end of the audio: an error naming the label's file and line.
        u.segments = {{0.05, 0.2, true, "spoof", "lab.txt:7"}};
        EXPECT_ERROR(frameLabels(u, 1600), "lab.txt:7", "past the end");
        u.segments = {{0.2, 0.3, true, "spoof", "lab.txt:8"}};
        EXPECT_ERROR(frameLabels(u, 1600), "lab.txt:8");
    }

    void badAudacityLines()
    {
        writeText(path("bad1.txt"), "0.5\t1.0\tspoof\n1.0\n");
        EXPECT_ERROR(readAudacityLabels(s(path("bad1.txt"))), "bad1.txt:2");
        writeText(path("bad2.txt"), "1.0\t0.5\tspoof\n");
        EXPECT_ERROR(readAudacityLabels(s(path("bad2.txt"))), "bad2.txt:1", "after start");
        writeText(path("bad3.txt"), "0.1\t0.5\tmaybe\n");
        EXPECT_ERROR(readAudacityLabels(s(path("bad3.txt"))), "bad3.txt:1", "maybe");
        writeText(path("bad4.txt"), "x\t0.5\tspoof\n");
        EXPECT_ERROR(readAudacityLabels(s(path("bad4.txt"))), "bad4.txt:1", "numbers");
        writeText(path("bad5.txt"), "-0.1\t0.5\tspoof\n");
        EXPECT_ERROR(readAudacityLabels(s(path("bad5.txt"))), "bad5.txt:1", "negative");
        EXPECT_ERROR(readAudacityLabels(s(path("missing.txt"))), "missing.txt");
    }

    void folderAndNextToAudio()
    {
        QDir(m_dir.path()).mkdir("labs");
        writeText(path("labs/a.txt"), "0.1\t0.2\tspoof\n");
        writeText(path("labs/b.lab"), "0.3\t0.4\tfake\n");
        writeText(path("labs/ignored.csv"), "nothing\n");
        const LabelSet set = readLabels(s(path("labs")));
        QCOMPARE(set.size(), size_t(2));
        QVERIFY(set.count("a") && set.count("b"));
        QCOMPARE(set.at("b").segments[0].start, 0.3);
        writeText(path("labs/a.lab"), "0.1\t0.2\tspoof\n");
        EXPECT_ERROR(readLabels(s(path("labs"))), "a second label file", "'a'");

        writeText(path("song.wav"), "");
        QCOMPARE(QString::fromStdString(labelFileNextTo(s(path("song.wav")))), QString());
        writeText(path("song.lab"), "0\t1\tspoof\n");
        QCOMPARE(QString::fromStdString(labelFileNextTo(s(path("song.wav")))), path("song.lab"));
        writeText(path("song.txt"), "0\t1\tspoof\n");
        QCOMPARE(QString::fromStdString(labelFileNextTo(s(path("song.wav")))), path("song.txt"));
    }

    void tables()
    {
        writeText(path("set.csv"), "utterance,start,end,label\nu1,0.1,0.5,spoof\nu2,1,2,bonafide\nu1,0.7,0.9,spoof\n");
        const LabelSet csv = readLabels(s(path("set.csv")));
        QCOMPARE(csv.size(), size_t(2));
        QCOMPARE(csv.at("u1").segments.size(), size_t(2));
        QCOMPARE(csv.at("u1").segments[1].end, 0.9);
        QVERIFY(!csv.at("u2").segments[0].spoof);
        writeText(path("set.tsv"), "u3\t0.25\t0.5\tspoof\n");
        const LabelSet tsv = readLabels(s(path("set.tsv")));
        QCOMPARE(tsv.at("u3").segments[0].start, 0.25);
        writeText(path("badset.csv"), "utterance,start,end,label\nu1,0.1,0.5,spoof\nu2,0.1,spoof\n");
        EXPECT_ERROR(readLabels(s(path("badset.csv"))), "badset.csv:3", "4 fields");
        writeText(path("badset2.csv"), "u1,0.5,0.1,spoof\n");
        EXPECT_ERROR(readLabels(s(path("badset2.csv"))), "badset2.csv:1");
    }

    void partialSpoofNumpy()
    {
        if (spooflens::test::pythonWithTorch().isEmpty())
            QSKIP("no python3 with numpy");
        const QString file = path("eval_seglab_0.02.npy");
        // As PartialSpoof ships them: a dict id -> array of '0'/'1' strings (1 = bona fide).
        QCOMPARE(python(QStringLiteral("import numpy as np\n"
                                       "d = {'CON_E_0000001': np.array(['1','1','0','0','1','0']),\n"
                                       "     'CON_E_0000002': np.array(['1','1','1']),\n"
                                       "     'CON_E_0000003': np.array([b'0', b'1'], dtype='S1'),\n"
                                       "     'CON_E_0000004': np.array(['0', '1'], dtype=object)}\n"
                                       "np.save('%1', d, allow_pickle=True)\n")
                         .arg(file)),
                 0);
        const LabelSet set = readLabels(s(file));
        QCOMPARE(set.size(), size_t(4));
        const UtteranceLabels& u = set.at("CON_E_0000001");
        QCOMPARE(u.resolution, 0.02);
        QCOMPARE(u.segments.size(), size_t(2));
        QVERIFY(qAbs(u.segments[0].start - 0.04) < 1e-12);
        QVERIFY(qAbs(u.segments[0].end - 0.08) < 1e-12);
        QVERIFY(qAbs(u.segments[1].start - 0.10) < 1e-12);
        QVERIFY(qAbs(u.segments[1].end - 0.12) < 1e-12);
        QVERIFY(set.at("CON_E_0000002").segments.empty());
        QCOMPARE(set.at("CON_E_0000003").segments.size(), size_t(1));
        QCOMPARE(set.at("CON_E_0000004").segments.size(), size_t(1));
        // 0.12 s of labels on 0.115 s of audio: the last segment overhangs by < 1 segment.
        const auto fl = frameLabels(u, 1840);
        QCOMPARE(fl.size(), size_t(5));
        // Frame 2 = samples [640, 1040): spoof from 640 (0.04 s) -> spoof; frame 4 = [1280, 1680): 0.08-0.10 s bona
        // fide, spoof from 1600 (0.10 s): 80 samples -> bona fide.
        QCOMPARE(fl, (std::vector<uint8_t>{0, 0, 1, 1, 0}));

        // A value other than '0'/'1' names the utterance and segment.
        const QString bad = path("bad_seglab_0.16.npy");
        QCOMPARE(python(QStringLiteral("import numpy as np\n"
                                       "np.save('%1', {'U9': np.array(['1','2'])}, allow_pickle=True)\n")
                         .arg(bad)),
                 0);
        EXPECT_ERROR(readLabels(s(bad)), "bad_seglab_0.16.npy", "'U9'", "segment 1");
        // A plain numeric array is not a label dict.
        const QString plain = path("plain_seglab_0.02.npy");
        QCOMPARE(python(QStringLiteral("import numpy as np\nnp.save('%1', np.zeros(3))\n").arg(plain)), 0);
        EXPECT_ERROR(readLabels(s(plain)), "plain_seglab_0.02.npy", "0-d object array");
    }

    // NumPy 2 (Debian 13) pickles object arrays with protocol 4 and numpy._core names;
    // tests/support/make_numpy2_pickles.py made these files (no python needed here).
    void numpy2ProtocolFour()
    {
        for (const char* name : {"numpy2/np2_seglab_0.02.npy", "numpy2/p4core_seglab_0.02.npy"}) {
            const LabelSet set = readLabels(spooflens::test::dataPath(name));
            QCOMPARE(set.size(), size_t(4));
            const UtteranceLabels& u = set.at("CON_E_0000001");
            QCOMPARE(u.resolution, 0.02);
            QCOMPARE(u.segments.size(), size_t(2));
            QVERIFY(qAbs(u.segments[0].start - 0.04) < 1e-12);
            QVERIFY(qAbs(u.segments[1].end - 0.12) < 1e-12);
            QVERIFY(set.at("CON_E_0000002").segments.empty());
            QCOMPARE(set.at("CON_E_0000003").segments.size(), size_t(1));
            QCOMPARE(set.at("CON_E_0000004").segments.size(), size_t(1));
        }
        // numpy._core is only another spelling of the same three globals: a NumPy scalar is still refused.
        EXPECT_ERROR(readLabels(spooflens::test::dataPath("numpy2/np2scalar_seglab_0.02.npy")),
                     "pickle global 'numpy._core.multiarray.scalar' is not allowed in a NumPy array file");
        // STACK_GLOBAL goes through the same list: os.system is refused by name, before any effect.
        EXPECT_ERROR(readLabels(spooflens::test::dataPath("numpy2/evil_p4_seglab_0.02.npy")),
                     "pickle global 'os.system' is not allowed in a NumPy array file");
    }

    void protocolFourOpcodes()
    {
        // [set(1, 2), frozenset('a'), 'bc' (BINUNICODE8), b'd' (BINBYTES8), the set again (MEMOIZE'd)]
        const std::string body = bytes("]\x94(\x8f\x94(K\x01K\x02\x90(\x8c\x01" "a\x91"
                                       "\x8d\x02\x00\x00\x00\x00\x00\x00\x00" "bc"
                                       "\x8e\x01\x00\x00\x00\x00\x00\x00\x00" "d"
                                       "h\x01" "e.");
        const PickleValue v = unpickleNumpy(protocol4(body));
        QCOMPARE(int(v.kind), int(PickleValue::Kind::List));
        QCOMPARE(v.items.size(), size_t(5));
        QCOMPARE(int(v.items[0].kind), int(PickleValue::Kind::List));
        QCOMPARE(v.items[0].items.size(), size_t(2));
        QCOMPARE(v.items[0].items[1].i, int64_t(2));
        QCOMPARE(v.items[1].items.size(), size_t(1));
        QCOMPARE(QString::fromStdString(v.items[1].items[0].s), QStringLiteral("a"));
        QCOMPARE(QString::fromStdString(v.items[2].s), QStringLiteral("bc"));
        QCOMPARE(QString::fromStdString(v.items[3].s), QStringLiteral("d"));
        QCOMPARE(v.items[4].items.size(), size_t(2));

        // STACK_GLOBAL names are checked like GLOBAL's, also when they come from the memo.
        EXPECT_ERROR(unpickleNumpy(protocol4(bytes("\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x02id\x85R."))),
                     "pickle global 'os.system' is not allowed in a NumPy array file");
        EXPECT_ERROR(unpickleNumpy(protocol4(bytes("\x8c\x08" "builtins\x94\x8c\x04" "eval\x94h\x00h\x01\x93."))),
                     "pickle global 'builtins.eval' is not allowed");
        EXPECT_ERROR(unpickleNumpy(protocol4(bytes("K\x01\x8c\x01x\x93."))), "STACK_GLOBAL expects two strings");
        // NEWOBJ_EX creates an object without REDUCE's checks: refused, even for an allowed class.
        EXPECT_ERROR(unpickleNumpy(protocol4(bytes("\x8c\x05numpy\x8c\x07ndarray\x93)}\x92."))),
                     "NEWOBJ_EX (creating numpy.ndarray) is not allowed");
        // Framing, lengths and protocol numbers are checked.
        EXPECT_ERROR(unpickleNumpy(bytes("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.")),
                     "frame of 255 bytes runs past the end");
        EXPECT_ERROR(unpickleNumpy(protocol4(bytes("\x8d\xff\xff\xff\xff\xff\xff\xff\xff"))),
                     "unexpected end of data");
        EXPECT_ERROR(unpickleNumpy(bytes("\x80\x05N.")), "pickle protocol 5 is not supported");
        EXPECT_ERROR(unpickleNumpy(bytes("\x80\x03\x8c\x01" "a.")),
                     "opcode SHORT_BINUNICODE is not allowed in a protocol-3 pickle");
        // A state-dict checkpoint stays at protocol 2 (torch.save writes 2).
        const std::string p4 = protocol4(bytes("N."));
        EXPECT_ERROR(unpickle(reinterpret_cast<const unsigned char*>(p4.data()), p4.size(), "x.pth"),
                     "pickle protocol 4 is not supported");
    }

    void maliciousPickleRejected()
    {
        if (spooflens::test::pythonWithTorch().isEmpty())
            QSKIP("no python3 with numpy");
        // A .npy whose pickle calls os.system (what np.load(allow_pickle=True) would run).
        const QString evil = path("evil_seglab_0.02.npy");
        const QString marker = path("pwned");
        QCOMPARE(python(QStringLiteral("import numpy as np, os, pickle\n"
                                       "class Evil:\n"
                                       "    def __reduce__(self):\n"
                                       "        return (os.system, ('touch %2',))\n"
                                       "d = {'CON_E_1': np.array(['0','1'])}\n"
                                       "with open('%1', 'wb') as f:\n"
                                       "    np.lib.format.write_array_header_1_0(f, {'descr': '|O', 'fortran_order': False, 'shape': ()})\n"
                                       "    pickle.dump(Evil(), f, protocol=3)\n"
                                       "with open('%3', 'wb') as f:\n"
                                       "    np.lib.format.write_array_header_1_0(f, {'descr': '|O', 'fortran_order': False, 'shape': ()})\n"
                                       "    pickle.dump(Evil(), f, protocol=4)\n")
                         .arg(evil, marker, path("evil4_seglab_0.02.npy"))),
                 0);
        EXPECT_ERROR(readLabels(s(evil)), "evil_seglab_0.02.npy", "system", "is not allowed in a NumPy array file");
        // Protocol 4 (NumPy 2's np.save): the same global, named by STACK_GLOBAL.
        EXPECT_ERROR(readLabels(s(path("evil4_seglab_0.02.npy"))), "evil4_seglab_0.02.npy", "'posix.system'",
                     "is not allowed in a NumPy array file");
        QVERIFY(!QFile::exists(marker));
        // A torch global is not on the NumPy list either.
        const QString torchy = path("torch_seglab_0.02.npy");
        QCOMPARE(python(QStringLiteral("import numpy as np\n"
                                       "with open('%1', 'wb') as f:\n"
                                       "    np.lib.format.write_array_header_1_0(f, {'descr': '|O', 'fortran_order': False, 'shape': ()})\n"
                                       "    f.write(b'\\x80\\x03ctorch._utils\\n_rebuild_tensor_v2\\n)R.')\n")
                         .arg(torchy)),
                 0);
        EXPECT_ERROR(readLabels(s(torchy)), "torch._utils._rebuild_tensor_v2", "is not allowed");
    }
};

QTEST_GUILESS_MAIN(TestGroundTruth)
#include "TestGroundTruth.moc"
