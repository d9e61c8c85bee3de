#!/usr/bin/env bash
# Renders the nginx configuration for N uninlu instances from deploy/nginx/*.template.
#
#   deploy/nginx/render.sh --upstream HOST:PORT [--upstream HOST:PORT ...] [options] > /etc/nginx/conf.d/uninlu.conf
#   deploy/nginx/render.sh --upstream ... --standalone DIR [options]   # DIR/nginx.conf + DIR/uninlu.conf
#
#   --upstream HOST:PORT  an instance (repeat; at least one)
#   --listen ADDR         nginx's listen argument (default 80; e.g. 8080, 127.0.0.1:8080, [::]:80)
#   --max-fails N         passive health: failures that take an instance out (default 3)
#   --fail-timeout T      ... within T, and out for T (default 10s)
#   --keepalive N         idle upstream connections kept per worker (default 32)
#   --access-log PATH     (default /var/log/nginx/uninlu.access.log; DIR/access.log with --standalone)
#   --standalone DIR      write a complete configuration under DIR (pid, logs, temp files there; runs
#                         without root): nginx -p DIR -c DIR/nginx.conf
#   --workers N           worker_processes with --standalone (default auto)
#
# Exit codes: 0 written; 2 usage error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
upstreams=()
listen=80
max_fails=3
fail_timeout=10s
keepalive=32
access_log=""
standalone=""
workers=auto

die() {
  echo "render.sh: error: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  if [[ $1 == -h || $1 == --help ]]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
  fi
  [[ $1 == --* && $# -ge 2 ]] || die "unknown or incomplete argument '$1' (see the header of $0)"
  case $1 in
    --upstream) upstreams+=("$2") ;;
    --listen) listen=$2 ;;
    --max-fails) max_fails=$2 ;;
    --fail-timeout) fail_timeout=$2 ;;
    --keepalive) keepalive=$2 ;;
    --access-log) access_log=$2 ;;
    --standalone) standalone=$2 ;;
    --workers) workers=$2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
  shift 2
done

[[ ${#upstreams[@]} -gt 0 ]] || die "give at least one --upstream HOST:PORT"
for u in "${upstreams[@]}"; do
  [[ $u =~ ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$ ]] || die "--upstream must be HOST:PORT, got '$u'"
done
[[ $max_fails =~ ^[0-9]+$ ]] || die "--max-fails must be a number"
[[ $fail_timeout =~ ^[0-9]+(ms|s|m)?$ ]] || die "--fail-timeout must be an nginx time like 10s"
[[ $keepalive =~ ^[0-9]+$ && $keepalive -ge 1 ]] || die "--keepalive must be a positive number"
[[ $workers =~ ^([0-9]+|auto)$ ]] || die "--workers must be a number or auto"
[[ $listen =~ ^[][A-Za-z0-9_.:]+$ ]] || die "--listen has unexpected characters: '$listen'"

servers=""
for u in "${upstreams[@]}"; do
  servers+="    server $u max_fails=$max_fails fail_timeout=$fail_timeout;"$'\n'
done
servers=${servers%$'\n'}

render_site() {  # render_site ACCESS_LOG
  local text
  text=$(<"$here/uninlu.conf.template")
  text=${text//@UPSTREAM_SERVERS@/$servers}
  text=${text//@KEEPALIVE@/$keepalive}
  text=${text//@LISTEN@/$listen}
  text=${text//@ACCESS_LOG@/$1}
  printf '%s\n' "$text"
}

if [[ -z $standalone ]]; then
  render_site "${access_log:-/var/log/nginx/uninlu.access.log}"
  exit 0
fi

mkdir -p "$standalone/tmp"
prefix=$(cd "$standalone" && pwd)
user_directive="# (not root: nginx runs as the current user)"
if [[ $(id -u) -eq 0 ]]; then
  # As root, nginx would switch its workers to "nobody", who cannot use this directory.
  user_directive="user root $(id -gn);"
fi
render_site "${access_log:-$prefix/access.log}" >"$prefix/uninlu.conf"
main=$(<"$here/nginx.conf.template")
main=${main//@PREFIX@/$prefix}
main=${main//@WORKERS@/$workers}
main=${main//@USER_DIRECTIVE@/$user_directive}
printf '%s\n' "$main" >"$prefix/nginx.conf"
echo "$prefix/nginx.conf"
