# shellcheck shell=bash
# scripts/manage_service.sh --container: start, stop, restart, status of the service as a Docker
# container (sourced by manage_service.sh, which documents the options; not run on its own).
# Uses from manage_service.sh: image, image_given, container_name, model_dir, gpus, command, serve_args, port,
# port_from_args, start_timeout, stop_timeout; die, info, is_ready, print_health, parse_serve_args.
# shellcheck disable=SC2154  # those variables are set by manage_service.sh

# The label that marks a container as started by this script: without it a container of the same name
# is someone else's and is never stopped, removed or replaced.
managed_label=org.uninlu.managed-by
managed_value=manage_service.sh

container_setup() {
  command -v docker >/dev/null 2>&1 || die 2 "docker is not installed (container mode)"
  docker info >/dev/null 2>&1 || die 2 "the Docker daemon is not reachable (docker info failed)"
  command -v curl >/dev/null 2>&1 || die 2 "curl is needed to probe readiness (apt-get install curl)"
  [[ $container_name =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die 2 "not a valid container name: '$container_name'"
  publish_host=${UNINLU_HOST:-0.0.0.0}
  case $publish_host in
    0.0.0.0) probe_host=127.0.0.1 ;;
    *:*) die 2 "container mode publishes on IPv4 addresses only (UNINLU_HOST=$publish_host)" ;;
    *) probe_host=$publish_host ;;
  esac
  base_url="http://$probe_host:$port"
}

field() {  # field GO_TEMPLATE: of our container name; fails when there is no such container
  docker inspect --type container --format "$1" "$container_name" 2>/dev/null
}
container_exists() { field '{{.Id}}' >/dev/null; }
is_ours() { [[ $(field "{{index .Config.Labels \"$managed_label\"}}") == "$managed_value" ]]; }
state() { field '{{.State.Status}}'; }  # created running restarting exited paused dead

# The serve args of our container (its command after the entrypoint's `serve`), NUL-separated.
saved_serve_args() {
  field '{{range .Args}}{{.}}{{"\x00"}}{{end}}' | tail -z -n +2 | sed -z '$ s/\n$//'  # (docker adds a newline)
}

# restart: what the old container had, unless given again (image, model mount, GPUs).
reuse_settings() {
  local old_image old_model old_gpus
  if [[ $image_given -eq 0 ]]; then
    old_image=$(field '{{.Config.Image}}') && [[ -n $old_image ]] && image=$old_image
  fi
  if [[ -z $model_dir ]]; then
    old_model=$(field '{{range .Mounts}}{{if eq .Destination "/models/uninlu"}}{{.Source}}{{end}}{{end}}') &&
      model_dir=$old_model
  fi
  if [[ -z $gpus ]]; then
    old_gpus=$(field '{{range .HostConfig.DeviceRequests}}{{if .DeviceIDs}}device={{join .DeviceIDs ","}}{{else}}{{.Count}}{{end}}{{end}}') || old_gpus=""
    case $old_gpus in
      "" | 0) ;;
      -1) gpus=all ;;
      *) gpus=$old_gpus ;;
    esac
  fi
  return 0
}

container_uptime() {
  local started secs
  started=$(field '{{.State.StartedAt}}') || return 1
  secs=$(($(date +%s) - $(date -d "$started" +%s 2>/dev/null || date +%s)))
  printf '%dd %02dh %02dm %02ds' $((secs / 86400)) $((secs % 86400 / 3600)) $((secs % 3600 / 60)) $((secs % 60))
}

logs_tail() {
  echo "---- last lines of docker logs $container_name ----" >&2
  docker logs --tail 25 "$container_name" >&2 2>&1 || true
  echo "----" >&2
}

refuse_foreign() {  # refuse_foreign EXIT_CODE: the name is another container's
  echo "$prog: error: a container named '$container_name' exists but was not started by $prog" \
    "(no label $managed_label=$managed_value); leaving it alone: choose another --name" >&2
  exit "$1"
}

container_start() {
  local st
  if container_exists; then
    is_ours || refuse_foreign 1
    st=$(state)
    if [[ $st == running || $st == restarting || $st == paused ]]; then
      info "already running (container $container_name, $st, $base_url); not starting another (use restart)"
      exit 4
    fi
    info "removing our stopped container $container_name ($st)"
    docker rm "$container_name" >/dev/null || die 1 "cannot remove the old container $container_name"
  fi

  # No restart policy until ready: a server that cannot start exits once, with its exit code, instead of
  # looping; the policy is set once it serves.
  local restart_policy=${UNINLU_DOCKER_RESTART:-unless-stopped}
  local -a run_args=(run -d --name "$container_name" --label "$managed_label=$managed_value"
    --restart no --stop-timeout "$stop_timeout" -p "$publish_host:$port:$port")
  # The image's HEALTHCHECK probes 7860 unless told otherwise.
  [[ $port != 7860 ]] && run_args+=(-e "UNINLU_HEALTH_PORT=$port")
  if [[ -n $model_dir ]]; then
    [[ -f $model_dir/config.json ]] || die 2 "--model-dir $model_dir holds no config.json"
    run_args+=(-v "$(cd "$model_dir" && pwd):/models/uninlu:ro")
  fi
  [[ -n $gpus ]] && run_args+=(--gpus "$gpus")
  run_args+=("$image")
  [[ -z $port_from_args && $port != 7860 ]] && run_args+=(--port "$port")
  run_args+=("${serve_args[@]+"${serve_args[@]}"}")

  local out id
  if ! out=$(docker "${run_args[@]}" 2>&1); then
    # A failed start (e.g. the host port is taken) leaves a created container behind: ours, remove it.
    if container_exists && is_ours; then docker rm -f "$container_name" >/dev/null 2>&1 || true; fi
    die 1 "docker run failed: $out"
  fi
  id=${out:0:12}
  info "started container $container_name ($id, $image); waiting up to ${start_timeout}s for $base_url/v2/health/ready"

  local deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    st=$(state) || st=gone
    if [[ $st != running ]]; then
      echo "$prog: error: container $container_name exited during startup (state $st, exit code" \
        "$(field '{{.State.ExitCode}}'); 1: e.g. port in use, 2: bad flag or config, 3: the model did not" \
        "load): see below; the container is kept for docker logs" >&2
      logs_tail
      exit 1
    fi
    if is_ready; then
      if [[ $restart_policy != no ]] && ! docker update --restart "$restart_policy" "$container_name" >/dev/null; then
        echo "$prog: warning: could not set the restart policy $restart_policy" >&2
      fi
      info "ready: container $container_name on $base_url (restart policy $restart_policy)"
      return 0
    fi
    sleep 0.5
  done
  echo "$prog: error: container $container_name not ready after ${start_timeout}s (UNINLU_START_TIMEOUT);" \
    "it is left running: see below, then '$prog --container --name $container_name stop' or status" >&2
  logs_tail
  exit 1
}

container_stop() {
  if ! container_exists; then
    info "not running (no container $container_name)"
    return 0
  fi
  if ! is_ours; then
    info "container $container_name was not started by $prog; leaving it alone (not running as far as we know)"
    return 0
  fi
  local st code
  st=$(state)
  if [[ $st != running && $st != restarting && $st != paused ]]; then
    info "not running (container $container_name is $st)"
    return 0
  fi
  info "stopping container $container_name (SIGTERM; in-flight requests finish; docker stop -t ${stop_timeout})"
  docker stop -t "$stop_timeout" "$container_name" >/dev/null || die 1 "docker stop $container_name failed"
  code=$(field '{{.State.ExitCode}}')
  if [[ $code == 137 ]]; then
    echo "$prog: warning: container $container_name did not exit within ${stop_timeout}s after SIGTERM;" \
      "docker sent SIGKILL (exit code 137)" >&2
  fi
  info "stopped (exit code $code; the container is kept for docker logs $container_name)"
}

container_status() {
  if ! container_exists; then
    echo "uninlu:   stopped (no container $container_name)"
    exit 3
  fi
  if ! is_ours; then
    echo "uninlu:   a container named $container_name exists but was not started by $prog"
    exit 1
  fi
  local st health
  st=$(state)
  health=$(field '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}')
  if [[ $st != running ]]; then
    echo "uninlu:   $st (container $container_name, exit code $(field '{{.State.ExitCode}}'), restarts" \
      "$(field '{{.RestartCount}}'); docker logs $container_name)"
    [[ $st == exited || $st == created || $st == dead ]] && exit 3
    exit 1
  fi
  echo "uninlu:   running (container $container_name, up $(container_uptime), $base_url)"
  echo "image:    $(field '{{.Config.Image}}') ($(field '{{.Image}}' | cut -c1-19))"
  echo "command:  $(field '{{.Path}} {{join .Args " "}}')"
  echo "docker:   health=$health restarts=$(field '{{.RestartCount}}') pid=$(field '{{.State.Pid}}')"
  if is_ready; then echo "ready:    yes"; else echo "ready:    no (/v2/health/ready is not 200)"; fi
  print_health
  exit 0
}

container_main() {
  container_setup
  case $command in
    start) container_start ;;
    stop) container_stop ;;
    restart)
      if container_exists && is_ours; then
        reuse_settings
        if [[ ${#serve_args[@]} -eq 0 ]]; then
          mapfile -d '' -t serve_args < <(saved_serve_args)
          parse_serve_args
          container_setup
          info "restarting with the last start's args: ${serve_args[*]}"
        fi
      fi
      container_stop
      container_start
      ;;
    status) container_status ;;
  esac
}
