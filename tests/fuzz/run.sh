#!/usr/bin/env bash
# Fuzzes every libFuzzer target for SECONDS each, from seeds made at run time (make_seeds.py), and fails
# on any crash, sanitizer report or hang. Configures BUILD with clang and UNINLU_FUZZ=ON when it has no
# cache yet; builds only the fuzz targets.
#   tests/fuzz/run.sh BUILD SECONDS_PER_TARGET [TARGET...]     e.g. tests/fuzz/run.sh build-fuzz 60
# Prints, per target, the executions run and their rate. A crash input is left in
# BUILD/fuzz/artifacts/<target>/: fix the bug, then keep the input (minimized with -minimize_crash=1)
# under tests/fuzz/regressions/<target>/, where ctest replays it in every build.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BUILD SECONDS_PER_TARGET [TARGET...]" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
seconds=$2
shift 2
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(predict_request_fuzz schema_fuzz http_server_fuzz model_config_fuzz checkpoint_fuzz torch_pickle_fuzz
    tokenizer_fuzz)
fi
python=/usr/bin/python3  # Debian's: torch, for the fixture models and the small checkpoints

if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUNINLU_FUZZ=ON \
    -DUNINLU_WITH_CUDA=OFF -DUNINLU_BUILD_BENCH=OFF >/dev/null
fi
if ! grep -q '^UNINLU_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "error: $build is not a UNINLU_FUZZ build (configure it with clang and -DUNINLU_FUZZ=ON)" >&2
  exit 2
fi
cmake --build "$build" -j "$(nproc)" --target fuzz_targets

models=$build/fixtures/models
if [[ ! -f $models/loader/bad/empty.bin ]]; then
  UNINLU_PYTHON=$python "$repo/tools/make_test_models.sh" "$models" >/dev/null
fi
seeds=$build/fuzz/seeds
rm -rf "$seeds"
"$python" "$repo/tests/fuzz/make_seeds.py" --repo "$repo" --models "$models" --out "$seeds" >/dev/null

# Leaks and UBSan reports are findings; a stack trace for each.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
failed=()
printf '%-22s %10s %10s  %s\n' target executions "exec/s" result
for target in "${targets[@]}"; do
  corpus=$build/fuzz/corpus/$target
  artifacts=$build/fuzz/artifacts/$target
  log=$build/fuzz/$target.log
  mkdir -p "$corpus" "$artifacts"
  rc=0
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds/$target" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [[ $rc -eq 0 ]]; then
    result=ok
  else
    result="FAILED (exit $rc): see $log and $artifacts/"
    failed+=("$target")
  fi
  printf '%-22s %10s %10s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "$result"
done
if [[ ${#failed[@]} -gt 0 ]]; then
  for target in "${failed[@]}"; do
    echo "==> $target:" >&2
    grep -E -A30 'ERROR: |fuzz finding|runtime error|unexpected|escaped|Test unit written' \
      "$build/fuzz/$target.log" | head -60 >&2 || tail -40 "$build/fuzz/$target.log" >&2
  done
  echo "fuzzing found ${#failed[@]} failing target(s): ${failed[*]}" >&2
  exit 1
fi
