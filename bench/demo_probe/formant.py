#!/usr/bin/python3
"""Cheap vocal-tract-length-like warp: per STFT frame, cepstrally smoothed
spectral envelope E(f) is replaced by E(f/alpha) (formants move by alpha),
harmonic fine structure / pitch and timing are kept (phase untouched).
usage: formant.py ALPHA IN.wav OUT.wav [IN2.wav OUT2.wav ...]"""
import sys, wave
import numpy as np

def read(p):
    with wave.open(p) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float64) / 32768.0
    return x, sr

def write(p, x, sr):
    y = np.clip(np.round(x * 32768.0), -32768, 32767).astype('<i2')
    with wave.open(p, 'wb') as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr); w.writeframes(y.tobytes())

def warp(x, alpha, n_fft=512, hop=128, lifter=24):
    win = np.hanning(n_fft + 1)[:-1]
    pad = n_fft
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad + n_fft)])
    nfr = (len(xp) - n_fft) // hop + 1
    idx = np.arange(n_fft)[None, :] + hop * np.arange(nfr)[:, None]
    X = np.fft.rfft(xp[idx] * win, axis=1)
    logm = np.log(np.abs(X) + 1e-7)
    c = np.fft.irfft(logm, n=n_fft, axis=1)
    c[:, lifter:n_fft - lifter + 1] = 0.0
    env = np.fft.rfft(c, axis=1).real            # log envelope
    bins = np.arange(env.shape[1], dtype=np.float64)
    src = np.clip(bins / alpha, 0, bins[-1])
    envw = np.stack([np.interp(src, bins, e) for e in env])
    g = np.exp(np.clip(envw - env, -4.0, 4.0))
    Y = X * g
    y = np.fft.irfft(Y, n=n_fft, axis=1) * win
    out = np.zeros(len(xp)); norm = np.zeros(len(xp))
    for i in range(nfr):
        out[i * hop:i * hop + n_fft] += y[i]
        norm[i * hop:i * hop + n_fft] += win ** 2
    out = out / np.maximum(norm, 1e-8)
    out = out[pad:pad + len(x)]
    # keep the active level (RMS) of the input, limit peaks
    r_in = np.sqrt(np.mean(x ** 2)) + 1e-12; r_out = np.sqrt(np.mean(out ** 2)) + 1e-12
    out *= r_in / r_out
    pk = np.max(np.abs(out))
    if pk > 0.95: out *= 0.95 / pk
    return out

if __name__ == '__main__':
    alpha = float(sys.argv[1]); a = sys.argv[2:]
    for i in range(0, len(a), 2):
        x, sr = read(a[i]); write(a[i + 1], warp(x, alpha), sr)
