#pragma once
// Facade over the frozen detector: XLS-R 300M + ConformerTCM (docs/detector.md)
// or AASIST / AASIST-L (docs/aasist.md), recognised from the checkpoint's keys.
// Torch-free: ui/ and app/ include this, never the LibTorch modules behind it.
#include "core/audio/FrameGrid.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spooflens::core {

/// How the waveform is presented to the model (docs/detector.md §2).
enum class CutMode { Full, Cut64600, Cut66800 };
std::string cutModeName(CutMode m);            ///< "full", "64600", "66800"
CutMode parseCutMode(const std::string& text); ///< throws ConfigError
/// The detector's input for `samples` under `cut`: the samples themselves
/// (full), or tiled / truncated to 64 600 or 66 800 samples.
std::vector<float> applyCut(const std::vector<float>& samples, CutMode cut);

/// Arithmetic of the SSL encoder (docs/precision.md). Fp32: the reference
/// (agrees with the fixtures to 1e-4). Bf16: the encoder's GEMMs and
/// convolutions on bfloat16 copies of the weights (fp32 accumulation,
/// LayerNorm, softmax and the residual stream in float32; the back-end stays
/// float32); several times faster on CPUs with AVX512-BF16/AMX, h(t) within
/// the tolerance stated in docs/precision.md.
enum class Precision { Fp32, Bf16 };
std::string precisionName(Precision p);            ///< "fp32", "bf16"
Precision parsePrecision(const std::string& text); ///< throws ConfigError

struct DetectorOptions {
    std::string checkpointPath;   ///< avg_5_best.pth (or a DataParallel save, or a Stage 2 run file), AASIST.pth, AASIST-L.pth
    /// Optional: YAML (ssl.attention_heads, backend.attention_heads; `family`)
    /// or the AASIST authors' JSON configuration (its `model_config`).
    std::string configPath;
    std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
    int threads = 0;              ///< 0 = all cores
    Precision precision = Precision::Fp32;
    /// Files longer than this run in overlapping windows (seconds).
    double singlePassLimitSeconds = 60.0;
};

struct DetectorInfo {
    std::string checkpointPath;
    std::string sha256;           ///< of the checkpoint file
    std::string device;           ///< e.g. "cpu", "cuda:0"
    std::string precision = "fp32";  ///< precisionName() of DetectorOptions::precision
    std::string family;           ///< "xlsr-tcm" or "aasist" (detectorFamilyName)
    std::string preset;           ///< xlsr-tcm: "xlsr300m", "tiny", "custom"; aasist: "AASIST", "AASIST-L", "custom"
    int64_t embedDim = 0;         ///< D (1024 for XLS-R 300M; AASIST's e_T width C: 64, AASIST-L 24)
    /// The frames of `DetectorResult::ssl`: XLS-R 320/400/0, AASIST 2187/2315/0.
    FrameGrid grid;
    /// Where the score's decision threshold comes from (shown beside it).
    double threshold = 0;
    std::string thresholdSource;
    int64_t sslLayers = 0;
    int64_t sslHeads = 0;
    int64_t backendBlocks = 0;
    int64_t keysUsed = 0, keysIgnored = 0;
    std::vector<std::string> notes;  ///< loader remarks (ignored keys, dtype conversions)
    double loadSeconds = 0;
    bool isAasist() const { return family == "aasist"; }
};

struct WindowScore {
    int64_t startSample = 0, endSample = 0;  ///< at 16 kHz, [start, end)
    float logits[2] = {0, 0};
    float score = 0;                         ///< logits[1]
};

struct DetectorRequest {
    CutMode cut = CutMode::Full;
    bool wantLayerOutputs = false;   ///< per-layer SSL outputs (before the final LN)
    bool wantAttention = false;      ///< TCM attention maps per block
};

/// One window of a long file (see Detector::run). Samples at 16 kHz; frames
/// are global indices of the detector's frame grid.
struct WindowPlan {
    int64_t startSample = 0, endSample = 0;  ///< [start, end), start on the frame grid
    int64_t firstFrame = 0;                  ///< global index of the window's frame 0
    int64_t keepFrom = 0, keepTo = 0;        ///< global frames [keepFrom, keepTo) taken from this window
};

/// Splits `samples` into windows of at most `windowSamples` (rounded down to
/// the frame grid, at least 8 frames). Consecutive windows overlap by a
/// quarter of the window (2 x margin, margin = window/8 on the frame grid);
/// each keeps the frames up to the middle of its overlaps, so every kept frame
/// is at least ~margin away from a cut that the file itself does not have. The
/// last window ends at the end of the file. The kept ranges tile
/// [0, grid.count(samples)) exactly. `grid` has offset 0.
std::vector<WindowPlan> planWindows(int64_t samples, int64_t windowSamples, const FrameGrid& grid = FrameGrid::xlsr());

/// Plain result of one utterance.
struct DetectorResult {
    int64_t samples = 0;             ///< samples the model saw (after the cut)
    int64_t frames = 0;              ///< T
    int64_t dim = 0;                 ///< D
    /// The frame embeddings, T x D row-major: XLS-R's h(t) after the encoder's
    /// final LayerNorm; AASIST's temporal node embeddings e_T.
    std::vector<float> ssl;
    /// AASIST only: the spectral node embeddings with pos_S added (rows x D),
    /// the graph back-end's second input (kept fixed by feature-space explainers).
    std::vector<float> spectral;
    int64_t spectralRows = 0;
    float logits[2] = {0, 0};
    float score = 0;                 ///< logits[1], bona fide logit
    CutMode cut = CutMode::Full;
    /// Long file (more than singlePassLimitSeconds after the cut): processed in
    /// overlapping windows (planWindows). `ssl` (and `layerOutputs`) are then
    /// stitched from the window centres, `windows` has one score per window and
    /// `logits`/`score` are the mean of the window logits. No attention maps.
    bool windowed = false;
    std::vector<WindowScore> windows;
    std::vector<std::vector<float>> layerOutputs;  ///< [layer][T x D] if requested
    /// [block][heads x (T+5) x (T+5)] if requested; order [class, frames, head tokens].
    std::vector<std::vector<float>> attention;
    int64_t attentionHeads = 0;
    double seconds = 0;              ///< wall time of the forward pass
};

/// Thread-safety: one Detector may be used from one thread at a time; create
/// it in (or move it to) the thread that runs inference.
class Detector {
public:
    explicit Detector(const DetectorOptions& options);  ///< loads; throws CheckpointError/ConfigError
    ~Detector();
    Detector(Detector&&) noexcept;
    Detector& operator=(Detector&&) noexcept;

    const DetectorInfo& info() const;

    /// Runs the detector on 16 kHz mono samples. Throws AudioError if < 400 samples.
    /// Memory: one window's activations at a time plus the T x D result
    /// (a 1-hour file gives 180 000 x 1024 floats = 737 MB of features).
    DetectorResult run(const std::vector<float>& samples16k, const DetectorRequest& request = {}) const;

    struct Impl;
    /// Internal access for core code (core/detector/DetectorImpl.h); opaque to ui/.
    Impl& impl() const { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace spooflens::core
