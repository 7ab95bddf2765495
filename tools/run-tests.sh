#!/usr/bin/env bash
# The README's test command: installs missing dependencies (when root), builds
# everything and runs the test suite. `--all` also runs tests labelled slow.
set -euo pipefail
# libgomp threads spin-wait; on a busy 2-core machine that halves throughput (docs/cpu.md).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
root="$(cd "$(dirname "$0")/.." && pwd)"
labels=(-LE slow)
if [ "${1:-}" = "--all" ]; then labels=(); shift; fi
if [ "$(id -u)" -eq 0 ]; then bash "$root/tools/install-deps.sh"; fi
start=$(date +%s)
bash "$root/tools/build.sh" "$@"
built=$(date +%s)
echo "run-tests: build took $((built - start)) s"
cd "${SPOOFLENS_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${SPOOFLENS_TEST_JOBS:-2}" "${labels[@]}"
echo "run-tests: tests took $(( $(date +%s) - built )) s"
