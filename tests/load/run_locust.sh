#!/usr/bin/env bash
# Headless locust run against a running server; prints throughput and latency percentiles.
#   tests/load/run_locust.sh [-u USERS] [-t SECONDS] [-H http://127.0.0.1:7860] [-o OUT_DIR]
# Defaults: 100 users (all started at once), 60 s, http://127.0.0.1:7860, a temporary output directory.
# Exit status: 0 when every request succeeded (200 with result.output), 1 otherwise.
set -euo pipefail

users=100
seconds=60
host=http://127.0.0.1:7860
out=
while getopts "u:t:H:o:h" opt; do
  case $opt in
    u) users=$OPTARG ;;
    t) seconds=$OPTARG ;;
    H) host=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,5p' "$0"; exit 2 ;;
  esac
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3  # Debian's, which has python3-locust
if [[ -z $out ]]; then
  out=$(mktemp -d -t uninlu_locust.XXXXXX)
fi
mkdir -p "$out"

if ! curl -fsS -o /dev/null --max-time 10 "$host/v2/health/ready"; then
  echo "error: no ready server at $host (start one with: uninlu serve --port ...)" >&2
  exit 2
fi

echo "locust: $users users, ${seconds}s, $host; CSV in $out" >&2
"$python" -m locust -f "$here/locustfile.py" --headless --only-summary \
  -u "$users" -r "$users" -t "${seconds}s" --stop-timeout 10 \
  --host "$host" --csv "$out/locust" --exit-code-on-error 0 >"$out/locust.log" 2>&1 || {
  echo "error: locust failed; see $out/locust.log" >&2
  tail -20 "$out/locust.log" >&2
  exit 2
}

"$python" - "$out/locust_stats.csv" "$users" "$seconds" <<'PY'
import csv
import sys

path, users, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
row = next((r for r in rows if r["Name"] == "Aggregated"), None) or rows[-1]
requests = int(row["Request Count"])
failures = int(row["Failure Count"])
print(f"users={users} duration={seconds}s requests={requests} failures={failures}")
print(f"rps={float(row['Requests/s']):.1f}")
print(f"latency_ms p50={row['50%']} p95={row['95%']} p99={row['99%']} "
      f"mean={float(row['Average Response Time']):.1f} max={float(row['Max Response Time']):.0f}")
sys.exit(1 if failures or requests == 0 else 0)
PY
