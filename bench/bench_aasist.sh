#!/bin/bash
# SpoofLens vs the AASIST authors' PyTorch code (issue 25, target 2): AASIST
# and AASIST-L (resources/detectors/aasist), fp32, the 4 s clip (64 600
# samples of the real ASVspoof bona fide utterance), batch 1 and 8, THREADS
# threads, OPENBLAS_NUM_THREADS=1 for both, PyTorch given the OpenBLAS kernels
# SpoofLens picks (docs/cpu.md). SpoofLens (bench/BenchDetector) and the
# authors' model (bench/aasist_authors.py) run INTERLEAVED, ROUNDS times, each
# process timing RUNS passes after one warm-up (dropped). Prints per
# configuration the medians, the per-round ratios SpoofLens / authors and their
# median, and the largest logit difference (batch 1, fp32; target 1e-4).
# usage: AASIST_CODE=PATH/models/AASIST.py bench/bench_aasist.sh [BUILD_DIR]   (from the repo root)
#   AASIST_CODE: the authors' model file from a clone of https://github.com/clovaai/aasist
#   (not shipped with SpoofLens). PY=python3 with torch (Debian's python3-torch: 1.13 on
#   Debian 12, 2.6 on Debian 13). MODELS="AASIST AASIST-L", BATCHES="1 8", ROUNDS=3, RUNS=5,
#   MALLOC=launcher (default: both sides get the launcher's glibc allocator settings) or default.
set -euo pipefail
BUILD=${1:-build}
WORK=${WORK:-/tmp/slbench}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-5}
MODELS=${MODELS:-AASIST AASIST-L}
BATCHES=${BATCHES:-1 8}
PY=${PY:-/usr/bin/python3}
: "${AASIST_CODE:?set AASIST_CODE to models/AASIST.py of a clone of https://github.com/clovaai/aasist}"
[ -f "$AASIST_CODE" ] || { echo "bench_aasist: $AASIST_CODE does not exist"; exit 2; }
export OPENBLAS_NUM_THREADS=1
mkdir -p "$WORK"
$PY bench/make_clip.py "$WORK" --npy
cmake --build "$BUILD" --target BenchDetector spooflens >/dev/null
SL=$BUILD/app/spooflens
# PyTorch gets the same OpenBLAS kernels and allocator settings as SpoofLens.
source bench/peer_env.sh
# Where SpoofLens found oneDNN's float32 convolutions wrong (Debian 13 on AVX-512, docs/cpu.md)
# and turned it off, the authors' code runs without it too: with it, its logits are wrong.
ptargs=()
case $(runtime_field "r['convolutions']" "") in "oneDNN off"*) ptargs=(--no-onednn) ;; esac
echo "bench_aasist: authors' code ${ptargs[*]:-with oneDNN}"
echo "bench_aasist: PyTorch $($PY -c 'import torch; print(torch.__version__)') (OpenBLAS kernels ${PT_CORETYPE}); SpoofLens: $("$SL" info --runtime)"
echo "bench_aasist: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), threads $THREADS, $ROUNDS rounds x $RUNS runs"
det=resources/detectors/aasist
rm -f "$WORK"/aasist_*.jsonl
for r in $(seq "$ROUNDS"); do
    for m in $MODELS; do
        for b in $BATCHES; do
            "$BUILD/bench/BenchDetector" "$det/$m.pth" "$WORK/clip64600.npy" --threads "$THREADS" --runs $((RUNS + 1)) \
                --batch "$b" --out "$WORK/aasist_sl_${m}" >> "$WORK/aasist_sl_${m}_b$b.jsonl"
            "${ptenv[@]}" $PY bench/aasist_authors.py "$AASIST_CODE" "$det/$m.conf" "$det/$m.pth" "$WORK/clip64600.npy" \
                --batch "$b" --threads "$THREADS" --runs $((RUNS + 1)) "${ptargs[@]}" >> "$WORK/aasist_pt_${m}_b$b.jsonl"
            echo "round $r $m batch $b: spooflens $($PY -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['times_s'][1:])" "$WORK/aasist_sl_${m}_b$b.jsonl")" \
                 "authors $($PY -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['times_s'][1:])" "$WORK/aasist_pt_${m}_b$b.jsonl")"
        done
    done
done
echo "bench_aasist: load average after $(cut -d' ' -f1-3 /proc/loadavg)"

$PY - "$WORK" "$MODELS" "$BATCHES" <<'PYEOF'
import json, statistics, sys
w, models, batches = sys.argv[1], sys.argv[2].split(), [int(b) for b in sys.argv[3].split()]
for m in models:
    for b in batches:
        sl = [json.loads(l) for l in open(f"{w}/aasist_sl_{m}_b{b}.jsonl")]
        pt = [json.loads(l) for l in open(f"{w}/aasist_pt_{m}_b{b}.jsonl")]
        sl_t = [statistics.median(r["times_s"][1:]) for r in sl]
        pt_t = [statistics.median(r["times_s"][1:]) for r in pt]
        ratios = [a / c for a, c in zip(sl_t, pt_t)]
        dl = max(abs(x - y) for x, y in zip(sl[-1]["logits"], pt[-1]["logits"]))
        print(f"{m:8s} batch {b}: spooflens {statistics.median(sl_t) * 1e3:8.1f} ms, authors (torch {pt[-1]['torch']}) "
              f"{statistics.median(pt_t) * 1e3:8.1f} ms per pass; spooflens/authors {statistics.median(ratios):.3f} "
              f"(per round {', '.join(f'{x:.3f}' for x in ratios)}); logits max abs diff {dl:.2e} "
              f"({[round(v, 5) for v in pt[-1]['logits']]}); peak RSS spooflens {sl[-1]['max_rss_kb'] / 1e3:.0f} MB, "
              f"authors {pt[-1]['max_rss_kb'] / 1e3:.0f} MB")
PYEOF
