#!/usr/bin/env bash
# scripts/manage_service.sh --container against the real Docker daemon and the real CPU image (built by
# tests/deploy/docker_image_test.sh; the test SKIPs without it):
#   status/stop before start; start (ready, label, restart policy, port published where asked), status
#   (docker inspect + /health), a crash brought back by the restart policy, start twice (refused), restart (the last start's args, a new container),
#   stop (SIGTERM drain: exit code 0), status when stopped; --model-dir mounts a model (kept by a restart
#   without it); a start whose
#   server dies (bad flag) fails fast with its exit code and is not restarted; a taken host port fails clearly and
#   leaves no container; a container of the same name not started by the script is never touched.
#   tests/deploy/manage_container_test.sh <build-dir> [--image NAME]   (default image uninlu:cpu)
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/deploy/docker_lib.sh
source "$deploy_tests/docker_lib.sh"

[[ $# -ge 1 ]] || { echo "usage: $0 <build-dir> [--image NAME]" >&2; exit 2; }
build=$(cd "$1" && pwd)
image=uninlu:cpu
[[ ${2:-} == --image ]] && image=${3:?--image needs a value}
command -v curl >/dev/null || skip "curl not installed"
require_docker
docker image inspect "$image" >/dev/null 2>&1 ||
  skip "no image $image (tests/deploy/docker_image_test.sh builds it)"
require_tiny_model "$build"

tmp=$(mktemp -d -t uninlu_manage_container.XXXXXX)
squatter=""
cleanup() {
  remove_containers
  if [[ -n $squatter ]]; then stop_pid "$squatter" 5; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

script=$repo/scripts/manage_service.sh
new_container_name uninlu-manage-test
name=$container_name
port=$(free_port)
export UNINLU_PORT=$port UNINLU_HOST=127.0.0.1 UNINLU_START_TIMEOUT=90 UNINLU_STOP_TIMEOUT=40
url=http://127.0.0.1:$port

run() {  # run [OPTION...] COMMAND [ARGS...]: `manage_service.sh --container --image IMAGE --name NAME ...`
  out=$("$script" --container --image "$image" --name "$name" "$@" 2>&1)  # output in $out, code in $rc
  rc=$?
}
contains() { grep -qF -- "$2" <<<"$1"; }
field() { container_field "$name" "$1"; }

# --- not running ------------------------------------------------------------------------------------
run status
check "status before start: exit 3 (got $rc)" test "$rc" -eq 3
check "... says stopped" contains "$out" "stopped (no container $name)"
run stop
check "stop before start: exit 0 (got $rc)" test "$rc" -eq 0
check "... says not running" contains "$out" "not running"
"$script" --image "$image" status >/dev/null 2>&1
rc=$?
check "--image without --container: exit 2 (got $rc)" test "$rc" -eq 2

# --- start, status, start twice ---------------------------------------------------------------------
started=$SECONDS
run start --threads 1
check "start: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "... reports ready" contains "$out" "ready: container $name"
note "start to ready: $((SECONDS - started)) s"
id1=$(field '{{.Id}}')
check "the server answers /v2/health/ready on $url" curl -fsS -o /dev/null --max-time 3 "$url/v2/health/ready"
check "the container carries the script's label" \
  test "$(field '{{index .Config.Labels "org.uninlu.managed-by"}}')" = manage_service.sh
check "restart policy unless-stopped" test "$(field '{{.HostConfig.RestartPolicy.Name}}')" = unless-stopped
check "published on 127.0.0.1:$port only (UNINLU_HOST)" \
  test "$(docker port "$name" "$port/tcp" 2>/dev/null)" = "127.0.0.1:$port"
check "the serve args reach the server (--port from UNINLU_PORT, --threads 1)" \
  test "$(field '{{join .Args " "}}')" = "serve --port $port --threads 1"
check "the HEALTHCHECK probes that port (UNINLU_HEALTH_PORT=$port)" \
  bash -c "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' '$name' | grep -qx UNINLU_HEALTH_PORT=$port"

run status
check "status while running: exit 0 (got $rc)" test "$rc" -eq 0
check "... says running, the container and the url" contains "$out" "running (container $name, up "
check "... shows docker's view (health, restarts)" contains "$out" "restarts=0"
check "... summarises /health" contains "$out" "status=ok queue_depth=0 in_flight=0"
check "... lists the devices" contains "$out" "device:   cpu (cpu) healthy"
indent "$out"

# A crash (SIGKILL to the server, this test's own container): the restart policy brings it back.
kill -KILL "$(field '{{.State.Pid}}')"
if wait_ready "$url" 30 && [[ $(field '{{.RestartCount}}') -ge 1 ]]; then
  check_pass "after a crash (SIGKILL) docker restarts it and it is ready again (restarts $(field '{{.RestartCount}}'))"
else
  check_fail "after a crash docker did not bring it back (state $(field '{{.State.Status}}'), restarts $(field '{{.RestartCount}}'))"
fi

run start --threads 1
check "second start refused: exit 4 (got $rc)" test "$rc" -eq 4
check "... says already running" contains "$out" "already running (container $name"
check "... the same container still runs" test "$(field '{{.Id}}')" = "$id1"

# --- restart: the last start's args, a new container -------------------------------------------------
run restart
check "restart: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "... reuses the last start's args" contains "$out" "restarting with the last start's args: --port $port --threads 1"
check "... the old container stopped with exit code 0 (drained)" contains "$out" "stopped (exit code 0"
id2=$(field '{{.Id}}')
check "... a new container (${id1:0:12} -> ${id2:0:12})" test -n "$id2" -a "$id2" != "$id1"
check "... ready" curl -fsS -o /dev/null --max-time 3 "$url/v2/health/ready"

# --- stop -----------------------------------------------------------------------------------------
run stop
check "stop: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "... exit code 0, no SIGKILL" contains "$out" "stopped (exit code 0"
check "... the container has exited" test "$(field '{{.State.Status}}')" = exited
check "... after a clean drain (its log)" bash -c "docker logs '$name' 2>&1 | grep -q 'shut down cleanly'"
check "... nothing answers on $url" bash -c "! curl -fsS -o /dev/null --max-time 2 '$url/v2/health/ready' 2>/dev/null"
run status
check "status after stop: exit 3 (got $rc)" test "$rc" -eq 3
check "... says exited" contains "$out" "exited (container $name, exit code 0"

# --- --model-dir: a model mounted read-only at /models/uninlu -------------------------------------
chmod -R a+rX "$tiny_model"
run --model-dir "$tiny_model" start --threads 1
check "start --model-dir: exit 0 (got $rc; output: ${out//$'\n'/ | })" test "$rc" -eq 0
check "... the old stopped container was replaced" contains "$out" "removing our stopped container $name"
check "... the server loaded the mounted model" bash -c "docker logs '$name' 2>&1 | grep -q '(model /models/uninlu,'"
check "... mounted read-only" test "$(field '{{range .Mounts}}{{.Destination}}:{{.RW}}{{end}}')" = "/models/uninlu:false"
id3=$(field '{{.Id}}')
run restart
check "restart without --model-dir: exit 0 (got $rc)" test "$rc" -eq 0
check "... a new container that keeps the model mount" test "$(field '{{.Id}}')" != "$id3" -a \
  "$(field '{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}}')" = "$tiny_model:/models/uninlu"
run stop
check "... stop: exit 0 (got $rc)" test "$rc" -eq 0

# --- a server that dies at startup ------------------------------------------------------------------
started=$SECONDS
run start --no-such-flag
check "start with a bad serve flag: exit 1 (got $rc)" test "$rc" -eq 1
check "... fails fast ($((SECONDS - started)) s)" test $((SECONDS - started)) -lt 30
check "... says the container exited during startup" contains "$out" "exited during startup"
check "... shows the server's log" contains "$out" "no-such-flag"
check "... with the server's exit code (2: a bad flag)" contains "$out" "exit code 2"
sleep 3
check "... and docker does not restart it (state exited, got $(field '{{.State.Status}}'), restarts $(field '{{.RestartCount}}'))" \
  test "$(field '{{.State.Status}}'):$(field '{{.RestartCount}}')" = exited:0
indent "$out"

# --- a taken host port --------------------------------------------------------------------------------
taken=$(free_port)
"$python" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$taken" &
squatter=$!
sleep 0.5
out=$(UNINLU_PORT=$taken "$script" --container --image "$image" --name "$name" start 2>&1)
rc=$?
check "start on a taken host port: exit 1 (got $rc)" test "$rc" -eq 1
check "... says docker run failed" contains "$out" "docker run failed"
check "... leaves no container behind" bash -c "! docker inspect '$name' >/dev/null 2>&1"
check "... and the port's owner is untouched" alive "$squatter"
stop_pid "$squatter" 5
squatter=""
indent "$out"

# --- a container of the same name that the script did not start ------------------------------------
docker run -d --name "$name" --entrypoint /bin/sleep "$image" 600 >/dev/null
run start
check "start when the name is another container's: exit 1 (got $rc)" test "$rc" -eq 1
check "... says it leaves it alone" contains "$out" "leaving it alone"
run stop
check "stop of another container's name: exit 0 (got $rc)" test "$rc" -eq 0
check "... says it leaves it alone" contains "$out" "leaving it alone"
run status
check "status of another container's name: exit 1 (got $rc)" test "$rc" -eq 1
check "... the other container still runs, untouched" test "$(field '{{.State.Status}}')" = running
check "... with its own command" test "$(field '{{.Path}} {{join .Args " "}}')" = "/bin/sleep 600"

finish
