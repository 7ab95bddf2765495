#pragma once
// Protocol (label list) readers for Stage 2 training. Torch-free.
// Formats, detected per file:
//  - merged 3 columns:      `LA_T_1138215.flac train bonafide`
//  - ASVspoof 2019 LA 5 col: `LA_0079 LA_T_1138215 - - bonafide` (file = col 2 + ".flac")
//  - In-the-Wild meta.csv:  `file,speaker,label` with `bona-fide` / `spoof`
//  - plain CSV:             `path,subset,label`
// Labels: bona fide = 1, spoof = 0.
#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

enum class ProtocolFormat { Merged3, Asv2019La5, InTheWildCsv, PlainCsv };
std::string protocolFormatName(ProtocolFormat f);

struct ProtocolEntry {
    std::string file;     ///< as written (relative to the database root)
    std::string subset;   ///< train | dev | eval | "" (unknown)
    int label = 0;        ///< 1 bona fide, 0 spoof
    int64_t line = 0;     ///< 1-based line in the protocol file
};

struct Protocol {
    std::string path;
    ProtocolFormat format = ProtocolFormat::Merged3;
    std::vector<ProtocolEntry> entries;
};

/// Reads and validates a protocol file. A malformed line throws ConfigError
/// "<file>:<line>: <problem>".
Protocol readProtocol(const std::string& path);

/// Finds the audio of `entry`: `databasePath/file`, then the ASVspoof 2019
/// layout `databasePath/ASVspoof2019_LA_{train,dev,eval}/flac/file` (subset
/// first). Returns "" if not found.
std::string resolveAudioPath(const std::string& databasePath, const ProtocolEntry& entry);

/// Resolves every entry; throws ConfigError listing the missing files (up to
/// 20 paths and the count) so that nothing fails in the middle of training.
std::vector<std::string> resolveAllAudio(const std::string& databasePath, const Protocol& protocol);

/// What makes a protocol suspicious without making it unreadable
/// (docs/reliability.md): the same audio listed twice (it weighs double) and a
/// training set with one class only (nothing to contrast). Warnings by
/// default; errors with `--strict` (train, cache, evaluate).
struct ProtocolChecks {
    int64_t duplicates = 0;       ///< rows naming audio an earlier row already names
    std::string firstDuplicate;   ///< "FILE (lines A and B)", empty when none
    int64_t bonafide = 0;         ///< rows of the training subset (and rows without a subset)
    int64_t spoof = 0;
    bool singleClass() const { return (bonafide == 0) != (spoof == 0); }
};

/// Counts duplicates among `keys` (one per entry, e.g. resolveAllAudio's paths
/// or utterance ids; the entries' files when empty) and the classes of the rows
/// whose subset is `trainSubset` or empty (`trainSubset` empty: no class count).
ProtocolChecks checkProtocol(const Protocol& protocol, const std::vector<std::string>& keys,
                             const std::string& trainSubset);

/// The problems of `checks` as sentences with counts (no prefix), the class
/// balance only when `checkClasses`. Empty when nothing is wrong.
std::vector<std::string> protocolProblems(const ProtocolChecks& checks, const std::string& protocolPath,
                                          bool checkClasses);

/// `--strict`: throws ConfigError listing every problem; otherwise returns them.
std::vector<std::string> enforceProtocolChecks(const ProtocolChecks& checks, const std::string& protocolPath,
                                               bool checkClasses, bool strict);

} // namespace spooflens::core
