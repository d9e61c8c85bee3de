#!/usr/bin/env bash
# Every deployment test, one after the other; each prints PASS, FAIL or SKIP (a missing tool) as its last
# line. Needs <build-dir>/src/cli/uninlu built (cmake --build <build-dir> --target uninlu).
#
#   tests/deploy/run.sh <build-dir> [--full-docker] [TEST ...]
#
#   TEST: shellcheck nginx_config k8s kserve dockerfile download_model manage_service nginx_failover
#         (default: all, in that order; about 1-2 minutes in all)
#         opt-in, on the real Docker daemon (CI runs them as a stage of their own):
#         docker_image (builds and runs the CPU image: ~10 min cold), manage_container
#   --full-docker: dockerfile_test also compiles the image's build stage from scratch (~10 min)
#   UNINLU_DEPLOY_TESTS_STRICT=1: a test that cannot run (missing tool) fails instead of skipping
#
# Exit code: 0 when no test failed. The last line reads "N passed, N failed, N skipped".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
build=$1
shift
if [[ ! -d $build ]]; then
  echo "error: build dir $build does not exist" >&2
  exit 2
fi
full_docker=()
selected=()
for a in "$@"; do
  case $a in
    --full-docker) full_docker=(--full) ;;
    shellcheck | nginx_config | k8s | kserve | dockerfile | download_model | manage_service | nginx_failover) selected+=("$a") ;;
    docker_image | manage_container) selected+=("$a") ;;
    *) echo "error: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
[[ ${#selected[@]} -gt 0 ]] ||
  selected=(shellcheck nginx_config k8s kserve dockerfile download_model manage_service nginx_failover)

passed=0
failed=0
skipped=0
failed_names=()
for name in "${selected[@]}"; do
  case $name in
    shellcheck) cmd=("$here/shellcheck.sh") ;;
    nginx_config) cmd=("$here/nginx_config_test.sh") ;;
    k8s) cmd=("$here/k8s_test.sh" "$build") ;;
    kserve) cmd=("$here/kserve_test.sh" "$build") ;;
    dockerfile) cmd=("$here/dockerfile_test.sh" "$build" "${full_docker[@]+"${full_docker[@]}"}") ;;
    download_model) cmd=("$here/download_model_test.sh" "$build") ;;
    manage_service) cmd=("$here/manage_service_test.sh" "$build") ;;
    nginx_failover) cmd=("$here/nginx_failover.sh" "$build") ;;
    docker_image) cmd=("$here/docker_image_test.sh" "$build") ;;
    manage_container) cmd=("$here/manage_container_test.sh" "$build") ;;
  esac
  echo "=== $name"
  started=$SECONDS
  log=$(mktemp)
  "${cmd[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  last=$(tail -n 1 "$log")
  rm -f "$log"
  if [[ $rc -ne 0 ]]; then
    failed=$((failed + 1))
    failed_names+=("$name")
    [[ $last == FAIL:* ]] || echo "FAIL: $name (exit code $rc)"
  elif [[ $last == SKIP:* ]]; then
    skipped=$((skipped + 1))
  else
    passed=$((passed + 1))
  fi
  echo "=== $name: $((SECONDS - started)) s"
done

echo
if [[ $failed -gt 0 ]]; then echo "deploy tests failed: ${failed_names[*]}"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
