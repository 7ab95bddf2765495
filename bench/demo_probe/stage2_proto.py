#!/usr/bin/python3
"""Python prototype of the Stage 2 module (importance network, prototypes, the
weak_frame / attention_mil objectives, an utterance-label target, feature
normalisation) on the demo's h(t), for quick comparisons; run by hand, never by the
product. docs/demo.md ("Stage 2 localisation") reports its numbers.
usage: stage2_proto.py [--work WORK] --obj weak_frame|weak_label|attention_mil --mode ema|fixed|learnable
       [--norm none|utt|uttmean|global] [--epochs 12] [--seeds 1234,2,3] [--extra 'GLOB of partial WAVs']
WORK: as env.sh (WORK/demo = `spooflens demo --no-train`, WORK/feats/orig = embed_all.sh orig);
--extra: more partial-spoof WAVs with .txt labels and .npy features beside them (make-partial sets).
`fixed` is approximated by frozen random prototypes. Prints the mean per-utterance frame ROC-AUC
over seeds, the pooled AUC, the eval utterance AUC of mean w and the AUC of q(t)."""
import sys, os, json, glob, argparse
import numpy as np, torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import auc, frame_labels
torch.set_num_threads(1)
ap = argparse.ArgumentParser()
ap.add_argument('--work', default='/tmp/demo_probe')
ap.add_argument('--obj', default='weak_frame')
ap.add_argument('--mode', default='ema')
ap.add_argument('--seeds', default='1234,2,3')
ap.add_argument('--epochs', type=int, default=12)
ap.add_argument('--norm', default='none')  # none | global | utt
ap.add_argument('--sparse', type=float, default=0.0)
ap.add_argument('--prior', type=float, default=0.05)
ap.add_argument('--lr', type=float, default=1e-3)
ap.add_argument('--extra', default='')
ap.add_argument('--ctx', type=int, default=0)
ap.add_argument('--lprior', type=float, default=1.0)
ap.add_argument('--lsm', type=float, default=0.1)
ap.add_argument('--tau', type=float, default=0.07)  # extra partial dirs glob
a = ap.parse_args()
man = json.load(open(a.work + '/demo/manifest.json'))
F = {f['id']: np.load(f"{a.work}/feats/orig/{f['id']}.npy").astype(np.float32) for f in man['files']}
tr = [f for f in man['files'] if f['split'] == 'train']
dv = [f for f in man['files'] if f['split'] == 'dev']
P = []
for p in sorted(glob.glob(a.work + '/demo/data/audio/partial_eval_*.wav')) + (sorted(glob.glob(a.extra)) if a.extra else []):
    stem = p[:-4]
    npy = a.work + '/feats/orig/' + os.path.basename(stem) + '.npy' if '/demo/' in p else stem + '.npy'
    h = np.load(npy).astype(np.float32); P.append((h, frame_labels(stem + '.txt', len(h))))
X = np.vstack([F[f['id']] for f in tr]); mu, sd = X.mean(0), X.std(0) + 1e-6
def prep(h):
    h = prep0(h)
    if a.ctx:
        k = np.ones(2 * a.ctx + 1) / (2 * a.ctx + 1)
        h = np.stack([np.convolve(np.pad(h[:, d], a.ctx, mode='edge'), k, mode='valid') for d in range(h.shape[1])], 1).astype(np.float32)
    return h
def prep0(h):
    if a.norm == 'global': return (h - mu) / sd
    if a.norm == 'utt': return (h - h.mean(0)) / (h.std(0) + 1e-6)
    if a.norm == 'uttmean': return h - h.mean(0)
    return h
T = 201
def crop(h, rng):
    if len(h) >= T:
        s = rng.integers(0, len(h) - T + 1); return h[s:s + T]
    return h[np.arange(T) % len(h)]
def run(seed):
    torch.manual_seed(seed); rng = np.random.default_rng(seed)
    D = X.shape[1]
    net = torch.nn.Sequential(torch.nn.Linear(D, 256), torch.nn.LayerNorm(256), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(256, 128), torch.nn.LayerNorm(128), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(128, 1), torch.nn.Sigmoid())
    Pm = torch.nn.functional.normalize(torch.randn(2, D), dim=-1)
    if a.mode == 'learnable': Pm = torch.nn.Parameter(Pm)
    params = list(net.parameters()) + ([Pm] if a.mode == 'learnable' else [])
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=1e-4)
    tau = a.tau
    for ep in range(a.epochs):
        order = rng.permutation(len(tr))
        for i in range(0, len(order), 8):
            bs = [tr[j] for j in order[i:i + 8]]
            h = torch.tensor(np.stack([prep(crop(F[f['id']], rng)) for f in bs]))
            y = torch.tensor([0 if f['label'] == 'spoof' else 1 for f in bs])
            net.train(); w = net(h)[..., 0]
            p = torch.nn.functional.normalize(Pm, dim=-1)
            s = h @ p.t() / h.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            logp = torch.log_softmax(s / tau, -1)
            l = -logp.gather(-1, y.view(-1, 1, 1).expand(len(bs), T, 1))[..., 0]
            sp = (y == 0).float()[:, None]; bo = 1 - sp
            wn = w / (w.sum(1, keepdim=True) + 1e-9)
            gate = sp * wn + bo / T
            Lp = (gate * l).sum(1).mean()
            wc = w.clamp(1e-6, 1 - 1e-6)
            bce = lambda g: -(g * wc.log() + (1 - g) * (1 - wc).log())
            if a.obj == 'weak_frame':
                q = torch.softmax(s / tau, -1)[..., 0].detach()
                fr = bo * bce(torch.full_like(w, a.prior)) + sp * bce(q)
            elif a.obj == 'weak_label':
                fr = bo * bce(torch.full_like(w, a.prior)) + sp * bce(torch.ones_like(w))
            elif a.obj == 'attention_mil':
                fr = torch.zeros_like(w)
            nb, ns = bo.sum() * T, sp.sum() * T
            Lf = (fr * bo).sum() / nb.clamp_min(1) + (fr * sp).sum() / ns.clamp_min(1)
            Ls = (w * sp).sum() / ns.clamp_min(1)
            Lsm = (w[:, 1:] - w[:, :-1]).abs().mean()
            loss = Lp + Lf + a.sparse * Ls + a.lsm * Lsm
            if a.obj == 'attention_mil':
                u = (s * wn[..., None]).sum(1)
                ce = torch.nn.functional.cross_entropy(u / tau, y)
                rb = ((w - a.prior) ** 2 * bo).sum() / nb.clamp_min(1)
                rs = (((w.mean(1) - 0.3) ** 2) * sp[:, 0]).sum() / sp.sum().clamp_min(1)
                loss = ce + a.lprior * (rb + rs) + a.lsm * Lsm
            opt.zero_grad(); loss.backward(); opt.step()
            if a.mode == 'ema':
                with torch.no_grad():
                    for c in (0, 1):
                        m = y == c
                        if m.any():
                            Pm[c] = torch.nn.functional.normalize(0.9 * Pm[c] + 0.1 * h[m].mean((0, 1)), dim=-1)
    net.eval(); res = []; pooled_s, pooled_l = [], []; qres = []
    with torch.no_grad():
        pn = torch.nn.functional.normalize(Pm, dim=-1)
        for h, lab in P:
            hh = torch.tensor(prep(h))
            qq = torch.softmax((hh @ pn.t() / hh.norm(dim=-1, keepdim=True)) / tau, -1)[:, 0].numpy(); qres.append(auc(qq, lab))
            w = net(hh)[..., 0].numpy(); res.append(auc(w, lab)); pooled_s.append(w); pooled_l.append(lab)
    QA.append(np.nanmean(qres))
    with torch.no_grad():
        ev = [f for f in man['files'] if f['split'] == 'eval']
        um = [float(net(torch.tensor(prep(F[f['id']])))[..., 0].mean()) for f in ev]
        uauc = auc(um, [f['label'] == 'spoof' for f in ev])
    return np.nanmean(res), auc(np.concatenate(pooled_s), np.concatenate(pooled_l)), uauc, float(np.mean(np.concatenate(pooled_s)))
QA = []
out = [run(int(s)) for s in a.seeds.split(',')]
o = np.array(out)
print(f"{a.obj:10s} {a.mode:9s} norm={a.norm:6s} sparse={a.sparse} ep={a.epochs} | partAUC mean {o[:,0].mean():.3f} ({' '.join(f'{v:.3f}' for v in o[:,0])}) pooled {o[:,1].mean():.3f} evalUttAUC {o[:,2].mean():.3f} meanw {o[:,3].mean():.3f} qAUC {np.mean(QA):.3f}", flush=True)
