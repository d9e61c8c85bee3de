#!/usr/bin/env bash
# Docker helpers for the tests/deploy tests that use the real daemon (sourced after lib.sh, not run):
#   require_docker        a client and a running daemon (starts dockerd when root and it is installed),
#                         else skip(); sets docker_cli, the client to use for BuildKit builds
#   require_base_images   debian:12 and debian:12-slim, imported with mmdebstrap when absent (no registry
#                         is needed: mmdebstrap fetches from the Debian apt mirror)
#   new_container_name    a container name unique to this test run; recorded for remove_containers
#   remove_containers     docker rm -f of the containers this test named (and only those)
# shellcheck disable=SC2034,SC2154  # variables set here are used by the sourcing scripts; lib.sh sets test_name

docker_cli=""
docker_containers=()
dockerd_log=${UNINLU_DOCKERD_LOG:-/var/log/uninlu-test-dockerd.log}

# A client that builds with BuildKit: `docker buildx` when installed; else a client older than 23.0,
# whose `DOCKER_BUILDKIT=1 docker build` has BuildKit built in (Debian 12's docker.io 20.10 is one).
# Docker CLI 23+ without buildx refuses DOCKER_BUILDKIT=1 builds.
pick_docker_cli() {
  local candidate version
  for candidate in docker /usr/bin/docker; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" buildx version >/dev/null 2>&1; then
      docker_cli=$(command -v "$candidate")
      return 0
    fi
    version=$("$candidate" version --format '{{.Client.Version}}' 2>/dev/null) || version=""
    if [[ ${version%%.*} =~ ^[0-9]+$ && ${version%%.*} -lt 23 ]]; then
      docker_cli=$(command -v "$candidate")
      return 0
    fi
  done
  return 1
}

daemon_up() { docker info >/dev/null 2>&1; }

require_docker() {
  command -v docker >/dev/null 2>&1 || skip "no docker client (apt-get install docker.io)"
  if ! daemon_up; then
    if [[ $(id -u) -eq 0 ]] && command -v dockerd >/dev/null 2>&1; then
      note "starting dockerd (log: $dockerd_log); it is left running"
      setsid nohup dockerd >>"$dockerd_log" 2>&1 </dev/null &
      local deadline=$((SECONDS + 60))
      until daemon_up || ((SECONDS >= deadline)); do sleep 1; done
    fi
    daemon_up || skip "no Docker daemon (dockerd not running and not startable here)"
  fi
  pick_docker_cli || skip "no docker client that builds with BuildKit (install docker-buildx)"
}

require_base_images() {
  if ! docker image inspect debian:12 >/dev/null 2>&1; then
    command -v mmdebstrap >/dev/null 2>&1 ||
      skip "no debian:12 image and no mmdebstrap to make one (apt-get install mmdebstrap)"
    note "importing debian:12 from mmdebstrap --variant=apt bookworm (a few minutes)"
    if ! mmdebstrap --quiet --variant=apt bookworm - | docker import - debian:12 >/dev/null; then
      echo "FAIL: $test_name (could not make the debian:12 base image with mmdebstrap)"
      exit 1
    fi
  fi
  if ! docker image inspect debian:12-slim >/dev/null 2>&1; then
    docker tag debian:12 debian:12-slim
  fi
}

new_container_name() {  # new_container_name PREFIX -> sets container_name (not in $(...): it records the name)
  container_name="$1-$$-${#docker_containers[@]}"
  docker_containers+=("$container_name")
}

remove_containers() {
  local name
  for name in "${docker_containers[@]+"${docker_containers[@]}"}"; do
    docker rm -f "$name" >/dev/null 2>&1 || true
  done
}

container_field() {  # container_field NAME GO_TEMPLATE
  docker inspect --format "$2" "$1" 2>/dev/null
}
