#!/usr/bin/env bash
# One request at a time, the load-test request on the full-size model, at 1 and 2 threads: uninlu (fp32,
# the engine through Service::predict, no HTTP) beside the independent PyTorch reference
# (tools/reference_predict.py, fp32 eager, OpenBLAS), in interleaved rounds so that both see the same
# machine. Also times one whole `uninlu predict` command (process start, model load, one request).
#
#   tools/bench_threads.sh [-b BUILD] [-m MODEL] [-r ROUNDS] [-s SECONDS]
# Defaults: build-perf, BUILD/fixtures/models/full, 3 rounds, 8 s per uninlu measurement (the reference
# runs 4 x SECONDS requests). Prints a table of medians over the rounds (ms per request).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/bench_args.sh
source "$root/tools/bench_args.sh"
rounds=3
seconds=8
while getopts "b:m:r:s:h" opt; do
  bench_option "$opt" && continue
  case $opt in
    r) rounds=$OPTARG ;;
    s) seconds=$OPTARG ;;
    *) bench_usage 2 9 ;;
  esac
done
bench_resolve
python=/usr/bin/python3
text="华为在东莞松山湖建设了研发基地"
schema='{"公司":null,"地理位置":null}'
bench_require_uninlu
bench_require_model
bench_workdir uninlu_threads

for ((r = 1; r <= rounds; r++)); do
  for t in 1 2; do
    echo "round $r/$rounds: $t thread(s), load $(cut -d' ' -f1 /proc/loadavg)" >&2
    "$uninlu" bench --model "$model" --transport direct --threads "$t" --connections 1 --duration "$seconds" \
      --warmup 2 --text "$text" --schema "$schema" --json >"$work/uninlu.$t.$r.json" 2>/dev/null
    "$python" "$root/tools/reference_predict.py" --model "$model" --text "$text" --schema "$schema" \
      --threads "$t" --repeat $((seconds * 4)) --warmup 2 >/dev/null 2>"$work/ref.$t.$r.log"
  done
done
start=$(date +%s.%N)
"$uninlu" predict --model "$model" --text "$text" --schema "$schema" >/dev/null
whole=$(echo "$(date +%s.%N) - $start" | bc)

"$python" - "$work" "$rounds" "$whole" <<'PY'
import json, re, statistics, sys
work, rounds, whole = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
print(f"median over {rounds} interleaved rounds; ms per request, one request at a time\n")
print("| threads | uninlu fp32 p50 | uninlu fp32 mean | reference p50 | reference mean | reference / uninlu (p50) |")
print("|---|---|---|---|---|---|")
for t in (1, 2):
    u = [json.load(open(f"{work}/uninlu.{t}.{r}.json"))["phases"][0] for r in range(1, rounds + 1)]
    ref = [re.search(r"mean ([0-9.]+) ms, median ([0-9.]+) ms", open(f"{work}/ref.{t}.{r}.log").read())
           for r in range(1, rounds + 1)]
    up50 = statistics.median(x["latency_ms"]["p50"] for x in u)
    umean = statistics.median(1000.0 / x["qps"] for x in u)
    rp50 = statistics.median(float(m.group(2)) for m in ref)
    rmean = statistics.median(float(m.group(1)) for m in ref)
    print(f"| {t} | {up50:.1f} | {umean:.1f} | {rp50:.1f} | {rmean:.1f} | {rp50 / up50:.1f}x |")
print(f"\nwhole `uninlu predict` command (start, load the model, one request, exit): {whole * 1000:.0f} ms")
PY
