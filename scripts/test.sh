#!/usr/bin/env bash
# Builds uninlu with warnings as errors and runs every test suite:
#   ctest     unit tests of every module, checkpoint loading, engine kernels and stages, the pipeline
#             against the PyTorch reference's goldens (fixtures and goldens are regenerated first)
#   cpu       the engine's kernels, every precision and a sample of the golden cases, natively and as
#             other x86-64 CPUs under QEMU (SSE4.2 Nehalem, AVX2 Haswell)
#   parity    the tokenizer against Hugging Face's Rust tokenizers and transformers.js (npm)
#   reference the PyTorch reference's own self-checks
#   http      the built server end to end: routes, errors, concurrency, SIGTERM
#   browser   the web page in headless Chromium
#   deploy    manage_service.sh, nginx failover across 3 instances, Dockerfile steps, shellcheck
# Usage: scripts/test.sh [build-dir]        (needs scripts/install_deps.sh once)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=$(nproc)
results=()

run_suite() {
  local name=$1
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  local start=$SECONDS
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - start)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - start)) s)")
    return 1
  fi
}

summary() {
  printf '\n==> summary\n'
  printf '%s\n' "${results[@]}"
}
trap summary EXIT

run_suite configure cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUNINLU_WERROR=ON
run_suite build cmake --build "$build" -j "$jobs"
run_suite ctest ctest --test-dir "$build" --output-on-failure -j "$jobs"
run_suite cpu-matrix tests/cpu_matrix/run.sh "$build"
run_suite parity tools/oracle/run_parity.sh "$build"
run_suite reference /usr/bin/python3 tools/reference/selftest.py
run_suite http tests/integration/run.sh "$build"
run_suite browser tests/browser/run.sh "$build"
run_suite deploy tests/deploy/run.sh "$build"
