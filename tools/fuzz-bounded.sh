#!/usr/bin/env bash
# Bounded libFuzzer runs for CI (CTest test FuzzBounded, label slow): builds
# the fuzz targets with clang in their own build folder and runs each for
# SECONDS on the committed seed corpus (tests/fuzz/corpus/) plus the seeds
# made from the fixtures. Exit 77 (skipped) without clang or libFuzzer.
#   tools/fuzz-bounded.sh SOURCE_DIR FUZZ_BUILD_DIR [SECONDS]
set -euo pipefail
src=${1:?source dir}
out=${2:?fuzz build dir}
secs=${3:-60}
command -v clang++ >/dev/null || { echo "fuzz-bounded: no clang++: skipped"; exit 77; }
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > /tmp/fuzz-probe-$$.cpp
if ! clang++ -fsanitize=fuzzer /tmp/fuzz-probe-$$.cpp -o /tmp/fuzz-probe-$$ 2>/dev/null; then
  rm -f /tmp/fuzz-probe-$$.cpp; echo "fuzz-bounded: clang has no libFuzzer: skipped"; exit 77
fi
rm -f /tmp/fuzz-probe-$$.cpp /tmp/fuzz-probe-$$
if [ ! -f "$out/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSPOOFLENS_BUILD_FUZZERS=ON -DSPOOFLENS_BUILD_GUI=OFF -DSPOOFLENS_BUILD_TESTS=OFF \
    -DSPOOFLENS_BUILD_BENCH=OFF -DSPOOFLENS_TORCH_PCH=OFF >"$out.configure.log" 2>&1 \
    || { cat "$out.configure.log"; exit 1; }
fi
cmake --build "$out" -j2 --target fuzz_checkpoint fuzz_audio fuzz_checkpoint_corpus
status=0
for target in checkpoint audio; do
  work="$out/tests/fuzz/work-$target"
  mkdir -p "$work" "$out/tests/fuzz/artifacts-$target"
  seeds=("$src/tests/fuzz/corpus/$target")
  [ "$target" = checkpoint ] && seeds+=("$out/tests/fuzz/seeds")
  echo "fuzz-bounded: fuzz_$target for ${secs}s on ${seeds[*]}"
  if ! LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
      "$out/tests/fuzz/fuzz_$target" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$out/tests/fuzz/artifacts-$target/" -print_final_stats=1 \
      "$work" "${seeds[@]}" 2>"$out/tests/fuzz/fuzz_$target.log"; then
    status=1
    echo "fuzz-bounded: fuzz_$target FOUND A PROBLEM (artifacts in $out/tests/fuzz/artifacts-$target):"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY|Done" "$out/tests/fuzz/fuzz_$target.log" || true
done
exit $status
