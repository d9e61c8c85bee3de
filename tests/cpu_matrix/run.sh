#!/usr/bin/env bash
# The CPU matrix: the engine's kernel tests, every precision against the PyTorch goldens, and a sample
# of the end-to-end golden cases, natively and as other x86-64 CPUs under QEMU's user mode:
#   native    whatever this machine is
#   Nehalem   SSE4.2 only: the binary's baseline clones and oneDNN's SSE4.1 kernels (no VNNI)
#   Haswell   AVX2 + FMA: the x86-64-v3 clones and oneDNN's AVX2 kernels (no VNNI, no AVX-512)
# QEMU emulates no AVX-512, so AVX-512 runs only where the machine has it (natively).
#   tests/cpu_matrix/run.sh <build-dir> [native|Nehalem|Haswell ...]     (needs ctest's fixtures)
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [native|Nehalem|Haswell ...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
cpus=("$@")
[[ ${#cpus[@]} -gt 0 ]] || cpus=(native Nehalem Haswell)

# Parameterised suites carry an instantiation prefix (Shapes/GemmTest...), hence the leading '*'.
engine_filter='SimdMath.*:*GemmTest.*:Gemm.*:*RowsTest.*:Attention.*:Convert.*:*Int8EpilogueTest.*'
engine_filter+=':Int8Gemm.*:*ReducedPrecisionTest.*:GoldenStages.*:*GoldenPrecision.*'
pipeline_filter='PipelineGolden.*:DecodeGolden.*'
for binary in "$build/tests/engine/engine_tests" "$build/tests/pipeline/pipeline_tests"; do
  [[ -x $binary ]] || { echo "missing $binary: build the tests first" >&2; exit 2; }
done
if [[ ! -f $build/fixtures/goldens/cases.jsonl ]]; then
  echo "no goldens in $build/fixtures: run ctest first (it generates them)" >&2
  exit 2
fi

failed=0
for cpu in "${cpus[@]}"; do
  runner=()
  if [[ $cpu != native ]]; then
    command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 not found (Debian's qemu-user)" >&2; exit 2; }
    runner=(qemu-x86_64 -cpu "$cpu")
  fi
  for run in "engine_tests $engine_filter" "pipeline_tests $pipeline_filter"; do
    read -r name filter <<<"$run"
    binary=$build/tests/${name%_tests}/$name
    start=$SECONDS
    log=$(mktemp)
    # One OpenMP thread: under QEMU every thread is emulated on the same cores.
    if OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE UNINLU_GOLDEN_SAMPLE=1 \
      "${runner[@]}" "$binary" --gtest_filter="$filter" --gtest_brief=1 >"$log" 2>&1; then
      echo "PASS  $cpu  $name: $(grep -o 'PASSED.*' "$log" | tail -n 1) ($((SECONDS - start)) s)"
    else
      echo "FAIL  $cpu  $name ($((SECONDS - start)) s):"
      tail -n 40 "$log"
      failed=1
    fi
    grep -h '^golden:\|isa\|ISA' "$log" | sed "s/^/      $cpu: /" || true
    rm -f "$log"
  done
done
exit $failed
