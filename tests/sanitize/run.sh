#!/usr/bin/env bash
# Sanitizer builds, configured, built and run (docs/security.md, "Sanitizers and fuzzing"):
#   tests/sanitize/run.sh asan BUILD   ASan + UBSan (gcc, -O1, leak checking on): every unit test (ctest),
#                                      then the HTTP integration suite against the sanitized binary
#   tests/sanitize/run.sh tsan BUILD   TSan: the scheduler, service and HTTP server tests (serving_tests,
#                                      http_tests), with OpenMP and OpenBLAS single-threaded (below)
# Extra arguments go to ctest (e.g. -R http_tests). Any report fails the run.
set -euo pipefail

if [[ $# -lt 2 || ($1 != asan && $1 != tsan) ]]; then
  echo "usage: $0 asan|tsan BUILD [ctest args]" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kind=$1
build=$2
shift 2
jobs=$(nproc)
here=$repo/tests/sanitize

case $kind in
  asan) sanitize=address,undefined ;;
  tsan) sanitize=thread ;;
esac
# Debug keeps assertions; Sanitizers.cmake sets -O1. The benchmarks are not run here, so not built.
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUNINLU_SANITIZE="$sanitize" -DUNINLU_WERROR=ON \
  -DUNINLU_WITH_CUDA=OFF -DUNINLU_BUILD_BENCH=OFF >/dev/null

# Reports abort the process (the test fails) and carry stack traces.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [[ $kind == asan ]]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
  export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" -L 'unit|fixtures' -j "$jobs" --output-on-failure "$@"
  "$repo/tests/integration/run.sh" "$build"
else
  # GNU OpenMP and OpenBLAS are not built with TSan, so it cannot see their barriers and reports races
  # inside every parallel region. These tests are about the server's and the scheduler's own threads:
  # the kernels run single-threaded here (their threading is covered by the ASan run).
  export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tsan.supp
  cmake --build "$build" -j "$jobs" --target serving_tests http_tests
  ctest --test-dir "$build" -R '^(generate_test_models|serving_tests\.|http_tests\.)' -j "$jobs" \
    --output-on-failure "$@"
fi
