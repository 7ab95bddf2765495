#!/bin/bash
# SpoofLens vs PyTorch on the full-size detector: 4 s clip (64600 samples),
# batch 1, same thread count. Load time, peak RSS (/usr/bin/time -v), median
# inference over RUNS runs, logits/SSL agreement, OpenBLAS pinning on/off.
# usage: bench/bench_detector.sh [BUILD_DIR] (run from the repo root)
# Writes a ~1.3 GB random checkpoint to $WORK (default /tmp/slbench); delete it afterwards.
set -euo pipefail
BUILD=${1:-build}
WORK=${WORK:-/tmp/slbench}
THREADS=${THREADS:-2}
RUNS=${RUNS:-6}
PY=/usr/bin/python3
mkdir -p "$WORK"
CKPT=$WORK/full_random.pth
[ -f "$CKPT" ] || $PY bench/make_full_checkpoint.py "$CKPT"
# the 4 s clip: first 64600 samples of the real bona fide utterance
$PY -c "import numpy as np; z=np.load('tests/data/fixtures/ref_tiny.npz'); np.save('$WORK/clip64600.npy', z['wave_bonafide'][:64600])"
cmake --build "$BUILD" --target bench_detector spooflens >/dev/null

timed() {  # name, command...: JSON line of the program + peak RSS of the process
    local name=$1; shift
    /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.json"
    echo "$name: $(cat "$WORK/$name.json") peak_rss_kb(time -v)=$(grep 'Maximum resident' "$WORK/$name.time" | awk '{print $NF}')"
}

sync
timed spooflens_pinned "$BUILD/bench/bench_detector" "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs "$RUNS" --out "$WORK/sl"
timed pytorch_default $PY bench/pytorch_baseline.py "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs "$RUNS" --out "$WORK/pt"
timed spooflens_unpinned "$BUILD/bench/bench_detector" "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs "$RUNS" --no-pin
timed pytorch_pinned $PY bench/pytorch_baseline.py "$CKPT" "$WORK/clip64600.npy" --threads "$THREADS" --runs "$RUNS" --pin-openblas

$PY - "$WORK" "$CKPT" <<'PYEOF'
import json, os, sys
import numpy as np
w, ckpt = sys.argv[1], sys.argv[2]
r = {n: json.load(open(f"{w}/{n}.json")) for n in ("spooflens_pinned", "spooflens_unpinned", "pytorch_default", "pytorch_pinned")}
rss = {n: int([l for l in open(f"{w}/{n}.time") if "Maximum resident" in l][0].split()[-1]) for n in r}
size = os.path.getsize(ckpt)
ssl = np.abs(np.load(f"{w}/sl_ssl.npy") - np.load(f"{w}/pt_ssl.npy")).max()
lg = np.abs(np.load(f"{w}/sl_logits.npy") - np.load(f"{w}/pt_logits.npy")).max()
print(f"checkpoint {size/1e9:.3f} GB; SSL max abs diff {ssl:.3g} (max |ref| {np.abs(np.load(f'{w}/pt_ssl.npy')).max():.3g}); logits max abs diff {lg:.3g}")
for n in r:
    print(f"{n:20s} load {r[n]['load_s']:6.2f} s  median {r[n]['median_s']:6.3f} s  peak RSS {rss[n]/1e6:5.2f} GB ({rss[n]*1024/size:4.2f}x file)"
          + (f"  RSS after load {r[n]['load_peak_rss_kb']/1e6:5.2f} GB ({r[n]['load_peak_rss_kb']*1024/size:4.2f}x)" if 'load_peak_rss_kb' in r[n] else ""))
best_pt = min(r["pytorch_default"]["median_s"], r["pytorch_pinned"]["median_s"])
print(f"ratio spooflens(pinned)/pytorch(best of default, pinned) = {r['spooflens_pinned']['median_s']/best_pt:.3f}; "
      f"vs pytorch default = {r['spooflens_pinned']['median_s']/r['pytorch_default']['median_s']:.3f}")
PYEOF
