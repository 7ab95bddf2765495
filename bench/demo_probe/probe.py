#!/usr/bin/python3
"""Frame probe on frozen tiny-SSL features h(t) of the SpoofLens demo corpus.
usage: probe.py [--demo WORK/demo] [--feats WORK/feats] [--mlp] [--weight balanced|none]
                [--variants base,speed,...] [--json OUT]
Features: FEATS/orig/<id>.npy for every manifest file and every partial_eval_*; FEATS/<aug>/<id>.npy
for augmented copies of train files. Variant = originals + a set of augmented copies, for both
classes or for bona fide only (suffix _h)."""
import argparse, glob, json, os, sys
import numpy as np

AUGS = {
    'speed': ['speed0.85', 'speed0.9', 'speed1.1', 'speed1.15'],
    'pitch': ['pitch-500', 'pitch-300', 'pitch300', 'pitch500'],
    'formant': ['formant0.85', 'formant0.9', 'formant1.1', 'formant1.15'],
}
AUGS['speed+formant'] = AUGS['speed'] + AUGS['formant']
AUGS['pitch+formant'] = AUGS['pitch'] + AUGS['formant']
AUGS['all'] = AUGS['speed'] + AUGS['pitch'] + AUGS['formant']

def auc(scores, labels):
    s = np.asarray(scores, float); y = np.asarray(labels, bool)
    npos, nneg = y.sum(), (~y).sum()
    if npos == 0 or nneg == 0: return float('nan')
    order = np.argsort(s, kind='mergesort'); r = np.empty(len(s)); ss = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and ss[j + 1] == ss[i]: j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1; i = j + 1
    return float((r[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))

def frame_labels(txt, T):
    iv = []
    for line in open(txt):
        p = line.split()
        if len(p) >= 2: iv.append((int(round(float(p[0]) * 16000)), int(round(float(p[1]) * 16000))))
    lab = np.zeros(T, np.int8)
    for t in range(T):
        a, b = 320 * t, 320 * t + 400
        cov = sum(max(0, min(b, e) - max(a, s)) for s, e in iv)
        lab[t] = cov > 200
    return lab

def fit_lr(X, y, w, lam=1e-3, iters=50):
    Xb = np.hstack([X, np.ones((len(X), 1))]); d = Xb.shape[1]
    beta = np.zeros(d); W = w / w.sum()
    R = lam * np.eye(d); R[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xb @ beta))
        g = Xb.T @ (W * (p - y)) + R @ beta
        H = (Xb * (W * p * (1 - p))[:, None]).T @ Xb + R
        step = np.linalg.solve(H, g); beta -= step
        if np.abs(step).max() < 1e-8: break
    return lambda Z: 1 / (1 + np.exp(-(np.hstack([Z, np.ones((len(Z), 1))]) @ beta)))

def fit_mlp(X, y, w, seed=0, epochs=30, hidden=64):
    import torch
    torch.set_num_threads(1); torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-3)
    Xt = torch.tensor(X, dtype=torch.float32); yt = torch.tensor(y, dtype=torch.float32)
    wt = torch.tensor(w / w.mean(), dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=g)
        for i in range(0, len(Xt), 256):
            b = perm[i:i + 256]
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(net(Xt[b])[:, 0], yt[b], reduction='none') * wt[b]).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    net.eval()
    def pred(Z):
        with torch.no_grad(): return torch.sigmoid(net(torch.tensor(Z, dtype=torch.float32))[:, 0]).numpy().astype(np.float64)
    return pred

def main():
    ap = argparse.ArgumentParser()
    W = os.environ.get('WORK', '/tmp/demo_probe')
    ap.add_argument('--demo', default=W + '/demo'); ap.add_argument('--feats', default=W + '/feats')
    ap.add_argument('--variants', default='base'); ap.add_argument('--mlp', action='store_true')
    ap.add_argument('--weight', default='balanced'); ap.add_argument('--json')
    ap.add_argument('--mlp-seeds', type=int, default=1)
    a = ap.parse_args()
    man = json.load(open(os.path.join(a.demo, 'manifest.json')))
    files = man['files']
    F = {f['id']: np.load(os.path.join(a.feats, 'orig', f['id'] + '.npy')).astype(np.float64) for f in files}
    parts = sorted(glob.glob(os.path.join(a.demo, 'data/audio/partial_eval_*.wav')))
    P = {}
    for p in parts:
        stem = os.path.basename(p)[:-4]
        h = np.load(os.path.join(a.feats, 'orig', stem + '.npy')).astype(np.float64)
        P[stem] = (h, frame_labels(p[:-4] + '.txt', len(h)))
    train = [f for f in files if f['split'] == 'train']
    results = []
    for var in a.variants.split(','):
        human_only = var.endswith('_h'); base = var[:-2] if human_only else var
        augs = [] if base == 'base' else AUGS[base]
        Xs, ys = [], []
        for f in train:
            sp = f['label'] == 'spoof'
            Xs.append(F[f['id']]); ys.append(np.full(len(F[f['id']]), float(sp)))
            if human_only and sp: continue
            for g in augs:
                h = np.load(os.path.join(a.feats, g, f['id'] + '.npy')).astype(np.float64)
                Xs.append(h); ys.append(np.full(len(h), float(sp)))
        X = np.vstack(Xs); y = np.concatenate(ys)
        mu, sd = X.mean(0), X.std(0) + 1e-8
        std = lambda Z: (Z - mu) / sd
        w = np.ones(len(y))
        if a.weight == 'balanced':
            w[y == 1] = 0.5 / (y == 1).mean(); w[y == 0] = 0.5 / (y == 0).mean()
        kinds = [('lr', 0)] + ([('mlp', s) for s in range(a.mlp_seeds)] if a.mlp else [])
        for kind, seed in kinds:
            pred = fit_lr(std(X), y, w) if kind == 'lr' else fit_mlp(std(X), y, w, seed=seed)
            prob = {k: pred(std(v)) for k, v in F.items()}
            tr = np.concatenate([(prob[f['id']] > 0.5) == (f['label'] == 'spoof') for f in train])
            fit_acc = float(np.mean((pred(std(X)) > 0.5) == (y == 1)))
            r = {'variant': var, 'probe': kind if kind == 'lr' else f'mlp{seed}', 'n_train_frames': int(len(y)),
                 'train_frame_acc': float(tr.mean()), 'fit_set_frame_acc': fit_acc}
            for split in ('dev', 'eval'):
                fs = [f for f in files if f['split'] == split]
                r[f'{split}_utt_auc'] = auc([prob[f['id']].mean() for f in fs], [f['label'] == 'spoof' for f in fs])
            hum = {f['id']: float((prob[f['id']] > 0.5).mean()) for f in files if f['split'] == 'eval' and f['label'] == 'bonafide'}
            syn = [float((prob[f['id']] > 0.5).mean()) for f in files if f['split'] == 'eval' and f['label'] == 'spoof']
            r['eval_human_spoofside'] = hum
            r['eval_human_spoofside_range'] = [min(hum.values()), max(hum.values())]
            r['eval_synth_spoofside_range'] = [min(syn), max(syn)]
            pa, ps, pl = {}, [], []
            for stem, (h, lab) in P.items():
                q = pred(std(h)); pa[stem] = auc(q, lab); ps.append(q); pl.append(lab)
            r['partial_frame_auc'] = pa
            r['partial_frame_auc_mean'] = float(np.mean(list(pa.values())))
            r['partial_frame_auc_pooled'] = auc(np.concatenate(ps), np.concatenate(pl))
            results.append(r)
            print(f"{var:16s} {r['probe']:5s} n={len(y):6d} trainacc={r['train_frame_acc']:.3f} devAUC={r['dev_utt_auc']:.3f} "
                  f"evalAUC={r['eval_utt_auc']:.3f} partAUC mean={r['partial_frame_auc_mean']:.3f} pooled={r['partial_frame_auc_pooled']:.3f} "
                  f"[{' '.join(f'{v:.2f}' for v in pa.values())}] evalHuman={r['eval_human_spoofside_range'][0]:.2f}-{r['eval_human_spoofside_range'][1]:.2f} "
                  f"evalSynth={r['eval_synth_spoofside_range'][0]:.2f}-{r['eval_synth_spoofside_range'][1]:.2f}", flush=True)
    if a.json: json.dump(results, open(a.json, 'w'), indent=1)

if __name__ == '__main__':
    main()
