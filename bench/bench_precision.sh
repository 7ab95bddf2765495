#!/bin/bash
# `spooflens score` at --precision fp32 and bf16 vs PyTorch fp32 and PyTorch's
# best reduced-precision setting (bf16, pre-transposed weights), full-size
# random XLS-R 300M + ConformerTCM checkpoint, 4 s clip, batch 1, THREADS
# threads, OPENBLAS_NUM_THREADS=1 everywhere. The four run INTERLEAVED, ROUNDS
# times, so that the ratios come from the same machine state; each process
# times RUNS inferences after one warm-up (dropped). Prints medians over all
# rounds, same-run ratios, and the accuracy of bf16 vs fp32 (h(t) from
# `spooflens embed`, logits from `score`) for SpoofLens and for PyTorch.
# usage: bench/bench_precision.sh [BUILD_DIR]   (from the repo root)
# Writes a ~1.3 GB random checkpoint to $WORK (default /tmp/slbench); delete it afterwards.
set -euo pipefail
BUILD=${1:-build}
WORK=${WORK:-/tmp/slbench}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-3}
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1
mkdir -p "$WORK"
CKPT=$WORK/full_random.pth
[ -f "$CKPT" ] || $PY bench/make_full_checkpoint.py "$CKPT"
# the 4 s clip: first 64600 samples of the real bona fide utterance, as .npy and float WAV
$PY bench/make_clip.py "$WORK" --npy
cmake --build "$BUILD" --target spooflens >/dev/null
SL=$BUILD/app/spooflens
# PyTorch gets the same OpenBLAS kernels and allocator settings as SpoofLens.
source bench/peer_env.sh
CLIPS=()
for _ in $(seq $((RUNS + 1))); do CLIPS+=("$WORK/clip64600.wav"); done

# PyTorch 2.x (Debian 13): also its own bf16 autocast, the setting a user of today's PyTorch picks.
CFGS=(sl_fp32 sl_bf16 pt_fp32 pt_bf16)
if $PY -c "import sys, torch; sys.exit(0 if int(torch.__version__.split('.')[0]) >= 2 else 1)"; then CFGS+=(pt_autocast); fi
echo "PyTorch $($PY -c 'import torch; print(torch.__version__)'); SpoofLens: $("$SL" info --runtime)"
rm -f "$WORK"/prec_*.jsonl
for r in $(seq "$ROUNDS"); do
    for cfg in "${CFGS[@]}"; do
        case $cfg in
        sl_*) "$SL" score --detector "$CKPT" --device cpu --threads "$THREADS" --precision "${cfg#sl_}" --json "${CLIPS[@]}" \
                  | $PY -c "import json,sys; t=[json.loads(l)['seconds'] for l in sys.stdin]; print(json.dumps(t[1:]))" ;;
        pt_fp32) "${ptenv[@]}" $PY bench/pytorch_baseline.py "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs $((RUNS + 1)) \
                  --pin-openblas --out "$WORK/ptfp32" | $PY -c "import json,sys; print(json.dumps(json.load(sys.stdin)['times_s'][1:]))" ;;
        pt_bf16) "${ptenv[@]}" $PY bench/pytorch_baseline.py "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs $((RUNS + 1)) \
                  --pin-openblas --bf16 --out "$WORK/ptbf16" | $PY -c "import json,sys; print(json.dumps(json.load(sys.stdin)['times_s'][1:]))" ;;
        pt_autocast) "${ptenv[@]}" $PY bench/pytorch_baseline.py "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs $((RUNS + 1)) \
                  --pin-openblas --autocast --out "$WORK/ptautocast" | $PY -c "import json,sys; print(json.dumps(json.load(sys.stdin)['times_s'][1:]))" ;;
        esac >> "$WORK/prec_$cfg.jsonl"
        echo "round $r $cfg: $(tail -1 "$WORK/prec_$cfg.jsonl")"
    done
done
for p in fp32 bf16; do
    "$SL" embed --detector "$CKPT" --device cpu --threads "$THREADS" --precision $p --out "$WORK/sl${p}_ssl.npy" "$WORK/clip64600.wav"
    "$SL" score --detector "$CKPT" --device cpu --threads "$THREADS" --precision $p --json "$WORK/clip64600.wav" > "$WORK/sl${p}_score.json"
done
echo "load average: $(cat /proc/loadavg)"

$PY - "$WORK" "$ROUNDS" <<'PYEOF'
import json, statistics, sys
import numpy as np
w, rounds = sys.argv[1], int(sys.argv[2])
import os
rows = {c: [json.loads(l) for l in open(f"{w}/prec_{c}.jsonl")]
        for c in ("sl_fp32", "sl_bf16", "pt_fp32", "pt_bf16", "pt_autocast") if os.path.exists(f"{w}/prec_{c}.jsonl")}
med = {c: statistics.median([t for r in v for t in r]) for c, v in rows.items()}
n = {c: sum(len(r) for r in v) for c, v in rows.items()}
for c in med:
    print(f"{c:8s} median {med[c]:.3f} s over {n[c]} inferences ({rounds} interleaved rounds)")
per_round = [{c: statistics.median(rows[c][i]) for c in rows} for i in range(rounds)]
pairs = [("sl_fp32", "pt_fp32"), ("sl_bf16", "pt_fp32"), ("sl_bf16", "pt_bf16"), ("pt_bf16", "pt_fp32"), ("sl_bf16", "sl_fp32")]
if "pt_autocast" in rows:
    pairs += [("sl_bf16", "pt_autocast"), ("pt_autocast", "pt_fp32")]
for a, b in pairs:
    rr = [r[a] / r[b] for r in per_round]
    print(f"{a}/{b}: {med[a] / med[b]:.3f} (per round {', '.join(f'{x:.3f}' for x in rr)})")

def dev(ref, got):
    d = np.abs(got - ref).max()
    cos = (ref * got).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(got, axis=1)
    return d, d / np.abs(ref).max(), cos.min()

lg = {p: np.array(json.load(open(f"{w}/sl{p}_score.json"))["logits"]) for p in ("fp32", "bf16")}
comparisons = [
        ("spooflens bf16 vs fp32", np.load(f"{w}/slfp32_ssl.npy"), np.load(f"{w}/slbf16_ssl.npy"), lg["fp32"], lg["bf16"]),
        ("pytorch bf16 vs fp32", np.load(f"{w}/ptfp32_ssl.npy"), np.load(f"{w}/ptbf16_ssl.npy"),
         np.load(f"{w}/ptfp32_logits.npy"), np.load(f"{w}/ptbf16_logits.npy")),
        ("spooflens fp32 vs pytorch fp32", np.load(f"{w}/ptfp32_ssl.npy"), np.load(f"{w}/slfp32_ssl.npy"),
         np.load(f"{w}/ptfp32_logits.npy"), lg["fp32"])]
if "pt_autocast" in rows:
    comparisons.append(("pytorch autocast vs fp32", np.load(f"{w}/ptfp32_ssl.npy"), np.load(f"{w}/ptautocast_ssl.npy"),
                        np.load(f"{w}/ptfp32_logits.npy"), np.load(f"{w}/ptautocast_logits.npy")))
for name, a, b, la, lb in comparisons:
    d, rel, cos = dev(a.astype(np.float64), b.astype(np.float64))
    ld = np.abs(la - lb).max()
    print(f"{name}: h max abs {d:.4g} (rel {rel:.4g}), min frame cosine {cos:.6f}; logits max abs {ld:.4g} "
          f"(rel {ld / np.abs(la).max():.4g}; {la.round(4).tolist()} vs {lb.round(4).tolist()})")
PYEOF
