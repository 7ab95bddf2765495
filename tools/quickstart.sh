#!/usr/bin/env bash
# The README's first command (run as root on a fresh Debian 12 machine):
# installs the dependencies, builds SpoofLens, builds the demo (docs/demo.md:
# speech corpus, the AASIST authors' pretrained AASIST-L, Stage 2 modules) and opens the GUI on
# a held-out partial-spoof utterance (labels in demo_utterance.txt). Without a display it writes a screenshot of the demo
# window instead and says where it is.
set -euo pipefail
# libgomp threads spin-wait; on a busy 2-core machine that halves throughput (docs/cpu.md).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPOOFLENS_BUILD_DIR:-$root/build}"

bash "$root/tools/install-deps.sh"
# Only what the demo needs (core, ui, the CLI and the GUI): the test executables
# (each links LibTorch) are built by the second command, tools/run-tests.sh.
SPOOFLENS_BUILD_TARGETS="spooflens spooflens-gui" bash "$root/tools/build.sh"

cli="$build/app/spooflens"
gui="$build/app/spooflens-gui"
demo="$build/demo"
if [ -x "$cli" ] && "$cli" demo --help >/dev/null 2>&1; then
  # The test suite writes its small demo to test-demo/, never here. A demo made
  # before it explained AASIST (the tiny toy detector) is rebuilt (docs/demo.md).
  if [ -f "$demo/xai_learnable.pth" ] && grep -q '"small": false' "$demo/manifest.json" 2>/dev/null \
     && grep -q '"family": "aasist"' "$demo/manifest.json" 2>/dev/null; then
    echo "quickstart: demo assets already in $demo"
  else
    echo "quickstart: building the demo into $demo (speech corpus, AASIST-L scores, Stage 2 modules: a few minutes)"
    "$cli" demo --out "$demo"
  fi
else
  echo "quickstart: this build has no 'spooflens demo' command yet; the GUI shows a test utterance instead"
fi

export SPOOFLENS_DEMO_DIR="$demo"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "quickstart: starting $gui"
  exec "$gui"
fi
png="$build/spooflens-demo.png"
echo "quickstart: no display (DISPLAY/WAYLAND_DISPLAY unset): rendering the demo window offscreen"
QT_QPA_PLATFORM=offscreen "$gui" --screenshot "$png"
echo "quickstart: screenshot of the demo window: $png"
