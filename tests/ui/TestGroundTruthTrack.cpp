// ctest-labels: fast gui
// The ground-truth track: spoof segments shaded at the label file's times on
// the shared axis, loaded by hand, found next to the audio (same stem), or
// looked up by utterance id in a multi-utterance file; bad labels are a
// message, not a crash. Frame labels are core's (core/explain/GroundTruth.h).
#include "core/explain/GroundTruth.h"
#include "tests/support/TestData.h"
#include "ui/Document.h"
#include "ui/MainWindow.h"
#include "ui/tracks/GroundTruthTrack.h"
#include "ui/tracks/WaveformTrack.h"

#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace spooflens;

namespace {

void writeText(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

} // namespace

class TestGroundTruthTrack : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    /// The spoof test utterance copied to `stem`.flac in its own folder.
    QString audioCopy(const QString& folder, const QString& stem)
    {
        QDir().mkpath(m_tmp.filePath(folder));
        const QString path = m_tmp.filePath(folder + QLatin1Char('/') + stem + QStringLiteral(".flac"));
        QFile::remove(path);
        if (!QFile::copy(QString::fromStdString(test::dataPath("asvspoof_spoof_sample.flac")), path))
            return {};
        return path;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_tmp.isValid());
    }

    void openedLabelFileIsShadedAtItsTimes()
    {
        const QString audio = audioCopy(QStringLiteral("a"), QStringLiteral("utt_a"));
        QVERIFY(!audio.isEmpty());
        const QString labels = m_tmp.filePath(QStringLiteral("hand_made.txt"));
        writeText(labels, "0.500000\t1.200000\tspoof\n1.750\t2.125\tspoof\n");
        ui::MainWindow w(false);
        w.show();
        w.openAudio(audio);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio() && w.isIdle(), 60000);
        QVERIFY(!w.groundTruthTrack()->isVisible());  // nothing next to the audio
        QCOMPARE(w.openLabels(labels), QString());
        ui::GroundTruthTrack* track = w.groundTruthTrack();
        QVERIFY(track->isVisible());
        QCOMPARE(track->segmentCount(), 2);
        QCOMPARE(track->segmentStart(0), 0.5);
        QCOMPARE(track->segmentEnd(0), 1.2);
        QCOMPARE(track->segmentStart(1), 1.75);
        QCOMPARE(track->segmentEnd(1), 2.125);
        // Same time axis as every other track.
        QCOMPARE(track->timeRange().lower, w.waveformTrack()->timeRange().lower);
        QCOMPARE(track->timeRange().upper, w.waveformTrack()->timeRange().upper);
        // Frame labels: core's, one per SSL frame of the audio.
        const auto expected = core::frameLabels(core::readAudacityLabels(labels.toStdString()),
                                                int64_t(w.audio()->samples.size()));
        const ui::GroundTruthView* truth = w.document()->groundTruth();
        QVERIFY(truth);
        QCOMPARE(truth->frameLabels.size(), expected.size());
        QCOMPARE(track->frameLabelCount(), int(w.audio()->frames()));
        for (size_t t = 0; t < expected.size(); ++t)
            QCOMPARE(truth->frameLabels[t], int(expected[t]));
        QVERIFY(track->readout(0.8).contains(QStringLiteral("spoof")));
        QVERIFY(track->readout(1.5).contains(QStringLiteral("bona fide")));
    }

    void labelsNextToTheAudioAreFoundAutomatically()
    {
        const QString audio = audioCopy(QStringLiteral("b"), QStringLiteral("utt_b"));
        writeText(m_tmp.filePath(QStringLiteral("b/utt_b.lab")), "0.25\t0.75\tspoof\n");
        ui::MainWindow w(false);
        w.show();
        w.openAudio(audio);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio() && w.isIdle(), 60000);
        QTRY_VERIFY(w.groundTruthTrack()->isVisible());
        QCOMPARE(w.groundTruthTrack()->segmentCount(), 1);
        QCOMPARE(w.groundTruthTrack()->segmentStart(0), 0.25);
        QCOMPARE(w.document()->groundTruth()->utterance, QStringLiteral("utt_b"));
    }

    void multiUtteranceFileIsLookedUpById()
    {
        const QString c = audioCopy(QStringLiteral("c"), QStringLiteral("utt_c"));
        const QString d = audioCopy(QStringLiteral("c"), QStringLiteral("utt_d"));
        const QString csv = m_tmp.filePath(QStringLiteral("set.csv"));
        writeText(csv, "utterance,start,end,label\nutt_c,1.0,1.5,spoof\nutt_x,0.1,0.2,spoof\n");
        ui::MainWindow w(false);
        w.show();
        QCOMPARE(w.openLabels(csv, /*everyFile=*/true), QString());  // no audio yet: applied later
        w.openAudio(c);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio() && w.isIdle() && w.document()->groundTruth(), 60000);
        QCOMPARE(w.groundTruthTrack()->segmentCount(), 1);
        QCOMPARE(w.groundTruthTrack()->segmentEnd(0), 1.5);
        // A file the table does not list: no track, and a message naming the file.
        w.openAudio(d);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio()->path == d.toStdString() && w.isIdle(), 60000);
        QVERIFY(!w.document()->groundTruth());
        QVERIFY(!w.groundTruthTrack()->isVisible());
        QVERIFY(!w.errorMessages().isEmpty());
        QVERIFY(w.errorMessages().back().contains(QStringLiteral("set.csv")));
        QVERIFY(w.errorMessages().back().contains(QStringLiteral("utt_d")));
    }

    void malformedLabelsAreAMessage()
    {
        const QString audio = audioCopy(QStringLiteral("e"), QStringLiteral("utt_e"));
        const QString bad = m_tmp.filePath(QStringLiteral("bad.txt"));
        writeText(bad, "0.5\t0.2\tspoof\n");  // end before start
        ui::MainWindow w(false);
        w.show();
        w.openAudio(audio);
        QTRY_VERIFY_WITH_TIMEOUT(w.audio() && w.isIdle(), 60000);
        const QString err = w.openLabels(bad);
        QVERIFY(err.contains(QStringLiteral("bad.txt")));
        QVERIFY(!w.document()->groundTruth());
        QCOMPARE(w.errorMessages().size(), 1);
    }
};

QTEST_MAIN(TestGroundTruthTrack)
#include "TestGroundTruthTrack.moc"
