#!/usr/bin/env bash
# Configures and builds SpoofLens into build/ (Release with debug info, Ninja).
# Extra arguments are passed to CMake's configure step. SPOOFLENS_BUILD_TARGETS
# (space-separated, e.g. "spooflens spooflens-gui") builds only those targets
# and what they depend on; unset: everything (tests and benchmarks included).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPOOFLENS_BUILD_DIR:-$root/build}"
jobs="${SPOOFLENS_JOBS:-$(nproc)}"
# The configure step's chatter (Torch's Caffe2 lines, optional packages not
# found) goes to a log; it is printed only if configuring fails.
mkdir -p "$build"
if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  echo "build: configuring failed (log: $build/configure.log)" >&2
  exit 1
fi
echo "build: configured $build (log: $build/configure.log)"
targets=()
for t in ${SPOOFLENS_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
