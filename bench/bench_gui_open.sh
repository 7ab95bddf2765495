#!/usr/bin/env bash
# Time from start to every track drawn in the viewer (docs/speed.md, "Opening a
# file"), run by hand: spooflens-gui in screenshot mode, offscreen, on the 4 s
# clip with the full-size random checkpoint (made by bench_precision.sh or
# here), fp32 and bf16 interleaved, ROUNDS rounds. The GUI prints when the
# waveform was shown, the detector loaded, the explanation arrived and
# everything was drawn; this prints the medians of each. A second 4 s clip (the
# spoof sample) is then opened in the same window with the models kept loaded
# ("warm open": what the user waits for on every file after the first).
#   bench/bench_gui_open.sh [BUILD_DIR]   (from the repository root)
set -euo pipefail
BUILD=${1:-build}
WORK=${WORK:-/tmp/slbench}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
mkdir -p "$WORK"
CKPT=$WORK/full_random.pth
[ -f "$CKPT" ] || $PY bench/make_full_checkpoint.py "$CKPT"
[ -f "$WORK/clip64600_spoof.wav" ] || $PY bench/make_clip.py "$WORK" --spoof
GUI=$BUILD/app/spooflens-gui
rm -f "$WORK"/gui_*.log
for r in $(seq "$ROUNDS"); do
  for p in fp32 bf16; do
    QT_QPA_PLATFORM=offscreen "$GUI" --detector "$CKPT" --precision $p --screenshot "$WORK/gui_$p.png" \
        "$WORK/clip64600.wav" "$WORK/clip64600_spoof.wav" 2>> "$WORK/gui_$p.log" >/dev/null
  done
done
echo "load average: $(cat /proc/loadavg)"
$PY - "$WORK" <<'PYEOF'
import re, statistics, sys
w = sys.argv[1]
keys = [("first file", k, "start") for k in ["audio shown", "models loaded", "explanation ready", "everything computed and drawn"]]
keys += [("second file (models kept)", "file 2: " + k, "opening") for k in ["audio shown", "everything computed and drawn"]]
for p in ("fp32", "bf16"):
    # One chunk per run (each ends with "wrote"); the first match of a key in a
    # chunk is that run's (the window reports every file's audio and explanation).
    runs = open(f"{w}/gui_{p}.log").read().split("spooflens-gui: wrote")[:-1]
    for part in ("first file", "second file (models kept)"):
        out = []
        for what, k, since in keys:
            if what != part:
                continue
            v = [int(m.group(1)) for m in (re.search(r"spooflens-gui: " + k + r" (\d+) ms after " + since, r)
                                           for r in runs) if m]
            out.append(f"{k.replace('file 2: ', '')} {statistics.median(v) if v else float('nan'):.0f} ms (n={len(v)})")
        print(f"{p} {part}: " + "; ".join(out))
PYEOF
