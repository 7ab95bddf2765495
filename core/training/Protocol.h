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

} // namespace spooflens::core
