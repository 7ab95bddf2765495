#include "tests/support/TrainingSet.h"

#include "core/audio/AudioFile.h"
#include "core/training/Demo.h"
#include "tests/support/TestData.h"

#include <QDir>
#include <QFile>

#include <cstdint>
#include <vector>

namespace spooflens::test {

bool writeProtocol(const QString& path, const QStringList& rows)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text | QIODevice::Truncate))
        return false;
    for (const QString& r : rows)
        f.write((r + "\n").toUtf8());
    return true;
}

TrainingSet writeTrainingSet(const QString& dir, int perClass, int trainPerClass, int epochs)
{
    constexpr int64_t kPiece = 16000;  // 1 s at 16 kHz
    TrainingSet s;
    const QString data = QDir(dir).filePath("data");
    if (perClass < 1 || perClass > 6 || !QDir().mkpath(data + "/audio"))
        return s;
    QStringList rows;
    for (const char* label : {"bonafide", "spoof"}) {
        const auto audio = core::loadAudio(dataPath(std::string("asvspoof_") + label + "_sample.flac"));
        if (int64_t(audio.samples.size()) < perClass * kPiece)
            return s;
        for (int k = 0; k < perClass; ++k) {
            const QString name = QString("audio/%1_%2.wav").arg(label).arg(k);
            const auto from = audio.samples.begin() + k * kPiece;
            core::writeWav16k((data + "/" + name).toStdString(), std::vector<float>(from, from + kPiece));
            (label[0] == 'b' ? s.bonafide : s.spoof).push_back(name);
            rows << QString("%1 %2 %3").arg(name, k < trainPerClass ? "train" : "dev", label);
        }
    }
    const QString protocol = data + "/protocol.txt";
    if (!writeProtocol(protocol, rows))
        return s;
    const QString config = QDir(dir).filePath("train.yaml");
    QFile y(config);
    if (!y.open(QIODevice::WriteOnly | QIODevice::Text | QIODevice::Truncate))
        return s;
    y.write(QString("model:\n  name: small_test_set\n  pretrained_checkpoint: %1\n  prototype_mode: ema\n"
                    "  importance_hidden_dim: 32\n"
                    "training:\n  batch_size: 4\n  num_epochs: %2\n  learning_rate: 0.001\n  seed: 7\n"
                    "  device: cpu\n  threads: 1\n"
                    "data:\n  database_path: %3\n  protocol_path: %4\n  crop: 64600\n"
                    "cache:\n  enabled: true\n  dir: %5\n  dtype: float32\n")
                .arg(QString::fromStdString(dataPath("fixtures/detector_tiny.pth")))
                .arg(epochs)
                .arg(data, protocol, QDir(dir).filePath("cache"))
                .toUtf8());
    s.dataDir = data;
    s.protocol = protocol;
    s.config = config;
    return s;
}

} // namespace spooflens::test
