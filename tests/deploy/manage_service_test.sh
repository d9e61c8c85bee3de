#!/usr/bin/env bash
# scripts/manage_service.sh against the real binary and the tiny model:
#   start, status, start twice (refused), restart, stop, stop when not running, status when stopped;
#   recycled-pid protection (a pid file naming an unrelated process, and one naming another uninlu
#   whose start time differs: neither is signalled); a stale pid file does not block start;
#   a taken port fails start clearly; SIGKILL escalation and the readiness timeout (fake server).
#   tests/deploy/manage_service_test.sh <build-dir>
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || { echo "usage: $0 <build-dir>" >&2; exit 2; }
build=$(cd "$1" && pwd)
require_binary "$build"
require_tiny_model "$build"
command -v curl >/dev/null || skip "curl not installed"

tmp=$(mktemp -d -t uninlu_manage.XXXXXX)
script=$repo/scripts/manage_service.sh
others=()  # pids this test started itself (not through the script)
cleanup() {
  local pid
  # Whatever the script under test left running: only through its own pid files, and only our pids.
  for pidfile in "$tmp"/run*/uninlu-*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(head -n 1 "$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "serve"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${others[@]+"${others[@]}"}"; do stop_pid "$pid" 5; done
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(free_port)
export UNINLU_BIN=$uninlu_bin UNINLU_RUN_DIR=$tmp/run UNINLU_PORT=$port UNINLU_HOST=127.0.0.1
export UNINLU_MODEL=$tiny_model UNINLU_START_TIMEOUT=60 UNINLU_STOP_TIMEOUT=20
serve_args=(--threads 1 --io-threads 1 --access-log "")
pidfile=$UNINLU_RUN_DIR/uninlu-$port.pid

run() {  # run ARGS...: the script's stdout+stderr in $out, its exit code in $rc
  out=$("$script" "$@" 2>&1)
  rc=$?
}
contains() { grep -qF -- "$2" <<<"$1"; }

# --- not running ------------------------------------------------------------------------------------
run status
check "status before start: exit 3 'stopped' (got $rc)" test "$rc" -eq 3
check "status before start says stopped" contains "$out" "stopped"
run stop
check "stop when not running: exit 0 (got $rc)" test "$rc" -eq 0
check "stop when not running says so" contains "$out" "not running"
run frobnicate
check "unknown command: exit 2 (got $rc)" test "$rc" -eq 2

# --- start, status, start twice -----------------------------------------------------------------------
run start "${serve_args[@]}"
check "start: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "start reports ready" contains "$out" "ready: pid"
pid1=$(head -n 1 "$pidfile" 2>/dev/null)
check "pid file names a live process" alive "${pid1:-0}"
check "the server answers /v2/health/ready" curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port/v2/health/ready"
check "the server runs in its own session (setsid)" test "$(ps -o sid= -p "${pid1:-0}" | tr -d ' ')" = "${pid1:-x}"

run status
check "status while running: exit 0 (got $rc)" test "$rc" -eq 0
check "status says running with the pid" contains "$out" "running (pid $pid1"
check "status shows uptime" contains "$out" ", up "
check "status summarises /health" contains "$out" "status=ok queue_depth=0 in_flight=0"
check "status lists the devices" contains "$out" "device:   cpu (cpu) healthy"
if command -v nvidia-smi >/dev/null 2>&1; then
  check "status shows GPU processes" contains "$out" "gpu proc"
else
  check "status says there are no GPU tools" contains "$out" "no GPU tools"
fi
indent "$out"

run start "${serve_args[@]}"
check "second start refused: exit 4 (got $rc)" test "$rc" -eq 4
check "second start says already running" contains "$out" "already running (pid $pid1"
check "the pid file still names the first server" test "$(head -n 1 "$pidfile")" = "$pid1"

# --- restart (reuses the last start's args) --------------------------------------------------------
run restart
check "restart: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "restart reuses the last start's args" contains "$out" "restarting with the last start's args: --threads 1"
pid2=$(head -n 1 "$pidfile" 2>/dev/null)
check "restart: a new pid ($pid1 -> ${pid2:-none})" test -n "$pid2" -a "${pid2:-}" != "$pid1"
check "restart: the old process is gone" not_alive "$pid1"
check "restart: the new server is ready" curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port/v2/health/ready"
check "restart: the old server shut down gracefully" grep -q "shut down cleanly" "$UNINLU_RUN_DIR/uninlu-$port.log"

# --- stop ---------------------------------------------------------------------------------------------
run stop
check "stop: exit 0 (got $rc)" test "$rc" -eq 0
check "stop: the process is gone" not_alive "${pid2:-0}"
check "stop: the pid file is removed" test ! -e "$pidfile"
check "stop: it was graceful (SIGTERM, no SIGKILL)" bash -c "! grep -q SIGKILL <<<\"\$1\"" _ "$out"
run status
check "status after stop: exit 3 (got $rc)" test "$rc" -eq 3

# --- recycled pids --------------------------------------------------------------------------------
sleep 300 &
unrelated=$!
others+=("$unrelated")
echo "$unrelated" >"$pidfile"
run status
check "status with a pid file naming an unrelated process: exit 1 (got $rc)" test "$rc" -eq 1
run stop
check "stop with a pid file naming an unrelated process: exit 0 (got $rc)" test "$rc" -eq 0
check "... says it leaves that process alone" contains "$out" "leaving that process alone"
check "... and the unrelated process is still alive" alive "$unrelated"
check "... and the stale pid file is removed" test ! -e "$pidfile"

# Another uninlu serve (not started by the script) whose start time does not match the pid file's.
other_port=$(free_port)
"$uninlu_bin" serve --model "$tiny_model" --host 127.0.0.1 --port "$other_port" --threads 1 --access-log "" \
  >"$tmp/other.log" 2>&1 &
other=$!
others+=("$other")
if wait_ready "http://127.0.0.1:$other_port" 30 "$other"; then
  printf '%s\nstart_time=1\nport=%s\n' "$other" "$port" >"$pidfile"
  run stop
  check "stop with a pid file naming another uninlu with a different start time: exit 0 (got $rc)" test "$rc" -eq 0
  check "... and that uninlu is still alive" alive "$other"
  check "... and still serving" curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$other_port/v2/health/ready"
else
  check_fail "a second uninlu for the start-time check did not start: $(tail -5 "$tmp/other.log")"
fi
stop_pid "$other" 10

# A stale pid file does not block start.
echo "$unrelated" >"$pidfile"
run start "${serve_args[@]}"
check "start with a stale pid file: exit 0 (got $rc)" test "$rc" -eq 0
check "... says it removes the stale pid file" contains "$out" "removing stale pid file"
check "... and the unrelated process is still alive" alive "$unrelated"
run stop
check "stop after that: exit 0 (got $rc)" test "$rc" -eq 0

# --- a taken port ---------------------------------------------------------------------------------
taken=$(free_port)
"$python" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$taken" &
squatter=$!
others+=("$squatter")
sleep 0.5
started=$SECONDS
out=$(UNINLU_PORT=$taken "$script" start "${serve_args[@]}" 2>&1)
rc=$?
check "start on a taken port: exit 1 (got $rc)" test "$rc" -eq 1
check "... fails fast ($((SECONDS - started)) s)" test $((SECONDS - started)) -lt 15
check "... says the server exited during startup" contains "$out" "exited"
check "... shows the server's 'address already in use'" contains "$out" "address already in use"
check "... leaves no pid file" test ! -e "$UNINLU_RUN_DIR/uninlu-$taken.pid"
check "... and the port's owner is untouched" alive "$squatter"
indent "$out"

# --- SIGKILL escalation and the readiness timeout (a fake server that ignores SIGTERM) ------------
fake_port=$(free_port)
out=$(UNINLU_BIN=$deploy_tests/fake_uninlu/uninlu UNINLU_PORT=$fake_port "$script" start 2>&1)
rc=$?
check "fake server start: exit 0 (got $rc; ${out//$'\n'/ | })" test "$rc" -eq 0
fake_pid=$(head -n 1 "$UNINLU_RUN_DIR/uninlu-$fake_port.pid" 2>/dev/null)
out=$(UNINLU_BIN=$deploy_tests/fake_uninlu/uninlu UNINLU_PORT=$fake_port UNINLU_STOP_TIMEOUT=2 "$script" stop 2>&1)
rc=$?
check "stop of a server ignoring SIGTERM: exit 0 (got $rc)" test "$rc" -eq 0
check "... escalates to SIGKILL after the timeout" contains "$out" "sending SIGKILL"
check "... and the process is gone" not_alive "${fake_pid:-0}"

started=$SECONDS
out=$(FAKE_UNINLU_READY=0 UNINLU_BIN=$deploy_tests/fake_uninlu/uninlu UNINLU_PORT=$fake_port \
  UNINLU_START_TIMEOUT=3 "$script" start 2>&1)
rc=$?
check "start of a server that never gets ready: exit 1 (got $rc)" test "$rc" -eq 1
check "... after the timeout ($((SECONDS - started)) s)" test $((SECONDS - started)) -lt 15
check "... says so" contains "$out" "not ready after 3s"
out=$(UNINLU_BIN=$deploy_tests/fake_uninlu/uninlu UNINLU_PORT=$fake_port UNINLU_STOP_TIMEOUT=1 "$script" stop 2>&1)
check "... and stop cleans it up" test $? -eq 0

finish
