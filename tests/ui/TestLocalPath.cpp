// ctest-labels: fast gui
// File names that are not UTF-8 (docs/reliability.md): Qt shows their bad
// bytes as U+FFFD, so the viewer called an existing file "not found".
// localPath recovers the bytes from the folder, and the viewer's worker loads
// the file.
#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "tests/support/TestData.h"
#include "ui/LocalPath.h"
#include "ui/analysis/InferenceWorker.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <memory>

using namespace spooflens;
namespace fs = std::filesystem;

class TestLocalPath : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string raw(const char* name) const { return QFile::encodeName(m_dir.path()).toStdString() + "/" + name; }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ui::AudioPtr>();
        const std::string flac = test::dataPath("asvspoof_bonafide_sample.flac");
        // "café.wav" in Latin-1 (0xe9), and a folder "Ø" (0xd8) holding "x.flac".
        fs::copy_file(flac, raw("caf\xe9.flac"));
        fs::create_directory(raw("\xd8"));
        fs::copy_file(flac, raw("\xd8/x.flac"));
        // Two names that Qt shows alike: "a\xe8" and "a\xe9" both read "a\uFFFD".
        fs::copy_file(flac, raw("a\xe8.flac"));
        fs::copy_file(flac, raw("a\xe9.flac"));
    }

    void recoversTheBytes()
    {
        const QString shown = QFile::decodeName(QByteArray::fromStdString(raw("caf\xe9.flac")));
        QVERIFY(shown.contains(QChar(QChar::ReplacementCharacter)));
        QVERIFY(!fs::exists(shown.toStdString()));  // what the viewer used to open
        QCOMPARE(ui::localPath(shown), raw("caf\xe9.flac"));
        const QString folder = QFile::decodeName(QByteArray::fromStdString(raw("\xd8/x.flac")));
        QCOMPARE(ui::localPath(folder), raw("\xd8/x.flac"));
        // Relative to the working directory too.
        const QString cwd = QDir::currentPath();
        QVERIFY(QDir::setCurrent(m_dir.path()));
        QCOMPARE(ui::localPath(QFile::decodeName("caf\xe9.flac")), std::string("caf\xe9.flac"));
        QVERIFY(QDir::setCurrent(cwd));
        // Ordinary names are their UTF-8; ambiguous ones stay as written.
        QCOMPARE(ui::localPath(QStringLiteral("/tmp/ordinary é.wav")), std::string("/tmp/ordinary \xc3\xa9.wav"));
        const QString twice = QFile::decodeName(QByteArray::fromStdString(raw("a\xe9.flac")));
        QCOMPARE(ui::localPath(twice), twice.toStdString());
    }

    void viewerLoadsTheFile()
    {
        // The viewer's worker, given the name as Qt shows it (file dialog,
        // command line), loads the file instead of calling it "not found".
        const QString shown = QFile::decodeName(QByteArray::fromStdString(raw("caf\xe9.flac")));
        auto generation = std::make_shared<std::atomic<quint64>>(1);
        ui::InferenceWorker worker(generation);
        QSignalSpy loaded(&worker, &ui::InferenceWorker::audioLoaded);
        QSignalSpy failed(&worker, &ui::InferenceWorker::failed);
        worker.loadAudio(1, shown);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(2).toString()));
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(loaded.first().at(1).value<ui::AudioPtr>()->samples.size(), size_t(112640));
    }
};

QTEST_MAIN(TestLocalPath)
#include "TestLocalPath.moc"
