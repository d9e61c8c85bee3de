#!/usr/bin/env bash
# The preamble the benchmark and load scripts share (sourced, not run): tools/bench_compare.sh,
# bench_threads.sh, bench_tuning.sh and tests/load/sigterm_under_load.sh. It sets `build` (default
# build-perf) and `model`; the script then parses its options with it:
#
#   root=...; source "$root/tools/bench_args.sh"
#   while getopts "b:m:s:h" opt; do
#     bench_option "$opt" && continue    # -b BUILD, -m MODEL
#     case $opt in s) seconds=$OPTARG ;; *) bench_usage 2 7 ;; esac
#   done
#   bench_resolve                        # model default, uninlu; then bench_require_* and bench_workdir
# shellcheck disable=SC2034,SC2154  # variables set here are used by the sourcing scripts, which set root

build=$root/build-perf
model=

# -b BUILD and -m MODEL; false for any other option (the script's own).
bench_option() {
  case $1 in
    b) build=$OPTARG ;;
    m) model=$OPTARG ;;
    *) return 1 ;;
  esac
}

# Prints lines FIRST..LAST of the script (its header comment, the usage) and exits 2.
bench_usage() {
  sed -n "$1,$2p" "$0"
  exit 2
}

# After the options: the model's default (BUILD/fixtures/models/full) and the uninlu binary's path.
bench_resolve() {
  model=${model:-$build/fixtures/models/full}
  uninlu=$build/src/cli/uninlu
}

bench_require_uninlu() {
  [[ -x $uninlu ]] || { echo "error: $uninlu not built (cmake --build $build --target uninlu)" >&2; exit 2; }
}

bench_require_model() {
  [[ -f $model/config.json ]] || { echo "error: no model at $model (tools/make_fixture.py --size full)" >&2; exit 2; }
}

# `work`: a fresh directory named after $1, removed when the script exits (a script that needs more
# cleanup sets its own EXIT trap afterwards and removes it there).
bench_workdir() {
  work=$(mktemp -d -t "$1.XXXXXX")
  trap 'rm -rf "$work"' EXIT
}
