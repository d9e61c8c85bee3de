#!/usr/bin/env bash
# Runs `uninlu serve` as a background service: start, stop, restart, status.
#
#   scripts/manage_service.sh start   [--config FILE] [extra `uninlu serve` args]
#   scripts/manage_service.sh stop    [--port P | --config FILE]
#   scripts/manage_service.sh restart [--config FILE] [extra args]   (no args: the last start's args)
#   scripts/manage_service.sh status  [--port P | --config FILE]
#   scripts/manage_service.sh --container [--image IMAGE] [--name NAME] [--model-dir DIR] [--gpus SPEC]
#                             start|stop|restart|status [extra `uninlu serve` args]
#
# --container: the same commands around a Docker container of the image (deploy/Dockerfile) instead of
# a process: `docker run -d` (port published at the same number; restart policy unless-stopped once
# ready), readiness on the health route, `docker stop` (SIGTERM drain, then docker's SIGKILL after
# UNINLU_STOP_TIMEOUT), status from `docker inspect`. Only the container NAME is ever touched, and only when it carries the
# label this script puts on its containers (another container of that name is left alone). A stopped
# container is kept for `docker logs NAME` and removed by the next start. restart recreates the
# container (a rebuilt image is picked up), with the last start's serve args when none are given
# (and its image, model mount and GPUs unless given again).
#   --image IMAGE     default $UNINLU_IMAGE, else uninlu:cpu
#   --name NAME       container name, default $UNINLU_CONTAINER_NAME, else uninlu
#   --model-dir DIR   mounted read-only at /models/uninlu (default $UNINLU_MODEL_DIR; none: the image's
#                     bundled model); it must be readable by the image's user (uid 10001)
#   --gpus SPEC       passed to docker run --gpus (e.g. all; default $UNINLU_GPUS; the CUDA image)
# In container mode UNINLU_HOST is the host address the port is published on (default 0.0.0.0), and
# --config FILE / --model DIR in the serve args are paths inside the container.
#
# One instance per port: the pid file, log and saved args are named after the port, so several
# instances on one host are `UNINLU_PORT=7861 scripts/manage_service.sh start` and so on.
#
# Environment:
#   UNINLU_BIN            the binary (default: <repo>/build/src/cli/uninlu if built, else `uninlu` on PATH)
#   UNINLU_RUN_DIR        pid files, logs, saved args (default: /run/uninlu as root, else
#                         ${XDG_RUNTIME_DIR:-/tmp}/uninlu-<uid>)
#   UNINLU_PORT           port, passed as --port (default: --port in the args, else "port" in the
#                         --config file, else 7860)
#   UNINLU_HOST           address, passed as --host (default: the server's, 0.0.0.0); the probes use
#                         127.0.0.1 (or ::1) when it is a wildcard
#   UNINLU_LOG            log file, appended to (default: $UNINLU_RUN_DIR/uninlu-<port>.log)
#   UNINLU_PID_FILE       pid file (default: $UNINLU_RUN_DIR/uninlu-<port>.pid)
#   UNINLU_START_TIMEOUT  seconds to wait for /v2/health/ready (default 180: loading the model)
#   UNINLU_STOP_TIMEOUT   seconds to wait for the graceful exit after SIGTERM before SIGKILL (default 45:
#                         the server's shutdown_timeout_ms 30 s + up to 5 s to write answers + margin)
#   UNINLU_MODEL          passed through to the server (the model when no --model/--config names one)
#   UNINLU_DOCKER_RESTART --container: docker run --restart policy (default unless-stopped)
#
# Exit codes (LSB-style):
#   0  success; status: running
#   1  failure: start: the server died or was not ready in time (the log tail is printed);
#      stop: the process did not exit even after SIGKILL; status: pid file exists but the process is gone
#      (--container: start: the name belongs to a container this script did not start; status: that,
#      or our container exists but is not running normally, e.g. restarting)
#   2  usage error (unknown command, bad option, no binary, run dir not usable; --container: no docker)
#   3  status: not running (no pid file; --container: no container, or it has exited)
#   4  start: already running (the pid file names a live uninlu; --container: our container runs)
#
# Safety: only the pid in the pid file is ever signalled, and only after checking that it still is the
# process this script started (same start time in /proc/<pid>/stat as recorded, and its command line is
# `uninlu serve`), so a recycled pid is never killed. Nothing is ever killed by name.
set -euo pipefail

prog=$(basename "$0")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {  # die CODE MESSAGE
  echo "$prog: error: $2" >&2
  exit "$1"
}
info() { echo "$prog: $*"; }

usage() {  # usage [EXIT_CODE]
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  echo "see the header of $0 for the environment variables and exit codes" >&2
  exit "${1:-2}"
}

# --- configuration --------------------------------------------------------------------------------

# Options before the command: container mode.
container_mode=0
image=${UNINLU_IMAGE:-uninlu:cpu}
image_given=0
[[ -n ${UNINLU_IMAGE:-} ]] && image_given=1
container_name=${UNINLU_CONTAINER_NAME:-uninlu}
model_dir=${UNINLU_MODEL_DIR:-}
gpus=${UNINLU_GPUS:-}
container_options=0
while [[ ${1:-} == --* ]]; do
  case $1 in
    --container) container_mode=1 ;;
    --image | --name | --model-dir | --gpus)
      [[ $# -ge 2 && -n $2 ]] || die 2 "$1 needs a value"
      case $1 in
        --image) image=$2; image_given=1 ;;
        --name) container_name=$2 ;;
        --model-dir) model_dir=$2 ;;
        --gpus) gpus=$2 ;;
      esac
      container_options=1
      shift
      ;;
    --help) usage 0 ;;
    *) echo "$prog: unknown option '$1' (serve flags go after the command)" >&2; usage ;;
  esac
  shift
done
if [[ $container_options -eq 1 && $container_mode -eq 0 ]]; then
  die 2 "--image, --name, --model-dir and --gpus go with --container"
fi

command=${1:-}
[[ -n $command ]] || usage
shift
case $command in
  start | stop | restart | status) ;;
  -h | --help | help) usage 0 ;;
  *) echo "$prog: unknown command '$command'" >&2; usage ;;
esac
serve_args=("$@")

# Values given in the serve args (--port 1 / --port=1), so that the script probes what the server uses.
arg_value() {  # arg_value NAME ARGS... -> prints the last value of --NAME
  local name=$1 value="" i
  shift
  local -a args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
      "--$name") value=${args[i + 1]:-} ;;
      "--$name="*) value=${args[i]#--"$name"=} ;;
    esac
  done
  printf '%s' "$value"
}

# A top-level string or number field of a JSON config file (good enough for "port" and "host").
config_value() {  # config_value FILE KEY
  [[ -f $1 ]] || return 0
  sed -n -E 's/.*"'"$2"'"[[:space:]]*:[[:space:]]*"?([^",}[:space:]]*)"?.*/\1/p' "$1" | head -n 1
}

# Where the server will listen, from the args, the environment and the config file, in that order.
parse_serve_args() {
  config_file=$(arg_value config "${serve_args[@]+"${serve_args[@]}"}")
  port=$(arg_value port "${serve_args[@]+"${serve_args[@]}"}")
  port_from_args=$port
  if [[ -z $port ]]; then port=${UNINLU_PORT:-}; fi
  if [[ -z $port && -n $config_file ]]; then port=$(config_value "$config_file" port); fi
  port=${port:-7860}
  [[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] ||
    die 2 "port must be 1-65535 (port 0 picks a random port, which this script cannot probe), got '$port'"

  host=$(arg_value host "${serve_args[@]+"${serve_args[@]}"}")
  host_from_args=$host
  if [[ -z $host ]]; then host=${UNINLU_HOST:-}; fi
  if [[ -z $host && -n $config_file ]]; then host=$(config_value "$config_file" host); fi
  host=${host:-0.0.0.0}
  case $host in
    0.0.0.0 | "") probe_host=127.0.0.1 ;;
    :: | "[::]") probe_host="[::1]" ;;
    *:*) probe_host="[${host#[}"; probe_host="${probe_host%]}]" ;;  # an IPv6 literal
    *) probe_host=$host ;;
  esac
  # With a TLS certificate the server answers HTTPS only; the probe checks readiness, not identity.
  local tls_cert
  tls_cert=$(arg_value tls-cert "${serve_args[@]+"${serve_args[@]}"}")
  if [[ -z $tls_cert && -n $config_file ]]; then tls_cert=$(config_value "$config_file" tls_cert); fi
  scheme=http
  curl_tls=()
  if [[ -n $tls_cert ]]; then
    scheme=https
    curl_tls=(--insecure)
  fi
  base_url="$scheme://$probe_host:$port"
}
parse_serve_args

if [[ -n ${UNINLU_RUN_DIR:-} ]]; then
  run_dir=$UNINLU_RUN_DIR
elif [[ $(id -u) -eq 0 ]]; then
  run_dir=/run/uninlu
else
  run_dir=${XDG_RUNTIME_DIR:-/tmp}/uninlu-$(id -u)
fi
pid_file=${UNINLU_PID_FILE:-$run_dir/uninlu-$port.pid}
log_file=${UNINLU_LOG:-$run_dir/uninlu-$port.log}
args_file=$pid_file.args
start_timeout=${UNINLU_START_TIMEOUT:-180}
stop_timeout=${UNINLU_STOP_TIMEOUT:-45}
[[ $start_timeout =~ ^[0-9]+$ ]] || die 2 "UNINLU_START_TIMEOUT must be a whole number of seconds"
[[ $stop_timeout =~ ^[0-9]+$ ]] || die 2 "UNINLU_STOP_TIMEOUT must be a whole number of seconds"


find_binary() {
  if [[ -n ${UNINLU_BIN:-} ]]; then
    [[ -x $UNINLU_BIN ]] || die 2 "UNINLU_BIN=$UNINLU_BIN is not an executable file"
    printf '%s' "$UNINLU_BIN"
  elif [[ -x $repo/build/src/cli/uninlu ]]; then
    printf '%s' "$repo/build/src/cli/uninlu"
  elif command -v uninlu >/dev/null 2>&1; then
    command -v uninlu
  else
    die 2 "no uninlu binary: set UNINLU_BIN, build it (cmake --build build) or install it on PATH"
  fi
}

prepare_run_dir() {
  if [[ ! -d $run_dir ]]; then
    (umask 077 && mkdir -p "$run_dir") || die 2 "cannot create the run dir $run_dir"
  fi
  [[ -O $run_dir || $(id -u) -eq 0 ]] || die 2 "the run dir $run_dir belongs to another user; set UNINLU_RUN_DIR"
  [[ -w $run_dir ]] || die 2 "the run dir $run_dir is not writable; set UNINLU_RUN_DIR"
  mkdir -p "$(dirname "$pid_file")" "$(dirname "$log_file")"
}

# Serialises start/stop/restart of one instance (two concurrent starts would both find no pid file).
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$pid_file.lock"
  flock -w $((start_timeout + stop_timeout + 30)) 9 || die 1 "another $prog is busy with $pid_file"
}

# --- processes ------------------------------------------------------------------------------------

# Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. The comm field (2) may hold
# spaces and parentheses, so cut after its last ')'.
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086  # split the fields on purpose
  set -- $stat
  printf '%s' "${20}"
}

proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  printf '%s' "${stat%% *}"
}

# Alive and not a zombie (a zombie whose parent does not reap it still answers kill -0).
is_alive() {
  local state
  state=$(proc_state "$1") || return 1
  [[ $state != Z && $state != X ]]
}

proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ $//'; }

# The pid file: line 1 the pid; then key=value lines (start time, port, host, binary).
pid_file_pid() { [[ -f $pid_file ]] && head -n 1 "$pid_file" | tr -dc '0-9'; }
pid_file_field() { [[ -f $pid_file ]] && sed -n "s/^$1=//p" "$pid_file" | head -n 1; }

# Is PID the uninlu this script started? Same start time as recorded, and `uninlu serve` in its argv.
is_our_server() {
  local pid=$1 recorded now argv0 argv1
  [[ -n $pid ]] && is_alive "$pid" || return 1
  recorded=$(pid_file_field start_time)
  if [[ -n $recorded ]]; then
    now=$(proc_start_time "$pid") || return 1
    [[ $now == "$recorded" ]] || return 1
  fi
  argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 1p) || return 1
  argv1=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 2p) || return 1
  [[ $(basename "$argv0") == uninlu* && $argv1 == serve ]]
}

uptime_of() {
  local pid=$1 ticks hz boot secs
  ticks=$(proc_start_time "$pid") || return 1
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  boot=$(cut -d' ' -f1 /proc/uptime)
  secs=$(awk -v b="$boot" -v t="$ticks" -v h="$hz" 'BEGIN { s = b - t / h; if (s < 0) s = 0; printf "%d", s }')
  printf '%dd %02dh %02dm %02ds' $((secs / 86400)) $((secs % 86400 / 3600)) $((secs % 3600 / 60)) $((secs % 60))
}

http_get() {  # http_get PATH -> body on stdout; fails on connection errors and HTTP >= 400
  curl -fsS "${curl_tls[@]+"${curl_tls[@]}"}" --max-time "${2:-3}" "$base_url$1" 2>/dev/null
}

is_ready() { curl -fsS "${curl_tls[@]+"${curl_tls[@]}"}" -o /dev/null --max-time 2 "$base_url/v2/health/ready" 2>/dev/null; }

log_tail() {  # log_tail FROM_BYTE: the log written since FROM_BYTE, last 25 lines
  [[ -f $log_file ]] || return 0
  echo "---- last lines of $log_file ----" >&2
  tail -c +"$(($1 + 1))" "$log_file" | tail -n 25 >&2
  echo "----" >&2
}

# --- commands -------------------------------------------------------------------------------------

do_start() {
  local bin pid existing log_offset deadline rc start_time
  bin=$(find_binary)
  command -v curl >/dev/null 2>&1 || die 2 "curl is needed to probe readiness (apt-get install curl)"
  command -v setsid >/dev/null 2>&1 || die 2 "setsid is needed (util-linux)"

  existing=$(pid_file_pid || true)
  if [[ -n $existing ]]; then
    if is_our_server "$existing"; then
      info "already running (pid $existing, $base_url); not starting another (use restart)"
      exit 4
    fi
    info "removing stale pid file $pid_file (pid $existing is not a running uninlu started by it)"
    rm -f "$pid_file"
  fi

  local -a cmd=("$bin" serve)
  [[ -z $port_from_args && -n ${UNINLU_PORT:-} ]] && cmd+=(--port "$UNINLU_PORT")
  [[ -z $host_from_args && -n ${UNINLU_HOST:-} ]] && cmd+=(--host "$UNINLU_HOST")
  cmd+=("${serve_args[@]+"${serve_args[@]}"}")

  touch "$log_file"
  log_offset=$(stat -c %s "$log_file")
  {
    echo "==== $(date '+%Y-%m-%d %H:%M:%S') $prog start: ${cmd[*]}"
  } >>"$log_file"
  log_offset=$(stat -c %s "$log_file")

  # setsid: a session of its own, so a closing terminal or the caller's process group signals do not
  # reach it; nohup: SIGHUP ignored as well. Not a process group leader here, so setsid does not fork
  # and $! is the server itself.
  setsid nohup "${cmd[@]}" >>"$log_file" 2>&1 </dev/null 9>&- &
  pid=$!
  sleep 0.2
  start_time=$(proc_start_time "$pid" || true)
  if [[ -z $start_time ]] || ! is_alive "$pid"; then
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    echo "$prog: error: uninlu exited at once (exit code $rc): see below" >&2
    log_tail "$log_offset"
    exit 1
  fi
  printf '%s\nstart_time=%s\nport=%s\nhost=%s\nbinary=%s\nlog=%s\n' \
    "$pid" "$start_time" "$port" "$host" "$bin" "$log_file" >"$pid_file"
  : >"$args_file"
  if [[ ${#serve_args[@]} -gt 0 ]]; then printf '%s\0' "${serve_args[@]}" >"$args_file"; fi

  info "started pid $pid ($bin), log $log_file; waiting up to ${start_timeout}s for $base_url/v2/health/ready"
  deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    if ! is_alive "$pid"; then
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      rm -f "$pid_file"
      echo "$prog: error: uninlu (pid $pid) exited during startup with code $rc" \
        "(1: e.g. port in use; 2: bad flag or config; 3: the model did not load): see below" >&2
      log_tail "$log_offset"
      exit 1
    fi
    if is_ready; then
      # Another server already on this port could answer the probe; ours would have died on bind.
      sleep 0.3
      if is_our_server "$pid"; then
        info "ready: pid $pid on $base_url"
        return 0
      fi
      continue
    fi
    sleep 0.5
  done
  echo "$prog: error: uninlu (pid $pid) not ready after ${start_timeout}s (UNINLU_START_TIMEOUT);" \
    "it is left running: see below, then '$prog stop' or wait and '$prog status'" >&2
  log_tail "$log_offset"
  exit 1
}

wait_for_exit() {  # wait_for_exit PID SECONDS -> 0 when gone
  local pid=$1 deadline=$((SECONDS + $2))
  while is_our_server "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
  return 0
}

do_stop() {
  local pid
  pid=$(pid_file_pid || true)
  if [[ -z $pid ]]; then
    info "not running (no pid file $pid_file)"
    return 0
  fi
  if ! is_our_server "$pid"; then
    if is_alive "$pid"; then
      info "pid $pid from $pid_file is not the uninlu this script started ($(proc_cmdline "$pid"));" \
        "leaving that process alone and removing the stale pid file"
    else
      info "not running (pid $pid from $pid_file is gone); removing the stale pid file"
    fi
    rm -f "$pid_file"
    return 0
  fi

  info "stopping pid $pid (SIGTERM; in-flight requests finish; waiting up to ${stop_timeout}s)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for_exit "$pid" "$stop_timeout"; then
    # Checked again right before: only our own process, never a recycled pid.
    if is_our_server "$pid"; then
      echo "$prog: warning: pid $pid did not exit within ${stop_timeout}s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    if ! wait_for_exit "$pid" 10; then
      die 1 "pid $pid is still running after SIGKILL"
    fi
  fi
  rm -f "$pid_file"
  info "stopped"
}

print_health() {  # the /health JSON, summarised
  local json
  if ! json=$(http_get /health); then
    echo "health:   unreachable at $base_url/health"
    return 0
  fi
  local py=""
  for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then py=$candidate; break; fi
  done
  if [[ -n $py ]]; then
    "$py" -c '
import json, sys
h = json.loads(sys.argv[1])
print("health:   status={} queue_depth={} in_flight={} serving_on={}{}".format(
    h.get("status"), h.get("queue_depth"), h.get("in_flight"), ",".join(h.get("serving_on") or []) or "-",
    " (fallback to CPU active)" if h.get("fallback_active") else ""))
for d in h.get("devices") or []:
    if isinstance(d, dict):
        extra = " ".join("{}={}".format(k, d[k]) for k in ("batches", "faults", "busy_seconds") if k in d)
        print("device:   {} ({}) {} {}".format(d.get("name"), d.get("kind", "?"), d.get("state", "?"), extra).rstrip())
    else:
        print("device:   {}".format(d))
if h.get("gpu_memory_total"):
    print("gpu:      utilization {}%, memory {:.0f}/{:.0f} MiB".format(
        h.get("gpu_utilization"), h.get("gpu_memory_used", 0), h.get("gpu_memory_total", 0)))
' "$json" || echo "health:   $json"
  elif command -v jq >/dev/null 2>&1; then
    jq -r '"health:   status=\(.status) queue_depth=\(.queue_depth) in_flight=\(.in_flight)",
           (.devices[]? | "device:   \(.name) (\(.kind)) \(.state)")' <<<"$json" || echo "health:   $json"
  else
    echo "health:   $json"
  fi
}

print_gpu_processes() {
  local pid=$1
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu procs: no GPU tools (nvidia-smi not found)"
    return 0
  fi
  local apps
  if ! apps=$(nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader 2>&1); then
    echo "gpu procs: nvidia-smi failed: $apps"
    return 0
  fi
  if [[ -z $apps ]]; then
    echo "gpu procs: none"
    return 0
  fi
  while IFS= read -r line; do
    if [[ ${line%%,*} == "$pid" ]]; then line="$line  <- this instance"; fi
    echo "gpu proc:  $line"
  done <<<"$apps"
}

do_status() {
  local pid
  pid=$(pid_file_pid || true)
  if [[ -z $pid ]]; then
    echo "uninlu:   stopped (no pid file $pid_file)"
    exit 3
  fi
  if ! is_our_server "$pid"; then
    echo "uninlu:   stopped, but the pid file $pid_file remains (pid $pid is not a running uninlu started by it)"
    exit 1
  fi
  echo "uninlu:   running (pid $pid, up $(uptime_of "$pid"), $base_url)"
  echo "command:  $(proc_cmdline "$pid")"
  echo "log:      $(pid_file_field log || echo "$log_file")"
  if is_ready; then echo "ready:    yes"; else echo "ready:    no (/v2/health/ready is not 200)"; fi
  print_health
  print_gpu_processes "$pid"
  exit 0
}

if [[ $container_mode -eq 1 ]]; then
  # shellcheck source=scripts/manage_service_container.sh
  source "$repo/scripts/manage_service_container.sh"
  container_main
  exit $?
fi

case $command in
  start)
    prepare_run_dir
    take_lock
    do_start
    ;;
  stop)
    prepare_run_dir
    take_lock
    do_stop
    ;;
  restart)
    prepare_run_dir
    take_lock
    if [[ ${#serve_args[@]} -eq 0 && -s $args_file ]]; then
      mapfile -d '' -t serve_args <"$args_file"
      parse_serve_args
      info "restarting with the last start's args: ${serve_args[*]}"
    fi
    do_stop
    do_start
    ;;
  status) do_status ;;
esac
