#!/usr/bin/python3
"""Untrained within-utterance cues on the demo's partial-spoof utterances: how well
simple functions of the frozen tiny-SSL features h(t) rank the spliced frames
(docs/demo.md, "Measured"). Baselines for a trained Stage 2 module, not a product feature.
usage: cues.py [--cli build/app/spooflens] [--detector DEMO/detector_tiny.pth] PARTIAL_DIR...
PARTIAL_DIR: `spooflens make-partial` output folders (audio/partial_*.wav + .txt labels);
h(t) is computed with `spooflens embed` into audio/<stem>.npy when missing.
Prints the mean over utterances of the per-utterance frame ROC-AUC of each cue."""
import argparse, glob, os, subprocess, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import auc, frame_labels

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', default=os.path.join(here, '../../build/app/spooflens'))
    ap.add_argument('--detector', default=os.path.join(here, '../../tests/data/fixtures/detector_tiny.pth'))
    ap.add_argument('dirs', nargs='+')
    a = ap.parse_args()
    utts = []
    for d in a.dirs:
        for wav in sorted(glob.glob(os.path.join(d, 'audio', 'partial_*.wav'))):
            npy = wav[:-4] + '.npy'
            if not os.path.exists(npy):
                subprocess.run([a.cli, 'embed', '--detector', a.detector, '--device', 'cpu', '--threads', '1',
                                '--cut', 'full', '--quiet', '--out', npy, wav], check=True)
            h = np.load(npy).astype(np.float64)
            utts.append((h, frame_labels(wav[:-4] + '.txt', len(h))))
    z = lambda h: (h - h.mean(0)) / (h.std(0) + 1e-6)
    step = lambda h: np.r_[0.0, np.linalg.norm(np.diff(h, axis=0), axis=1)]
    def mahalanobis(h):
        c = h - h.mean(0)
        return np.einsum('td,de,te->t', c, np.linalg.pinv(np.cov(h.T)), c)
    cues = [
        ('low feature norm  -||h(t)||', lambda h: -np.linalg.norm(h, axis=1)),
        ('high feature norm ||h(t)||', lambda h: np.linalg.norm(h, axis=1)),
        ('frame-to-frame change ||h(t)-h(t-1)||', step),
        ('Mahalanobis distance to the utterance mean', mahalanobis),
        ('distance to the utterance mean, normalised ||z(t)||', lambda h: np.linalg.norm(z(h), axis=1)),
    ]
    print(f'{len(utts)} partial-spoof utterances')
    for name, f in cues:
        print(f'{np.nanmean([auc(f(h), lab) for h, lab in utts]):.3f}  {name}')

if __name__ == '__main__':
    main()
