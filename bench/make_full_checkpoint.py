#!/usr/bin/python3
"""Writes a full-size (XLS-R 300M + ConformerTCM) detector checkpoint with
seeded random weights in the real avg_5_best.pth layout (docs/detector.md
§5.5: 588 keys in the stored order, 321 215 531 values), saved with
torch.save like tcm_add does. For benchmarks only: the file is ~1.3 GB, so it
goes to /tmp and is never committed.

usage: /usr/bin/python3 bench/make_full_checkpoint.py OUT.pth [--dataparallel]
"""
import collections
import math
import sys

import torch

E, CONV, LAYERS, FFN, POS_K, POS_G = 1024, 512, 24, 4096, 128, 16
TCM, HEADS, FF, INNER, KERNEL, BLOCKS, ROWS = 144, 4, 576, 288, 31, 4, 10000


def sinusoid(rows, dim):
    # tcm_add's table: angle in double, rounded to float32, then sin/cos in float32.
    angle = torch.tensor([[p / (10000 ** (2 * (i // 2) / dim)) for i in range(dim)] for p in range(rows)],
                         dtype=torch.float64).float()
    pe = angle.clone()
    pe[:, 0::2] = torch.sin(angle[:, 0::2])
    pe[:, 1::2] = torch.cos(angle[:, 1::2])
    return pe


def main():
    out = sys.argv[1]
    dataparallel = "--dataparallel" in sys.argv
    g = torch.Generator().manual_seed(20251124)
    sd = collections.OrderedDict()

    def lin(name, o, i, std=None, bias=True):
        std = std if std is not None else 1.0 / math.sqrt(i)
        sd[name + ".weight"] = torch.randn(o, i, generator=g) * std
        if bias:
            sd[name + ".bias"] = torch.randn(o, generator=g) * 0.02

    def ln(name, d):
        sd[name + ".weight"] = 1.0 + 0.1 * torch.randn(d, generator=g)
        sd[name + ".bias"] = 0.1 * torch.randn(d, generator=g)

    def bn(name, d):
        ln(name, d)
        sd[name + ".running_mean"] = 0.1 * torch.randn(d, generator=g)
        sd[name + ".running_var"] = 0.5 + torch.rand(d, generator=g)
        sd[name + ".num_batches_tracked"] = torch.tensor(4321, dtype=torch.int64)

    S = "ssl_model.model."
    sd[S + "mask_emb"] = torch.rand(E, generator=g)
    conv = [(CONV, 10, 5)] + [(CONV, 3, 2)] * 4 + [(CONV, 2, 2)] * 2
    cin = 1
    for c, (ch, k, _) in enumerate(conv):
        p = S + f"feature_extractor.conv_layers.{c}."
        sd[p + "0.weight"] = torch.randn(ch, cin, k, generator=g) / math.sqrt(cin * k)
        sd[p + "0.bias"] = torch.randn(ch, generator=g) * 0.02
        ln(p + "2.1", ch)
        cin = ch
    lin(S + "post_extract_proj", E, CONV)
    sd[S + "quantizer.vars"] = torch.randn(1, 640, 384, generator=g)
    lin(S + "quantizer.weight_proj", 640, CONV)
    lin(S + "project_q", 768, 768)
    sd[S + "encoder.pos_conv.0.bias"] = torch.randn(E, generator=g) * 0.02
    sd[S + "encoder.pos_conv.0.weight_g"] = 0.5 + torch.rand(1, 1, POS_K, generator=g)
    sd[S + "encoder.pos_conv.0.weight_v"] = torch.randn(E, E // POS_G, POS_K, generator=g)
    for i in range(LAYERS):
        L = S + f"encoder.layers.{i}."
        for proj in ("k", "v", "q", "out"):
            lin(L + f"self_attn.{proj}_proj", E, E)
        ln(L + "self_attn_layer_norm", E)
        lin(L + "fc1", FFN, E)
        lin(L + "fc2", E, FFN)
        ln(L + "final_layer_norm", E)
    ln(S + "encoder.layer_norm", E)
    ln(S + "layer_norm", CONV)
    lin(S + "final_proj", 768, E)

    lin("LL", TCM, E)
    bn("first_bn", 1)
    sd["conformer.positional_emb"] = sinusoid(ROWS, TCM).unsqueeze(0)
    sd["conformer.class_token"] = torch.rand(1, TCM, generator=g)
    for b in range(BLOCKS):
        K = f"conformer.encoder_blocks.{b}."
        for ff in ("ff1",):
            lin(K + ff + ".fn.fn.net.0", FF, TCM)
            lin(K + ff + ".fn.fn.net.3", TCM, FF)
            ln(K + ff + ".fn.norm", TCM)
        sd[K + "attn.fn.pos_embed"] = torch.randn(1, HEADS, TCM, generator=g)
        lin(K + "attn.fn.qkv", 3 * TCM, TCM, bias=False)
        lin(K + "attn.fn.proj", TCM, TCM)
        lin(K + "attn.fn.ht_proj", TCM, TCM // HEADS)
        ln(K + "attn.fn.ht_norm", TCM // HEADS)
        ln(K + "attn.norm", TCM)
        ln(K + "conv.net.0", TCM)
        sd[K + "conv.net.2.weight"] = torch.randn(2 * INNER, TCM, 1, generator=g) / math.sqrt(TCM)
        sd[K + "conv.net.2.bias"] = torch.randn(2 * INNER, generator=g) * 0.02
        sd[K + "conv.net.4.conv.weight"] = torch.randn(INNER, 1, KERNEL, generator=g) / math.sqrt(KERNEL)
        sd[K + "conv.net.4.conv.bias"] = torch.randn(INNER, generator=g) * 0.02
        bn(K + "conv.net.5", INNER)
        sd[K + "conv.net.7.weight"] = torch.randn(TCM, INNER, 1, generator=g) / math.sqrt(INNER)
        sd[K + "conv.net.7.bias"] = torch.randn(TCM, generator=g) * 0.02
        lin(K + "ff2.fn.fn.net.0", FF, TCM)
        lin(K + "ff2.fn.fn.net.3", TCM, FF)
        ln(K + "ff2.fn.norm", TCM)
        ln(K + "post_norm", TCM)
    lin("conformer.fc5", 2, TCM)

    values = sum(t.numel() for t in sd.values())
    assert len(sd) == 588, len(sd)
    assert values == 321215531, values
    if dataparallel:
        sd = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
    torch.save(sd, out)
    print(f"{out}: {len(sd)} keys, {values} values")


if __name__ == "__main__":
    main()
