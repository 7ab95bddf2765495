#!/usr/bin/env bash
# The GPU checks and timings of issue 12 in one run, for a machine with CUDA and
# a PyTorch wheel (SpoofLens builds against the LibTorch inside it) and no Qt.
# From the repository root:
#   bash tools/gpu-check.sh [N] [DEVICE]      # N synthetic 4 s utterances (default 25000), DEVICE cuda
# Self-check on a CPU machine (small and quick, tiny detector):
#   DETECTOR=tests/data/fixtures/detector_tiny.pth bash tools/gpu-check.sh 40 cpu
# Steps (each prints one "gpu-check:" line with its numbers; everything goes to $WORK):
#   1. machine, LibTorch and the build (GUI off; tests only when Qt6 Test exists);
#   2. conformance on DEVICE: the tiny fixture's scores on the two ASVspoof clips
#      against tests/data/fixtures/ref_tiny.npz (1e-3: TF32 is off in SpoofLens);
#   3. detector throughput on the full-size random checkpoint (bench/BenchBatch),
#      fp32 and bf16, batch 1 to 32;
#   4. `spooflens cache` over N synthetic utterances (ASVspoof 2019 LA train size);
#   5. one Stage 2 epoch from that cache (`spooflens train`);
#   6. `spooflens explain` latency on one 4 s clip, one process per call (load included).
set -euo pipefail
N=${1:-25000}
DEV=${2:-cuda}
root=$(pwd)
WORK=${WORK:-/tmp/slgpu}
BUILD=${SPOOFLENS_BUILD_DIR:-$WORK/build}
PY=${PY:-python3}
mkdir -p "$WORK"
say() { echo "gpu-check: $*"; }
secs() { "$PY" -c "import time; print(f'{time.time():.3f}')"; }

# 1. machine and build
say "device $DEV, $(nproc) cores, $(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1 || echo 'no nvidia-smi')"
prefix=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')
say "torch $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())')"
if [ ! -x "$BUILD/app/spooflens" ]; then
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$root" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DSPOOFLENS_BUILD_GUI=OFF \
      -DCMAKE_PREFIX_PATH="$prefix" > "$WORK/configure.log" 2>&1 || { tail -20 "$WORK/configure.log"; exit 1; }
  t0=$(secs)
  cmake --build "$BUILD" -j "$(nproc)" > "$WORK/build.log" 2>&1 || { grep -m5 -B2 -A5 "error" "$WORK/build.log"; exit 1; }
  say "build $("$PY" -c "print(round($(secs) - $t0))") s"
fi
SL=$BUILD/app/spooflens
if [ -f "$BUILD/CTestTestfile.cmake" ] && [ -d "$BUILD/tests" ]; then
  (cd "$BUILD" && ctest -L fast -LE gui --output-on-failure -j 4 > "$WORK/ctest.log" 2>&1) \
      && say "core tests (CPU, fast): passed" || say "core tests (CPU, fast): FAILED, see $WORK/ctest.log"
else
  say "core tests: not built (no Qt6 Test on this machine)"
fi

# 2. conformance on DEVICE
tiny=tests/data/fixtures/detector_tiny.pth
"$SL" score --detector "$tiny" --device "$DEV" --json tests/data/asvspoof_bonafide_sample.flac \
    tests/data/asvspoof_spoof_sample.flac > "$WORK/score_tiny.jsonl"
"$PY" - "$WORK/score_tiny.jsonl" <<'PYEOF'
import json, sys
import numpy as np
ref = np.load('tests/data/fixtures/ref_tiny.npz')
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
worst = 0.0
for r, key in zip(rows, ('bonafide', 'spoof')):
    want = ref[f'logits_{key}'].reshape(-1)
    got = np.array(r['logits'], dtype=np.float64)
    worst = max(worst, float(np.abs(got - want).max()))
ok = worst <= 1e-3
print(f"gpu-check: conformance, tiny fixture logits max abs deviation {worst:.2e} ({'ok' if ok else 'FAILED'})")
sys.exit(0 if ok else 1)
PYEOF

# 3. detector throughput
DETECTOR=${DETECTOR:-$WORK/full_random.pth}
[ -f "$DETECTOR" ] || "$PY" bench/make_full_checkpoint.py "$DETECTOR" > /dev/null
"$PY" bench/make_clip.py "$WORK" --pcm16
if [ -x "$BUILD/bench/BenchBatch" ]; then
  for p in fp32 bf16; do
    "$BUILD/bench/BenchBatch" "$DETECTOR" "$WORK/clip64600.wav" --device "$DEV" --precision $p \
        --utterances 64 --batches 1,8,32 --rounds 2 > "$WORK/batch_$p.log" 2>&1 \
        && say "throughput $p: $(tail -1 "$WORK/batch_$p.log")" || say "throughput $p: FAILED, see $WORK/batch_$p.log"
  done
fi

# 4. cache over N synthetic utterances (a vibrato tone, amplitude-modulated, plus a little noise)
data=$WORK/synthetic
if [ ! -f "$data/protocol.txt" ] || [ "$(wc -l < "$data/protocol.txt")" -ne "$N" ]; then
  "$PY" - "$data" "$N" <<'PYEOF'
import os, sys, wave
import numpy as np
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
t = np.arange(64000) / 16000.0
with open(os.path.join(out, 'protocol.txt'), 'w') as p:
    for i in range(n):
        f0 = rng.uniform(90, 250)
        x = np.sin(2 * np.pi * f0 * t * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t)))
        x = 0.2 * x * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(1, 4) * t)) + 0.01 * rng.standard_normal(t.size)
        name = f'syn_{i:05d}.wav'
        with wave.open(os.path.join(out, name), 'wb') as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
            w.writeframes((np.clip(x, -1, 1) * 32767).astype('<i2').tobytes())
        p.write(f"{name} train {'bonafide' if i % 2 else 'spoof'}\n")
PYEOF
fi
common=(--set model.pretrained_checkpoint="$DETECTOR" --set cache.dir="$WORK/cache" --database-path "$data"
        --protocol-path "$data/protocol.txt" --device "$DEV")
rm -rf "$WORK/cache"
t0=$(secs)
"$SL" cache --config configs/xai_stage2.yaml "${common[@]}" --batch 32 --quiet
say "cache $N utterances: $("$PY" -c "d=$(secs)-$t0; print(f'{d:.1f} s, {$N/d:.1f} utterances/s')")"

# 5. one Stage 2 epoch from the cache
rm -rf "$WORK/run"
t0=$(secs)
"$SL" train --config configs/xai_stage2.yaml "${common[@]}" --set training.num_epochs=1 --out "$WORK/run" --progress none
say "Stage 2 epoch from the cache ($N utterances, batch 24): $("$PY" -c "print(f'{$(secs)-$t0:.1f} s')") (process start and cache check included)"

# 6. explain latency
for i in 1 2 3; do
  t0=$(secs)
  "$SL" explain --detector "$DETECTOR" --xai "$WORK/run/best.pth" --device "$DEV" --json "$WORK/clip64600.wav" > "$WORK/explain.json"
  say "explain, 4 s clip, one process (load included): $("$PY" -c "print(f'{$(secs)-$t0:.2f} s')")"
done
say "done"
