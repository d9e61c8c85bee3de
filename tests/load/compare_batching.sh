#!/usr/bin/env bash
# The reference load test (locustfile.py: 100 users posting the load-test request, headless) against
# `uninlu serve` on CPU, with dynamic batching on and off, side by side in one run: each round starts a
# fresh server per setting and runs locust for SECONDS; with several rounds the order alternates.
# Reports RPS, p50/p95/p99, failures, the server's peak RSS (VmHWM), its CPU time per request, the
# locust client's CPU time, and the batch statistics from /metrics.
#
#   tests/load/compare_batching.sh [-b BUILD] [-m MODEL] [-u USERS] [-t SECONDS] [-r ROUNDS] [-p PRECISION]
#                                  [-o OUT.json]
# Defaults: build-perf, BUILD/fixtures/models/full, 100 users, 60 s, 1 round, fp32,
# OUT BUILD/locust_batching.json. Exit status 1 when any request failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build-perf
model=
users=100
seconds=60
rounds=1
precision=fp32
out=
while getopts "b:m:u:t:r:p:o:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    m) model=$OPTARG ;;
    u) users=$OPTARG ;;
    t) seconds=$OPTARG ;;
    r) rounds=$OPTARG ;;
    p) precision=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
model=${model:-$build/fixtures/models/full}
out=${out:-$build/locust_batching.json}
uninlu=$build/src/cli/uninlu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -x $uninlu ]] || { echo "error: $uninlu not built" >&2; exit 2; }
[[ -f $model/config.json ]] || { echo "error: no model at $model (tools/make_fixture.py --size full)" >&2; exit 2; }
work=$(mktemp -d -t uninlu_batching.XXXXXX)
server=
cleanup() { [[ -n $server ]] && kill -KILL "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cpu_seconds() {  # utime + stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

run_one() {  # $1: on|off, $2: round
  local flag=--dynamic-batching
  [[ $1 == off ]] && flag=--no-dynamic-batching
  local port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$uninlu" serve --model "$model" --device cpu --cpu-precision "$precision" "$flag" --host 127.0.0.1 \
    --port "$port" --access-log "" --log-level warn >"$work/serve.$1.$2.out" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/health/ready" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.before.$1.$2"
  local cpu0
  cpu0=$(cpu_seconds "$server")
  echo "round $2: dynamic batching $1, load average $(cut -d' ' -f1 /proc/loadavg)" >&2
  local rc=0
  /usr/bin/time -f "%U %S" -o "$work/client.$1.$2" \
    "$here/run_locust.sh" -u "$users" -t "$seconds" -H "http://127.0.0.1:$port" -o "$work/locust.$1.$2" \
    >"$work/summary.$1.$2" || rc=$?
  cpu_seconds "$server" | awk -v c0="$cpu0" '{ print $1 - c0 }' >"$work/server_cpu.$1.$2"
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.after.$1.$2"
  awk '/^VmHWM/ { print $2 / 1024 }' "/proc/$server/status" >"$work/rss.$1.$2"
  kill -TERM "$server"
  wait "$server" || true
  server=
  cat "$work/summary.$1.$2" >&2
  return $rc
}

failed=0
for ((r = 1; r <= rounds; r++)); do
  if (( r % 2 == 1 )); then order="on off"; else order="off on"; fi
  for s in $order; do run_one "$s" "$r" || failed=1; done
done

/usr/bin/python3 - "$work" "$rounds" "$out" "$users" "$seconds" "$precision" <<'PY'
import csv, json, re, statistics, sys
work, rounds, out, users, seconds, precision = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]

def metric(text, name, stage):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and f'stage="{stage}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total

rows = {}
for setting in ("on", "off"):
    runs = []
    for r in range(1, rounds + 1):
        stats = list(csv.DictReader(open(f"{work}/locust.{setting}.{r}/locust_stats.csv")))
        agg = next(x for x in stats if x["Name"] == "Aggregated")
        requests = int(agg["Request Count"])
        before = open(f"{work}/metrics.before.{setting}.{r}").read()
        after = open(f"{work}/metrics.after.{setting}.{r}").read()
        batches = {}
        for stage in ("text", "cross"):
            n = metric(after, "uninlu_batch_size_count", stage) - metric(before, "uninlu_batch_size_count", stage)
            items = metric(after, "uninlu_batch_size_sum", stage) - metric(before, "uninlu_batch_size_sum", stage)
            tokens = metric(after, "uninlu_batch_tokens_sum", stage) - metric(before, "uninlu_batch_tokens_sum", stage)
            batches[stage] = {"batches": n, "mean_items": items / n if n else 0, "mean_tokens": tokens / n if n else 0}
        user, system = map(float, open(f"{work}/client.{setting}.{r}").read().split())
        server_cpu = float(open(f"{work}/server_cpu.{setting}.{r}").read())
        runs.append({
            "requests": requests, "failures": int(agg["Failure Count"]), "rps": float(agg["Requests/s"]),
            "p50_ms": float(agg["50%"]), "p95_ms": float(agg["95%"]), "p99_ms": float(agg["99%"]),
            "mean_ms": float(agg["Average Response Time"]), "max_ms": float(agg["Max Response Time"]),
            "server_peak_rss_mib": float(open(f"{work}/rss.{setting}.{r}").read()),
            "server_cpu_ms_per_request": 1000 * server_cpu / max(requests, 1),
            "locust_cpu_s": user + system, "batches": batches})
    rows[setting] = runs

json.dump({"users": users, "seconds": seconds, "precision": precision, "rounds": rows}, open(out, "w"), indent=1)
med = lambda xs: statistics.median(xs)
print(f"\nlocust {users} users x {seconds} s, fp32 CPU, {rounds} round(s); JSON {out}\n")
print("| dynamic batching | RPS | p50 ms | p95 ms | p99 ms | failures | server CPU ms/req | peak RSS MiB | cross batch items | locust CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for setting, runs in rows.items():
    print(f"| {setting} | {med([x['rps'] for x in runs]):.1f} | {med([x['p50_ms'] for x in runs]):.0f} | "
          f"{med([x['p95_ms'] for x in runs]):.0f} | {med([x['p99_ms'] for x in runs]):.0f} | "
          f"{sum(x['failures'] for x in runs)} | {med([x['server_cpu_ms_per_request'] for x in runs]):.1f} | "
          f"{max(x['server_peak_rss_mib'] for x in runs):.0f} | "
          f"{med([x['batches']['cross']['mean_items'] for x in runs]):.1f} | {med([x['locust_cpu_s'] for x in runs]):.1f} |")
if len(rows["on"]) == len(rows["off"]):
    ratios = [a["rps"] / b["rps"] for a, b in zip(rows["on"], rows["off"]) if b["rps"] > 0]
    if ratios:
        print(f"\nRPS on/off, per round: {', '.join(f'{x:.2f}' for x in ratios)}")
PY
exit $failed
