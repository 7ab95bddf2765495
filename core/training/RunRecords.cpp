#include "core/training/RunRecords.h"

#include "core/training/RunFolder.h"
#include "core/util/JsonText.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace spooflens::core {

namespace {

json termsJson(const LossTerms& t)
{
    return json{{"loss_total", t.total},
                {"loss_contrastive", t.contrastive},
                {"loss_bonafide_reg", t.bonafideReg},
                {"loss_smooth", t.smooth},
                {"loss_sparsity", t.sparsity}};
}

/// Reads the optional key `key` of object `o` into `out`; false when it is
/// there with the wrong type.
bool getNumber(const json& o, const char* key, double& out)
{
    const auto it = o.find(key);
    if (it == o.end() || it->is_null())
        return true;
    if (!it->is_number())
        return false;
    out = it->get<double>();
    return true;
}

bool getInt(const json& o, const char* key, int64_t& out)
{
    const auto it = o.find(key);
    if (it == o.end() || it->is_null())
        return true;
    if (!it->is_number_integer())
        return false;
    out = it->get<int64_t>();
    return true;
}

bool getBool(const json& o, const char* key, bool& out)
{
    const auto it = o.find(key);
    if (it == o.end() || it->is_null())
        return true;
    if (!it->is_boolean())
        return false;
    out = it->get<bool>();
    return true;
}

bool getString(const json& o, const char* key, std::string& out)
{
    const auto it = o.find(key);
    if (it == o.end() || it->is_null())
        return true;
    if (!it->is_string())
        return false;
    out = it->get<std::string>();
    return true;
}

/// The object under `key` (an empty one when absent); false when it is not an object.
bool getObject(const json& o, const char* key, json& out)
{
    const auto it = o.find(key);
    if (it == o.end() || it->is_null()) {
        out = json::object();
        return true;
    }
    if (!it->is_object())
        return false;
    out = *it;
    return true;
}

bool getTerms(const json& o, LossTerms& t)
{
    return getNumber(o, "loss_total", t.total) && getNumber(o, "loss_contrastive", t.contrastive)
           && getNumber(o, "loss_bonafide_reg", t.bonafideReg) && getNumber(o, "loss_smooth", t.smooth)
           && getNumber(o, "loss_sparsity", t.sparsity);
}

bool parseObjectLine(const std::string& line, json& out)
{
    out = json::parse(line, nullptr, /*allow_exceptions=*/false);
    return out.is_object();
}

} // namespace

std::string runFile(const std::string& dir, const char* name)
{
    return (fs::path(dir) / name).string();
}

std::string epochMetricsJson(const EpochMetrics& m)
{
    json j;
    j["epoch"] = m.epoch;
    j["train"] = termsJson(m.train);
    j["val"] = termsJson(m.val);
    j["val"]["accuracy"] = m.valAccuracy;
    j["mean_total_importance"] = {{"bonafide", m.meanTotalImportanceBonafide}, {"spoof", m.meanTotalImportanceSpoof}};
    j["importance_mean"] = m.importanceMean;
    j["importance_spread"] = m.importanceSpread;
    j["collapse"] = {{"mean_below_threshold", m.collapseMean},
                     {"spread_below_threshold", m.collapseSpread},
                     {"saturated", m.saturated},
                     {"collapsed", m.collapsed},
                     {"mean_threshold", m.meanThreshold},
                     {"spread_threshold", m.spreadThreshold},
                     {"saturation_threshold", m.saturationThreshold}};
    j["lr"] = m.learningRate;
    j["seconds"] = m.seconds;
    j["best"] = m.best;
    j["best_epoch"] = m.bestEpoch;
    j["best_val_loss"] = m.bestValLoss;
    j["bad_epochs"] = m.badEpochs;
    j["prototype_mode"] = m.prototypeMode;
    j["objective"] = m.objective;
    return jsonText(j);
}

bool parseEpochMetrics(const std::string& line, EpochMetrics& out)
{
    json j;
    if (!parseObjectLine(line, j))
        return false;
    EpochMetrics m;
    json train, val, mti, collapse;
    const bool ok = getInt(j, "epoch", m.epoch) && m.epoch >= 1 && getObject(j, "train", train)
                    && getTerms(train, m.train) && getObject(j, "val", val) && getTerms(val, m.val)
                    && getNumber(val, "accuracy", m.valAccuracy) && getObject(j, "mean_total_importance", mti)
                    && getNumber(mti, "bonafide", m.meanTotalImportanceBonafide)
                    && getNumber(mti, "spoof", m.meanTotalImportanceSpoof)
                    && getNumber(j, "importance_mean", m.importanceMean)
                    && getNumber(j, "importance_spread", m.importanceSpread) && getObject(j, "collapse", collapse)
                    && getBool(collapse, "mean_below_threshold", m.collapseMean)
                    && getBool(collapse, "spread_below_threshold", m.collapseSpread)
                    && getBool(collapse, "saturated", m.saturated) && getBool(collapse, "collapsed", m.collapsed)
                    && getNumber(collapse, "mean_threshold", m.meanThreshold)
                    && getNumber(collapse, "spread_threshold", m.spreadThreshold)
                    && getNumber(collapse, "saturation_threshold", m.saturationThreshold)
                    && getNumber(j, "lr", m.learningRate) && getNumber(j, "seconds", m.seconds)
                    && getBool(j, "best", m.best) && getInt(j, "best_epoch", m.bestEpoch)
                    && getNumber(j, "best_val_loss", m.bestValLoss) && getInt(j, "bad_epochs", m.badEpochs)
                    && getString(j, "prototype_mode", m.prototypeMode) && getString(j, "objective", m.objective);
    if (!ok)
        return false;
    m.json = line;
    out = std::move(m);
    return true;
}

std::string stepMetricsJson(const StepMetrics& s)
{
    json j = termsJson(s.loss);
    j["step"] = s.step;
    j["epoch"] = s.epoch;
    j["batch"] = s.batch;
    j["batches"] = s.batches;
    j["seconds"] = s.seconds;
    j["device"] = s.device;
    j["features_cached"] = s.featuresCached;
    j["features_computed"] = s.featuresComputed;
    return jsonText(j);
}

bool parseStepMetrics(const std::string& line, StepMetrics& out)
{
    json j;
    if (!parseObjectLine(line, j))
        return false;
    StepMetrics s;
    const bool ok = getInt(j, "step", s.step) && s.step >= 1 && getInt(j, "epoch", s.epoch)
                    && getInt(j, "batch", s.batch) && getInt(j, "batches", s.batches) && getTerms(j, s.loss)
                    && getNumber(j, "seconds", s.seconds) && getString(j, "device", s.device)
                    && getInt(j, "features_cached", s.featuresCached)
                    && getInt(j, "features_computed", s.featuresComputed);
    if (!ok)
        return false;
    out = std::move(s);
    return true;
}

void trimJsonl(const std::string& path, int64_t maxEpoch)
{
    std::ifstream in(path);
    if (!in)
        return;
    std::vector<std::string> keep;
    std::string line;
    bool changed = false;
    while (std::getline(in, line)) {
        json j;
        int64_t epoch = 0;
        if (!line.empty() && parseObjectLine(line, j) && getInt(j, "epoch", epoch) && epoch <= maxEpoch)
            keep.push_back(line);
        else
            changed = true;  // empty, torn, or of an epoch the checkpoint does not hold
    }
    in.close();
    if (!changed)
        return;
    std::string text;
    for (const auto& l : keep)
        text += l + "\n";
    // Checked writes + fsync + rename: a full disk never replaces the good log.
    replaceFileAtomically(path, text);
}

bool appendEpochLineIfMissing(const std::string& path, int64_t epoch, const std::string& line)
{
    std::ifstream in(path);
    std::string l;
    while (std::getline(in, l)) {
        json j;
        int64_t e = 0;
        if (!l.empty() && parseObjectLine(l, j) && getInt(j, "epoch", e) && e == epoch)
            return false;
    }
    in.close();
    appendLineChecked(path, line);
    return true;
}

ValidationStats validationStats(const std::vector<ValidationBatch>& batches)
{
    double nVal = 0, correct = 0, sumBona = 0, nBona = 0, sumSpoof = 0, nSpoof = 0, sumW = 0, nFrames = 0,
           sumSpread = 0;
    for (const ValidationBatch& b : batches) {
        for (size_t k = 0; k < b.labels.size(); ++k) {
            correct += b.predicted[k] == b.labels[k] ? 1.0 : 0.0;
            if (b.labels[k] == 1) {
                sumBona += b.totalImportance[k];
                nBona += 1;
            } else {
                sumSpoof += b.totalImportance[k];
                nSpoof += 1;
            }
            sumSpread += b.importanceSpread[k];
        }
        sumW += b.importanceSum;
        nFrames += b.frames;
        nVal += double(b.labels.size());
    }
    ValidationStats s;
    s.utterances = nVal;
    s.accuracy = nVal > 0 ? correct / nVal : 0.0;
    s.meanTotalImportanceBonafide = nBona > 0 ? sumBona / nBona : 0.0;
    s.meanTotalImportanceSpoof = nSpoof > 0 ? sumSpoof / nSpoof : 0.0;
    s.importanceMean = nFrames > 0 ? sumW / nFrames : 0.0;
    s.importanceSpread = nVal > 0 ? sumSpread / nVal : 0.0;
    return s;
}

const char* trainPhaseName(TrainProgress::Phase phase)
{
    switch (phase) {
    case TrainProgress::Phase::PreparingFeatures: return "preparing-features";
    case TrainProgress::Phase::Training: return "training";
    case TrainProgress::Phase::Validating: return "validating";
    case TrainProgress::Phase::Paused: return "paused";
    case TrainProgress::Phase::Cancelled: return "cancelled";
    case TrainProgress::Phase::Finished: return "finished";
    }
    return "training";
}

std::string trainProgressJson(const TrainProgress& p)
{
    json j;
    j["progress"] = trainPhaseName(p.phase);
    j["epoch"] = p.epoch;
    j["epochs"] = p.epochs;
    j["batch"] = p.batch;
    j["batches"] = p.batches;
    j["step"] = p.step;
    j["loss"] = p.loss;
    j["eta_s"] = p.etaSeconds;
    j["done"] = p.done;
    j["total"] = p.total;
    return jsonText(j);
}

bool parseTrainProgress(const std::string& line, TrainProgress& out)
{
    json j;
    if (line.empty() || line.front() != '{' || !parseObjectLine(line, j))
        return false;
    std::string phase;
    if (!getString(j, "progress", phase))
        return false;
    TrainProgress p;
    bool known = false;
    for (auto ph : {TrainProgress::Phase::PreparingFeatures, TrainProgress::Phase::Training,
                    TrainProgress::Phase::Validating, TrainProgress::Phase::Paused, TrainProgress::Phase::Cancelled,
                    TrainProgress::Phase::Finished})
        if (phase == trainPhaseName(ph)) {
            p.phase = ph;
            known = true;
        }
    if (!known)
        return false;
    const bool ok = getInt(j, "epoch", p.epoch) && getInt(j, "epochs", p.epochs) && getInt(j, "batch", p.batch)
                    && getInt(j, "batches", p.batches) && getInt(j, "step", p.step) && getNumber(j, "loss", p.loss)
                    && getNumber(j, "eta_s", p.etaSeconds) && getInt(j, "done", p.done) && getInt(j, "total", p.total);
    if (!ok)
        return false;
    out = p;
    return true;
}

} // namespace spooflens::core
