#!/usr/bin/env bash
# The CPU image, built and run on the real Docker daemon:
#   builds deploy/Dockerfile with BuildKit (its wall time is printed: a full compile the first time,
#   ccache hits from the cache mount after a source change, seconds when nothing changed); runs it with
#   the bundled model; /health, the README's request (POST /api/predict, 200 with result.output), the
#   HEALTHCHECK reaching "healthy" (docker inspect; the time to it is printed), non-root user;
#   `docker stop` drains and the container exits 0. Its containers are removed whatever happens.
#   tests/deploy/docker_image_test.sh [<build-dir>] [--image NAME] [--no-build]
#     <build-dir>: unused (run.sh passes it to every test); --image: the tag (default uninlu:cpu);
#     --no-build: test an image built before.
# Starts dockerd when it is not running (left running) and imports debian:12 with mmdebstrap when
# absent (tests/deploy/docker_lib.sh); SKIP without Docker.
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/deploy/docker_lib.sh
source "$deploy_tests/docker_lib.sh"

image=uninlu:cpu
build_image=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --image) image=${2:?--image needs a value}; shift ;;
    --no-build) build_image=0 ;;
    -*) echo "usage: $0 [<build-dir>] [--image NAME] [--no-build]" >&2; exit 2 ;;
    *) ;;  # the build dir: not needed
  esac
  shift
done
command -v curl >/dev/null || skip "curl not installed"
require_docker

tmp=$(mktemp -d -t uninlu_docker_image.XXXXXX)
cleanup() {
  remove_containers
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------------------------------
if [[ $build_image -eq 1 ]]; then
  require_base_images
  note "building $image from deploy/Dockerfile ($docker_cli, BuildKit; log: docker build --progress=plain)"
  started=$SECONDS
  if DOCKER_BUILDKIT=1 "$docker_cli" build --progress=plain -f "$repo/deploy/Dockerfile" -t "$image" "$repo" \
    >"$tmp/build.log" 2>&1; then
    check_pass "docker build -f deploy/Dockerfile -t $image . ($((SECONDS - started)) s)"
    note "image build wall time: $((SECONDS - started)) s"
    # ccache's counters for the compile step (absent when the layer came from the cache).
    grep -Ei '^#[0-9]+ [0-9.]+ +(hits|misses|cacheable)' "$tmp/build.log" | sed 's/^/    | /' || true
  else
    check_fail "docker build failed after $((SECONDS - started)) s:"
    tail -n 40 "$tmp/build.log" | sed 's/^/    | /'
    finish
  fi
fi
docker image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: $test_name (no image $image)"; exit 1; }
size=$(docker image inspect --format '{{.Size}}' "$image")
note "image size: $((size / 1024 / 1024)) MiB ($image)"

# --- run --------------------------------------------------------------------------------------------
new_container_name uninlu-image-test
name=$container_name
run_started=$SECONDS
if ! docker run -d --name "$name" -p 127.0.0.1::7860 --stop-timeout 40 "$image" >"$tmp/run.out" 2>&1; then
  check_fail "docker run $image: $(cat "$tmp/run.out")"
  finish
fi
host_port=$(docker port "$name" 7860/tcp | sed -n 's/^127\.0\.0\.1://p' | head -n 1)
url=http://127.0.0.1:$host_port
if wait_ready "$url" 180; then
  check_pass "the container serves the bundled model on $url ($((SECONDS - run_started)) s to ready)"
else
  check_fail "the container was not ready within 180 s (state: $(container_field "$name" '{{.State.Status}}'))"
  docker logs --tail 30 "$name" 2>&1 | sed 's/^/    | /'
  finish
fi
check "... the bundled model (its log: using .../share/uninlu/model)" \
  bash -c "docker logs '$name' 2>&1 | grep -q 'using /opt/uninlu/.*share/uninlu/model'"
check "the server runs as the image's non-root user (uid 10001)" \
  test "$(docker exec "$name" id -u 2>/dev/null)" = 10001

health=$(curl -sS --max-time 5 -w '\n%{http_code}' "$url/health")
check "GET /health: 200 (got ${health##*$'\n'})" test "${health##*$'\n'}" = 200
check "... status ok" grep -q '"status": *"ok"' <<<"${health%$'\n'*}"

# The README's request, verbatim.
readme_request='{"text": "据新华社报道，国家发改委副主任张勇在北京出席了发布会。",
       "schema": {"姓名": null, "公司": null, "地址": null, "职位": null, "组织机构": null, "游戏": null}}'
answer=$(curl -sS --max-time 30 -w '\n%{http_code}' "$url/api/predict" -H 'Content-Type: application/json' \
  -d "$readme_request")
status=${answer##*$'\n'}
body=${answer%$'\n'*}
check "POST /api/predict (the README's request): 200 (got $status)" test "$status" = 200
output_check() {  # a non-empty result.output list; prints the spans found
  "$python" -c '
import json, sys
output = json.loads(sys.argv[1])["result"]["output"]
assert isinstance(output, list) and output, output
spans = [(e["type"], e["span"]) for group in output for e in group]
print(" ".join("%s=%s" % s for s in spans))
assert ("姓名", "张勇") in spans, spans  # the README answer: the bundled model finds the person
' "$body"
}
if spans=$(output_check 2>&1); then
  check_pass "... result.output holds the README's answer ($spans)"
else
  check_fail "... result.output is not the README's answer: $spans"
  indent "$body"
fi

# The image's own HEALTHCHECK (interval 10 s): it must come to "healthy".
deadline=$((SECONDS + 150))
while [[ $(container_field "$name" '{{.State.Health.Status}}') == starting ]] && ((SECONDS < deadline)); do
  sleep 1
done
health_status=$(container_field "$name" '{{.State.Health.Status}}')
check "HEALTHCHECK: healthy (got '$health_status', $((SECONDS - run_started)) s after docker run)" \
  test "$health_status" = healthy
note "time to healthy: $((SECONDS - run_started)) s (HEALTHCHECK interval 10 s)"

# --- stop: SIGTERM drains, exit 0 ----------------------------------------------------------------------
stop_started=$SECONDS
docker stop "$name" >/dev/null 2>&1
check "docker stop took less than the 40 s stop timeout (no SIGKILL: $((SECONDS - stop_started)) s)" \
  test $((SECONDS - stop_started)) -lt 40
exit_code=$(container_field "$name" '{{.State.ExitCode}}')
check "after docker stop the container exited 0 (got $exit_code)" test "$exit_code" = 0
check "... having drained (its log says 'shut down cleanly')" \
  bash -c "docker logs '$name' 2>&1 | grep -q 'shut down cleanly'"
if [[ $exit_code != 0 ]]; then docker logs --tail 20 "$name" 2>&1 | sed 's/^/    | /'; fi

finish
