#!/usr/bin/env bash
# Remakes the README's screenshots of the demo detector (AASIST-L) from a built
# tree and its demo folder (README command 1 makes both):
#   docs/screenshots/demo.png            the demo window as it opens
#   docs/screenshots/real.png            a real ASVspoof spoofed utterance, AASIST-L + the demo's fixed module
#   docs/screenshots/explainers.png      a held-out demo partial with five explainers and the tables
#   docs/screenshots/training-panel.png  the training panel on the demo's ema run
#   docs/screenshots/corpus.png          the Corpus dock on an evaluate run of the demo's eval files
#   docs/screenshots/layout-WxH.png      the partial 005 with two modules, three explainers, labels and
#                                        the overlay at 1024x700, 1400x950 and 1920x1080 (issue 26's sizes)
# long.png and error.png show the XLS-R test fixture (windowing of a long file,
# an error in the window) and are not made here. Look at every PNG it writes.
set -euo pipefail
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPOOFLENS_BUILD_DIR:-$root/build}"
demo="${SPOOFLENS_DEMO_DIR:-$build/demo}"
out="${1:-$root/docs/screenshots}"
gui="$build/app/spooflens-gui"
det="$demo/AASIST-L.pth"
for f in "$gui" "$det" "$demo/manifest.json" "$demo/xai_fixed.pth"; do
  [ -e "$f" ] || { echo "screenshots: $f is missing: run the README's first command" >&2; exit 2; }
done
mkdir -p "$out"

SPOOFLENS_DEMO_DIR="$demo" "$gui" --screenshot "$out/demo.png"
"$gui" --detector "$det" --xai "$demo/xai_fixed.pth" --method window --method gradxinput \
  --screenshot "$out/real.png" "$root/tests/data/asvspoof_spoof_sample.flac"
"$gui" --detector "$det" --xai "$demo/xai_fixed.pth" --method window --method gradxinput --method occlusion \
  --method gatr --method random --labels "$demo/data/audio/partial_eval_005.txt" \
  --screenshot "$out/explainers.png" "$demo/data/audio/partial_eval_005.wav"
"$gui" --attach "$demo/runs/xai_ema" --screenshot "$out/training-panel.png"
# The corpus: `evaluate` on the demo's eval files (bona fide, spoofed, partially
# spoofed), then the window on that folder with the partial 005 open.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for f in "$demo"/data/audio/*_eval_*.wav; do
  case "$(basename "$f")" in bona_*) echo "$f eval bonafide" ;; *) echo "$f eval spoof" ;; esac
done > "$work/eval.txt"
"$build/app/spooflens" evaluate --detector "$det" --xai "$demo/xai_ema.pth" --xai "$demo/xai_fixed.pth" \
  --xai "$demo/xai_learnable.pth" --method stage2 --method window --method gradxinput --method random \
  --protocol "$work/eval.txt" --out "$work/evaluate" --quiet
"$gui" --detector "$det" --xai "$demo/xai_ema.pth" --xai "$demo/xai_fixed.pth" --xai "$demo/xai_learnable.pth" \
  --method window --method gradxinput --corpus "$work/evaluate" --size 1600x1000 \
  --screenshot "$out/corpus.png" "$demo/data/audio/partial_eval_005.wav"
for size in 1024x700 1400x950 1920x1080; do
  "$gui" --detector "$det" --xai "$demo/xai_fixed.pth" --xai "$demo/xai_ema.pth" --method window --method gradxinput \
    --method random --labels "$demo/data/audio/partial_eval_005.txt" --overlay --size "$size" \
    --screenshot "$out/layout-$size.png" "$demo/data/audio/partial_eval_005.wav"
done
echo "screenshots: wrote demo.png real.png explainers.png training-panel.png corpus.png layout-*.png in $out"
