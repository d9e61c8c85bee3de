#!/usr/bin/env bash
# Helpers shared by the tests/deploy/*.sh tests (sourced, not run).
# shellcheck disable=SC2034  # variables set here are used by the sourcing scripts

deploy_tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$deploy_tests/../.." && pwd)
# Debian's interpreter: it has torch for tools/make_fixture.py; the tests themselves need only the stdlib.
python=/usr/bin/python3
[[ -x $python ]] || python=python3

test_name=$(basename "$0" .sh)
checks_failed=0
checks_passed=0

note() { echo "[$test_name] $*"; }
quiet() { "$@" >/dev/null 2>&1; }
indent() { printf '%s\n' "$1" | sed 's/^/    | /'; }
check_pass() {
  checks_passed=$((checks_passed + 1))
  echo "[$test_name] ok: $*"
}
check_fail() {
  checks_failed=$((checks_failed + 1))
  echo "[$test_name] FAILED: $*"
}
# check DESCRIPTION COMMAND...: runs the command, records pass/fail (never exits).
check() {
  local description=$1
  shift
  if "$@"; then check_pass "$description"; else check_fail "$description"; fi
}
# The final line: PASS/FAIL and the counts; the exit code.
finish() {
  if [[ $checks_failed -eq 0 ]]; then
    echo "PASS: $test_name ($checks_passed checks)"
    exit 0
  fi
  echo "FAIL: $test_name ($checks_failed of $((checks_passed + checks_failed)) checks failed)"
  exit 1
}
# A test that cannot run here (a missing tool): says so and exits 0 with SKIP, or 1 when
# UNINLU_DEPLOY_TESTS_STRICT=1 (CI, where every tool must be installed).
skip() {
  if [[ ${UNINLU_DEPLOY_TESTS_STRICT:-0} == 1 ]]; then
    echo "FAIL: $test_name (cannot run: $*; UNINLU_DEPLOY_TESTS_STRICT=1)"
    exit 1
  fi
  echo "SKIP: $test_name ($*)"
  exit 0
}

# A TCP port free on 127.0.0.1 right now.
free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# <build>/src/cli/uninlu, or skip/fail.
require_binary() {  # require_binary BUILD_DIR -> sets uninlu_bin
  uninlu_bin=$1/src/cli/uninlu
  if [[ ! -x $uninlu_bin ]]; then
    echo "FAIL: $test_name ($uninlu_bin is not built: cmake --build $1 --target uninlu)"
    exit 1
  fi
}

# The tiny fixture model in <build>/fixtures/models/tiny (as tests/integration/run.sh makes it).
require_tiny_model() {  # require_tiny_model BUILD_DIR -> sets tiny_model
  tiny_model=$1/fixtures/models/tiny
  if [[ ! -f $tiny_model/config.json || ! -f $tiny_model/pytorch_model.bin ]]; then
    note "generating the tiny fixture model in $tiny_model"
    "$python" "$repo/tools/make_fixture.py" --size tiny --out "$tiny_model" --safetensors >/dev/null ||
      { echo "FAIL: $test_name (cannot generate the tiny model: needs Debian's python3-torch)"; exit 1; }
  fi
}

# wait_ready URL SECONDS [PID]: until URL/v2/health/ready answers 200; fails early when PID exits.
wait_ready() {
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  while ((SECONDS < deadline)); do
    if curl -fsS -o /dev/null --max-time 2 "$url/v2/health/ready" 2>/dev/null; then return 0; fi
    if [[ -n $pid ]] && ! alive "$pid"; then return 1; fi
    sleep 0.2
  done
  return 1
}

# Is PID running (a zombie, exited but not yet reaped, is not)?
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z && ${stat%% *} != X ]]
}

not_alive() { ! alive "$1"; }

# Stops a process this test started (by its pid only): SIGTERM, then SIGKILL after SECONDS.
stop_pid() {  # stop_pid PID [SECONDS]
  local pid=$1 deadline=$((SECONDS + ${2:-10}))
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
}
