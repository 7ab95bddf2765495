#!/usr/bin/python3
"""PyTorch baseline of the Stage 2 training step (same module, loss, AdamW, EMA)
on batch 24, T 201, D 1024, features read from float16 .npy files like a cache.
Usage: /usr/bin/python3 bench/bench_stage2.py [threads] [steps]"""
import os, sys, tempfile, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
if threads > 0:
    torch.set_num_threads(threads)
B, T, D, H = 24, 201, 1024, 256
torch.manual_seed(0)

class Stage2(nn.Module):
    def __init__(self):
        super().__init__()
        self.importance_net = nn.Module()
        self.importance_net.net = nn.Sequential(nn.Linear(D, H), nn.LayerNorm(H), nn.ReLU(), nn.Dropout(0.1),
                                                nn.Linear(H, H // 2), nn.LayerNorm(H // 2), nn.ReLU(), nn.Dropout(0.1),
                                                nn.Linear(H // 2, 1), nn.Sigmoid())
        self.register_buffer('prototypes', F.normalize(torch.randn(2, D), dim=-1))

    def forward(self, h):
        w = self.importance_net.net(h).squeeze(-1)
        wn = w / (w.sum(1, keepdim=True) + 1e-9)
        s = F.normalize(h, dim=-1) @ F.normalize(self.prototypes, dim=-1).t()
        return w, wn, s, (s * wn.unsqueeze(-1)).sum(1)

def loss(w, s, y, tau=0.07):
    l = -F.log_softmax(s / tau, -1).gather(-1, y.view(-1, 1, 1).expand(-1, s.size(1), 1)).squeeze(-1)
    con = (w * l).sum(1).mean()
    bona = w[y == 1].sum(1).mean() if (y == 1).any() else w.new_zeros(())
    smooth = (w[:, 1:] - w[:, :-1]).abs().mean()
    sparse = w[y == 0].abs().mean() if (y == 0).any() else w.new_zeros(())
    return con + 0.1 * bona + 0.1 * smooth + 0.01 * sparse

tmp = tempfile.mkdtemp()
files = []
for b in range(B):
    p = os.path.join(tmp, '%d.npy' % b)
    np.save(p, np.random.randn(T, D).astype(np.float16))
    files.append(p)
m = Stage2().train()
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=1e-4)
y = torch.tensor([0, 1] * (B // 2))
loads, stepsT = [], []
for s in range(steps + 5):
    t0 = time.perf_counter()
    h = torch.stack([torch.from_numpy(np.load(f, mmap_mode='r').astype(np.float32)) for f in files])
    t1 = time.perf_counter()
    w, wn, sc, u = m(h)
    L = loss(w, sc, y)
    opt.zero_grad()
    L.backward()
    opt.step()
    with torch.no_grad():
        for c in (0, 1):
            mask = y == c
            if mask.any():
                mean = h[mask].reshape(-1, D).mean(0)
                m.prototypes[c] = F.normalize(0.99 * m.prototypes[c] + 0.01 * mean, dim=-1)
    t2 = time.perf_counter()
    if s >= 5:
        loads.append(t1 - t0)
        stepsT.append(t2 - t1)
ms, ml = float(np.median(stepsT)), float(np.median(loads))
print('{"bench": "stage2_step_pytorch", "threads": %d, "blas_threads": "%s", "torch": "%s", "median_step_s": %.5f, '
      '"median_cache_load_s": %.5f, "epoch_25380_s": %.1f}' % (torch.get_num_threads(), os.environ.get("OPENBLAS_NUM_THREADS", "default"), torch.__version__, ms, ml,
                                                               (ms + ml) * np.ceil(25380 / B)))
