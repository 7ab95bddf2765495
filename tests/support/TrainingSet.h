#pragma once
// A small Stage 2 training set written by a test: the two real utterances of
// tests/data cut into 1 s pieces, a 3-column protocol and a configuration for
// the tiny fixture detector with a small preset, so that one epoch takes
// seconds on 2 cores. Every path in it is absolute (no dependence on where the
// build folder is).
#include <QString>
#include <QStringList>

namespace spooflens::test {

struct TrainingSet {
    QString dataDir;      ///< DIR/data (database_path)
    QString protocol;     ///< DIR/data/protocol.txt
    QString config;       ///< DIR/train.yaml
    QStringList bonafide; ///< the pieces, relative to dataDir (audio/bonafide_K.wav)
    QStringList spoof;    ///< audio/spoof_K.wav
};

/// Writes `perClass` pieces of each class (at most 6) under `dir`; the first
/// `trainPerClass` of each class are `train` rows, the rest `dev` rows.
/// The configuration: batch 4, `epochs` epochs, hidden size 32, one thread,
/// cache in DIR/cache (float32). Returns an empty dataDir on failure.
TrainingSet writeTrainingSet(const QString& dir, int perClass = 6, int trainPerClass = 4, int epochs = 2);

/// Writes a 3-column protocol `path` with `rows` ("FILE SUBSET LABEL" each).
bool writeProtocol(const QString& path, const QStringList& rows);

} // namespace spooflens::test
