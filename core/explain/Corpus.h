#pragma once
// A corpus to browse in the viewer (docs/gui.md, "Corpus"): the utterances of
// a protocol, of a folder of audio files or of a finished `evaluate` folder,
// each with its label, detector score, disagreement between the Stage 2
// modules and frame ROC-AUC per explainer track when those are known.
// Torch-free.
#include "core/explain/Evaluation.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spooflens::core {

struct CorpusEntry {
    std::string utterance;       ///< id = file stem (protocol: the listed file's stem)
    std::string path;            ///< the audio file; "" when it was not found
    std::string label;           ///< "bonafide" | "spoof" | "" (unknown)
    std::string subset;          ///< train | dev | eval | "" (unknown)
    int64_t line = 0;            ///< 1-based protocol line (0: not from a protocol)
    double score = kNaN;         ///< detector bona fide logit, NaN until known
    /// 1 - mean pairwise Spearman correlation of the Stage 2 modules' w(t):
    /// 0 when they rank the frames alike, up to 2 when opposite. NaN with
    /// fewer than two modules or no w(t) known.
    double disagreement = kNaN;
    std::vector<double> auc;     ///< parallel to Corpus::tracks: frame ROC-AUC, NaN unknown
};

struct Corpus {
    enum class Kind { Protocol, Folder, Evaluate };
    Kind kind = Kind::Folder;
    std::string source;                ///< the protocol file or the folder read
    /// Track names of the AUC columns, "METHOD:SOURCE" as in the CSV export
    /// (SOURCE: "detector" or the Stage 2 module's file stem).
    std::vector<std::string> tracks;
    std::vector<CorpusEntry> entries;  ///< list order: protocol lines, sorted paths, or sorted ids

    /// Index of the entry with this utterance id, or -1.
    int64_t find(const std::string& utterance) const;
    /// Index of the entry with this audio path (compared as canonical paths), or -1.
    int64_t findPath(const std::string& path) const;
    /// Column of `track` in `tracks`, added (NaN for every entry) when new.
    size_t trackColumn(const std::string& track);
    /// Entries whose audio was found.
    int64_t playable() const;
};

std::string corpusKindName(Corpus::Kind k);

/// Reads `path`: a folder holding `utterances.jsonl` is an evaluate folder; any
/// other folder is scanned for audio files (core/audio/AudioFormats.h, every
/// subfolder, sorted by path); a file is a protocol (core/training/Protocol.h),
/// its audio looked up under `databasePath` (default: the protocol's folder,
/// then its parent: the ASVspoof 2019 layout). Throws ConfigError naming the
/// path when it is none of these or holds no utterance.
Corpus readCorpus(const std::string& path, const std::string& databasePath = {});

/// Joins evaluate records by utterance id: score, label (when the entry has
/// none), disagreement and one AUC column per track; records of utterances the
/// corpus lacks are appended. Returns the number of entries that got a record.
int64_t addEvalRecords(Corpus& corpus, const std::vector<EvalRecord>& records);

/// The AUC column name of an evaluate track (METHOD:SOURCE, as above).
std::string evalTrackName(const EvalTrack& t);

/// 1 - mean pairwise Spearman correlation of the tracks (see CorpusEntry).
/// NaN with fewer than two non-empty tracks of equal length.
double moduleDisagreement(const std::vector<const std::vector<float>*>& modules);

/// What a column sorts by.
enum class CorpusSortKey { List, Utterance, Label, Score, Disagreement, Auc };

/// Entry indices in the order of `key` (Auc: the column `aucColumn`),
/// ascending or descending; unknown values (NaN, empty label) always last;
/// ties keep list order.
std::vector<size_t> corpusOrder(const Corpus& corpus, CorpusSortKey key, bool descending, size_t aucColumn = 0);

} // namespace spooflens::core
