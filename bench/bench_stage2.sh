#!/bin/sh
# Stage 2 step time (C++ vs PyTorch, same machine, same thread counts) and
# cache extraction throughput on CPU. Run from the repository root after a build.
# Usage: bench/bench_stage2.sh [threads] [build dir]
# SpoofLens pins OpenBLAS to 1 thread for the detector and lets it use THREADS
# threads for the Stage 2 step (core/util/Threads.h, ScopedBlasThreads); both
# sides are measured with BLAS at 1 thread and at THREADS threads, under
# OMP_WAIT_POLICY=PASSIVE as the launchers run the product.
set -e
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
THREADS=${1:-2}
BUILD=${2:-build}
# PyTorch shares Debian's OpenBLAS, which falls back to Prescott kernels on
# this CPU; give it the kernels SpoofLens selects (docs/cpu.md).
CORE=${PT_CORETYPE:-$("$BUILD/app/spooflens" info --runtime --json 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['runtime']['blas'].split()[1])" 2>/dev/null || echo Prescott)}
echo "PyTorch OpenBLAS kernels: $CORE"
"$BUILD/bench/bench_stage2" --threads "$THREADS" --blas-threads 1 --steps 30
OPENBLAS_CORETYPE=$CORE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/bench_stage2.py "$THREADS" 30
"$BUILD/bench/bench_stage2" --threads "$THREADS" --blas-threads "$THREADS" --steps 30 \
  --detector tests/data/fixtures/detector_tiny.pth --audio tests/data/asvspoof_bonafide_sample.flac --utts 20
OPENBLAS_CORETYPE=$CORE OPENBLAS_NUM_THREADS=$THREADS /usr/bin/python3 bench/bench_stage2.py "$THREADS" 30
