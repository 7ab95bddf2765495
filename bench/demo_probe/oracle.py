#!/usr/bin/python3
"""Upper bounds (not deployable): is the spliced synthetic speech linearly separable in h(t) at all?
(A) LR trained on the EVAL split's own files (its 7 human recordings = the partial hosts, 8 synthetic
    files by the eval voices) -> frame AUC on the eval partials (leaky on purpose: speakers/voices covered).
(B) leave-one-utterance-out LR on the partial frames themselves (train on 4 partials, test on the 5th).
(C) LR trained on train+dev files (more speakers, still no eval speaker/voice)."""
import glob, json, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import auc, frame_labels, fit_lr, fit_mlp
W = os.environ.get('WORK', '/tmp/demo_probe')
D, FE = W + '/demo', W + '/feats'
files = json.load(open(D + '/manifest.json'))['files']
F = {f['id']: np.load(f"{FE}/orig/{f['id']}.npy").astype(np.float64) for f in files}
P = {}
for p in sorted(glob.glob(D + '/data/audio/partial_eval_*.wav')):
    s = os.path.basename(p)[:-4]; h = np.load(f'{FE}/orig/{s}.npy').astype(np.float64); P[s] = (h, frame_labels(p[:-4] + '.txt', len(h)))

def run(name, X, y, mlp=False):
    mu, sd = X.mean(0), X.std(0) + 1e-8; w = np.ones(len(y))
    w[y == 1] = 0.5 / (y == 1).mean(); w[y == 0] = 0.5 / (y == 0).mean()
    pred = (fit_mlp if mlp else fit_lr)((X - mu) / sd, y, w)
    pa = {s: auc(pred((h - mu) / sd), l) for s, (h, l) in P.items()}
    pooled = auc(np.concatenate([pred((h - mu) / sd) for h, _ in P.values()]), np.concatenate([l for _, l in P.values()]))
    print(f"{name:34s} partial frame AUC mean={np.mean(list(pa.values())):.3f} pooled={pooled:.3f} [{' '.join(f'{v:.2f}' for v in pa.values())}]", flush=True)

for splits in (('eval',), ('train', 'dev')):
    fs = [f for f in files if f['split'] in splits]
    X = np.vstack([F[f['id']] for f in fs]); y = np.concatenate([np.full(len(F[f['id']]), float(f['label'] == 'spoof')) for f in fs])
    for mlp in (False, True):
        run(f"(A/C) fit on {'+'.join(splits)} files {'mlp' if mlp else 'lr'}", X, y, mlp)
# (B) leave one partial out
for mlp in (False, True):
    pa = {}
    for s in P:
        X = np.vstack([h for k, (h, l) in P.items() if k != s]); y = np.concatenate([l for k, (h, l) in P.items() if k != s]).astype(float)
        mu, sd = X.mean(0), X.std(0) + 1e-8; w = np.ones(len(y)); w[y == 1] = 0.5 / (y == 1).mean(); w[y == 0] = 0.5 / (y == 0).mean()
        pred = (fit_mlp if mlp else fit_lr)((X - mu) / sd, y, w); pa[s] = auc(pred((P[s][0] - mu) / sd), P[s][1])
    print(f"(B) leave-one-partial-out {'mlp' if mlp else 'lr':8s}       partial frame AUC mean={np.mean(list(pa.values())):.3f} [{' '.join(f'{v:.2f}' for v in pa.values())}]", flush=True)
