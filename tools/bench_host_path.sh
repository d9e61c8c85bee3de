#!/usr/bin/env bash
# The host path alone (issue 18): server CPU per request with the null device (engine/null: fixed
# logits, no model work), so what is measured is HTTP, JSON, schema, tokenizer, scheduler, decoding
# and the response, as it would remain on the CPU with the model on a GPU.
#
#   tools/bench_host_path.sh [-b BUILD] [-B BEFORE_BINARY] [-r ROUNDS] [-s SECONDS] [-f FULL_MODEL] [-o OUT.json]
#
#   -b  the build whose src/cli/uninlu is measured ("after"; default: build)
#   -B  another uninlu binary measured in the same run ("before"), in alternating order each round
#   -r  rounds (default 3); the median over the rounds is reported
#   -s  seconds measured per phase (default 3, after 1 s of warm-up)
#   -f  also the load-test request on this model (fp32, the CPU, both cores, 64 HTTP connections, 10 s),
#       for the real model's throughput at saturation before and after
# Requests: the load-test request, a 20-key schema, a nested schema (3 levels) and a 2,000-character
# text, each at 1 and 64 connections, over HTTP and in process (Service::predict), the server pinned
# to CPU 0 and the load generator to CPU 1 (`uninlu bench --server-cpu 0 --client-cpu 1`).
# Output: a table of medians on stdout, every run's JSON in OUT (default BUILD/bench_host_path.json).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
before=
rounds=3
seconds=3
full=
out=
while getopts "b:B:r:s:f:o:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    B) before=$OPTARG ;;
    r) rounds=$OPTARG ;;
    s) seconds=$OPTARG ;;
    f) full=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,18p' "$0"; exit 2 ;;
  esac
done
after=$build/src/cli/uninlu
out=${out:-$build/bench_host_path.json}
python=/usr/bin/python3
tiny=$build/fixtures/models/tiny
[[ -x $after ]] || { echo "error: $after is not built (cmake --build $build --target uninlu)" >&2; exit 2; }
[[ -z $before || -x $before ]] || { echo "error: -B $before is not an executable" >&2; exit 2; }
[[ -z $full || -f $full/config.json ]] || { echo "error: -f $full has no config.json" >&2; exit 2; }
if [[ ! -f $tiny/config.json ]]; then
  echo "generating the tiny fixture model in $tiny" >&2
  "$python" "$root/tools/make_fixture.py" --size tiny --out "$tiny" --safetensors >&2
fi
work=$(mktemp -d -t uninlu_host_path.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The requests, one JSON-lines file each.
"$python" - "$work" <<'EOF'
import json, sys
d = sys.argv[1]
load = "华为在东莞松山湖建设了研发基地"
keys20 = ["人物", "地点", "组织机构", "公司", "时间", "产品", "职位", "事件", "书名", "电影", "游戏", "景点",
          "政府", "学校", "疾病", "药物", "品牌", "货币", "数量", "国家"]
nested = {"人物": {"毕业院校": {"所在城市": None}, "出生地": None}, "组织机构": {"成立时间": None, "总部": None}}
sentence = "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元。"
long_text = (sentence * (2000 // len(sentence) + 1))[:2000]
cases = {
    "loadtest": {"text": load, "schema": {"公司": None, "地理位置": None}},
    "keys20": {"text": load, "schema": {k: None for k in keys20}},
    "nested": {"text": sentence, "schema": nested},
    "text2000": {"text": long_text, "schema": {"公司": None, "地理位置": None}},
}
for name, body in cases.items():
    with open(f"{d}/{name}.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps(body, ensure_ascii=False) + "\n")
EOF

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs" >&2
binaries=(after)
[[ -n $before ]] && binaries=(before after)
binary_path() { if [[ $1 == before ]]; then echo "$before"; else echo "$after"; fi; }

for ((round = 1; round <= rounds; ++round)); do
  order=("${binaries[@]}")
  if ((round % 2 == 0)) && ((${#binaries[@]} == 2)); then order=(after before); fi
  for which in "${order[@]}"; do
    bin=$(binary_path "$which")
    for request in loadtest keys20 nested text2000; do
      for transport in http direct; do
        json=$work/r$round.$which.$request.$transport.json
        echo "round $round: $which $request $transport" >&2
        "$bin" bench --model "$tiny" --device null --transport "$transport" --input "$work/$request.jsonl" \
          --connections 1,64 --duration "$seconds" --warmup 1 --server-cpu 0 --client-cpu 1 \
          --json-out "$json" >/dev/null
      done
    done
    if [[ -n $full ]]; then
      echo "round $round: $which full-size model fp32, 64 connections" >&2
      "$bin" bench --model "$full" --device cpu --cpu-precision fp32 --connections 64 --duration 10 --warmup 3 \
        --json-out "$work/r$round.$which.full.http.json" >/dev/null
    fi
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$work" "$out" "$rounds" <<'EOF'
import glob, json, os, statistics, sys
work, out, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}
for path in sorted(glob.glob(f"{work}/r*.json")):
    r, which, request, transport = os.path.basename(path)[:-5].split(".")
    with open(path) as f:
        runs.setdefault((which, request, transport), []).append(json.load(f))
with open(out, "w") as f:
    json.dump({"|".join(k): v for k, v in runs.items()}, f, indent=1, ensure_ascii=False)

def phase_values(key, connections):
    us, qps = [], []
    for run in runs.get(key, []):
        for p in run["phases"]:
            if p["connections"] == connections and p["server_cpu"] and p["requests_ok"] > 0:
                us.append(p["server_cpu"]["ms_per_request"] * 1000)
                qps.append(p["qps"])
    return us, qps

def spread(values):
    return (max(values) - min(values)) / statistics.median(values) * 100 if len(values) > 1 else 0

whichs = [w for w in ("before", "after") if any(k[0] == w for k in runs)]
print(f"server CPU per request (µs, median of {rounds} rounds; ± the rounds' spread as % of the median), "
      "requests/s per core (1e6 / µs), throughput (requests/s)")
header = "| request | transport | connections |"
for w in whichs:
    header += f" {w} µs | {w} req/s per core | {w} req/s |"
if len(whichs) == 2:
    header += " after ÷ before (µs) |"
print(header)
print("|" + "---|" * (header.count("|") - 1))
for request in ("loadtest", "keys20", "nested", "text2000"):
    for transport in ("http", "direct"):
        for c in (1, 64):
            row = f"| {request} | {'HTTP' if transport == 'http' else 'in process'} | {c} |"
            medians = []
            for w in whichs:
                us, qps = phase_values((w, request, transport), c)
                if not us:
                    row += " - | - | - |"
                    continue
                m = statistics.median(us)
                medians.append(m)
                row += f" {m:.0f} ±{spread(us):.0f}% | {1e6 / m:,.0f} | {statistics.median(qps):,.0f} |"
            if len(whichs) == 2 and len(medians) == 2:
                row += f" {medians[1] / medians[0]:.2f} |"
            print(row)
full = [(w, phase_values((w, "full", "http"), 64)) for w in whichs]
if any(v[0] for _, v in full):
    print("\nfull-size model, fp32, the CPU (both cores), 64 HTTP connections:")
    for w, (us, qps) in full:
        if qps:
            print(f"  {w}: {statistics.median(qps):.1f} requests/s (rounds: {', '.join(f'{q:.1f}' for q in qps)}), "
                  f"server CPU {statistics.median(us) / 1000:.1f} ms/request")
EOF
echo "every run's JSON: $out" >&2
