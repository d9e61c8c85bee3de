#!/usr/bin/env bash
# deploy/k8s/*.yaml without a cluster:
#   1. YAML syntax and the structural promises (tests/deploy/k8s_check.py, python3-yaml);
#   2. the Kubernetes API schemas (types, required fields) with the npm package kubernetes-models,
#      installed into <build-dir>/deploy-tests/k8s-schema on first use. Skipped with a note when node/npm
#      or the npm registry are not available, or with UNINLU_K8S_SCHEMA=0.
#   tests/deploy/k8s_test.sh <build-dir>
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || { echo "usage: $0 <build-dir>" >&2; exit 2; }
build=$(cd "$1" && pwd)
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not installed (apt-get install python3-yaml)"

tmp=$(mktemp -d -t uninlu_k8s.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

report() {  # turns "ok:/FAILED:" lines into checks
  local line
  while IFS= read -r line; do
    case $line in
      ok:*) check_pass "${line#ok: }" ;;
      FAILED:*) check_fail "${line#FAILED: }" ;;
      "exit: 0") ;;
      "exit: "*) check_fail "checker ${line}" ;;
      *) note "$line" ;;
    esac
  done
}

report < <(/usr/bin/python3 "$deploy_tests/k8s_check.py" "$repo/deploy/k8s" "$tmp/objects.json" 2>&1; echo "exit: $?")

version=5.1.0
cache=$build/deploy-tests/k8s-schema
if [[ ${UNINLU_K8S_SCHEMA:-1} == 0 ]]; then
  note "UNINLU_K8S_SCHEMA=0: schema validation skipped"
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  note "node/npm not installed: schema validation skipped (YAML and structure were checked)"
elif [[ ! -s $tmp/objects.json ]]; then
  note "no objects to validate"
else
  if [[ ! -f $cache/node_modules/kubernetes-models/package.json ]] ||
    ! grep -q "\"version\": \"$version\"" "$cache/node_modules/kubernetes-models/package.json"; then
    mkdir -p "$cache"
    note "installing kubernetes-models@$version into $cache (npm)"
    if ! npm install --prefix "$cache" --no-audit --no-fund --silent "kubernetes-models@$version" >"$tmp/npm.log" 2>&1; then
      note "npm install failed (offline?): schema validation skipped; $(tail -n 2 "$tmp/npm.log" | tr '\n' ' ')"
      finish
    fi
  fi
  cp "$deploy_tests/k8s_validate.mjs" "$cache/k8s_validate.mjs"
  report < <(node "$cache/k8s_validate.mjs" "$tmp/objects.json" 2>&1; echo "exit: $?")
fi
finish
