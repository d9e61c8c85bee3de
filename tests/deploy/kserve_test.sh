#!/usr/bin/env bash
# deploy/kserve/*.yaml without a cluster, and the image's entrypoint as KServe runs it:
#   1. every manifest against KServe's CRD schemas (tests/deploy/fixtures/kserve, KServe v0.20.0) with
#      python3-jsonschema, plus what the manifests promise (tests/deploy/kserve_check.py);
#   2. the entrypoint with the runtime's args ({{.Name}} filled in, /mnt/models pointed at the tiny
#      fixture model): it serves on $PORT (Knative) or $UNINLU_HTTP_PORT (RawDeployment), takes the model
#      from /mnt/models when no --model is given, and answers the v2 routes under the model's name.
#   tests/deploy/kserve_test.sh <build-dir>
# shellcheck disable=SC2317  # functions run through trap look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || { echo "usage: $0 <build-dir>" >&2; exit 2; }
build=$(cd "$1" && pwd)
"$python" -c 'import yaml, jsonschema' 2>/dev/null ||
  skip "python3-yaml or python3-jsonschema not installed (apt-get install python3-yaml python3-jsonschema)"

tmp=$(mktemp -d -t uninlu_kserve.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

while IFS= read -r line; do
  case $line in
    ok:*) check_pass "${line#ok: }" ;;
    FAILED:*) check_fail "${line#FAILED: }" ;;
    "exit: 0") ;;
    "exit: "*) check_fail "kserve_check.py ${line}" ;;
    *) note "$line" ;;
  esac
done < <("$python" "$deploy_tests/kserve_check.py" "$repo/deploy/kserve" "$deploy_tests/fixtures/kserve" 2>&1; echo "exit: $?")

require_binary "$build"
tiny_model=$build/fixtures/models/tiny
if [[ ! -f $tiny_model/config.json ]]; then
  "$python" "$repo/tools/make_fixture.py" --size tiny --out "$tiny_model" --safetensors >/dev/null ||
    { check_fail "could not generate the tiny fixture model"; finish; }
fi

# The runtime's args as KServe passes them for an InferenceService named "uie".
mapfile -t runtime_args < <("$python" -c '
import sys, yaml
rt = yaml.safe_load(open(sys.argv[1]))
for a in rt["spec"]["containers"][0]["args"]:
    print(a.replace("{{.Name}}", "uie").replace("/mnt/models", sys.argv[2]))
' "$repo/deploy/kserve/servingruntime-cpu.yaml" "$tiny_model")

# start ENV... -- ARGS...: the entrypoint in the background, as the container runs it.
start() {
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  env UNINLU_BIN="$uninlu_bin" UNINLU_MODEL_MOUNT="$tmp/none" "${envs[@]}" \
    sh "$repo/deploy/docker-entrypoint.sh" serve --host 127.0.0.1 --threads 1 "$@" >"$tmp/server.log" 2>&1 &
  server_pid=$!
}
stop() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=; }
get() { curl -fsS --max-time 5 "http://127.0.0.1:$1$2"; }
ready() {  # ready PORT: polls until the server is ready (a safety net of 120 s, not a timing check)
  local i
  for ((i = 0; i < 1200; i++)); do
    get "$1" /v2/health/ready >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

port=$(free_port)
start PORT="$port" UNINLU_KSERVE_MOUNT="$tiny_model" --
if ready "$port"; then
  check_pass "with \$PORT=$port and no --port, the entrypoint serves on \$PORT"
  check "... the model from the KServe mount (/mnt/models) when no --model is given" \
    grep -q "model $tiny_model" "$tmp/server.log"
else
  check_fail "the entrypoint did not serve on \$PORT: $(tail -5 "$tmp/server.log")"
fi
stop

port=$(free_port)
start UNINLU_HTTP_PORT="$port" -- "${runtime_args[@]}"
if ready "$port"; then
  check_pass "with the runtime's args and UNINLU_HTTP_PORT=$port (RawDeployment), it serves on that port"
  check "... GET /v2/models/uie/ready answers for the InferenceService's name" quiet get "$port" /v2/models/uie/ready
  body='{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["华为在东莞"]},
                    {"name": "schema", "shape": [1], "datatype": "BYTES", "data": ["{\"公司\": null}"]}]}'
  answer=$(curl -fsS --max-time 60 -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:$port/v2/models/uie/infer" 2>&1)
  check "... POST /v2/models/uie/infer answers the result tensor" \
    "$python" -c 'import json, sys; a = json.loads(sys.argv[1]); assert a["model_name"] == "uie"; assert a["outputs"][0]["name"] == "result"' "$answer"
else
  check_fail "the runtime's args did not serve: $(tail -5 "$tmp/server.log")"
fi
stop
finish
