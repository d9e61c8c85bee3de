#!/usr/bin/env bash
# End-to-end test of the web page in headless Chromium against the real binary (docs/web.md).
#   tests/browser/run.sh <build-dir> [--model DIR]
# Starts <build-dir>/src/cli/uninlu serve with the tiny fixture model (generated when missing) on a free
# port, runs tests/browser/e2e.mjs against it and stops the server. Screenshots go to
# <build-dir>/artifacts/ (web-e2e.png and friends), the server's log to <build-dir>/artifacts/web-e2e-server.log.
# Environment: CHROMIUM (default /usr/bin/chromium), UNINLU_E2E_TIMEOUT_S (server start, default 180).
set -euo pipefail

usage() { echo "usage: $0 <build-dir> [--model DIR]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
shift
model=$build/fixtures/models/tiny
generate_model=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --model) [[ $# -ge 2 ]] || usage; model=$2; generate_model=0; shift 2 ;;
    *) usage ;;
  esac
done
python=/usr/bin/python3  # Debian's: it has torch for the fixture script
chromium=${CHROMIUM:-/usr/bin/chromium}
artifacts=$build/artifacts
mkdir -p "$artifacts"

binary=$build/src/cli/uninlu
if [[ ! -x $binary ]]; then
  echo "error: $binary is not built (cmake --build $build --target uninlu)" >&2
  exit 2
fi
if [[ ! -x $chromium ]]; then
  echo "error: no Chromium at $chromium (apt-get install chromium, or set CHROMIUM)" >&2
  exit 2
fi

# Node dependencies (playwright-core only; it never downloads a browser with --ignore-scripts).
if [[ ! -f $here/node_modules/playwright-core/package.json ]]; then
  echo "installing node dependencies in $here" >&2
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund)
fi

if [[ ! -f $model/config.json ]]; then
  if [[ $generate_model -eq 0 ]]; then
    echo "error: $model is not a model directory" >&2
    exit 2
  fi
  echo "generating the tiny fixture model in $model" >&2
  "$python" "$repo/tools/make_fixture.py" --size tiny --out "$model" --safetensors
fi

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$artifacts/web-e2e-server.log
echo "starting $binary serve on 127.0.0.1:$port (model $model, log $log)" >&2
# Two models, so that the page's model picker is tested too: the one given first (the default), then
# the bundled model.
"$binary" serve --model "$model" --model "second=$repo/models/uninlu-cluener" --host 127.0.0.1 --port "$port" \
  --access-log '' >"$log" 2>&1 &
server=$!

stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$server" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Wait for readiness (model loaded): GET /v2/health/ready answers 200.
if ! "$python" - "$port" "$server" "${UNINLU_E2E_TIMEOUT_S:-180}" <<'EOF'
import os, sys, time, urllib.request
port, pid, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("the server exited before it was ready")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(f"the server was not ready within {timeout:.0f} s")
EOF
then
  echo "error: server did not become ready; its log ($log):" >&2
  tail -n 30 "$log" >&2
  exit 1
fi

status=0
node "$here/e2e.mjs" --url "http://127.0.0.1:$port" --out "$artifacts" --chromium "$chromium" || status=$?
if [[ $status -eq 0 ]]; then
  echo "screenshot: $artifacts/web-e2e.png" >&2
else
  echo "web e2e FAILED (server log: $log)" >&2
fi
exit $status
