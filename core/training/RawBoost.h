#pragma once
// RawBoost data augmentation (Tak, Kamble, Patino, Todisco, Evans, ICASSP 2022):
// 1 linear/non-linear convolutive noise (LnL), 2 impulsive signal-dependent
// noise (ISD), 3 stationary signal-independent coloured noise (SSI), and the
// combinations of the reference training code: 4 = 1+2+3, 5 = 1+2, 6 = 1+3,
// 7 = 2+3 (in series), 8 = 1||2 (in parallel, summed and normalised).
// Torch-free. Thread-safety: pure functions of their arguments (the RNG is the caller's).
#include <cstdint>
#include <random>
#include <vector>

namespace spooflens::core {

/// The reference's default parameters (`main_SSL_*.py` arguments).
struct RawBoostParams {
    int nBands = 5;            ///< notch filters per FIR
    double minF = 20, maxF = 8000;          ///< centre frequency range (Hz)
    double minBW = 100, maxBW = 1000;       ///< bandwidth range (Hz)
    int minCoeff = 10, maxCoeff = 100;      ///< filter taps range
    double minG = 0, maxG = 0;              ///< gain range (dB)
    double minBiasLinNonLin = 5, maxBiasLinNonLin = 20;  ///< gain bias for the non-linear terms (dB)
    int nF = 5;                ///< order of the non-linearity (LnL)
    double P = 10;             ///< max % of samples hit by impulsive noise (ISD)
    double gSd = 2;            ///< impulsive noise gain (ISD)
    double snrMin = 10, snrMax = 40;        ///< SNR range (dB) of SSI
    int sampleRate = 16000;
};

/// Applies algorithm `algo` (0 = none, 1..8) to 16 kHz samples.
std::vector<float> rawBoost(const std::vector<float>& x, int algo, std::mt19937_64& rng,
                            const RawBoostParams& params = {});

// Building blocks (exposed for tests).
std::vector<double> rawBoostNotchFilter(const RawBoostParams& p, double minG, double maxG, std::mt19937_64& rng);
std::vector<double> rawBoostFilterFir(const std::vector<double>& x, const std::vector<double>& b);
std::vector<double> rawBoostLnL(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng);
std::vector<double> rawBoostIsd(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng);
std::vector<double> rawBoostSsi(const std::vector<double>& x, const RawBoostParams& p, std::mt19937_64& rng);
/// Band-stop FIR like scipy.signal.firwin(taps, [f1, f2], window='hamming', fs=fs) (pass_zero, DC gain 1).
std::vector<double> firBandStop(int taps, double f1, double f2, double fs);

} // namespace spooflens::core
