#!/usr/bin/env bash
# Starts a command that serves on localhost:7860 (the README's quickstart, or a built binary) in the
# background, waits until it answers the README's own request (taken from README.md, so the two cannot
# drift), checks the answer, then stops it by its pid with SIGTERM and expects a clean exit.
#   .ci/readme_smoke.sh TIMEOUT_S COMMAND...
set -euo pipefail
cd "$(dirname "$0")/.."
timeout_s=$1
shift

# The JSON body of the README's curl example: the lines from its `-d '` up to the closing `'`.
body=$(sed -n "/^curl -s localhost:7860\/api\/predict/,/}'\$/p" README.md | sed "1d; s/^ *-d '//; s/'\$//")
if [[ -z $body ]]; then
  echo "readme_smoke: no curl example for /api/predict found in README.md" >&2
  exit 1
fi

log=$(mktemp)
"$@" >"$log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop EXIT

answer=""
deadline=$((SECONDS + timeout_s))
while ((SECONDS < deadline)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "readme_smoke: '$*' exited before answering; its last output:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if answer=$(curl -fsS --max-time 30 localhost:7860/api/predict -H 'Content-Type: application/json' \
    -d "$body" 2>/dev/null); then
    break
  fi
  sleep 2
done
if [[ -z $answer ]]; then
  echo "readme_smoke: no answer within ${timeout_s} s; last output:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "README request answered: ${answer:0:400}"
if [[ $answer != *'"result":{"output":['* ]]; then
  echo "readme_smoke: the answer has no result.output" >&2
  exit 1
fi

trap - EXIT
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
rm -f "$log"
if [[ $rc -ne 0 ]]; then
  echo "readme_smoke: the server exited with $rc after SIGTERM (expected 0)" >&2
  exit 1
fi
echo "stopped by SIGTERM to pid $pid: exit 0"
