#!/usr/bin/python3
"""PyTorch baseline of the detector for bench_detector.sh: torchaudio's own
wav2vec2_model configured like XLS-R 300M (or the tiny test preset), loaded
from the fairseq-layout keys via torchaudio's fairseq converter, plus a plain
PyTorch ConformerTCM (docs/detector.md §4) whose state-dict keys are tcm_add's.

usage: pytorch_baseline.py CKPT CLIP.npy [--preset xlsr300m|tiny] [--threads 2]
                           [--runs 6] [--pin-openblas] [--bf16 | --autocast] [--out PREFIX]
--bf16: PyTorch's best reduced-precision setting measured here: the whole SSL
model in bfloat16 with every Linear's weight stored once transposed, (in, out)
contiguous, and called as addmm(b, x, Wt) (oneDNN reorders nn.Linear's (out, in)
weight on every call); the back-end stays float32.
--autocast: PyTorch 2.x's own reduced-precision inference: the float32 model run
under torch.autocast("cpu", dtype=torch.bfloat16) (2.x casts LayerNorm, the
matmuls and torchaudio's scaled_dot_product_attention to bf16); the back-end
stays float32. Prints the torch version and whether SDPA is used.
Prints one JSON line: load_s, median_s, times_s, max_rss_kb; writes PREFIX_ssl.npy
and PREFIX_logits.npy when --out is given.
"""
import argparse
import ctypes
import ctypes.util
import json
import math
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torchaudio.models.wav2vec2.utils.import_fairseq import _convert_state_dict

PRESETS = {
    "xlsr300m": dict(conv=512, embed=1024, layers=24, heads=16, ffn=4096, pos_k=128, pos_g=16),
    "tiny": dict(conv=64, embed=64, layers=2, heads=4, ffn=128, pos_k=16, pos_g=4),
}


class Swish(nn.Module):
    def forward(self, x):
        return x * x.sigmoid()


class Transpose(nn.Module):
    def forward(self, x):
        return x.transpose(1, 2)


class GLU(nn.Module):
    def forward(self, x):
        out, gate = x.chunk(2, dim=1)
        return out * gate.sigmoid()


class DepthWise(nn.Module):
    def __init__(self, ch, k):
        super().__init__()
        self.pad = (k // 2, k // 2 - (k + 1) % 2)
        self.conv = nn.Conv1d(ch, ch, k, groups=ch)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad))


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Scale(nn.Module):
    def __init__(self, scale, fn):
        super().__init__()
        self.scale, self.fn = scale, fn

    def forward(self, x):
        return self.fn(x) * self.scale


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), Swish(), nn.Dropout(0), nn.Linear(hidden, dim), nn.Dropout(0))

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.d = heads, dim // heads
        self.pos_embed = nn.Parameter(torch.zeros(1, heads, dim))
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.ht_proj = nn.Linear(self.d, dim)
        self.ht_norm = nn.LayerNorm(self.d)
        self.last_attn = None

    def forward(self, x):
        b, n, e = x.shape
        h, d = self.heads, self.d
        s = x.view(b, n, h, d).mean(1)                       # (b, h, d), class token included
        ht = self.ht_proj(s).view(b, h, e // d, d)
        ht = F.gelu(self.ht_norm(ht)).view(b, h, e) + self.pos_embed
        z = torch.cat([x, ht], 1)
        m = n + h
        q, k, v = self.qkv(z).view(b, m, 3, h, d).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1) * d ** -0.5).softmax(-1)
        self.last_attn = attn
        y = self.proj((attn @ v).transpose(1, 2).reshape(b, m, e))
        cls = y[:, 0] + y[:, n:].mean(1) + y[:, 1:n].mean(1)
        return torch.cat([cls[:, None], y[:, 1:n]], 1)


class ConvModule(nn.Module):
    def __init__(self, dim, inner, k):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), Transpose(), nn.Conv1d(dim, 2 * inner, 1), GLU(),
                                 DepthWise(inner, k), nn.BatchNorm1d(inner), Swish(), nn.Conv1d(inner, dim, 1),
                                 Transpose(), nn.Dropout(0))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    def __init__(self, dim=144, heads=4, ff=576, inner=288, k=31):
        super().__init__()
        self.ff1 = Scale(0.5, PreNorm(dim, FeedForward(dim, ff)))
        self.attn = PreNorm(dim, Attention(dim, heads))
        self.conv = ConvModule(dim, inner, k)
        self.ff2 = Scale(0.5, PreNorm(dim, FeedForward(dim, ff)))
        self.post_norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.ff1(x) + x
        x = self.attn(x) + x
        x = self.conv(x) + x
        x = self.ff2(x) + x
        return self.post_norm(x)


class Conformer(nn.Module):
    def __init__(self, dim=144, blocks=4, rows=10000):
        super().__init__()
        self.positional_emb = nn.Parameter(torch.zeros(1, rows, dim))
        self.class_token = nn.Parameter(torch.zeros(1, dim))
        self.encoder_blocks = nn.ModuleList([Block(dim) for _ in range(blocks)])
        self.fc5 = nn.Linear(dim, 2)

    def forward(self, y):
        y = y + self.positional_emb[:, : y.size(1)]
        x = torch.cat([self.class_token.expand(y.size(0), 1, -1), y], 1)
        for blk in self.encoder_blocks:
            x = blk(x)
        return self.fc5(x[:, 0])


class Backend(nn.Module):
    def __init__(self, ssl_dim):
        super().__init__()
        self.LL = nn.Linear(ssl_dim, 144)
        self.first_bn = nn.BatchNorm2d(1)
        self.conformer = Conformer()

    def forward(self, h):
        y = F.selu(self.first_bn(self.LL(h).unsqueeze(1)).squeeze(1))
        return self.conformer(y)


class LinearKN(nn.Module):
    """y = addmm(b, x, Wt) with Wt = W.t() stored once, contiguous, in bf16."""

    def __init__(self, lin):
        super().__init__()
        self.register_buffer("wt", lin.weight.detach().t().contiguous().bfloat16())
        self.register_buffer("b", None if lin.bias is None else lin.bias.detach().bfloat16())

    def forward(self, x):
        x2 = x.reshape(-1, x.shape[-1])
        y = torch.mm(x2, self.wt) if self.b is None else torch.addmm(self.b, x2, self.wt)
        return y.view(*x.shape[:-1], self.wt.shape[1])


def to_bf16_pretransposed(module):
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, LinearKN(child))
        else:
            to_bf16_pretransposed(child)
    return module.bfloat16()


def pin_openblas():
    for name in ("openblas", "openblas64_"):
        path = ctypes.util.find_library(name)
        if path:
            lib = ctypes.CDLL(path)
            lib.openblas_set_num_threads(1)
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("clip")
    ap.add_argument("--preset", default="xlsr300m", choices=PRESETS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--pin-openblas", action="store_true")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--autocast", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.autocast and int(torch.__version__.split(".")[0]) < 2:
        ap.error(f"--autocast needs PyTorch 2.x (this is {torch.__version__}: its CPU autocast leaves "
                 "LayerNorm in float32 and fails on the bf16 activations)")
    torch.set_num_threads(a.threads)
    pinned = pin_openblas() if a.pin_openblas else False
    p = PRESETS[a.preset]

    t0 = time.perf_counter()
    sd = torch.load(a.ckpt, map_location="cpu")
    if all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    S = "ssl_model.model."
    ssl = torchaudio.models.wav2vec2_model(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=[(p["conv"], 10, 5)] + [(p["conv"], 3, 2)] * 4 + [(p["conv"], 2, 2)] * 2,
        extractor_conv_bias=True, encoder_embed_dim=p["embed"], encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=p["pos_k"], encoder_pos_conv_groups=p["pos_g"], encoder_num_layers=p["layers"],
        encoder_num_heads=p["heads"], encoder_attention_dropout=0.0, encoder_ff_interm_features=p["ffn"],
        encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=True, encoder_layer_drop=0.0,
        aux_num_out=None)
    ssl.load_state_dict(_convert_state_dict({k[len(S):]: v for k, v in sd.items() if k.startswith(S)}), strict=True)
    backend = Backend(p["embed"])
    backend.load_state_dict({k: v for k, v in sd.items() if not k.startswith(S)}, strict=True)
    del sd
    ssl.eval()
    backend.eval()
    if a.bf16:
        ssl = to_bf16_pretransposed(ssl)
    load_s = time.perf_counter() - t0

    wave = torch.from_numpy(np.load(a.clip)).float()
    if wave.dim() == 1:
        wave = wave[None]
    times = []
    with torch.inference_mode():
        for _ in range(a.runs):
            t = time.perf_counter()
            if a.autocast:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    h, _ = ssl(wave)
            else:
                h, _ = ssl(wave.bfloat16() if a.bf16 else wave)
            h = h.float()
            logits = backend(h)
            times.append(time.perf_counter() - t)
    if a.out:
        np.save(a.out + "_ssl.npy", h[0].numpy())
        np.save(a.out + "_logits.npy", logits[0].numpy())
    print(json.dumps({"impl": "pytorch", "load_s": load_s, "median_s": statistics.median(times), "times_s": times,
                      "threads": a.threads, "openblas_pinned": pinned, "bf16": a.bf16, "autocast": a.autocast,
                      "torch": torch.__version__, "sdpa": hasattr(F, "scaled_dot_product_attention"),
                      "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
                      "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "logits": logits[0].tolist()}))


if __name__ == "__main__":
    main()
