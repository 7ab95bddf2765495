#pragma once
// Audio out: plays a mono float buffer through PortAudio's default output.
// The samples are produced in the PortAudio callback from a buffer the player
// owns; the GUI thread never blocks on the device. Position, state and end of
// playback are published through atomics and turned into signals by a QTimer
// on the player's (GUI) thread at ~30 Hz; nothing is emitted from the audio thread.
// Thread-safety: use an AudioPlayer from the thread that owns it (the GUI thread).
// Positions are seconds of the source audio; the cursor reports what the
// callback has handed to the device (ahead of the speaker by the output latency).
// Headless use: point ALSA_CONFIG_PATH at a config with a `null` or `file` PCM
// before the first player is created (see tests/ui/TestAudioPlayer.cpp).
#include <QObject>
#include <QString>
#include <QTimer>

#include <cstdint>
#include <memory>
#include <vector>

namespace spooflens::ui {

class AudioPlayer : public QObject {
    Q_OBJECT
public:
    enum class State { Stopped, Playing, Paused };
    Q_ENUM(State)

    /// Initialises PortAudio (reference counted) and picks the default output.
    /// With no usable device the player still works as an object: isAvailable()
    /// is false, errorString() says why, play() returns false.
    explicit AudioPlayer(QObject* parent = nullptr);
    /// As above, but opens the device at `deviceRate` Hz (e.g. 48000) instead of
    /// trying the source rate first; the audio is then resampled with libsoxr.
    /// For devices known to misbehave at 16 kHz, and for tests.
    AudioPlayer(int deviceRate, QObject* parent = nullptr);
    ~AudioPlayer() override;

    /// True when PortAudio finds a default output device that accepts mono or
    /// stereo float32 at 16 kHz, 48 kHz or 44.1 kHz. `why` gets the reason when
    /// not. Briefly initialises PortAudio; call from the GUI thread.
    static bool available(QString* why = nullptr);

    bool isAvailable() const { return m_available; }
    /// Why playback is unavailable or the last error ("" when none).
    QString errorString() const { return m_error; }
    /// The output in use, e.g. "default (ALSA), 16000 Hz mono"; says when audio is
    /// resampled (libsoxr HQ) because the device refused the source rate.
    QString deviceDescription() const { return m_deviceDescription; }

    /// Replaces the audio (mono float32 in [-1, 1] at `sampleRate` Hz, normally
    /// 16000). Stops playback and moves the position to 0.
    void setAudio(std::vector<float> samples, int sampleRate = 16000);
    void clear() { setAudio({}, 16000); }

    double duration() const;   ///< seconds
    double position() const;   ///< seconds from the start of the audio
    State state() const { return m_state; }
    bool hasRegion() const;
    double regionStart() const;  ///< seconds; 0 without a region
    double regionEnd() const;    ///< seconds; duration() without a region

    bool loop() const;
    void setLoop(bool on);  ///< may be changed while playing
    float volume() const;
    void setVolume(float gain);  ///< linear gain, clamped to [0, 1]; may be changed while playing

public slots:
    /// Plays (or resumes) from position() to the end (or the region's end when a
    /// paused region playback is resumed). Returns false (errorOccurred) on failure.
    bool play();
    /// Plays [startSeconds, endSeconds) then stops at startSeconds (loops when loop()).
    bool playRegion(double startSeconds, double endSeconds);
    void pause();
    void togglePlayPause();
    /// Stops, forgets the region and rewinds to 0.
    void stop();
    /// Moves the position (clamped to the audio, or to the region while one plays).
    void seek(double seconds);

public:
    /// Implementation detail: the state the PortAudio callback shares (AudioPlayer.cpp).
    struct Shared;

signals:
    void positionChanged(double seconds);
    void stateChanged(spooflens::ui::AudioPlayer::State state);
    /// Playback reached the end of the audio or region (not sent by stop()).
    void finished();
    void errorOccurred(const QString& message);

private:

    bool openStream();
    void closeStream();
    void haltStream();  // stops the callback; returns when it no longer runs
    void setState(State s);
    void poll();
    int64_t toDevice(double seconds) const;
    double toSeconds(int64_t deviceSample) const;
    bool start();
    void fail(const QString& message);
    void init(int forcedRate);

    std::unique_ptr<Shared> m_shared;
    std::vector<float> m_source;  // as given
    int m_sourceRate = 16000;
    int m_deviceRate = 0;         // 0 until a device format is chosen
    int m_deviceChannels = 1;
    int m_deviceIndex = -1;
    double m_deviceLatency = 0;
    void* m_stream = nullptr;     // PaStream*
    bool m_paInitialised = false;
    bool m_available = false;
    QString m_error;
    QString m_deviceError;  ///< why there is no device (kept when a later call fails for another reason)
    QString m_deviceDescription;
    State m_state = State::Stopped;
    QTimer m_timer;
    double m_lastEmitted = -1.0;
};

} // namespace spooflens::ui
