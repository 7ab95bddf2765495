#include "core/training/DemoDetector.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/checkpoint/Checkpoint.h"
#include "core/detector/ConformerTcm.h"
#include "core/detector/DetectorModel.h"
#include "core/training/DemoMetrics.h"
#include "core/training/RawBoost.h"

#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <map>
#include <random>

namespace spooflens::core {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A handle (no data copy), not a reference: see need() in core/detector/DetectorModel.cpp.
torch::Tensor need(const std::map<std::string, torch::Tensor>& sd, const std::string& key,
                          const std::string& path)
{
    const auto it = sd.find(key);
    if (it == sd.end())
        throw CheckpointError(path + ": key '" + key + "' missing (not a tiny-preset detector checkpoint)");
    return it->second;
}

// The back-end as trainable tensors: LL, first_bn and the conformer, with the
// sizes read from the checkpoint's shapes (docs/demo.md).
struct TrainableBackend {
    LinearParams ll;
    BatchNormParams firstBn;
    Conformer conformer{nullptr};
    std::vector<std::pair<std::string, torch::Tensor>> trained;  // checkpoint key -> parameter

    TrainableBackend(const std::map<std::string, torch::Tensor>& sd, const std::string& path)
    {
        ConformerTcmOptions o;
        const auto& llW = need(sd, "LL.weight", path);
        o.inputDim = llW.size(1);
        o.embDim = llW.size(0);
        o.positions = need(sd, "conformer.positional_emb", path).size(1);
        o.heads = need(sd, "conformer.encoder_blocks.0.attn.fn.pos_embed", path).size(1);
        o.ffDim = need(sd, "conformer.encoder_blocks.0.ff1.fn.fn.net.0.weight", path).size(0);
        const auto& dw = need(sd, "conformer.encoder_blocks.0.conv.net.4.conv.weight", path);
        o.convInner = dw.size(0);
        o.kernel = dw.size(2);
        o.classes = need(sd, "conformer.fc5.weight", path).size(0);
        o.blocks = 0;
        while (sd.count("conformer.encoder_blocks." + std::to_string(o.blocks) + ".post_norm.weight"))
            ++o.blocks;
        conformer = Conformer(o);

        torch::NoGradGuard noGrad;
        auto take = [&](const std::string& key, bool train) {
            torch::Tensor t = need(sd, key, path).detach().clone().to(torch::kFloat32);
            if (train) {
                t.set_requires_grad(true);
                trained.emplace_back(key, t);
            }
            return t;
        };
        ll.weight = take("LL.weight", true);
        ll.bias = take("LL.bias", true);
        firstBn.weight = take("first_bn.weight", true);
        firstBn.bias = take("first_bn.bias", true);
        firstBn.runningMean = take("first_bn.running_mean", false);
        firstBn.runningVar = take("first_bn.running_var", false);
        for (auto& p : conformer->named_parameters()) {
            const std::string key = "conformer." + p.key();
            const torch::Tensor& src = need(sd, key, path);
            if (!src.sizes().equals(p.value().sizes()))
                throw CheckpointError(path + ": tensor '" + key + "' has an unexpected shape");
            p.value().copy_(src);
            const bool train = p.key() != "positional_emb";
            p.value().set_requires_grad(train);
            if (train)
                trained.emplace_back(key, p.value());
        }
        for (auto& b : conformer->named_buffers())
            b.value().copy_(need(sd, "conformer." + b.key(), path));
    }

    // Same computation as TcmModelImpl::backend (eval-mode batch norm).
    torch::Tensor forward(const torch::Tensor& ssl) const
    {
        torch::Tensor y = ll(ssl);
        y = firstBn(y.unsqueeze(1)).squeeze(1);
        return conformer->forward(torch::selu(y));
    }

    std::vector<torch::Tensor> parameters() const
    {
        std::vector<torch::Tensor> out;
        for (const auto& kv : trained)
            out.push_back(kv.second);
        return out;
    }
};

torch::Tensor wave(const std::vector<float>& x)
{
    return torch::from_blob(const_cast<float*>(x.data()), {1, int64_t(x.size())}, torch::kFloat32).clone();
}

double devEer(const TrainableBackend& net, const std::vector<torch::Tensor>& feats, const std::vector<bool>& spoof)
{
    torch::NoGradGuard noGrad;
    std::vector<double> scores;
    std::vector<bool> bona;
    for (size_t i = 0; i < feats.size(); ++i) {
        scores.push_back(net.forward(feats[i].unsqueeze(0))[0][1].item<double>());
        bona.push_back(!spoof[i]);
    }
    return utteranceEer(scores, bona);
}

} // namespace

DemoDetectorReport trainDemoDetector(const DemoDetectorOptions& o)
{
    const auto log = o.log ? o.log : [](const std::string& m) { std::cerr << m << "\n"; };
    if (o.trainFiles.size() != o.trainSpoof.size() || o.devFiles.size() != o.devSpoof.size())
        throw ConfigError("trainDemoDetector: file and label lists differ in length");
    DemoDetectorReport r;
    torch::manual_seed(int64_t(o.seed));
    std::mt19937_64 rng(o.seed);

    // The train sequences: waveforms when the SSL is trained (it must see the
    // audio), else the frozen SSL features, computed once. Originals plus
    // RawBoost copies, per class.
    const auto t0 = Clock::now();
    DetectorOptions dopt;
    dopt.checkpointPath = o.sourceCheckpoint;
    dopt.device = "cpu";
    dopt.threads = o.threads;
    const auto model = DetectorModel::load(dopt);
    std::vector<torch::Tensor> pool[2];  // [0] bona fide, [1] spoof
    for (size_t i = 0; i < o.trainFiles.size(); ++i) {
        const AudioData a = loadAudio(o.trainFiles[i]);
        for (int k = 0; k <= o.augmentCopies; ++k) {
            const torch::Tensor x = wave(k == 0 ? a.samples : rawBoost(a.samples, o.rawboostAlgo, rng));
            pool[o.trainSpoof[i] ? 1 : 0].push_back(o.trainSsl ? x.squeeze(0)
                                                               : model->sslFeatures(x).squeeze(0).contiguous());
        }
    }
    std::vector<torch::Tensor> devWaves;
    for (const auto& f : o.devFiles)
        devWaves.push_back(wave(loadAudio(f).samples));
    if (pool[0].empty() || pool[1].empty())
        throw ConfigError("trainDemoDetector: the train split needs both classes");
    r.trainPool = int64_t(pool[0].size() + pool[1].size());
    std::vector<torch::Tensor> devFeatures;
    auto refreshDev = [&] {
        devFeatures.clear();
        for (const auto& w : devWaves)
            devFeatures.push_back(model->sslFeatures(w).squeeze(0).contiguous());
    };
    refreshDev();
    r.featureSeconds = secondsSince(t0);

    std::map<std::string, torch::Tensor> sd;
    TensorList original = readStateDict(o.sourceCheckpoint);
    stripModulePrefix(original, o.sourceCheckpoint);
    for (const auto& [k, t] : original)
        sd[k] = t;
    TrainableBackend net(sd, o.sourceCheckpoint);
    for (const auto& kv : net.trained)
        r.trainedParameters += kv.second.numel();
    std::vector<torch::Tensor> sslParams;
    if (o.trainSsl) {
        sslParams = model->sslTrainableTensors();
        for (const auto& t : sslParams)
            r.trainedParameters += t.numel();
        r.sslTrained = true;
    }

    const auto t1 = Clock::now();
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(net.parameters(),
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay)));
    if (!sslParams.empty())
        groups.emplace_back(sslParams, std::make_unique<torch::optim::AdamWOptions>(
                                           torch::optim::AdamWOptions(o.sslLearningRate).weight_decay(o.weightDecay)));
    torch::optim::AdamW opt(std::move(groups));
    // Every trained tensor (back-end first, then SSL), for the best-dev snapshot.
    std::vector<torch::Tensor> live = net.parameters();
    live.insert(live.end(), sslParams.begin(), sslParams.end());
    auto snapshot = [&] {
        std::vector<torch::Tensor> s;
        for (const auto& t : live)
            s.push_back(t.detach().clone());
        return s;
    };
    std::vector<torch::Tensor> best = snapshot();
    r.bestDevEer = devFeatures.empty() ? 1.0 : devEer(net, devFeatures, o.devSpoof);
    r.bestStep = 0;
    log("demo detector: " + std::to_string(r.trainPool) + " train sequences, " + std::to_string(devWaves.size())
        + " dev files, " + std::to_string(r.trainedParameters) + " parameters"
        + (o.trainSsl ? " (SSL and back-end)" : " (back-end; SSL frozen)") + "; dev EER before training "
        + std::to_string(100 * r.bestDevEer) + " %");
    // Crop length in the pool's unit: frames, or the samples that give cropFrames frames.
    const int64_t cropLen = o.trainSsl ? 400 + (o.cropFrames - 1) * 320 : o.cropFrames;
    double lossAvg = 0;
    for (int64_t step = 1; step <= o.steps; ++step) {
        std::vector<torch::Tensor> xs;
        std::vector<int64_t> ys;
        for (int64_t b = 0; b < o.batch; ++b) {
            const int cls = b < o.batch / 2 ? 0 : 1;
            std::uniform_int_distribution<size_t> pick(0, pool[cls].size() - 1);
            const torch::Tensor& f = pool[cls][pick(rng)];
            const int64_t t = f.size(0);
            torch::Tensor crop;
            if (t >= cropLen) {
                std::uniform_int_distribution<int64_t> start(0, t - cropLen);
                crop = f.narrow(0, start(rng), cropLen);
            } else {
                crop = f.index_select(0, torch::arange(cropLen, torch::kLong).remainder(t));
            }
            xs.push_back(crop);
            ys.push_back(cls == 0 ? 1 : 0);  // class 1 = bona fide (score = logit[1])
        }
        torch::Tensor input = torch::stack(xs);
        if (o.trainSsl)
            input = model->sslForwardTrainable(input);
        const torch::Tensor logits = net.forward(input);
        const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, torch::tensor(ys, torch::kLong));
        opt.zero_grad();
        loss.backward();
        opt.step();
        lossAvg = step == 1 ? loss.item<double>() : 0.9 * lossAvg + 0.1 * loss.item<double>();
        if (!devWaves.empty() && (step % o.evalEvery == 0 || step == o.steps)) {
            if (o.trainSsl)
                refreshDev();
            const double eer = devEer(net, devFeatures, o.devSpoof);
            log("demo detector: step " + std::to_string(step) + " loss " + std::to_string(lossAvg) + " dev EER "
                + std::to_string(100 * eer) + " %");
            if (eer < r.bestDevEer) {
                r.bestDevEer = eer;
                r.bestStep = step;
                best = snapshot();
            }
        }
    }
    if (devWaves.empty()) {
        best = snapshot();
        r.bestStep = o.steps;
    }
    r.steps = o.steps;
    r.finalTrainLoss = lossAvg;
    r.trainSeconds = secondsSince(t1);

    // The best weights back into the live tensors: the back-end's are written
    // by key below, the SSL's are read through the model's registered names
    // (views of the trained buffers).
    {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < live.size(); ++i)
            live[i].copy_(best[i]);
    }
    std::map<std::string, torch::Tensor> trained;
    for (const auto& [key, t] : net.trained)
        trained[key] = t.detach().contiguous();
    if (o.trainSsl)
        for (const auto& [key, t] : model->namedTensors())
            if (key.rfind("ssl_model.", 0) == 0)
                trained[key] = t.detach().contiguous();
    // The checkpoint: the source's tensors in their order, trained ones replaced.
    TensorList out;
    for (const auto& [k, t] : original) {
        const auto it = trained.find(k);
        out.emplace_back(k, it == trained.end() ? t : it->second.to(t.scalar_type()).clone());
    }
    writeStateDict(o.outCheckpoint, out);
    return r;
}

} // namespace spooflens::core
