#include "ui/playback/AudioPlayer.h"

#include "core/audio/Resampler.h"

#include <portaudio.h>

#include <dlfcn.h>
#ifdef SPOOFLENS_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>

namespace spooflens::ui {

// Written by the GUI thread only while the callback cannot run (stream
// stopped), except for the atomics, which both sides use.
struct AudioPlayer::Shared {
    std::vector<float> buffer;           // mono, device rate
    int channels = 1;                    // device channels (mono duplicated)
    std::atomic<int64_t> pos{0};         // next device sample to play
    std::atomic<int64_t> seekTo{-1};     // pending seek while playing, -1: none
    std::atomic<int64_t> begin{0};       // region [begin, end) in device samples
    std::atomic<int64_t> end{0};
    std::atomic<bool> loop{false};
    std::atomic<float> volume{1.0f};
    std::atomic<bool> ended{false};      // callback returned paComplete
    std::atomic<bool> streamDone{false}; // PortAudio's stream-finished callback ran
    bool region = false;                 // GUI thread only
};

namespace {

static_assert(std::atomic<int64_t>::is_always_lock_free, "the audio callback needs lock-free 64-bit atomics");
static_assert(std::atomic<float>::is_always_lock_free, "the audio callback needs a lock-free float atomic");

int paCallback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*,
               PaStreamCallbackFlags, void* user)
{
    auto* sh = static_cast<AudioPlayer::Shared*>(user);
    auto* out = static_cast<float*>(output);
    const int ch = sh->channels;
    const float gain = sh->volume.load(std::memory_order_relaxed);
    int64_t p = sh->pos.load(std::memory_order_relaxed);
    const int64_t seek = sh->seekTo.exchange(-1, std::memory_order_acq_rel);
    if (seek >= 0)
        p = seek;
    const int64_t b = sh->begin.load(std::memory_order_relaxed);
    const int64_t e = sh->end.load(std::memory_order_relaxed);
    unsigned long i = 0;
    int result = paContinue;
    while (i < frames) {
        if (p >= e || p < b) {
            if (sh->loop.load(std::memory_order_relaxed) && e > b) {
                p = b;
            } else {
                std::fill(out + i * ch, out + frames * ch, 0.0f);
                sh->ended.store(true, std::memory_order_release);
                result = paComplete;
                break;
            }
        }
        const int64_t k = std::min<int64_t>(static_cast<int64_t>(frames - i), e - p);
        const float* src = sh->buffer.data() + p;
        if (ch == 1) {
            for (int64_t j = 0; j < k; ++j)
                out[i + j] = src[j] * gain;
        } else {
            for (int64_t j = 0; j < k; ++j)
                for (int c = 0; c < ch; ++c)
                    out[(i + j) * ch + c] = src[j] * gain;
        }
        i += static_cast<unsigned long>(k);
        p += k;
    }
    sh->pos.store(p, std::memory_order_release);
    return result;
}

void paFinished(void* user)
{
    static_cast<AudioPlayer::Shared*>(user)->streamDone.store(true, std::memory_order_release);
}

QString paText(PaError e)
{
    return QString::fromUtf8(Pa_GetErrorText(e));
}

struct DeviceChoice {
    PaDeviceIndex device = paNoDevice;
    int rate = 0;
    int channels = 0;
    double latency = 0;
    QString error;
};

// Prefers the source rate so that ALSA (or nothing) converts; falls back to
// common hardware rates, in which case the player resamples with libsoxr.
DeviceChoice chooseDevice(int sourceRate, int forcedRate = 0)
{
    DeviceChoice c;
    c.device = Pa_GetDefaultOutputDevice();
    if (c.device == paNoDevice) {
        c.error = QStringLiteral("no audio output device found");
        return c;
    }
    const PaDeviceInfo* info = Pa_GetDeviceInfo(c.device);
    if (!info || info->maxOutputChannels < 1) {
        c.error = QStringLiteral("the default audio device has no outputs");
        c.device = paNoDevice;
        return c;
    }
    std::vector<int> rates{sourceRate, 48000, 44100, static_cast<int>(info->defaultSampleRate)};
    if (forcedRate > 0)
        rates = {forcedRate};
    for (int rate : rates) {
        for (int channels : {1, 2}) {
            if (channels > info->maxOutputChannels || rate <= 0)
                continue;
            PaStreamParameters p{};
            p.device = c.device;
            p.channelCount = channels;
            p.sampleFormat = paFloat32;
            p.suggestedLatency = info->defaultLowOutputLatency;
            if (Pa_IsFormatSupported(nullptr, &p, rate) == paFormatIsSupported) {
                c.rate = rate;
                c.channels = channels;
                c.latency = info->defaultLowOutputLatency;
                return c;
            }
        }
    }
    c.error = forcedRate > 0 ? QStringLiteral("the default audio device '%1' refuses %2 Hz float output")
                                   .arg(QString::fromUtf8(info->name))
                                   .arg(forcedRate)
                             : QStringLiteral("the default audio device '%1' accepts none of 16000/48000/44100 Hz "
                                              "float output")
                                   .arg(QString::fromUtf8(info->name));
    c.device = paNoDevice;
    return c;
}

#ifdef SPOOFLENS_HAVE_ALSA
void quietAlsaError(const char*, int, const char*, int, const char*, ...) {}
#endif

void quietJackMessage(const char*) {}

// Debian's PortAudio is linked against libjack, which prints its probe of a
// JACK server that is not running ("Cannot connect to server socket",
// "JackShmReadWritePtr::~JackShmReadWritePtr - Init not done") through its
// error and info callbacks. The functions that replace those callbacks are
// looked up at run time: SpoofLens does not link libjack itself, and a
// PortAudio built without JACK simply has no such symbol.
void quietJack()
{
    using SetFn = void (*)(void (*)(const char*));
    for (const char* name : {"jack_set_error_function", "jack_set_info_function"})
        if (auto* set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, name)))
            set(&quietJackMessage);
    // No JACK server is started just to look for devices.
    if (qEnvironmentVariableIsEmpty("JACK_NO_START_SERVER"))
        qputenv("JACK_NO_START_SERVER", "1");
}

// PortAudio probes every ALSA PCM it can find, and on machines without a sound
// card alsa-lib prints a screen of "snd_func_card_inum returned error" lines
// to stderr for each probe; its JACK back end likewise (quietJack). They are
// not errors of ours: the outcome is reported through
// available()/errorString(). SPOOFLENS_ALSA_DEBUG=1 keeps them.
PaError initialisePortAudio()
{
    static const bool quiet = [] {
        if (qEnvironmentVariableIsEmpty("SPOOFLENS_ALSA_DEBUG")) {
#ifdef SPOOFLENS_HAVE_ALSA
            snd_lib_error_set_handler(&quietAlsaError);
#endif
            quietJack();
        }
        return true;
    }();
    (void)quiet;
    return Pa_Initialize();
}

} // namespace

bool AudioPlayer::available(QString* why)
{
    const PaError e = initialisePortAudio();
    if (e != paNoError) {
        if (why)
            *why = QStringLiteral("audio playback unavailable: PortAudio: %1").arg(paText(e));
        return false;
    }
    const DeviceChoice c = chooseDevice(16000);
    Pa_Terminate();
    if (c.device == paNoDevice) {
        if (why)
            *why = QStringLiteral("audio playback unavailable: %1").arg(c.error);
        return false;
    }
    if (why)
        why->clear();
    return true;
}

AudioPlayer::AudioPlayer(QObject* parent) : QObject(parent), m_shared(std::make_unique<Shared>())
{
    init(0);
}

AudioPlayer::AudioPlayer(int deviceRate, QObject* parent) : QObject(parent), m_shared(std::make_unique<Shared>())
{
    init(deviceRate > 0 ? deviceRate : 0);
}

void AudioPlayer::init(int forcedRate)
{
    m_timer.setInterval(33);  // ~30 Hz cursor
    connect(&m_timer, &QTimer::timeout, this, &AudioPlayer::poll);

    const PaError e = initialisePortAudio();
    if (e != paNoError) {
        m_error = m_deviceError = QStringLiteral("audio playback unavailable: PortAudio: %1").arg(paText(e));
        return;
    }
    m_paInitialised = true;
    const DeviceChoice c = chooseDevice(m_sourceRate, forcedRate);
    if (c.device == paNoDevice) {
        m_error = m_deviceError = QStringLiteral("audio playback unavailable: %1").arg(c.error);
        return;
    }
    m_deviceIndex = c.device;
    m_deviceRate = c.rate;
    m_deviceChannels = c.channels;
    m_deviceLatency = c.latency;
    m_available = true;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(c.device);
    const PaHostApiInfo* api = info ? Pa_GetHostApiInfo(info->hostApi) : nullptr;
    m_deviceDescription = QStringLiteral("%1 (%2), %3 Hz %4")
                              .arg(info ? QString::fromUtf8(info->name) : QStringLiteral("?"),
                                   api ? QString::fromUtf8(api->name) : QStringLiteral("?"))
                              .arg(m_deviceRate)
                              .arg(m_deviceChannels == 1 ? QStringLiteral("mono") : QStringLiteral("stereo"));
    if (m_deviceRate != m_sourceRate)
        m_deviceDescription += QStringLiteral(" (resampled from 16000 Hz with libsoxr HQ)");
}

AudioPlayer::~AudioPlayer()
{
    m_timer.stop();
    closeStream();
    if (m_paInitialised)
        Pa_Terminate();
}

void AudioPlayer::fail(const QString& message)
{
    m_error = message;
    emit errorOccurred(message);
}

int64_t AudioPlayer::toDevice(double seconds) const
{
    if (!(seconds > 0) || m_deviceRate <= 0)
        return 0;
    const int64_t n = static_cast<int64_t>(m_shared->buffer.size());
    return std::min<int64_t>(n, static_cast<int64_t>(std::llround(seconds * m_deviceRate)));
}

double AudioPlayer::toSeconds(int64_t deviceSample) const
{
    return m_deviceRate > 0 ? static_cast<double>(deviceSample) / m_deviceRate : 0.0;
}

void AudioPlayer::setAudio(std::vector<float> samples, int sampleRate)
{
    haltStream();
    m_timer.stop();
    m_source = std::move(samples);
    m_sourceRate = sampleRate > 0 ? sampleRate : 16000;
    Shared& sh = *m_shared;
    sh.buffer.clear();
    if (m_available) {
        if (m_deviceRate == m_sourceRate) {
            sh.buffer = m_source;
        } else {
            try {
                sh.buffer = core::resample(m_source, m_sourceRate, m_deviceRate);
            } catch (const std::exception& e) {
                fail(QStringLiteral("cannot resample audio for the output device: %1").arg(QString::fromUtf8(e.what())));
            }
        }
    }
    sh.pos.store(0);
    sh.seekTo.store(-1);
    sh.begin.store(0);
    sh.end.store(static_cast<int64_t>(sh.buffer.size()));
    sh.region = false;
    setState(State::Stopped);
    m_lastEmitted = 0.0;
    emit positionChanged(0.0);
}

double AudioPlayer::duration() const
{
    return m_sourceRate > 0 ? static_cast<double>(m_source.size()) / m_sourceRate : 0.0;
}

double AudioPlayer::position() const
{
    const int64_t pending = m_shared->seekTo.load();
    return toSeconds(pending >= 0 ? pending : m_shared->pos.load());
}

bool AudioPlayer::hasRegion() const
{
    return m_shared->region;
}

double AudioPlayer::regionStart() const
{
    return toSeconds(m_shared->begin.load());
}

double AudioPlayer::regionEnd() const
{
    return m_shared->region ? toSeconds(m_shared->end.load()) : duration();
}

bool AudioPlayer::loop() const
{
    return m_shared->loop.load();
}

void AudioPlayer::setLoop(bool on)
{
    m_shared->loop.store(on);
}

float AudioPlayer::volume() const
{
    return m_shared->volume.load();
}

void AudioPlayer::setVolume(float gain)
{
    m_shared->volume.store(std::isfinite(gain) ? std::clamp(gain, 0.0f, 1.0f) : 1.0f);
}

bool AudioPlayer::openStream()
{
    if (m_stream)
        return true;
    PaStreamParameters p{};
    p.device = m_deviceIndex;
    p.channelCount = m_deviceChannels;
    p.sampleFormat = paFloat32;
    p.suggestedLatency = m_deviceLatency;
    m_shared->channels = m_deviceChannels;
    PaStream* stream = nullptr;
    const PaError e = Pa_OpenStream(&stream, nullptr, &p, m_deviceRate, paFramesPerBufferUnspecified, paNoFlag,
                                    &paCallback, m_shared.get());
    if (e != paNoError) {
        fail(QStringLiteral("cannot open the audio output: %1").arg(paText(e)));
        return false;
    }
    Pa_SetStreamFinishedCallback(stream, &paFinished);
    m_stream = stream;
    return true;
}

void AudioPlayer::closeStream()
{
    if (!m_stream)
        return;
    auto* stream = static_cast<PaStream*>(m_stream);
    if (Pa_IsStreamStopped(stream) == 0)
        Pa_AbortStream(stream);
    Pa_CloseStream(stream);
    m_stream = nullptr;
}

void AudioPlayer::haltStream()
{
    if (!m_stream)
        return;
    auto* stream = static_cast<PaStream*>(m_stream);
    // Abort (not Stop): pause must be immediate; the callback has returned when it does.
    if (Pa_IsStreamStopped(stream) == 0)
        Pa_AbortStream(stream);
    const int64_t pending = m_shared->seekTo.exchange(-1);
    if (pending >= 0)
        m_shared->pos.store(pending);
}

bool AudioPlayer::start()
{
    if (!m_available) {
        fail(m_deviceError.isEmpty() ? QStringLiteral("audio playback unavailable") : m_deviceError);
        return false;
    }
    Shared& sh = *m_shared;
    if (sh.buffer.empty()) {
        fail(QStringLiteral("nothing to play"));
        return false;
    }
    if (!openStream())
        return false;
    haltStream();
    const int64_t p = sh.pos.load();
    if (p < sh.begin.load() || p >= sh.end.load())
        sh.pos.store(sh.begin.load());
    sh.ended.store(false);
    sh.streamDone.store(false);
    const PaError e = Pa_StartStream(static_cast<PaStream*>(m_stream));
    if (e != paNoError) {
        fail(QStringLiteral("cannot start audio output: %1").arg(paText(e)));
        setState(State::Stopped);
        return false;
    }
    setState(State::Playing);
    m_timer.start();
    return true;
}

bool AudioPlayer::play()
{
    if (m_state == State::Playing)
        return true;
    if (m_state == State::Stopped || !m_shared->region) {
        m_shared->region = false;
        m_shared->begin.store(0);
        m_shared->end.store(static_cast<int64_t>(m_shared->buffer.size()));
    }
    return start();
}

bool AudioPlayer::playRegion(double startSeconds, double endSeconds)
{
    if (!m_available)
        return start();  // says why there is no device, not that the region is empty
    haltStream();
    const int64_t a = toDevice(std::min(startSeconds, endSeconds));
    const int64_t b = toDevice(std::max(startSeconds, endSeconds));
    if (b <= a) {
        fail(QStringLiteral("empty region %1 s .. %2 s").arg(startSeconds).arg(endSeconds));
        return false;
    }
    Shared& sh = *m_shared;
    sh.region = true;
    sh.begin.store(a);
    sh.end.store(b);
    sh.pos.store(a);
    if (m_state == State::Playing)
        m_state = State::Paused;  // start() re-emits Playing only on a change
    return start();
}

void AudioPlayer::pause()
{
    if (m_state != State::Playing)
        return;
    haltStream();
    m_timer.stop();
    setState(State::Paused);
    poll();
}

void AudioPlayer::togglePlayPause()
{
    if (m_state == State::Playing)
        pause();
    else
        play();
}

void AudioPlayer::stop()
{
    haltStream();
    m_timer.stop();
    Shared& sh = *m_shared;
    sh.region = false;
    sh.begin.store(0);
    sh.end.store(static_cast<int64_t>(sh.buffer.size()));
    sh.pos.store(0);
    setState(State::Stopped);
    m_lastEmitted = 0.0;
    emit positionChanged(0.0);
}

void AudioPlayer::seek(double seconds)
{
    Shared& sh = *m_shared;
    int64_t p = toDevice(seconds);
    if (sh.region && m_state != State::Stopped)
        p = std::clamp(p, sh.begin.load(), std::max(sh.begin.load(), sh.end.load() - 1));
    if (m_state == State::Playing)
        sh.seekTo.store(p);  // the callback picks it up on its next buffer
    else
        sh.pos.store(p);
    m_lastEmitted = toSeconds(p);
    emit positionChanged(m_lastEmitted);
}

void AudioPlayer::setState(State s)
{
    if (m_state == s)
        return;
    m_state = s;
    emit stateChanged(s);
}

void AudioPlayer::poll()
{
    Shared& sh = *m_shared;
    if (m_state == State::Playing && sh.ended.load(std::memory_order_acquire)) {
        // The callback returned paComplete: let PortAudio finish, then reset.
        if (!sh.streamDone.load(std::memory_order_acquire) && m_stream &&
            Pa_IsStreamActive(static_cast<PaStream*>(m_stream)) == 1)
            return;  // next tick
        if (m_stream)
            Pa_StopStream(static_cast<PaStream*>(m_stream));
        m_timer.stop();
        const double endAt = toSeconds(sh.end.load());
        if (endAt != m_lastEmitted)
            emit positionChanged(endAt);  // the cursor reaches the end before it rewinds
        // Rewind to where this playback started (the region's start, or 0).
        sh.pos.store(sh.begin.load());
        sh.region = false;
        sh.begin.store(0);
        sh.end.store(static_cast<int64_t>(sh.buffer.size()));
        setState(State::Stopped);
        m_lastEmitted = toSeconds(sh.pos.load());
        emit positionChanged(m_lastEmitted);
        emit finished();
        return;
    }
    const double p = position();
    if (p != m_lastEmitted) {
        m_lastEmitted = p;
        emit positionChanged(p);
    }
}

} // namespace spooflens::ui
