#!/usr/bin/python3
"""The benchmarks' 4 s clips: the first 64600 samples (16 kHz) of the real ASVspoof
utterances stored in tests/data/fixtures/ref_tiny.npz, written into OUT_DIR as
clip64600.wav (bona fide) and, with --spoof, clip64600_spoof.wav.
usage: make_clip.py OUT_DIR [--spoof] [--npy] [--pcm16]
  --npy    also clip64600.npy (float32), the input of bench/pytorch_baseline.py
  --pcm16  16-bit PCM WAV instead of 32-bit float WAV (WAVE_FORMAT_IEEE_FLOAT)
Run from the repository root (or set SPOOFLENS_ROOT)."""
import argparse, os, struct
import numpy as np

N = 64600

def write_wav(path, x, pcm16):
    if pcm16:
        data = (np.clip(x, -1, 1) * 32767).astype('<i2').tobytes()
        fmt, bits = 1, 16
    else:
        data = x.astype('<f4').tobytes()
        fmt, bits = 3, 32
    block = bits // 8
    with open(path, 'wb') as f:
        f.write(b'RIFF' + struct.pack('<I', 36 + len(data)) + b'WAVEfmt '
                + struct.pack('<IHHIIHH', 16, fmt, 1, 16000, 16000 * block, block, bits)
                + b'data' + struct.pack('<I', len(data)) + data)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--spoof', action='store_true')
    ap.add_argument('--npy', action='store_true')
    ap.add_argument('--pcm16', action='store_true')
    a = ap.parse_args()
    root = os.environ.get('SPOOFLENS_ROOT', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    ref = np.load(os.path.join(root, 'tests/data/fixtures/ref_tiny.npz'))
    os.makedirs(a.out, exist_ok=True)
    x = ref['wave_bonafide'][:N].astype(np.float32)
    write_wav(os.path.join(a.out, 'clip64600.wav'), x, a.pcm16)
    if a.npy:
        np.save(os.path.join(a.out, 'clip64600.npy'), x)
    if a.spoof:
        write_wav(os.path.join(a.out, 'clip64600_spoof.wav'), ref['wave_spoof'][:N].astype(np.float32), a.pcm16)

if __name__ == '__main__':
    main()
