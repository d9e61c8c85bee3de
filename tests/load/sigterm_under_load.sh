#!/usr/bin/env bash
# SIGTERM under load: `uninlu serve` on CPU with USERS keep-alive clients posting the load-test request in
# a closed loop; after LOAD seconds the server gets SIGTERM. Checks that
#   - every request that had been sent before the signal got its answer, 200 with result.output
#     (requests sent after it may be refused: 503, or the connection closed), and
#   - the server exits with status 0, within the shutdown timeout.
#
#   tests/load/sigterm_under_load.sh [-b BUILD] [-m MODEL] [-u USERS] [-l LOAD_SECONDS] [-p PRECISION]
# Defaults: build-perf, BUILD/fixtures/models/full, 32 users, 8 s of load, fp32.
# Exit status: 0 when both hold, 1 otherwise, 2 for a setup problem.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/bench_args.sh
source "$root/tools/bench_args.sh"
users=32
load=8
precision=fp32
while getopts "b:m:u:l:p:h" opt; do
  bench_option "$opt" && continue
  case $opt in
    u) users=$OPTARG ;;
    l) load=$OPTARG ;;
    p) precision=$OPTARG ;;
    *) bench_usage 2 10 ;;
  esac
done
bench_resolve
bench_require_uninlu
bench_require_model
bench_workdir uninlu_sigterm
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$uninlu" serve --model "$model" --device cpu --cpu-precision "$precision" --host 127.0.0.1 --port "$port" \
  --access-log "" --shutdown-timeout-ms 30000 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
cleanup() { kill -KILL "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/health/ready" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "error: the server exited during startup:" >&2; cat "$work/serve.err" >&2; exit 2; }
  sleep 0.1
done

client=0
/usr/bin/python3 - "$port" "$users" "$load" "$server" "$work" <<'PY' || client=$?
import http.client, json, os, signal, sys, threading, time

port, users, load, server, work = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
body = json.dumps({"text": "华为在东莞松山湖建设了研发基地", "schema": "{\"公司\":null,\"地理位置\":null}"},
                  ensure_ascii=False).encode()
records = []          # (sent_at, done_at, outcome)
lock = threading.Lock()
stop = threading.Event()

def user():
    conn = None
    while not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = done = None
        try:
            conn.request("POST", "/api/predict", body, {"Content-Type": "application/json"})
            sent = time.monotonic()  # the request is written: from here on it is in flight
            r = conn.getresponse()
            data = r.read()
            done = time.monotonic()
            ok = r.status == 200 and isinstance(json.loads(data).get("result", {}).get("output"), list)
            outcome = "ok" if ok else f"http {r.status}"
            if r.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
        except Exception as e:  # refused or closed: expected only after the signal
            done = time.monotonic()
            outcome = f"error {type(e).__name__}"
            if conn is not None:
                conn.close()
            conn = None
            if sent is None:
                time.sleep(0.01)
        with lock:
            records.append((sent, done, outcome))

threads = [threading.Thread(target=user, daemon=True) for _ in range(users)]
for t in threads:
    t.start()
time.sleep(load)
signalled = time.monotonic()
os.kill(server, signal.SIGTERM)
# Keep the load on while the server drains, so that it has requests in flight the whole time.
deadline = signalled + 40
while time.monotonic() < deadline:
    try:
        os.kill(server, 0)
    except ProcessLookupError:
        break
    if os.path.exists(f"/proc/{server}/status"):
        with open(f"/proc/{server}/status") as f:
            if "State:\tZ" in f.read():
                break
    time.sleep(0.05)
exited = time.monotonic()
stop.set()
for t in threads:
    t.join(timeout=5)
with lock:
    recs = list(records)
before = [r for r in recs if r[0] is not None and r[0] < signalled]
before_ok = sum(1 for r in before if r[2] == "ok")
in_flight = [r for r in before if r[1] is not None and r[1] >= signalled]
in_flight_ok = sum(1 for r in in_flight if r[2] == "ok")
after = [r for r in recs if r[0] is None or r[0] >= signalled]
kinds = {}
for r in after:
    kinds[r[2]] = kinds.get(r[2], 0) + 1
bad = [r for r in before if r[2] != "ok"]
print(f"requests sent before SIGTERM: {len(before)}, answered 200: {before_ok}; "
      f"of them in flight at the signal: {len(in_flight)}, answered 200: {in_flight_ok}")
print(f"attempts after SIGTERM: {len(after)} {kinds}")
print(f"server gone {exited - signalled:.2f} s after SIGTERM")
with open(f"{work}/result.json", "w") as f:
    json.dump({"before": len(before), "before_ok": before_ok, "in_flight": len(in_flight),
               "in_flight_ok": in_flight_ok, "after": kinds, "exit_seconds": exited - signalled}, f)
sys.exit(1 if bad or not in_flight else 0)
PY
set +e
wait "$server"
status=$?
set -e
echo "server exit status: $status"
grep -E "shut down|unfinished|draining|SIGTERM|signal" "$work/serve.err" | tail -3 || true
if [[ $client -ne 0 ]]; then
  echo "FAIL: a request sent before SIGTERM was not answered 200 (or none was in flight)" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "FAIL: the server exited with status $status" >&2
  exit 1
fi
echo "PASS: in-flight requests completed and the server exited 0"
