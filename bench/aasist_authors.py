#!/usr/bin/python3
"""The AASIST authors' own PyTorch model as the peer of bench_aasist.sh.

The authors' code is not part of SpoofLens: pass the path of `models/AASIST.py`
from a clone of https://github.com/clovaai/aasist (MIT; commit a04c986 is the
one the shared weights come from).

usage: aasist_authors.py AASIST_PY CONF PTH CLIP.npy [--batch B] [--threads N]
                         [--runs R] [--no-onednn] [--out LOGITS.npy]
CONF: the authors' JSON configuration (its model_config builds the network).
Runs R forward passes on B copies of the clip (eval mode, no_grad, float32)
and prints one JSON line: torch version, times_s per pass, median_s,
max_rss_kb and the logits of the first copy ([spoof, bona fide]).
--no-onednn: torch.backends.mkldnn.enabled = False, as SpoofLens does for itself on CPUs where
Debian 13's oneDNN computes float32 convolutions wrongly (docs/cpu.md, "Convolutions").
"""
import argparse
import importlib.util
import json
import resource
import statistics
import time

import numpy as np
import torch


def load_model(code, conf, pth):
    spec = importlib.util.spec_from_file_location("aasist_authors_model", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(conf) as f:
        model_config = json.load(f)["model_config"]
    model = module.Model(model_config)
    kwargs = {"weights_only": True} if "weights_only" in torch.load.__code__.co_varnames else {}
    model.load_state_dict(torch.load(pth, map_location="cpu", **kwargs))
    return model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("code")
    ap.add_argument("conf")
    ap.add_argument("pth")
    ap.add_argument("clip")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--no-onednn", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.no_onednn:
        torch.backends.mkldnn.enabled = False
    model = load_model(a.code, a.conf, a.pth)
    clip = torch.from_numpy(np.load(a.clip).astype(np.float32).reshape(1, -1))
    x = clip.repeat(a.batch, 1).contiguous()
    times = []
    with torch.no_grad():
        for _ in range(a.runs):
            t0 = time.perf_counter()
            _, logits = model(x)
            times.append(time.perf_counter() - t0)
    first = logits[0].double().numpy()
    if a.out:
        np.save(a.out, first)
    print(json.dumps({"impl": "aasist_authors", "torch": torch.__version__, "batch": a.batch, "threads": a.threads,
                      "onednn": torch.backends.mkldnn.enabled,
                      "times_s": [round(t, 5) for t in times], "median_s": statistics.median(times),
                      "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "logits": first.tolist()}))


if __name__ == "__main__":
    main()
