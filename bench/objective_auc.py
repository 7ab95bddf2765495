#!/usr/bin/env python3
"""Frame ROC-AUC of `spooflens explain --json` importance against a spoofed time span.

Usage: objective_auc.py EXPLAIN.json START_S END_S
Prints: auc mean_w_inside mean_w_outside spread (tools only; numpy, no torch).
"""
import json
import sys

import numpy as np


def roc_auc(score, positive):
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):  # average ranks of ties
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + 1 + j)
        i = j
    r = np.empty(len(s))
    r[order] = ranks
    n_pos = positive.sum()
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    return (r[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    with open(sys.argv[1]) as f:
        e = json.load(f)
    start, end = float(sys.argv[2]), float(sys.argv[3])
    t = np.asarray(e["time_s"], dtype=float)
    w = np.asarray(e["importance"], dtype=float)
    inside = (t >= start) & (t < end)
    print("%.4f %.4f %.4f %.4f" % (roc_auc(w, inside), w[inside].mean(), w[~inside].mean(), w.std()))


if __name__ == "__main__":
    main()
