// Protocol readers: the four formats, labels, subsets, malformed lines with
// file:line, ASVspoof 2019 folder lookup and up-front missing-file reports.
// ctest-labels: fast
#include "core/Error.h"
#include "core/training/Protocol.h"
#include "tests/support/TestData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace spooflens::core;
namespace fs = std::filesystem;

class TestProtocol : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string write(const std::string& name, const std::string& text)
    {
        const std::string p = (fs::path(m_dir.path().toStdString()) / name).string();
        std::ofstream(p) << text;
        return p;
    }

    void expectError(const std::string& path, const std::string& needle)
    {
        try {
            readProtocol(path);
        } catch (const ConfigError& e) {
            const std::string msg = e.what();
            if (msg.find(needle) == std::string::npos)
                QFAIL(qPrintable(QString::fromStdString("message '" + msg + "' lacks '" + needle + "'")));
            return;
        }
        QFAIL("no ConfigError");
    }

private slots:
    void merged3()
    {
        const auto p = readProtocol(write("merged.txt", "LA_T_1138215.flac train bonafide\n\nLA_D_1.flac dev spoof\n"
                                                        "LA_E_2.flac eval bonafide\n"));
        QCOMPARE(int(p.format), int(ProtocolFormat::Merged3));
        QCOMPARE(int(p.entries.size()), 3);
        QCOMPARE(QString::fromStdString(p.entries[0].file), QString("LA_T_1138215.flac"));
        QCOMPARE(p.entries[0].label, 1);
        QCOMPARE(QString::fromStdString(p.entries[1].subset), QString("dev"));
        QCOMPARE(p.entries[1].label, 0);
        QCOMPARE(int(p.entries[1].line), 3);  // blank line counted
    }

    void la5()
    {
        const auto p = readProtocol(write("la.txt", "LA_0079 LA_T_1138215 - - bonafide\nLA_0080 LA_D_1271820 - A01 spoof\n"));
        QCOMPARE(int(p.format), int(ProtocolFormat::Asv2019La5));
        QCOMPARE(QString::fromStdString(p.entries[0].file), QString("LA_T_1138215.flac"));
        QCOMPARE(QString::fromStdString(p.entries[0].subset), QString("train"));
        QCOMPARE(p.entries[0].label, 1);
        QCOMPARE(QString::fromStdString(p.entries[1].subset), QString("dev"));
        QCOMPARE(p.entries[1].label, 0);
    }

    void inTheWild()
    {
        const auto p = readProtocol(write("meta.csv", "file,speaker,label\n0.wav,Alec Guinness,spoof\n1.wav,Alec Guinness,bona-fide\n"));
        QCOMPARE(int(p.format), int(ProtocolFormat::InTheWildCsv));
        QCOMPARE(int(p.entries.size()), 2);
        QCOMPARE(p.entries[0].label, 0);
        QCOMPARE(p.entries[1].label, 1);
        QVERIFY(p.entries[1].subset.empty());
    }

    void plainCsv()
    {
        const auto p = readProtocol(write("plain.csv", "path,subset,label\na/x.wav,train,bonafide\n\"a/y, z.wav\",dev,spoof\n"));
        QCOMPARE(int(p.format), int(ProtocolFormat::PlainCsv));
        QCOMPARE(QString::fromStdString(p.entries[1].file), QString("a/y, z.wav"));
        QCOMPARE(QString::fromStdString(p.entries[1].subset), QString("dev"));
        // Without a header too.
        const auto q = readProtocol(write("plain2.csv", "a/x.wav,train,spoof\n"));
        QCOMPARE(int(q.format), int(ProtocolFormat::PlainCsv));
        QCOMPARE(q.entries[0].label, 0);
    }

    void malformed()
    {
        const std::string a = write("bad1.txt", "LA_T_1.flac train bonafide\nLA_T_2.flac train\n");
        expectError(a, a + ":2:");
        const std::string b = write("bad2.txt", "LA_T_1.flac train bonafide\nLA_T_2.flac train maybe\n");
        expectError(b, b + ":2: unknown label 'maybe'");
        const std::string c = write("bad3.txt", "LA_T_1.flac training bonafide\n");
        expectError(c, c + ":1: unknown subset");
        const std::string d = write("bad4.txt", "one two three four\n");
        expectError(d, d + ":1: cannot tell the protocol format");
        const std::string e = write("bad5.csv", "file,speaker,label\n0.wav,spoof\n");
        expectError(e, e + ":2:");
        const std::string f = write("bad6.txt", "LA_0079 LA_T_1 - - bonafide\nLA_0079 LA_T_2 - bonafide\n");
        expectError(f, f + ":2:");
        const std::string g = write("empty.txt", "\n# only a comment\n");
        expectError(g, "no utterances");
        expectError(write("dummy", "") + ".missing", "cannot open");
    }

    void lookup()
    {
        const fs::path root = fs::path(m_dir.path().toStdString()) / "db";
        fs::create_directories(root / "ASVspoof2019_LA_dev" / "flac");
        fs::create_directories(root / "sub");
        fs::copy_file(spooflens::test::dataPath("asvspoof_spoof_sample.flac"), root / "ASVspoof2019_LA_dev" / "flac" / "LA_D_1.flac");
        fs::copy_file(spooflens::test::dataPath("asvspoof_bonafide_sample.flac"), root / "sub" / "x.flac");
        const auto p = readProtocol(write("look.txt", "sub/x.flac train bonafide\nLA_D_1.flac dev spoof\n"));
        const auto paths = resolveAllAudio(root.string(), p);
        QCOMPARE(QString::fromStdString(paths[0]), QString::fromStdString((root / "sub" / "x.flac").string()));
        QCOMPARE(QString::fromStdString(paths[1]),
                 QString::fromStdString((root / "ASVspoof2019_LA_dev" / "flac" / "LA_D_1.flac").string()));
        // Missing files are all reported, with protocol line and path.
        const std::string miss = write("miss.txt", "sub/x.flac train bonafide\nnope1.flac train spoof\nnope2.flac dev spoof\n");
        try {
            resolveAllAudio(root.string(), readProtocol(miss));
            QFAIL("no error");
        } catch (const ConfigError& e) {
            const std::string msg = e.what();
            QVERIFY(msg.find("2 audio file(s)") != std::string::npos);
            QVERIFY(msg.find(miss + ":2: " + (root / "nope1.flac").string()) != std::string::npos);
            QVERIFY(msg.find("nope2.flac") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "TestProtocol.moc"
