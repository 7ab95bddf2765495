#!/usr/bin/env bash
# Localisation of Stage 2 on a built demo (docs/demo.md, "Measured"), run by hand:
#   bench/demo_localisation.sh DEMO_DIR WORK_DIR [BUILD_DIR]
# 1. partial-spoof sets from the demo's eval split (held-out speakers and
#    synthesisers) with `spooflens make-partial`, 4 splice seeds;
# 2. per prototype mode and Stage 2 seed (SEEDS, default "1234 2 3") one module
#    with the default objective, and one seed-objective module (ema) per seed,
#    trained by `spooflens train` with the demo's own config;
# 3. `spooflens evaluate` over all partial sets with every module and `random`;
#    prints frame ROC-AUC / AP / pointing game per module and the means over seeds.
set -euo pipefail
demo=${1:?DEMO_DIR}
work=${2:?WORK_DIR}
build=${3:-build}
cli=$build/app/spooflens
seeds=${SEEDS:-"1234 2 3"}
modes=${MODES:-"ema fixed learnable"}
py=/usr/bin/python3
mkdir -p "$work"

# Eval-split sources from the manifest: human speech hosts, synthetic speech donors.
"$py" - "$demo" "$work" <<'PY'
import json, os, sys
demo, work = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(demo, "manifest.json")))
files = [f for f in m["files"] if f["split"] == "eval" and not os.path.basename(f["path"]).startswith("partial_")]
with open(os.path.join(work, "bonafide.lst"), "w") as b, open(os.path.join(work, "spoof.lst"), "w") as s:
    for f in files:
        (s if f["label"] == "spoof" else b).write(os.path.join(os.path.abspath(demo), f["path"]) + "\n")
PY
sets=()
for k in 1 2 3 4; do
  out=$work/partial$k
  extra=()
  [ "$k" -gt 1 ] && extra=(--no-bonafide)
  [ -f "$out/protocol.txt" ] || "$cli" make-partial --bonafide "$work/bonafide.lst" --spoof "$work/spoof.lst" \
      --out "$out" --seed "$k" --quiet "${extra[@]}"
  sets+=("$out")
done
mkdir -p "$work/runs"
xai=()
for seed in $seeds; do
  for mode in $modes seed; do
    run=$work/runs/$mode-$seed
    if [ "$mode" = seed ]; then set_args=(--set model.objective=seed --set model.prototype_mode=ema)
    else set_args=(--set model.prototype_mode="$mode"); fi
    # The demo folder may have moved: every path of demo.yaml points into it.
    [ -f "$run/best.pth" ] || "$cli" train --config "$demo/demo.yaml" --out "$run" --progress none \
        --set model.pretrained_checkpoint="$demo/detector_tiny.pth" --set data.database_path="$demo/data" \
        --set data.protocol_path="$demo/data/protocol.txt" --set cache.dir="$work/feature_cache" \
        "${set_args[@]}" --set training.seed="$seed" 2> "$run.log" || { echo "training failed: $run.log" >&2; exit 1; }
    xai+=(--xai "$run/best.pth")
  done
done
# make-partial names its utterances alike in every set: one evaluate per set.
for k in 1 2 3 4; do
  [ -f "$work/eval$k/summary.json" ] || "$cli" evaluate --detector "$demo/detector_tiny.pth" "${xai[@]}" \
      --method stage2 --method random --protocol "$work/partial$k/protocol.txt" \
      --database-path "$work/partial$k" --out "$work/eval$k" --quiet > /dev/null
done
"$py" - "$work"/eval?/summary.json <<'PY'
import json, os, statistics, sys
# Per module: the four sets' per-utterance means, weighted by their utterance counts.
acc = {}
for path in sys.argv[1:]:
    for t in json.load(open(path))["tracks"]:
        m = t["metrics"]
        key = (t["method"], t["source"])
        a = acc.setdefault(key, [0.0, 0.0, 0.0, 0])
        n = m["frame_auc"]["n"]
        a[0] += m["frame_auc"]["mean"] * n
        a[1] += m["ap"]["mean"] * n
        a[2] += m["pointing_game"]["mean"] * n
        a[3] += n
per = {}
print("module seed frame_auc ap pointing_game (utterances)")
for (method, source), a in acc.items():
    n = a[3]
    vals = [a[0] / n, a[1] / n, a[2] / n]
    if method == "random":
        name, seed = "random", "-"
    else:
        name, seed = os.path.basename(os.path.dirname(source)).rsplit("-", 1)
    print(name, seed, " ".join("%.3f" % v for v in vals), "(n=%d)" % n)
    per.setdefault(name, []).append(vals)
print("\nmeans over seeds: module frame_auc ap pointing_game")
for name, rows in per.items():
    print(name, " ".join("%.3f" % statistics.mean(r[k] for r in rows) for k in range(3)), "(seeds=%d)" % len(rows))
PY
