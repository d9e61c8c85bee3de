#!/usr/bin/env bash
# deploy/nginx: render.sh's output is accepted by `nginx -t`, both as a conf.d snippet included from a
# main configuration and as the standalone configuration; it carries the failover settings; bad
# arguments are refused.
#   tests/deploy/nginx_config_test.sh
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || skip "nginx not installed (apt-get install nginx)"
render=$repo/deploy/nginx/render.sh
tmp=$(mktemp -d -t uninlu_nginx.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

nginx_t() {  # nginx_t PREFIX CONF
  "$nginx_bin" -t -q -p "$1" -e "$1/error.log" -c "$2" 2>"$1/t.log" || { cat "$1/t.log"; return 1; }
}

# As a conf.d snippet.
mkdir -p "$tmp/snippet/tmp"
check "render.sh writes a snippet" bash -c "'$render' --upstream 10.0.0.1:7860 --upstream 10.0.0.2:7860 \
  --upstream '[fd00::3]:7860' --listen 127.0.0.1:$(free_port) --access-log '$tmp/snippet/access.log' \
  >'$tmp/snippet/uninlu.conf'"
cat >"$tmp/snippet/nginx.conf" <<CONF
pid $tmp/snippet/nginx.pid;
error_log $tmp/snippet/error.log;
events {}
http {
    client_body_temp_path $tmp/snippet/tmp;
    proxy_temp_path $tmp/snippet/tmp;
    include $tmp/snippet/uninlu.conf;
}
CONF
check "nginx -t accepts the snippet inside http {}" nginx_t "$tmp/snippet" "$tmp/snippet/nginx.conf"
conf=$(cat "$tmp/snippet/uninlu.conf")
has() { grep -qF -- "$1" <<<"$conf"; }
check "3 upstream servers with passive health" test "$(grep -c 'max_fails=3 fail_timeout=10s;' <<<"$conf")" -eq 3
check "IPv6 upstream kept" has "server [fd00::3]:7860"
check "retries POST on another instance" \
  has "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;"
check "keepalive to the upstreams" has "keepalive 32;"
check "HTTP/1.1 with the Connection header cleared (needed for upstream keepalive)" \
  bash -c "grep -qF 'proxy_http_version 1.1;' <<<\"\$1\" && grep -qF 'proxy_set_header Connection \"\";' <<<\"\$1\"" _ "$conf"
check "client_max_body_size matches max_body_bytes 1 MiB" has "client_max_body_size 1m;"
check "read timeout above the server's request timeout" has "proxy_read_timeout 35s;"
check "/health is routed" has "location = /health"
check "no placeholder left" bash -c "! grep -q '@[A-Z_]*@' <<<\"\$1\"" _ "$conf"

# Standalone.
check "render.sh --standalone" quiet "$render" --upstream 127.0.0.1:7861 --listen "127.0.0.1:$(free_port)" \
  --standalone "$tmp/standalone"
check "nginx -t accepts the standalone configuration" nginx_t "$tmp/standalone" "$tmp/standalone/nginx.conf"

# Bad arguments.
check "no --upstream: exit 2" bash -c "'$render' >/dev/null 2>&1; test \$? -eq 2"
check "malformed --upstream: exit 2" bash -c "'$render' --upstream 'a b' >/dev/null 2>&1; test \$? -eq 2"
check "unknown option: exit 2" bash -c "'$render' --upstream a:1 --bogus 1 >/dev/null 2>&1; test \$? -eq 2"
finish
