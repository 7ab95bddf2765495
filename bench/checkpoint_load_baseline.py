#!/usr/bin/python3
"""Reference numbers for bench/BenchCheckpointLoad (run by hand, Debian python3-torch).

  checkpoint_load_baseline.py make FILE.pth [LAYERS]   # ~1.29 GB float32 state dict (25 layers)
  checkpoint_load_baseline.py load FILE.pth            # torch.load: time and peak RSS

`make` writes LAYERS x [4 x (1024,1024) + (4096,1024) + (1024,4096)] random
float32 tensors (XLS-R 300M-sized transformer layers) plus the (1024,64,128)
positional-conv weight with torch.save: 323 M values (1.29 GB) for 25 layers, about
the size of the real avg_5_best.pth (321.2 M values, 1.285 GB).
"""
import resource
import sys
import time
from collections import OrderedDict

import torch


def make(path, layers):
    torch.manual_seed(0)
    sd = OrderedDict()
    for i in range(layers):
        p = "encoder.layers.%d." % i
        for n in ("k", "v", "q", "out"):
            sd[p + "self_attn.%s_proj.weight" % n] = torch.randn(1024, 1024)
        sd[p + "fc1.weight"] = torch.randn(4096, 1024)
        sd[p + "fc2.weight"] = torch.randn(1024, 4096)
    sd["encoder.pos_conv.0.weight_v"] = torch.randn(1024, 64, 128)
    torch.save(sd, path)


def load(path):
    torch.zeros(1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    sd = torch.load(path, map_location="cpu")
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = sum(t.numel() * t.element_size() for t in sd.values())
    print("torch.load      %.3f s, %d tensors, %.1f MiB of tensor data" % (seconds, len(sd), size / 2**20))
    print("peak RSS        %.1f MiB before loading, %.1f MiB after" % (before / 1024, after / 1024))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 25)
    elif len(sys.argv) == 3 and sys.argv[1] == "load":
        load(sys.argv[2])
    else:
        sys.exit(__doc__)
