#!/usr/bin/env bash
# Configures and builds SpoofLens into build/ (Release with debug info, Ninja).
# Extra arguments are passed to CMake's configure step. SPOOFLENS_BUILD_TARGETS
# (space-separated, e.g. "spooflens spooflens-gui") builds only those targets
# and what they depend on; unset: everything (tests and benchmarks included).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPOOFLENS_BUILD_DIR:-$root/build}"
jobs="${SPOOFLENS_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
targets=()
for t in ${SPOOFLENS_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
