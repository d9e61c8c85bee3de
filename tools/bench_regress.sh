#!/usr/bin/env bash
# Regression benchmark: a fixed, short run (under 2 minutes) compared with bench/baseline.json.
#
#   tools/bench_regress.sh [-b BUILD] [-m MODEL] [-t TOLERANCE] [-B BASELINE] [-u] [-o OUT.json]
#
#   -t  allowed relative slow-down per metric before it counts as a regression (default 0.20 = 20%:
#       this machine's cores are shared, and run-to-run noise on it reaches 10-15%)
#   -u  write this run's figures as the new baseline instead of comparing
# Defaults: build-perf, BUILD/fixtures/models/full (made if missing), bench/baseline.json,
# OUT BUILD/bench_regress.json.
#
# What runs:
#   uninlu bench --model MODEL in process: int8 at 1 and 32 connections, fp32 at 32 connections (8 s each)
#   bench/gemm_bench: oneDNN fp32, bf16 and int8 on 256 x 768 -> 3072, 1 thread
#   bench/request_bench: the load-test request, int8 and fp32, 1 thread, 8 requests per call
#   uninlu bench --device null (the host path alone, issue 18): server CPU per load-test request at 64
#   HTTP connections, server on CPU 0 and load generator on CPU 1 (6 s)
# Metrics are CPU time per unit of work where the tool measures it (less sensitive to other processes
# than wall time) and throughput/latency otherwise; each has a direction (lower or higher is better).
#
# NOT part of CI's pass/fail: shared machines are noisy. Run it before merging a speed-related change,
# on an otherwise quiet machine if you can, and re-run a failure before believing it.
# Exit status: 0 within tolerance (or -u), 1 on a regression, 2 for a setup problem.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-perf
model=
tolerance=0.20
baseline=$root/bench/baseline.json
update=0
out=
while getopts "b:m:t:B:uo:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    m) model=$OPTARG ;;
    t) tolerance=$OPTARG ;;
    B) baseline=$OPTARG ;;
    u) update=1 ;;
    o) out=$OPTARG ;;
    *) sed -n '2,21p' "$0"; exit 2 ;;
  esac
done
model=${model:-$build/fixtures/models/full}
out=${out:-$build/bench_regress.json}
python=/usr/bin/python3
work=$(mktemp -d -t uninlu_regress.XXXXXX)
trap 'rm -rf "$work"' EXIT

for target in uninlu gemm_bench request_bench; do
  [[ -x $(find "$build" -name "$target" -type f -perm -u+x 2>/dev/null | head -1) ]] || {
    echo "error: $target not built: cmake --build $build --target uninlu gemm_bench request_bench" >&2; exit 2; }
done
uninlu=$build/src/cli/uninlu
gemm_bench=$build/bench/gemm_bench
request_bench=$build/bench/request_bench
if [[ ! -f $model/config.json ]]; then
  echo "making the full-size random model in $model" >&2
  "$python" "$root/tools/make_fixture.py" --size full --out "$model" >&2
fi

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$uninlu" bench --model "$model" --cpu-precision int8 --connections 1,32 --duration 8 --warmup 2 --json \
  >"$work/int8.json" 2>/dev/null || true
"$uninlu" bench --model "$model" --cpu-precision fp32 --connections 32 --duration 8 --warmup 2 --json \
  >"$work/fp32.json" 2>/dev/null || true
tiny=$build/fixtures/models/tiny
if [[ ! -f $tiny/config.json ]]; then
  "$python" "$root/tools/make_fixture.py" --size tiny --out "$tiny" --safetensors >&2
fi
"$uninlu" bench --model "$tiny" --device null --connections 64 --duration 6 --warmup 1 --server-cpu 0 --client-cpu 1 \
  --json >"$work/null.json" 2>/dev/null || true
"$gemm_bench" --benchmark_filter='gemm/onednn_(fp32|bf16|int8)/T:256/768x3072/threads:1/' \
  --benchmark_min_time=0.3 --benchmark_format=json >"$work/gemm.json" 2>/dev/null
"$request_bench" --benchmark_filter='request/(fp32|int8)/threads:1/requests_per_call:8/' \
  --benchmark_format=json >"$work/request.json" 2>/dev/null

"$python" - "$work" "$baseline" "$tolerance" "$update" "$out" <<'PY'
import json, sys, time
work, baseline_path, tolerance, update, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
metrics = {}  # name -> (value, "lower"|"higher")

def bench(path, prefix):
    j = json.load(open(path))
    for phase in j["phases"]:
        c = phase["connections"]
        metrics[f"{prefix}.c{c}.qps"] = (phase["qps"], "higher")
        metrics[f"{prefix}.c{c}.p50_ms"] = (phase["latency_ms"]["p50"], "lower")
        if phase.get("server_cpu"):
            metrics[f"{prefix}.c{c}.server_cpu_ms_per_request"] = (phase["server_cpu"]["ms_per_request"], "lower")
        if phase["requests_failed"]:
            metrics[f"{prefix}.c{c}.failed_requests"] = (phase["requests_failed"], "lower")

for name in ("int8", "fp32"):
    try:
        bench(f"{work}/{name}.json", f"uninlu.{name}")
    except (ValueError, KeyError, FileNotFoundError) as e:
        sys.exit(f"error: uninlu bench {name} gave no results ({e})")
try:  # the host path: only its CPU per request (its throughput is the load generator's)
    phase = json.load(open(f"{work}/null.json"))["phases"][0]
    metrics["uninlu.null_device.c64.server_cpu_ms_per_request"] = (phase["server_cpu"]["ms_per_request"], "lower")
except (ValueError, KeyError, IndexError, TypeError, FileNotFoundError) as e:
    sys.exit(f"error: uninlu bench --device null gave no results ({e})")
for path in (f"{work}/gemm.json", f"{work}/request.json"):
    for b in json.load(open(path))["benchmarks"]:
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        metrics[b["name"] + ".cpu_ms"] = (b["cpu_time"] * scale, "lower")

current = {k: {"value": v, "better": d} for k, (v, d) in metrics.items()}
if update:
    json.dump({"written": time.strftime("%Y-%m-%d %H:%M:%S"), "note": "tools/bench_regress.sh -u", "metrics": current},
              open(baseline_path, "w"), indent=1)
    json.dump({"metrics": current}, open(out, "w"), indent=1)
    print(f"baseline written to {baseline_path} ({len(current)} metrics)")
    sys.exit(0)
try:
    base = json.load(open(baseline_path))["metrics"]
except FileNotFoundError:
    sys.exit(f"error: no baseline at {baseline_path}; make one with tools/bench_regress.sh -u")
rows, regressions = [], []
for name, cur in sorted(current.items()):
    if name not in base:
        rows.append((name, None, cur["value"], None, "new"))
        continue
    b = base[name]["value"]
    if b == 0:
        change = 0.0 if cur["value"] == 0 else float("inf")
    elif cur["better"] == "lower":
        change = cur["value"] / b - 1.0   # > 0: slower
    else:
        change = b / cur["value"] - 1.0 if cur["value"] > 0 else float("inf")
    verdict = "REGRESSION" if change > tolerance else ("better" if change < -tolerance else "ok")
    if verdict == "REGRESSION":
        regressions.append(name)
    rows.append((name, b, cur["value"], change, verdict))
json.dump({"tolerance": tolerance, "baseline": baseline_path, "metrics": current,
           "regressions": regressions}, open(out, "w"), indent=1)
print(f"{'metric':<62} {'baseline':>10} {'now':>10} {'cost':>8}  verdict")
for name, b, c, change, verdict in rows:
    bs = "-" if b is None else f"{b:.3g}"
    cs = "-" if change is None else f"{100 * change:+.0f}%"
    print(f"{name:<62} {bs:>10} {c:>10.3g} {cs:>8}  {verdict}")
print(f"\n(cost: how much worse than the baseline, in the metric's own direction; tolerance {100 * tolerance:.0f}%)")
if regressions:
    print(f"{len(regressions)} regression(s) beyond {100 * tolerance:.0f}%: {', '.join(regressions)}")
    sys.exit(1)
print("no regression beyond the tolerance")
PY
