#!/usr/bin/env bash
# Side-by-side CPU comparison on this machine, in one go: ONNX Runtime (the anchor of
# docs/performance.md), PyTorch eager, and uninlu in fp32/bf16/int8, on the same full-size random
# weights, in interleaved rounds (each round runs every system once, the order rotating from round to
# round) so that drift in the machine's load hits every system alike. Ratios are taken against ONNX
# Runtime *within each round*, then the median over rounds is reported.
#
#   tools/bench_compare.sh [-b BUILD] [-m MODEL] [-r ROUNDS] [-s SECONDS] [-p "fp32 bf16 int8"]
#                          [-c SATURATION_CONNECTIONS] [-o OUT.json] [-i INPUT.jsonl]
#
# Defaults: build-perf, BUILD/fixtures/models/full (made with tools/make_fixture.py if missing),
# 3 rounds, 8 s per measurement, all three precisions, 64 connections at saturation, OUT
# BUILD/bench_compare.json. -i sends those requests (round-robin) to uninlu instead of the seed request;
# ORT and PyTorch always time the seed request.
#
# What is measured, per round:
#   ort:1, ort:2  node tools/ort_compare/ort_run.mjs: the seed request, one at a time, 1 and 2 intra-op
#            threads. The anchor ("ORT") is the better of the two in the same round: 2 threads is
#            docs/performance.md's setting, but on a loaded 2-core machine ORT's spinning thread pool
#            makes 2 threads slower than 1, and the comparison should not profit from that.
#   ort:sat  the same with 2 requests at a time on 1 intra-op thread each: ORT's own saturation on 2
#            cores (ORT does not batch across requests; concurrent Run calls are its way to use them)
#   pytorch  tools/reference_predict.py --repeat: the seed request, one at a time, 1 thread (OpenBLAS;
#            with 2 threads OpenBLAS's spinning makes it ~15x slower on this shared machine)
#   uninlu   uninlu bench --model (in-process HTTP server, seed request), one process per precision,
#            three closed-loop phases: 1 connection (single request at a time), 4 connections (p50 at
#            4 concurrent clients), and SATURATION_CONNECTIONS connections (throughput at saturation)
# Needs: node + tools/ort_compare/node_modules (npm install --ignore-scripts there), /usr/bin/python3
# with torch, a built uninlu (cmake --build BUILD --target uninlu).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/bench_args.sh
source "$root/tools/bench_args.sh"
rounds=3
seconds=8
precisions="fp32 bf16 int8"
saturation=64
out=
input=
while getopts "b:m:r:s:p:c:o:i:h" opt; do
  bench_option "$opt" && continue
  case $opt in
    r) rounds=$OPTARG ;;
    s) seconds=$OPTARG ;;
    p) precisions=$OPTARG ;;
    c) saturation=$OPTARG ;;
    o) out=$OPTARG ;;
    i) input=$OPTARG ;;
    *) bench_usage 2 26 ;;
  esac
done
bench_resolve
out=${out:-$build/bench_compare.json}
python=/usr/bin/python3
ort_dir=$build/ort
bench_workdir uninlu_compare

bench_require_uninlu
[[ -d $root/tools/ort_compare/node_modules/onnxruntime-node ]] || {
  echo "error: onnxruntime-node missing: (cd tools/ort_compare && npm ci --ignore-scripts)" >&2; exit 2; }
if [[ ! -f $model/config.json ]]; then
  echo "making the full-size random model in $model" >&2
  "$python" "$root/tools/make_fixture.py" --size full --out "$model" >&2
fi
if [[ ! -f $ort_dir/cross.onnx || $ort_dir/cross.onnx -ot $model/config.json ]]; then
  echo "exporting ONNX graphs to $ort_dir" >&2
  "$python" "$root/tools/ort_compare/export_onnx.py" --model "$model" --out "$ort_dir" 2>&1 | grep -v -i warn >&2 || true
fi
node "$root/tools/ort_compare/ort_run.mjs" --dir "$ort_dir" --repeat 1 --warmup 0 --verify >/dev/null

input_args=()
[[ -n $input ]] && input_args=(--input "$input")

run_ort() {  # $1: round, $2: threads or "sat"
  local args=(--threads "$2")
  [[ $2 == sat ]] && args=(--threads 1 --concurrency 2)
  node "$root/tools/ort_compare/ort_run.mjs" --dir "$ort_dir" "${args[@]}" --seconds "$seconds" --warmup 3 --json \
    >"$work/ort$2.$1.json"
}
run_pytorch() {  # $1: round. --repeat is a count: about 4 req/s expected, so 4 x seconds.
  local n=$(( seconds * 4 ))
  "$python" "$root/tools/reference_predict.py" --model "$model" --text "华为在东莞松山湖建设了研发基地" \
    --schema '{"公司":null,"地理位置":null}' --threads 1 --repeat "$n" --warmup 2 \
    >/dev/null 2>"$work/pytorch.$1.log"
}
run_uninlu() {  # $1: round, $2: precision
  "$uninlu" bench --model "$model" --cpu-precision "$2" --connections "1,4,$saturation" --duration "$seconds" \
    --warmup 2 "${input_args[@]}" --json >"$work/uninlu.$2.$1.json" 2>"$work/uninlu.$2.$1.log" || {
      echo "warning: uninlu bench $2 round $1 reported failed requests (see the JSON)" >&2; }
}

systems=(ort:1 ort:2 ort:sat pytorch)
for p in $precisions; do systems+=("uninlu:$p"); done
n=${#systems[@]}
for ((r = 1; r <= rounds; r++)); do
  for ((k = 0; k < n; k++)); do
    s=${systems[$(( (k + r - 1) % n ))]}
    printf 'round %d/%d: %-12s load %s\n' "$r" "$rounds" "$s" "$(cut -d' ' -f1 /proc/loadavg)" >&2
    echo "$r $s $(cut -d' ' -f1 /proc/loadavg)" >>"$work/loadavg.txt"
    case $s in
      ort:*) run_ort "$r" "${s#ort:}" ;;
      pytorch) run_pytorch "$r" ;;
      uninlu:*) run_uninlu "$r" "${s#uninlu:}" ;;
    esac
  done
done

"$python" - "$work" "$rounds" "$precisions" "$saturation" "$out" "$seconds" "$model" <<'PY'
import json, os, re, statistics, sys, platform
work, rounds, precisions, saturation, out, seconds, model = sys.argv[1:8]
rounds, saturation = int(rounds), int(saturation)
precisions = precisions.split()

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

per_round = []
for r in range(1, rounds + 1):
    row = {}
    for t in (1, 2, "sat"):
        o = json.load(open(f"{work}/ort{t}.{r}.json"))
        row[f"ort:{t}"] = {"single_qps": o["qps"], "single_p50_ms": o["latency_ms"]["p50"],
                           "cpu_ms": o["cpu_ms_per_request"], "peak_rss_mib": o["peak_rss_mib"]}
    row["ort"] = dict(max((row["ort:1"], row["ort:2"]), key=lambda x: x["single_qps"]))
    log = open(f"{work}/pytorch.{r}.log").read()
    m = re.search(r"mean ([0-9.]+) ms, median ([0-9.]+) ms", log)
    row["pytorch"] = {"single_qps": 1000.0 / float(m.group(1)), "single_p50_ms": float(m.group(2))} if m else None
    for p in precisions:
        u = json.load(open(f"{work}/uninlu.{p}.{r}.json"))
        ph = {x["connections"]: x for x in u["phases"]}
        sat = ph[saturation]
        row[f"uninlu:{p}"] = {
            "single_qps": ph[1]["qps"], "single_p50_ms": ph[1]["latency_ms"]["p50"],
            "c4_p50_ms": ph[4]["latency_ms"]["p50"], "c4_qps": ph[4]["qps"],
            "sat_qps": sat["qps"], "sat_p50_ms": sat["latency_ms"]["p50"], "sat_p99_ms": sat["latency_ms"]["p99"],
            "sat_server_cpu_ms": (sat.get("server_cpu") or {}).get("ms_per_request"),
            "single_server_cpu_ms": (ph[1].get("server_cpu") or {}).get("ms_per_request"),
            "client_cpu_ms": sat["client_cpu"]["ms_per_request"],
            "errors": sum(x["requests_failed"] for x in u["phases"]),
            "peak_rss_mib": (u.get("server_memory") or {}).get("peak_rss_mib"),
            "sat_batches": sat.get("batches"),
        }
    per_round.append(row)

systems = ["ort", "ort:1", "ort:2", "ort:sat", "pytorch"] + [f"uninlu:{p}" for p in precisions]
summary = {}
for s in systems:
    rows = [pr[s] for pr in per_round if pr.get(s)]
    if not rows:
        continue
    keys = rows[0].keys()
    agg = {k: med([x.get(k) for x in rows]) for k in keys if k != "sat_batches"}
    # Ratios within each round (same machine state), then the median.
    ort_rows = [pr["ort"] for pr in per_round if pr.get(s)]
    agg["single_qps_vs_ort"] = med([x["single_qps"] / o["single_qps"] for x, o in zip(rows, ort_rows)])
    if "sat_qps" in rows[0]:
        agg["sat_qps_vs_ort"] = med([x["sat_qps"] / o["single_qps"] for x, o in zip(rows, ort_rows)])
        sat_rows = [pr["ort:sat"] for pr in per_round if pr.get(s)]
        agg["sat_qps_vs_ort_sat"] = med([x["sat_qps"] / o["single_qps"] for x, o in zip(rows, sat_rows)])
        agg["c4_p50_vs_ort_p50"] = med([x["c4_p50_ms"] / o["single_p50_ms"] for x, o in zip(rows, ort_rows)])
        agg["sat_batches"] = rows[-1]["sat_batches"]
    summary[s] = agg

loads = [float(l.split()[2]) for l in open(f"{work}/loadavg.txt")]
result = {"model": model, "rounds": rounds, "seconds_per_measurement": seconds, "saturation_connections": saturation,
          "load_average_min_max": [min(loads), max(loads)], "per_round": per_round, "summary": summary}
json.dump(result, open(out, "w"), indent=1)

def f(v, fmt="{:.1f}"):
    return "-" if v is None else fmt.format(v)

print(f"\nmedian of {rounds} interleaved rounds, {seconds} s each; load average {min(loads):.1f}-{max(loads):.1f}; JSON: {out}\n")
print("ort = the better of ort:1 and ort:2 (1 and 2 intra-op threads) in each round; ort:sat = 2 requests at a time, "
      "1 thread each (its 1-req columns are its throughput and latency under that load)\n")
hdr = ("system", "1-req q/s", "1-req p50 ms", "vs ORT", f"sat q/s (c={saturation})", "sat vs ORT",
       "sat vs ORT sat", "c=4 p50 ms", "c4 p50/ORT p50", "cpu ms/req (sat)")
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for s in systems:
    a = summary.get(s)
    if not a:
        continue
    print("| " + " | ".join([s, f(a["single_qps"]), f(a["single_p50_ms"]), f(a["single_qps_vs_ort"], "{:.2f}x"),
                             f(a.get("sat_qps")), f(a.get("sat_qps_vs_ort"), "{:.2f}x"),
                             f(a.get("sat_qps_vs_ort_sat"), "{:.2f}x"), f(a.get("c4_p50_ms")),
                             f(a.get("c4_p50_vs_ort_p50"), "{:.2f}"), f(a.get("sat_server_cpu_ms") or a.get("cpu_ms"))]) + " |")
PY
