#include "core/detector/BatchRun.h"

#include "core/Error.h"
#include "core/audio/AudioFile.h"
#include "core/audio/FrameGrid.h"
#include "core/detector/DetectorImpl.h"
#include "core/detector/DetectorModel.h"
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace spooflens::core {

namespace {

struct Item {
    size_t index = 0;
    std::vector<float> wave;   ///< after the cut
    std::exception_ptr error;
};

/// Decodes inputs in index order on its own thread, at most `depth` ahead of
/// the consumer. The destructor stops and joins it.
class Prefetcher {
public:
    Prefetcher(size_t count, size_t depth, CutMode cut, const std::function<std::vector<float>(size_t)>& load)
        : m_count(count), m_depth(std::max<size_t>(1, depth))
    {
        m_thread = std::thread([this, cut, &load] {
            for (size_t i = 0; i < m_count; ++i) {
                {
                    std::unique_lock<std::mutex> lock(m_mutex);
                    m_space.wait(lock, [this] { return m_stop || m_queue.size() < m_depth; });
                    if (m_stop)
                        return;
                }
                Item it;
                it.index = i;
                try {
                    it.wave = load(i);
                    if (cut == CutMode::Cut64600 || cut == CutMode::Cut66800)
                        it.wave = repeatPad(it.wave, cut == CutMode::Cut64600 ? 64600 : 66800);
                } catch (...) {
                    it.error = std::current_exception();
                    it.wave.clear();
                }
                {
                    const std::lock_guard<std::mutex> lock(m_mutex);
                    m_queue.push_back(std::move(it));
                }
                m_ready.notify_one();
            }
        });
    }
    ~Prefetcher()
    {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_space.notify_all();
        if (m_thread.joinable())
            m_thread.join();
    }
    Prefetcher(const Prefetcher&) = delete;
    Prefetcher& operator=(const Prefetcher&) = delete;

    /// The next input in index order (blocks until decoded).
    Item pop()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_ready.wait(lock, [this] { return !m_queue.empty(); });
        Item it = std::move(m_queue.front());
        m_queue.pop_front();
        lock.unlock();
        m_space.notify_one();
        return it;
    }

private:
    size_t m_count;
    size_t m_depth;
    std::mutex m_mutex;
    std::condition_variable m_ready, m_space;
    std::deque<Item> m_queue;
    bool m_stop = false;
    std::thread m_thread;
};

std::vector<float> rowOf(const torch::Tensor& batched, int64_t b)
{
    const torch::Tensor c = batched[b].to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

} // namespace

BatchRunStats runDetectorBatched(const Detector& detector, size_t count,
                                 const std::function<std::vector<float>(size_t)>& load,
                                 const std::function<void(size_t, DetectorResult&&)>& done,
                                 const std::function<void(size_t, std::exception_ptr)>& failed,
                                 const BatchRunOptions& options)
{
    BatchRunStats stats;
    if (count == 0)
        return stats;
    if (options.batch < 1)
        throw ConfigError("--batch must be at least 1, got " + std::to_string(options.batch));
    const size_t batch = static_cast<size_t>(options.batch);
    const Detector::Impl& impl = detector.impl();
    const DetectorModel& model = *impl.model;
    configureComputeThreads(impl.options.threads);

    // The longest input one pass takes, as in Detector::run: longer ones run
    // alone (in windows).
    const FrameGrid grid = model.info().grid;
    const int64_t maxPass = (model.maxFramesPerPass() - 1) * grid.hop + grid.window + grid.offset;
    const double limitSeconds = impl.options.singlePassLimitSeconds;
    const int64_t limit = std::min<int64_t>(
        maxPass, limitSeconds > 0 ? static_cast<int64_t>(std::floor(limitSeconds * kSampleRate)) : maxPass);
    const auto batchable = [&](const Item& it) {
        return !it.error && int64_t(it.wave.size()) >= model.minSamples() && int64_t(it.wave.size()) <= limit;
    };

    DetectorRequest single;  // the cut is applied by the prefetcher
    single.cut = CutMode::Full;
    const auto runAlone = [&](Item& it) {
        ++stats.passes;
        DetectorResult r;
        try {
            r = detector.run(it.wave, single);
            r.cut = options.cut;
        } catch (...) {
            ++stats.failed;
            failed(it.index, std::current_exception());
            return;
        }
        ++stats.utterances;
        done(it.index, std::move(r));
    };
    const auto runGroup = [&](std::vector<Item>& group) {
        if (group.size() == 1) {
            runAlone(group[0]);
            return;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const int64_t b = int64_t(group.size()), n = int64_t(group[0].wave.size());
        std::vector<DetectorResult> results(group.size());
        try {
            torch::Tensor waves = torch::empty({b, n}, torch::kFloat32);
            for (int64_t k = 0; k < b; ++k)
                std::memcpy(waves[k].data_ptr<float>(), group[size_t(k)].wave.data(), sizeof(float) * size_t(n));
            const DetectorForward f = model.forward(waves);
            const torch::Tensor logits = f.logits.to(torch::kCPU, torch::kFloat32).contiguous();
            const double share =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / double(b);
            for (int64_t k = 0; k < b; ++k) {
                DetectorResult& r = results[size_t(k)];
                r.cut = options.cut;
                r.samples = n;
                r.frames = f.ssl.size(1);
                r.dim = f.ssl.size(2);
                r.ssl = rowOf(f.ssl, k);
                if (f.spectral.defined()) {
                    r.spectral = rowOf(f.spectral, k);
                    r.spectralRows = f.spectral.size(1);
                }
                r.logits[0] = logits[k][0].item<float>();
                r.logits[1] = logits[k][1].item<float>();
                // Non-finite: thrown here, each utterance then runs alone and gets its own error.
                requireFiniteLogits(r.logits, "the detector");
                r.score = r.logits[1];
                r.seconds = share;
            }
        } catch (const std::exception&) {
            // Whatever failed for the batch (memory, ...) gets its own message per utterance.
            for (Item& it : group)
                runAlone(it);
            return;
        }
        ++stats.passes;
        stats.batchedUtterances += b;
        for (size_t k = 0; k < group.size(); ++k) {
            ++stats.utterances;
            done(group[k].index, std::move(results[k]));
        }
    };

    const size_t depth = options.prefetch > 0 ? size_t(options.prefetch) : 2 * batch;
    Prefetcher prefetch(count, depth, options.cut, load);
    size_t taken = 0;
    std::optional<Item> pending;
    const auto next = [&]() -> Item {
        if (pending) {
            Item it = std::move(*pending);
            pending.reset();
            return it;
        }
        ++taken;
        return prefetch.pop();
    };
    while (pending || taken < count) {
        Item first = next();
        if (first.error) {
            ++stats.failed;
            failed(first.index, first.error);
            continue;
        }
        if (!batchable(first)) {
            runAlone(first);
            continue;
        }
        std::vector<Item> group;
        group.push_back(std::move(first));
        while (group.size() < batch && taken < count) {
            Item it = next();
            if (batchable(it) && it.wave.size() == group[0].wave.size()) {
                group.push_back(std::move(it));
            } else {
                pending = std::move(it);
                break;
            }
        }
        runGroup(group);
    }
    return stats;
}

} // namespace spooflens::core
