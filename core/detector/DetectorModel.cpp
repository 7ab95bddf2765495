#include "core/detector/DetectorModel.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/Aasist.h"
#include "core/detector/ConformerTcm.h"
#include "core/detector/DetectorConfig.h"
#include "core/util/Device.h"
#include "core/util/FileCheck.h"
#include "core/util/Sha256.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <sstream>
#include <unordered_map>

namespace spooflens::core {

struct DetectorModel::Modules {
    bool aasist = false;
    TcmModel net{nullptr};          // XLS-R + ConformerTCM
    Wav2Vec2Options ssl;
    ConformerTcmOptions backend;
    AasistModel aasistNet{nullptr}; // AASIST / AASIST-L
    AasistOptions aasistOptions;
    torch::nn::Module& root() { return aasist ? static_cast<torch::nn::Module&>(*aasistNet) : *net; }
    const torch::nn::Module& root() const { return aasist ? static_cast<const torch::nn::Module&>(*aasistNet) : *net; }
};

/// AASIST's frames per pass: its graph attention holds (T, T, C) pair tensors,
/// so T is bounded (1024 nodes = 140 s; longer inputs run in windows).
constexpr int64_t kAasistMaxFrames = 1024;

namespace {

const std::string kSslPrefix = "ssl_model.model.";
const std::string kStage2Prefix = "frozen_detector.detector.";

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

std::string shapeString(torch::IntArrayRef shape)
{
    std::ostringstream out;
    out << '[';
    for (size_t i = 0; i < shape.size(); ++i)
        out << (i ? ", " : "") << shape[i];
    out << ']';
    return out.str();
}

// fairseq keeps these pre-training tensors; inference never reads them (docs/detector.md §5.4).
bool isPretrainingKey(const std::string& key)
{
    if (!startsWith(key, kSslPrefix))
        return false;
    const std::string rest = key.substr(kSslPrefix.size());
    return rest == "mask_emb" || startsWith(rest, "quantizer.") || startsWith(rest, "project_q.")
           || startsWith(rest, "final_proj.");
}

struct Entry {
    std::string original;  // the key as stored in the file, for messages
    torch::Tensor tensor;
    bool used = false;
};

struct Normalised {
    std::unordered_map<std::string, Entry> entries;
    std::vector<std::string> order;  // normalised names in stored order
    int64_t ignored = 0;             // pre-training keys
    int64_t skipped = 0;             // Stage 2 keys of a whole-model save
    std::vector<std::string> notes;
};

// Key normalisation of docs/detector.md §5.4 plus the seed's Stage 2 whole-model save.
Normalised normaliseKeys(TensorList list, const std::string& path)
{
    Normalised out;
    // DataParallel: strip `module.` only if every key has it; a mix is an error.
    const size_t keys = list.size();
    const bool stripped = stripModulePrefix(list, path);
    if (stripped)
        out.notes.push_back("stripped the DataParallel prefix 'module.' from " + std::to_string(keys) + " keys");

    bool stage2 = false;
    for (const auto& kv : list)
        stage2 = stage2 || startsWith(kv.first, kStage2Prefix);

    bool newWeightNorm = false;
    for (auto& kv : list) {
        const std::string original = (stripped ? "module." : "") + kv.first;  // as stored, for messages
        std::string name = kv.first;
        if (stage2) {
            if (startsWith(name, "importance_net.") || startsWith(name, "prototype_manager.")) {
                ++out.skipped;
                continue;
            }
            if (startsWith(name, kStage2Prefix))
                name = name.substr(kStage2Prefix.size());
            // anything else stays as it is and is reported as unexpected
        }
        // torch >= 2.1 spells weight norm as a parametrization.
        const std::string wn = "parametrizations.weight.original";
        const auto pos = name.find(wn);
        if (pos != std::string::npos && name.size() == pos + wn.size() + 1) {
            const char which = name.back();
            if (which == '0' || which == '1') {
                name = name.substr(0, pos) + (which == '0' ? "weight_g" : "weight_v");
                newWeightNorm = true;
            }
        }
        if (isPretrainingKey(name)) {
            ++out.ignored;
            continue;
        }
        if (out.entries.count(name))
            throw CheckpointError(path + ": tensor '" + original + "' duplicates '" + out.entries[name].original
                                  + "' (both name '" + name + "')");
        out.entries.emplace(name, Entry{original, std::move(kv.second), false});
        out.order.push_back(name);
    }
    if (stage2)
        out.notes.push_back("read the detector from a Stage 2 save (keys under '" + kStage2Prefix + "'); skipped "
                            + std::to_string(out.skipped) + " Stage 2 tensors");
    if (newWeightNorm)
        out.notes.push_back("weight norm in the torch >= 2.1 spelling (parametrizations.weight.original0/1)");
    if (out.ignored > 0)
        out.notes.push_back("ignored " + std::to_string(out.ignored)
                            + " pre-training tensors (mask_emb, quantizer.*, project_q.*, final_proj.*)");
    return out;
}

// Returns a tensor handle (a reference count, no data copy) rather than a
// reference: callers pass temporary keys, and a reference bound to the result
// would be reported by GCC 14's -Wdangling-reference although it points into n.
torch::Tensor need(const Normalised& n, const std::string& key, int64_t dims, const std::string& path)
{
    const auto it = n.entries.find(key);
    if (it == n.entries.end())
        throw CheckpointError(path + ": missing tensor '" + key + "' (needed to size the model)");
    if (it->second.tensor.dim() != dims)
        throw CheckpointError(path + ": tensor '" + it->second.original + "' has wrong shape; expected "
                              + std::to_string(dims) + " dimensions, got " + shapeString(it->second.tensor.sizes()));
    return it->second.tensor;
}

bool has(const Normalised& n, const std::string& key)
{
    return n.entries.count(key) > 0;
}

// Strides are not in the checkpoint; wav2vec 2.0's stack uses one per kernel size.
int64_t strideForKernel(int64_t kernel)
{
    switch (kernel) {
    case 10: return 5;
    case 3: return 2;
    case 2: return 2;
    default: return 0;
    }
}

Wav2Vec2Options sslOptionsFromShapes(const Normalised& n, const std::string& path)
{
    Wav2Vec2Options o;
    const std::string fe = kSslPrefix + "feature_extractor.conv_layers.";
    int64_t in = 1;
    for (int64_t c = 0; has(n, fe + std::to_string(c) + ".0.weight"); ++c) {
        const std::string key = fe + std::to_string(c) + ".0.weight";
        const torch::Tensor w = need(n, key, 3, path);
        if (w.size(1) != in)
            throw CheckpointError(path + ": tensor '" + n.entries.at(key).original + "' has " + std::to_string(w.size(1))
                                  + " input channels; the previous conv block has " + std::to_string(in));
        const int64_t stride = strideForKernel(w.size(2));
        if (stride == 0)
            throw CheckpointError(path + ": tensor '" + n.entries.at(key).original + "' has kernel "
                                  + std::to_string(w.size(2))
                                  + "; only the wav2vec 2.0 conv stack (kernels 10, 3, 2) is supported");
        o.convLayers.push_back({w.size(0), w.size(2), stride});
        in = w.size(0);
    }
    if (o.convLayers.empty())
        throw CheckpointError(path + ": missing tensor '" + fe + "0.0.weight': not an XLS-R/wav2vec 2.0 detector");
    if (o.receptiveField() != FrameGrid::xlsr().window || o.hop() != FrameGrid::xlsr().hop)
        throw CheckpointError(path + ": the conv stack has a receptive field of " + std::to_string(o.receptiveField())
                              + " samples and a hop of " + std::to_string(o.hop()) + "; expected 400 and 320");
    const torch::Tensor proj = need(n, kSslPrefix + "post_extract_proj.weight", 2, path);
    o.embedDim = proj.size(0);
    int64_t layers = 0;
    while (has(n, kSslPrefix + "encoder.layers." + std::to_string(layers) + ".fc1.weight"))
        ++layers;
    if (layers == 0)
        throw CheckpointError(path + ": missing tensor '" + kSslPrefix + "encoder.layers.0.fc1.weight'");
    o.layers = layers;
    o.ffnDim = need(n, kSslPrefix + "encoder.layers.0.fc1.weight", 2, path).size(0);
    const torch::Tensor v = need(n, kSslPrefix + "encoder.pos_conv.0.weight_v", 3, path);
    o.posConvKernel = v.size(2);
    if (v.size(1) <= 0 || o.embedDim % v.size(1) != 0)
        throw CheckpointError(path + ": tensor '" + n.entries.at(kSslPrefix + "encoder.pos_conv.0.weight_v").original
                              + "' has shape " + shapeString(v.sizes()) + "; its second size must divide E = "
                              + std::to_string(o.embedDim));
    o.posConvGroups = o.embedDim / v.size(1);
    return o;
}

ConformerTcmOptions backendOptionsFromShapes(const Normalised& n, const std::string& path)
{
    ConformerTcmOptions o;
    const torch::Tensor ll = need(n, "LL.weight", 2, path);
    o.embDim = ll.size(0);
    o.inputDim = ll.size(1);
    const std::string k0 = "conformer.encoder_blocks.0.";
    o.heads = need(n, k0 + "attn.fn.pos_embed", 3, path).size(1);
    const int64_t headDim = need(n, k0 + "attn.fn.ht_proj.weight", 2, path).size(1);
    if (o.heads * headDim != o.embDim)
        throw CheckpointError(path + ": TCM width " + std::to_string(o.embDim) + " != " + std::to_string(o.heads)
                              + " heads x " + std::to_string(headDim) + " (from '" + k0 + "attn.fn.pos_embed' and '"
                              + k0 + "attn.fn.ht_proj.weight')");
    o.ffDim = need(n, k0 + "ff1.fn.fn.net.0.weight", 2, path).size(0);
    const torch::Tensor dw = need(n, k0 + "conv.net.4.conv.weight", 3, path);
    o.convInner = dw.size(0);
    o.kernel = dw.size(2);
    int64_t blocks = 0;
    while (has(n, "conformer.encoder_blocks." + std::to_string(blocks) + ".post_norm.weight"))
        ++blocks;
    o.blocks = blocks;
    o.positions = need(n, "conformer.positional_emb", 3, path).size(1);
    o.classes = need(n, "conformer.fc5.weight", 2, path).size(0);
    if (o.classes != 2)
        throw CheckpointError(path + ": tensor 'conformer.fc5.weight' has " + std::to_string(o.classes)
                              + " outputs; the detector has 2 (spoof, bona fide)");
    return o;
}

std::string presetName(const Wav2Vec2Options& s, const ConformerTcmOptions& b)
{
    const bool tcm = b.embDim == 144 && b.heads == 4 && b.ffDim == 576 && b.convInner == 288 && b.kernel == 31
                     && b.blocks == 4 && b.positions == 10000;
    const auto convIs = [&](int64_t ch) {
        if (s.convLayers.size() != 7)
            return false;
        for (const auto& c : s.convLayers)
            if (c.channels != ch)
                return false;
        return s.convLayers[0].kernel == 10 && s.convLayers[1].kernel == 3 && s.convLayers[6].kernel == 2;
    };
    if (tcm && convIs(512) && s.embedDim == 1024 && s.layers == 24 && s.ffnDim == 4096 && s.posConvKernel == 128
        && s.posConvGroups == 16 && b.inputDim == 1024)
        return "xlsr300m";
    if (tcm && convIs(64) && s.embedDim == 64 && s.layers == 2 && s.ffnDim == 128 && s.posConvKernel == 16
        && s.posConvGroups == 4 && b.inputDim == 64)
        return "tiny";
    return "custom";
}

enum class Family { XlsrTcm, Aasist, Unknown };

Family detectFamily(const Normalised& n)
{
    if (has(n, "pos_S") && has(n, "GAT_layer_T.att_weight") && has(n, "out_layer.weight"))
        return Family::Aasist;
    if (has(n, kSslPrefix + "feature_extractor.conv_layers.0.0.weight") || has(n, "LL.weight"))
        return Family::XlsrTcm;
    return Family::Unknown;
}

/// What an unrecognised key table holds, and what each family needs.
std::string unknownFamilyMessage(const Normalised& n, const std::string& path)
{
    std::string found;
    const size_t shown = std::min<size_t>(n.order.size(), 5);
    for (size_t i = 0; i < shown; ++i)
        found += (i ? ", '" : "'") + n.entries.at(n.order[i]).original + "'";
    if (n.order.size() > shown)
        found += " ... (" + std::to_string(n.order.size()) + " tensors)";
    if (n.order.empty())
        found = "no tensors";
    return path + ": not a detector SpoofLens knows; found " + found
           + ". XLS-R + ConformerTCM (tcm_add) needs 'ssl_model.model.feature_extractor.conv_layers.0.0.weight' and "
             "'LL.weight' (with or without a 'module.' prefix); AASIST / AASIST-L need 'pos_S', 'GAT_layer_T.att_weight' "
             "and 'out_layer.weight'. A Stage 2 module is opened with --xai, not as a detector.";
}

AasistOptions aasistOptionsFromShapes(const Normalised& n, const DetectorConfig& config, const std::string& path,
                                      std::string& preset)
{
    AasistOptions o;
    int64_t in = 1;
    for (int i = 0; has(n, "encoder." + std::to_string(i) + ".0.conv1.weight"); ++i) {
        const std::string key = "encoder." + std::to_string(i) + ".0.conv1.weight";
        const torch::Tensor w = need(n, key, 4, path);
        if (w.size(1) != in)
            throw CheckpointError(path + ": tensor '" + n.entries.at(key).original + "' takes " + std::to_string(w.size(1))
                                  + " channels; the previous residual block gives " + std::to_string(in));
        o.blocks.push_back({w.size(1), w.size(0)});
        in = w.size(0);
    }
    if (o.blocks.size() != 6)
        throw CheckpointError(path + ": AASIST has 6 residual blocks (encoder.0 .. encoder.5); found "
                              + std::to_string(o.blocks.size()));
    const torch::Tensor pos = need(n, "pos_S", 3, path);
    o.spectralNodes = pos.size(1);
    if (pos.size(2) != o.channels())
        throw CheckpointError(path + ": tensor 'pos_S' has width " + std::to_string(pos.size(2))
                              + " but the encoder gives " + std::to_string(o.channels()) + " channels");
    o.gatDim0 = need(n, "GAT_layer_S.proj_with_att.weight", 2, path).size(0);
    o.gatDim1 = need(n, "HtrgGAT_layer_ST11.proj_with_att.weight", 2, path).size(0);
    // The variant fixes what the weights do not store (the authors' configs).
    if (o.channels() == 64 && o.gatDim0 == 64 && o.gatDim1 == 32) {
        preset = "AASIST";
        o.poolRatios = {0.5, 0.7, 0.5, 0.5};
    } else if (o.channels() == 24 && o.gatDim0 == 24 && o.gatDim1 == 32) {
        preset = "AASIST-L";
        o.poolRatios = {0.4, 0.5, 0.7, 0.5};
    } else {
        preset = "custom";
        if (!config.aasistPoolRatios)
            throw ConfigError(path + ": an AASIST variant of width " + std::to_string(o.channels()) + " and graph dims ["
                              + std::to_string(o.gatDim0) + ", " + std::to_string(o.gatDim1)
                              + "] that is neither AASIST nor AASIST-L: give its configuration "
                                "(--detector-config, the authors' .conf with model_config.pool_ratios)");
    }
    if (config.aasistPoolRatios)
        o.poolRatios = *config.aasistPoolRatios;
    if (config.aasistTemperatures)
        o.temperatures = *config.aasistTemperatures;
    if (config.aasistFirstConv)
        o.firstConv = *config.aasistFirstConv;
    if (config.aasistSincFilters)
        o.sincFilters = *config.aasistSincFilters;
    if (o.sincFilters / 3 != o.spectralNodes)
        throw CheckpointError(path + ": " + std::to_string(o.sincFilters) + " sinc filters give "
                              + std::to_string(o.sincFilters / 3) + " spectral nodes after pooling, but 'pos_S' has "
                              + std::to_string(o.spectralNodes) + " (model_config.filts[0])");
    return o;
}

std::string problemList(const std::vector<std::string>& problems)
{
    std::string out;
    const size_t shown = std::min<size_t>(problems.size(), 12);
    for (size_t i = 0; i < shown; ++i)
        out += "\n  " + problems[i];
    if (problems.size() > shown)
        out += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
    return out;
}

} // namespace

DetectorModel::DetectorModel() : m_modules(std::make_unique<Modules>()) {}
DetectorModel::~DetectorModel() = default;

std::shared_ptr<DetectorModel> DetectorModel::load(const DetectorOptions& options)
{
    const auto start = std::chrono::steady_clock::now();
    const std::string& path = options.checkpointPath;
    if (path.empty())
        throw ConfigError("no detector checkpoint given");
    if (const std::string why = whyNotRegularFile(path, "a checkpoint file"); !why.empty())
        throw CheckpointError(path + ": " + (why == "file not found" ? std::string("no such checkpoint file") : why));
    configureComputeThreads(options.threads);
    const DetectorConfig config = options.configPath.empty() ? DetectorConfig{} : DetectorConfig::load(options.configPath);
    const torch::Device device = parseDevice(options.device);

    // The file hash runs beside the read (both mostly wait for the disk).
    auto sha = std::async(std::launch::async, [path] { return sha256File(path); });

    std::vector<std::string> readerNotes;
    Normalised n = normaliseKeys(readStateDict(path, &readerNotes), path);

    std::shared_ptr<DetectorModel> model(new DetectorModel());
    Modules& m = *model->m_modules;
    const Family family = detectFamily(n);
    if (family == Family::Unknown)
        throw CheckpointError(unknownFamilyMessage(n, path));
    const std::string cfgName = config.path.empty() ? std::string("defaults") : config.path;
    std::string preset;
    if (family == Family::Aasist) {
        if (config.sslHeads || config.backendHeads)
            throw ConfigError(cfgName + ": attention heads are XLS-R + TCM settings; " + path + " is an AASIST detector");
        m.aasist = true;
        m.aasistOptions = aasistOptionsFromShapes(n, config, path, preset);
        m.aasistNet = AasistModel(m.aasistOptions);
    } else {
    if (config.isAasistConfig)
        throw ConfigError(cfgName + ": an AASIST configuration (model_config), but " + path
                          + " is an XLS-R + ConformerTCM detector");
    m.ssl = sslOptionsFromShapes(n, path);
    m.backend = backendOptionsFromShapes(n, path);
    preset = presetName(m.ssl, m.backend);

    // Head counts: shapes cannot tell the SSL one; the TCM one is fixed by pos_embed.
    m.ssl.heads = config.sslHeads.value_or(preset == "tiny" ? 4 : DetectorConfig::kDefaultSslHeads);
    if (m.ssl.embedDim % m.ssl.heads != 0)
        throw ConfigError(cfgName + ": ssl.attention_heads = " + std::to_string(m.ssl.heads)
                          + " does not divide the SSL width " + std::to_string(m.ssl.embedDim));
    if (config.backendHeads && *config.backendHeads != m.backend.heads)
        throw ConfigError(cfgName + ": backend.attention_heads = " + std::to_string(*config.backendHeads)
                          + " but the checkpoint has " + std::to_string(m.backend.heads)
                          + " (conformer.encoder_blocks.0.attn.fn.pos_embed)");
    if (m.backend.inputDim != m.ssl.embedDim)
        throw CheckpointError(path + ": tensor 'LL.weight' takes " + std::to_string(m.backend.inputDim)
                              + " inputs but the SSL encoder gives " + std::to_string(m.ssl.embedDim));

    m.net = TcmModel(m.ssl, m.backend);
    }

    // One loader: every registered tensor must be in the file with its exact
    // shape and dtype; the file's storage is swapped in (no copy).
    std::vector<std::string> problems, nonFinite;
    int64_t missing = 0, wrong = 0, used = 0;
    {
        torch::NoGradGuard noGrad;
        auto assign = [&](const std::string& name, torch::Tensor& target) {
            if (!target.defined())
                return;
            auto it = n.entries.find(name);
            if (it == n.entries.end()) {
                ++missing;
                problems.push_back("missing tensor '" + name + "' " + shapeString(target.sizes()));
                return;
            }
            Entry& e = it->second;
            e.used = true;
            if (e.tensor.scalar_type() != target.scalar_type()) {
                ++wrong;
                problems.push_back("tensor '" + e.original + "' has dtype " + std::string(c10::toString(e.tensor.scalar_type()))
                                   + "; expected " + c10::toString(target.scalar_type()));
                return;
            }
            if (e.tensor.sizes() != target.sizes()) {
                ++wrong;
                problems.push_back("tensor '" + e.original + "' has wrong shape; expected " + shapeString(target.sizes())
                                   + ", got " + shapeString(e.tensor.sizes()));
                return;
            }
            // NaN is not a weight. A float sum is NaN/inf when a value is (and,
            // rarely, when huge finite values overflow): only then is every
            // value checked. Summing in double costed ~0.5 s on the 300M model.
            if (e.tensor.is_floating_point() && e.tensor.numel() > 0
                && !std::isfinite(e.tensor.sum().item<double>())
                && !torch::isfinite(e.tensor).all().item<bool>())
                nonFinite.push_back(e.original);
            target.set_(e.tensor.contiguous());
            e.tensor = torch::Tensor();  // the model holds the only reference now
            ++used;
        };
        for (auto& kv : m.root().named_parameters(true))
            assign(kv.key(), kv.value());
        for (auto& kv : m.root().named_buffers(true))
            assign(kv.key(), kv.value());
    }
    if (!nonFinite.empty())
        throw CheckpointError(path + ": tensor '" + nonFinite.front() + "'"
                              + (nonFinite.size() > 1 ? " and " + std::to_string(nonFinite.size() - 1) + " more" : "")
                              + " hold NaN or infinite weights (a damaged file, or a training that diverged)");
    std::vector<std::string> unexpected;
    for (const auto& name : n.order)
        if (!n.entries.at(name).used)
            unexpected.push_back(n.entries.at(name).original);
    for (const auto& u : unexpected)
        problems.push_back("unexpected tensor '" + u + "'");
    if (!problems.empty())
        throw CheckpointError(path + ": checkpoint does not fit the detector (" + std::to_string(used) + " used, "
                              + std::to_string(n.ignored) + " ignored, " + std::to_string(missing) + " missing, "
                              + std::to_string(unexpected.size()) + " unexpected, " + std::to_string(wrong)
                              + " wrong shape or dtype; preset " + preset + "):" + problemList(problems));

    if (m.aasist && options.precision != Precision::Fp32)
        throw ConfigError(path + ": --precision " + precisionName(options.precision)
                          + " is for the XLS-R encoder; AASIST runs in fp32");
    {
        torch::NoGradGuard noGrad;
        m.root().eval();
        if (device.is_cuda()) {
            // Conformance runs need full float32 matmuls and convolutions (TF32
            // errors reach 1e-3 relative). These setters exist in LibTorch 1.13 and 2.x.
            at::globalContext().setAllowTF32CuBLAS(false);
            at::globalContext().setAllowTF32CuDNN(false);
            m.root().to(device);
        }
        // After the move: prepare() and makeReduced() keep derived tensors in
        // plain members that Module::to would not move.
        if (m.aasist) {
            m.aasistNet->prepare();
        } else {
            m.net->prepare();
            if (options.precision == Precision::Bf16)
                m.net->makeReduced(torch::kBFloat16);
        }
    }
    model->m_device = device;

    DetectorInfo& info = model->m_info;
    info.checkpointPath = path;
    info.device = device.str();
    info.precision = precisionName(options.precision);
    info.preset = preset;
    if (m.aasist) {
        info.family = "aasist";
        info.embedDim = m.aasistOptions.channels();
        info.grid = FrameGrid::aasist();
        info.backendBlocks = 4;  // the heterogeneous graph layers
        info.thresholdSource = "none published by the AASIST authors (0 = equal logits); run `evaluate` on a "
                               "protocol for an EER threshold";
        info.threshold = 0.0;
    } else {
        info.family = "xlsr-tcm";
        info.embedDim = m.ssl.embedDim;
        info.sslLayers = m.ssl.layers;
        info.sslHeads = m.ssl.heads;
        info.backendBlocks = m.backend.blocks;
        info.grid = FrameGrid::xlsr();
        info.threshold = -3.73;
        info.thresholdSource = "tcm_add inference.py default, DF EER";  // = ui kDefaultThresholdOrigin
    }
    info.keysUsed = used;
    info.keysIgnored = n.ignored;
    info.notes = readerNotes;
    info.notes.insert(info.notes.end(), n.notes.begin(), n.notes.end());
    info.sha256 = sha.get();
    info.loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return model;
}

const DetectorInfo& DetectorModel::info() const
{
    return m_info;
}

torch::Device DetectorModel::device() const
{
    return m_device;
}

int64_t DetectorModel::embedDim() const
{
    return m_info.embedDim;
}

int64_t DetectorModel::maxFramesPerPass() const
{
    return m_modules->aasist ? kAasistMaxFrames : m_modules->backend.positions;
}

int64_t DetectorModel::minSamples() const
{
    return m_info.grid.offset + m_info.grid.window;
}

bool DetectorModel::isAasist() const
{
    return m_modules->aasist;
}

AasistModelImpl* DetectorModel::aasistNetwork() const
{
    return m_modules->aasist ? m_modules->aasistNet.get() : nullptr;
}

namespace {

torch::Tensor checkedWaves(const torch::Tensor& waves, torch::Device device, const FrameGrid& grid, int64_t maxFrames)
{
    if (!waves.defined() || waves.dim() != 2)
        throw AudioError("detector input must be a (batch, samples) tensor");
    const int64_t n = waves.size(1);
    if (grid.count(n) < 1)
        throw AudioError("input has " + std::to_string(n) + " samples; the detector needs at least "
                         + std::to_string(grid.offset + grid.window) + " (one frame of "
                         + std::to_string(grid.window) + " samples at 16 kHz)");
    if (grid.count(n) > maxFrames)
        throw AudioError("input of " + std::to_string(n) + " samples gives " + std::to_string(grid.count(n))
                         + " frames; one pass takes at most " + std::to_string(maxFrames)
                         + "; long files run in windows via Detector::run");
    return waves.to(device, torch::kFloat32).contiguous();
}

} // namespace

DetectorForward DetectorModel::forward(const torch::Tensor& waves, bool wantAttention, bool wantLayers,
                                       bool wantIntermediates) const
{
    // NoGradGuard rather than InferenceMode: callers (Stage 2 training) feed
    // these features into autograd graphs, which inference tensors forbid.
    torch::NoGradGuard noGrad;
    const torch::Tensor x = checkedWaves(waves, m_device, m_info.grid, maxFramesPerPass());
    DetectorForward out;
    Intermediates inter;
    if (m_modules->aasist) {
        AasistOutputs a = m_modules->aasistNet->forward(x, wantIntermediates);
        out.ssl = a.temporal;
        out.spectral = a.spectral;
        out.logits = a.logits;
        if (wantIntermediates) {
            out.intermediates = {{"front_head", a.frontHead}, {"enc", a.encoder}, {"e_T", a.temporal},
                                 {"e_S", a.spectral - m_modules->aasistNet->named_parameters()["pos_S"]},
                                 {"last_hidden", a.lastHidden}};
        }
        if (wantAttention) {
            std::vector<torch::Tensor> maps(1);
            m_modules->aasistNet->backend(a.temporal, a.spectral, &maps[0]);
            out.attention = std::move(maps);
        }
        return out;
    }
    const auto r = m_modules->net->forward(x, wantAttention ? &out.attention : nullptr,
                                           wantLayers ? &out.layers : nullptr, wantIntermediates ? &inter : nullptr);
    out.ssl = r.ssl;
    out.logits = r.logits;
    out.intermediates = std::move(inter);
    return out;
}

torch::Tensor DetectorModel::sslFeatures(const torch::Tensor& waves) const
{
    torch::NoGradGuard noGrad;
    const torch::Tensor x = checkedWaves(waves, m_device, m_info.grid, std::numeric_limits<int64_t>::max());
    if (m_modules->aasist)
        return m_modules->aasistNet->forward(x).temporal;
    return m_modules->net->encoder()->forward(x);
}

torch::Tensor DetectorModel::logitsWithGrad(const torch::Tensor& waves) const
{
    const torch::Tensor x = checkedWaves(waves, m_device, m_info.grid, maxFramesPerPass());
    if (m_modules->aasist)
        return m_modules->aasistNet->forward(x).logits;
    return m_modules->net->forward(x).logits;
}

std::vector<torch::Tensor> DetectorModel::sslTrainableTensors()
{
    if (m_modules->aasist)
        throw ConfigError("sslTrainableTensors: only the XLS-R encoder can be trained (demo building)");
    if (m_info.precision != "fp32")
        throw ConfigError("sslTrainableTensors: load the detector in fp32 to train it");
    return m_modules->net->encoder()->trainableTensors();
}

torch::Tensor DetectorModel::sslForwardTrainable(const torch::Tensor& waves) const
{
    if (m_modules->aasist)
        throw ConfigError("sslForwardTrainable: only the XLS-R encoder can be trained (demo building)");
    return m_modules->net->encoder()->forward(
        checkedWaves(waves, m_device, m_info.grid, std::numeric_limits<int64_t>::max()));
}

torch::Tensor DetectorModel::backendForward(const torch::Tensor& ssl, std::vector<torch::Tensor>* attention,
                                            const torch::Tensor& spectral) const
{
    if (!ssl.defined() || ssl.dim() != 3 || ssl.size(2) != embedDim())
        throw Error("backendForward: expected frame features (B, T, " + std::to_string(embedDim()) + ")");
    if (ssl.size(1) > maxFramesPerPass())
        throw AudioError(std::to_string(ssl.size(1)) + " frames exceed what one back-end pass takes ("
                         + std::to_string(maxFramesPerPass()) + ")");
    if (m_modules->aasist) {
        if (!spectral.defined() || spectral.dim() != 3 || spectral.size(2) != embedDim())
            throw Error("backendForward: AASIST needs the utterance's spectral nodes (B, 23, C)");
        const torch::Tensor s = spectral.size(0) == ssl.size(0) ? spectral : spectral.expand({ssl.size(0), -1, -1});
        if (!attention)
            return m_modules->aasistNet->backend(ssl, s);
        attention->assign(1, torch::Tensor());
        return m_modules->aasistNet->backend(ssl, s, &(*attention)[0]);
    }
    return m_modules->net->backend(ssl, attention);
}

std::vector<std::pair<std::string, torch::Tensor>> DetectorModel::namedTensors() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& kv : m_modules->root().named_parameters(true))
        out.emplace_back(kv.key(), kv.value());
    for (const auto& kv : m_modules->root().named_buffers(true))
        out.emplace_back(kv.key(), kv.value());
    return out;
}

} // namespace spooflens::core
