#!/usr/bin/env bash
# Configures and builds SpoofLens into build/ (Release with debug info, Ninja).
# Extra arguments are passed to CMake's configure step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPOOFLENS_BUILD_DIR:-$root/build}"
jobs="${SPOOFLENS_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j "$jobs"
