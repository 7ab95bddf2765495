#!/usr/bin/env bash
# Stage 2 objectives on the demo data (docs/stage2-objective.md, "Comparison"):
# every objective x prototype mode x seed is trained with the demo settings by
# `spooflens train`, then `spooflens explain` scores the demo utterance and
# objective_auc.py gives the frame ROC-AUC of w against its spliced-in spoof segment.
# Usage: bench/compare_objectives_demo.sh [BUILD_DIR] [WORK_DIR]   (from the repository root)
# Env: OBJECTIVES, MODES, SEEDS (space separated), EXTRA (more --set k=v arguments).
set -euo pipefail
build=${1:-build}
work=${2:-${build}/objective-compare}
cli=$build/app/spooflens
objectives=${OBJECTIVES:-"weak_frame attention_mil seed"}
modes=${MODES:-"ema fixed learnable"}
seeds=${SEEDS:-"1234 1235 1236"}
py=$(command -v /usr/bin/python3 || command -v python3)
mkdir -p "$work/runs"
[ -f "$work/demo/demo.yaml" ] || "$cli" demo --out "$work/demo" --data tests/data --no-train >/dev/null
read -r start end < <("$py" -c 'import json,sys; s=json.load(open(sys.argv[1]))["spoof_segment_s"]; print(s[0], s[1])' "$work/demo/demo_utterance.json")
results=$work/results.txt
: > "$results"
for obj in $objectives; do
  for mode in $modes; do
    for seed in $seeds; do
      run=$work/runs/$obj-$mode-$seed
      # shellcheck disable=SC2086
      "$cli" train --config "$work/demo/demo.yaml" --out "$run" --quiet \
        --set model.objective="$obj" --set model.prototype_mode="$mode" --set training.seed="$seed" ${EXTRA:-} \
        2> "$run.log" || { echo "training failed: $run.log" >&2; exit 1; }
      "$cli" explain --detector "$work/demo/detector_tiny.pth" --xai "$run/best.pth" --json \
        "$work/demo/demo_utterance.wav" > "$run.json"
      echo "$obj $mode $seed $("$py" bench/objective_auc.py "$run.json" "$start" "$end")" | tee -a "$results"
    done
  done
done
echo
echo "means over seeds: objective mode auc mean_w_in_segment mean_w_outside std_w"
"$py" - "$results" <<'PY'
import sys, collections
acc = collections.OrderedDict()
for line in open(sys.argv[1]):
    o, m, s, *v = line.split()
    acc.setdefault((o, m), []).append([float(x) for x in v])
for (o, m), rows in acc.items():
    n = len(rows)
    print(o, m, " ".join("%.4f" % (sum(r[k] for r in rows) / n) for k in range(4)), "(n=%d)" % n)
PY
