#pragma once
// The frozen detector as LibTorch modules: XLS-R wav2vec 2.0 encoder +
// ConformerTCM back-end, or AASIST (core/detector/Aasist.h). INTERNAL header (includes torch): core's .cpp files
// only (Stage 2, trainer, feature cache). ui/ uses core/detector/Detector.h.
#include "core/detector/Detector.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

class AasistModelImpl;

/// Output of one batched forward pass.
struct DetectorForward {
    torch::Tensor ssl;                     ///< (B, T, D): XLS-R h(t) after the final LayerNorm; AASIST e_T
    torch::Tensor spectral;                ///< AASIST: spectral nodes + pos_S (B, 23, D); else undefined
    torch::Tensor logits;                  ///< (B, 2); score = logits[:, 1]
    std::vector<torch::Tensor> layers;     ///< per SSL layer (B, T, D), if requested
    std::vector<torch::Tensor> attention;  ///< per TCM block (B, heads, T+5, T+5), if requested
    /// Named intermediates in forward order (debugging, golden tests), if
    /// requested: ssl_cnn, ssl_proj, ssl_posconv_added, ssl_layer{i}, ssl_final,
    /// ll, bn_selu, conformer_in, block{b}, cls_emb (names of ref_tiny.npz);
    /// AASIST: front_head, enc, e_T, e_S, last_hidden (names of ref_aasist.npz).
    std::vector<std::pair<std::string, torch::Tensor>> intermediates;
};

/// Thread-safety: const methods may be called from one thread at a time
/// (LibTorch modules are not re-entrant across threads with shared buffers).
class DetectorModel {
public:
    /// Loads and checks the checkpoint (docs/detector.md §5: module. prefix,
    /// ignored pre-training keys, strict shapes). Also accepts the seed's
    /// Stage 2 training output, whose detector keys sit under
    /// `frozen_detector.detector.` next to the XAI keys (those are skipped).
    static std::shared_ptr<DetectorModel> load(const DetectorOptions& options);
    ~DetectorModel();

    const DetectorInfo& info() const;
    torch::Device device() const;
    int64_t embedDim() const;

    /// waves (B, N) float32 (any device; moved to the model's device), equal
    /// lengths, N >= minSamples(). Eval mode, no gradients.
    /// Throws AudioError for N < 400 or for more frames than the TCM
    /// positional table holds (Detector::run windows long files instead).
    DetectorForward forward(const torch::Tensor& waves, bool wantAttention = false,
                            bool wantLayers = false, bool wantIntermediates = false) const;

    /// Back-end only, in the caller's grad mode (no guard inside): explainers
    /// run autograd through it w.r.t. `ssl` (the parameters never require a
    /// gradient and stay untouched). `attention`: per TCM block (B, heads, T+5, T+5);
    /// AASIST: one map, GAT_layer_T's node attention (B, T, T).
    /// AASIST needs `spectral` ((1 or B), 23, D), the utterance's spectral nodes.
    torch::Tensor backendForward(const torch::Tensor& ssl, std::vector<torch::Tensor>* attention = nullptr,
                                 const torch::Tensor& spectral = {}) const;

    /// The whole detector in the caller's grad mode: waves (B, N) -> logits
    /// (B, 2). Waveform-domain explainers differentiate through it.
    torch::Tensor logitsWithGrad(const torch::Tensor& waves) const;

    /// The shortest input one pass takes (one frame of the grid).
    int64_t minSamples() const;
    bool isAasist() const;
    /// The AASIST network (conformance tests), nullptr for XLS-R + TCM.
    AasistModelImpl* aasistNetwork() const;

    /// The loaded tensors under their checkpoint key names (after removing any
    /// `module.` prefix), in the model's registration order. Shares memory with the model.
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() const;

    /// The most frames one pass can take: rows of the TCM positional table;
    /// AASIST: a memory bound (its graph attention is quadratic in T).
    int64_t maxFramesPerPass() const;

    /// SSL features only (skips the back-end): (B, T, D) on device().
    torch::Tensor sslFeatures(const torch::Tensor& waves) const;

    /// Demo building only (docs/demo.md, "The demo detector"): makes the SSL
    /// encoder's float32 tensors trainable in place and returns them; with
    /// sslForwardTrainable() an optimiser can train them, and namedTensors()
    /// then reads the trained values. The product never calls this on a
    /// detector it explains (it never changes a detector it loads).
    std::vector<torch::Tensor> sslTrainableTensors();
    /// As sslFeatures() but in the caller's grad mode (no guard inside).
    torch::Tensor sslForwardTrainable(const torch::Tensor& waves) const;

    struct Modules;
private:
    DetectorModel();
    std::unique_ptr<Modules> m_modules;
    DetectorInfo m_info;
    torch::Device m_device{torch::kCPU};
};

} // namespace spooflens::core
