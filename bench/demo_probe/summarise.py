#!/usr/bin/python3
"""Table from probe.py --json outputs: one row per (variant, probe kind); MLP rows = mean (min-max) over seeds."""
import json, sys
import numpy as np
for path in sys.argv[1:]:
    R = json.load(open(path)); print(f'\n## {path}')
    print('| variant | probe | train frame acc | dev utt AUC | eval utt AUC | partial frame AUC mean | pooled | eval-human spoof-side | eval-synth spoof-side |')
    print('|---|---|---|---|---|---|---|---|---|')
    keys = []
    for r in R:
        k = (r['variant'], 'lr' if r['probe'] == 'lr' else 'mlp')
        if k not in keys: keys.append(k)
    for v, kind in keys:
        rs = [r for r in R if r['variant'] == v and (r['probe'] == 'lr') == (kind == 'lr')]
        def f(key):
            x = np.array([r[key] for r in rs])
            return f'{x.mean():.3f}' if len(x) == 1 else f'{x.mean():.3f} ({x.min():.2f}–{x.max():.2f})'
        hl = min(r['eval_human_spoofside_range'][0] for r in rs); hh = max(r['eval_human_spoofside_range'][1] for r in rs)
        sl = min(r['eval_synth_spoofside_range'][0] for r in rs); sh = max(r['eval_synth_spoofside_range'][1] for r in rs)
        print(f"| {v} | {kind}{'' if len(rs)==1 else ' ×'+str(len(rs))} | {f('train_frame_acc')} | {f('dev_utt_auc')} | {f('eval_utt_auc')} | "
              f"{f('partial_frame_auc_mean')} | {f('partial_frame_auc_pooled')} | {hl:.2f}–{hh:.2f} | {sl:.2f}–{sh:.2f} |")
