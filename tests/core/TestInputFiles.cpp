// ctest-labels: fast
// Inputs that are not regular files (docs/reliability.md): a FIFO without a
// writer is rejected at once with a clear error instead of blocking open()
// forever, a symbolic link loop is named as such, and text from input file
// names never reaches the terminal with its control characters.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Detector.h"
#include "core/explain/PartialSet.h"
#include "core/training/Protocol.h"
#include "core/training/TrainConfig.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace spooflens::core;

class TestInputFiles : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string m_fifo, m_loop;

    template <typename E>
    static QString errorOf(const std::function<void()>& f)
    {
        try {
            f();
        } catch (const E& e) {
            return QString::fromStdString(e.what());
        }
        return QString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_fifo = m_tmp.path().toStdString() + "/pipe.wav";
        QCOMPARE(::mkfifo(m_fifo.c_str(), 0600), 0);
        m_loop = m_tmp.path().toStdString() + "/loop_a.pth";
        const std::string b = m_tmp.path().toStdString() + "/loop_b.pth";
        QCOMPARE(::symlink(b.c_str(), m_loop.c_str()), 0);
        QCOMPARE(::symlink(m_loop.c_str(), b.c_str()), 0);
    }

    void fifoIsRejectedWithoutBlocking()
    {
        // Each of these blocked in open() before (no writer ever comes).
        const QString audio = errorOf<AudioError>([&] { loadAudio(m_fifo); });
        QVERIFY2(audio.contains("FIFO") && audio.contains(QString::fromStdString(m_fifo)), qPrintable(audio));
        const QString ckpt = errorOf<CheckpointError>([&] { readCheckpoint(m_fifo); });
        QVERIFY2(ckpt.contains("FIFO"), qPrintable(ckpt));
        DetectorOptions o;
        o.checkpointPath = m_fifo;
        o.device = "cpu";
        const QString det = errorOf<CheckpointError>([&] { Detector d(o); });
        QVERIFY2(det.contains("FIFO"), qPrintable(det));
        const QString cfg = errorOf<ConfigError>([&] { TrainConfig::load(m_fifo); });
        QVERIFY2(cfg.contains("FIFO"), qPrintable(cfg));
        const QString proto = errorOf<ConfigError>([&] { readProtocol(m_fifo); });
        QVERIFY2(proto.contains("FIFO"), qPrintable(proto));
    }

    void protocolEntriesThatAreNoFiles()
    {
        // A protocol naming a FIFO, a folder and a device used to say "not found"
        // for each: they are there, they are just no audio files.
        const std::string db = m_tmp.path().toStdString() + "/db";
        QVERIFY(QDir().mkpath(QString::fromStdString(db + "/folder.wav")));
        QCOMPARE(::symlink(m_fifo.c_str(), (db + "/pipe.wav").c_str()), 0);
        QCOMPARE(::symlink("/dev/null", (db + "/null.wav").c_str()), 0);
        const std::string proto = db + "/protocol.txt";
        {
            QFile f(QString::fromStdString(proto));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("pipe.wav train bonafide\nfolder.wav train spoof\nnull.wav train spoof\ngone.wav train spoof\n");
        }
        const QString err = errorOf<ConfigError>([&] { resolveAllAudio(db, readProtocol(proto)); });
        for (const QString& part : {QString("4 audio file(s) of the protocol not found or not regular files (3 of them exist"),
                                    QString(":1: ") + QString::fromStdString(db) + "/pipe.wav: is a FIFO (named pipe), not an audio file",
                                    QString(":2: ") + QString::fromStdString(db) + "/folder.wav: is a directory, not an audio file",
                                    QString(":3: ") + QString::fromStdString(db) + "/null.wav: is a device, not an audio file",
                                    QString(":4: ") + QString::fromStdString(db) + "/gone.wav"})
            QVERIFY2(err.contains(part), qPrintable(err + " ## " + part));
        QVERIFY2(err.endsWith("/gone.wav"), qPrintable(err));  // not found: nothing added
    }

    void audioListMustBeAFile()
    {
        // make-partial --bonafide /dev/zero read one endless line (8.5 GB in 60 s).
        for (const std::string& list : {std::string("/dev/zero"), m_fifo}) {
            const QString err = errorOf<ConfigError>([&] { readAudioList(list); });
            QVERIFY2(err.contains(QString::fromStdString(list)) && (err.contains("is a device") || err.contains("FIFO")),
                     qPrintable(err));
        }
    }

    void symlinkLoopIsNamed()
    {
        const QString audio = errorOf<AudioError>([&] { loadAudio(m_loop); });
        QVERIFY2(audio.contains("symbolic link loop"), qPrintable(audio));
        const QString ckpt = errorOf<CheckpointError>([&] { readCheckpoint(m_loop); });
        QVERIFY2(ckpt.contains("symbolic link loop"), qPrintable(ckpt));
        DetectorOptions o;
        o.checkpointPath = m_loop;
        o.device = "cpu";
        const QString det = errorOf<CheckpointError>([&] { Detector d(o); });
        QVERIFY2(det.contains("symbolic link loop"), qPrintable(det));
    }

    void cliEscapesControlCharacters()
    {
        // A file name with ESC [ 2 J (clear screen) and a BEL, through `spooflens info`.
        const QString name = m_tmp.path() + "/evil\x1b[2J\x07.wav";
        QProcess p;
        p.start(spooflens::test::cliPath(), {"info", QString::fromStdString(m_fifo), name});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("FIFO"), err.constData());
        QVERIFY2(!err.contains('\x1b') && !err.contains('\x07'), err.toHex().constData());
        QVERIFY2(err.contains("evil\\x1b[2J\\x07.wav"), err.constData());
    }

    void deflatedRecordInflationIsCapped()
    {
        // 78 kB on disk, one deflate-compressed record declaring 80 MB (a real
        // 20 M-float tensor): refused before anything is inflated.
        const std::string path = std::string(SPOOFLENS_SOURCE_DIR) + "/tests/fuzz/corpus/checkpoint/deflated_80mb.pth";
        const QString err = errorOf<CheckpointError>([&] { readCheckpoint(path); });
        QVERIFY2(err.contains("deflate-compressed") && err.contains("80000000") && err.contains("archive/data/0"),
                 qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestInputFiles)
#include "TestInputFiles.moc"
