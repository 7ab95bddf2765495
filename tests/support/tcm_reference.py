#!/usr/bin/env python3
"""Independent reference for SpoofLens' attention explainers (test time only).

Re-implements the ConformerTCM back-end of the detector specification in plain
PyTorch (functional ops on the state dict, nothing shared with the C++ code),
loads the back-end weights of a detector checkpoint with torch.load, checks its
logits (and, where the reference has them, attention maps) against ref_tiny.npz,
then computes for one input h:
  rollout.npy     attention rollout, class-token row (docs/explainers.md)
  gatr.npy        gradient-weighted attention relevancy, class-token row
  gradxinput.npy  sum_d dm/dh(t,d) h(t,d), m = logit[0] - logit[1]
  margin.npy      m(h) (1 value)

usage: tcm_reference.py DETECTOR.pth REF.npz INPUT_NAME OUT_DIR
(INPUT_NAME: an input of ref_tiny.npz, e.g. spoof, bonafide, rand64600)
Exit 0 on success, 1 if the back-end does not reproduce the reference.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def state_dict(path):
    sd = torch.load(path, map_location="cpu")
    return {(k[len("module."):] if k.startswith("module.") else k): v.float() if v.is_floating_point() else v
            for k, v in sd.items()}


def layer_norm(x, sd, prefix):
    return F.layer_norm(x, (x.shape[-1],), sd[prefix + ".weight"], sd[prefix + ".bias"], 1e-5)


def linear(x, sd, prefix):
    return F.linear(x, sd[prefix + ".weight"], sd.get(prefix + ".bias"))


def batch_norm(x, sd, prefix):
    return F.batch_norm(x, sd[prefix + ".running_mean"], sd[prefix + ".running_var"], sd[prefix + ".weight"],
                        sd[prefix + ".bias"], False, 0.0, 1e-5)


def swish(x):
    return x * torch.sigmoid(x)


def feed_forward(x, sd, prefix):
    y = layer_norm(x, sd, prefix + ".fn.norm")
    return linear(swish(linear(y, sd, prefix + ".fn.fn.net.0")), sd, prefix + ".fn.fn.net.3")


def head_token_attention(x, sd, prefix, heads):
    batch, n, width = x.shape
    d = width // heads
    summary = x.mean(dim=1).reshape(batch, heads, d)          # mean over all N tokens, per head slice
    u = linear(summary, sd, prefix + ".ht_proj")              # (B, H, E)
    u = F.gelu(layer_norm(u.reshape(batch, heads, width // d, d), sd, prefix + ".ht_norm"))
    tokens = u.reshape(batch, heads, width) + sd[prefix + ".pos_embed"]
    z = torch.cat([x, tokens], dim=1)
    m = n + heads
    qkv = F.linear(z, sd[prefix + ".qkv.weight"])
    q, k, v = (qkv[..., i * width:(i + 1) * width].reshape(batch, m, heads, d).permute(0, 2, 1, 3)
               for i in range(3))
    att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / (d ** 0.5), dim=-1)
    out = linear(torch.matmul(att, v).permute(0, 2, 1, 3).reshape(batch, m, width), sd, prefix + ".proj")
    cls = out[:, 0] + out[:, n:].mean(dim=1) + out[:, 1:n].mean(dim=1)
    return torch.cat([cls.unsqueeze(1), out[:, 1:n]], dim=1), att


def conv_module(x, sd, prefix):
    y = layer_norm(x, sd, prefix + ".net.0").transpose(1, 2)
    y = F.conv1d(y, sd[prefix + ".net.2.weight"], sd[prefix + ".net.2.bias"])
    half = y.shape[1] // 2
    y = y[:, :half] * torch.sigmoid(y[:, half:])
    kernel = sd[prefix + ".net.4.conv.weight"].shape[-1]
    y = F.pad(y, (kernel // 2, kernel // 2 - (kernel + 1) % 2))
    y = F.conv1d(y, sd[prefix + ".net.4.conv.weight"], sd[prefix + ".net.4.conv.bias"], groups=y.shape[1])
    y = swish(batch_norm(y, sd, prefix + ".net.5"))
    return F.conv1d(y, sd[prefix + ".net.7.weight"], sd[prefix + ".net.7.bias"]).transpose(1, 2)


def backend(h, sd):
    """h (B, T, D) -> logits (B, 2), attention maps per block (B, H, T+1+H, T+1+H)."""
    heads = sd["conformer.encoder_blocks.0.attn.fn.pos_embed"].shape[1]
    blocks = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("conformer.encoder_blocks."))
    y = linear(h, sd, "LL")
    y = F.selu(batch_norm(y.unsqueeze(1), sd, "first_bn").squeeze(1))
    y = y + sd["conformer.positional_emb"][:, :y.shape[1]]
    cls = sd["conformer.class_token"].unsqueeze(0).expand(y.shape[0], 1, y.shape[2])
    x = torch.cat([cls, y], dim=1)
    maps = []
    for b in range(blocks):
        p = "conformer.encoder_blocks.%d" % b
        x = x + 0.5 * feed_forward(x, sd, p + ".ff1")
        a, att = head_token_attention(layer_norm(x, sd, p + ".attn.norm"), sd, p + ".attn.fn", heads)
        maps.append(att)
        x = x + a
        x = x + conv_module(x, sd, p + ".conv")
        x = x + 0.5 * feed_forward(x, sd, p + ".ff2")
        x = layer_norm(x, sd, p + ".post_norm")
    return linear(x[:, 0], sd, "conformer.fc5"), maps


def to_block_tokens(a, n):
    """(M, M) token mixing over [class, frames, head tokens] -> (N, N) over [class, frames]."""
    c = a[:, :n] + a[:, n:].sum(axis=1, keepdims=True) / n
    cls = (c[0] + c[n:].mean(axis=0) + c[1:n].mean(axis=0)) / 3.0
    return np.vstack([cls[None, :], c[1:n]])


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    ckpt, ref_path, name, out_dir = sys.argv[1:]
    torch.set_num_threads(1)
    sd = state_dict(ckpt)
    ref = np.load(ref_path)
    h = torch.from_numpy(ref["ssl_" + name].astype(np.float32)).unsqueeze(0).requires_grad_(True)
    logits, maps = backend(h, sd)
    err = float(np.abs(logits.detach().numpy()[0] - ref["logits_" + name]).max())
    print("logits max abs error vs %s: %.3g" % (ref_path, err))
    if err > 1e-4:
        return 1
    for b, att in enumerate(maps):
        key = "attn_%s_block%d" % (name, b)
        if key in ref.files:
            e = float(np.abs(att.detach().numpy()[0] - ref[key]).max())
            print("%s max abs error: %.3g" % (key, e))
            if e > 1e-5:
                return 1
    margin = logits[0, 0] - logits[0, 1]
    grads = torch.autograd.grad(margin, [h] + maps)
    n = h.shape[1] + 1
    eye = np.eye(n)
    rollout, gatr = eye.copy(), eye.copy()
    for att, g in zip(maps, grads[1:]):
        a = att.detach().double().numpy()[0]
        mix = to_block_tokens(a.mean(axis=0), n) + eye
        mix = mix / mix.sum(axis=1, keepdims=True)
        rollout = mix @ rollout
        rel = np.maximum(g.double().numpy()[0] * a, 0.0).mean(axis=0)
        gatr = gatr + to_block_tokens(rel, n) @ gatr
    gxi = (grads[0] * h).sum(dim=-1)[0].detach().numpy()
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "rollout.npy"), rollout[0, 1:].astype(np.float32))
    np.save(os.path.join(out_dir, "gatr.npy"), gatr[0, 1:].astype(np.float32))
    np.save(os.path.join(out_dir, "gradxinput.npy"), gxi.astype(np.float32))
    np.save(os.path.join(out_dir, "margin.npy"), np.array([float(margin)], dtype=np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
