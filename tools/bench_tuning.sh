#!/usr/bin/env bash
# The effect of each serving knob (docs/deployment.md's tuning table) on the CPU, one setting changed at a
# time from the defaults: `uninlu bench --model` (in-process HTTP server, the load-test request) with 4
# connections (latency at light concurrency) and 64 (throughput at saturation).
#
#   tools/bench_tuning.sh [-b BUILD] [-m MODEL] [-s SECONDS]
# Defaults: build-perf, BUILD/fixtures/models/full, 6 s per phase. Prints a markdown table.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/bench_args.sh
source "$root/tools/bench_args.sh"
seconds=6
while getopts "b:m:s:h" opt; do
  bench_option "$opt" && continue
  case $opt in
    s) seconds=$OPTARG ;;
    *) bench_usage 2 7 ;;
  esac
done
bench_resolve
bench_require_uninlu
bench_require_model
bench_workdir uninlu_tuning

settings=(
  ""
  "--max-wait-ms 0"
  "--max-wait-ms 10"
  "--max-batch-tokens 1024"
  "--max-batch-size 8"
  "--max-batch-size 128"
  "--no-dynamic-batching"
  "--threads 1"
  "--cpu-precision bf16"
  "--cpu-precision int8"
)
i=0
for s in "${settings[@]}"; do
  echo "setting: ${s:-defaults}, load $(cut -d' ' -f1 /proc/loadavg)" >&2
  # shellcheck disable=SC2086  # a setting is several words
  "$uninlu" bench --model "$model" --connections 4,64 --duration "$seconds" --warmup 2 $s --json \
    >"$work/$i.json" 2>/dev/null
  echo "${s:-defaults}" >"$work/$i.name"
  i=$((i + 1))
done

/usr/bin/python3 - "$work" "$i" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
print("| setting | c=4 q/s | c=4 p50 ms | c=4 p99 ms | c=64 q/s | c=64 p50 ms | mean text batch (c=64) |")
print("|---|---|---|---|---|---|---|")
for i in range(n):
    name = open(f"{work}/{i}.name").read().strip()
    ph = {p["connections"]: p for p in json.load(open(f"{work}/{i}.json"))["phases"]}
    a, b = ph[4], ph[64]
    items = ((b.get("batches") or {}).get("text") or {}).get("mean_items")
    print(f"| `{name}` | {a['qps']:.1f} | {a['latency_ms']['p50']:.1f} | {a['latency_ms']['p99']:.1f} | "
          f"{b['qps']:.1f} | {b['latency_ms']['p50']:.0f} | {items if items is None else f'{items:.1f}'} |")
PY
