#!/usr/bin/env bash
# Runs `shellcheck -x` over every shell script in scripts/, deploy/, tests/ and .ci/ (by extension .sh or by
# a sh/bash shebang; node_modules skipped), from the repository root so that `source` paths resolve.
#   tests/deploy/shellcheck.sh [--severity LEVEL]   (default: style, i.e. everything)
# SC2317 ("command appears to be unreachable") is excluded: shellcheck 0.9.0 (Debian 12) reports it for
# every function that is only called through `trap` or indirectly, which cleanup handlers always are.
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

severity=style
if [[ ${1:-} == --severity ]]; then severity=${2:?}; fi
command -v shellcheck >/dev/null 2>&1 || skip "shellcheck not installed (apt-get install shellcheck)"

cd "$repo" || exit 1
files=()
while IFS= read -r -d '' f; do
  case $f in
    *.sh) files+=("$f") ;;
    *)
      if head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*[/ ](ba)?sh( |$)'; then files+=("$f"); fi
      ;;
  esac
done < <(find scripts deploy tests .ci -name node_modules -prune -o -type f -print0 2>/dev/null | sort -z)

if [[ ${#files[@]} -eq 0 ]]; then
  echo "FAIL: $test_name (no shell scripts found)"
  exit 1
fi
note "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#files[@]} scripts"
for f in "${files[@]}"; do
  if output=$(shellcheck -x --severity="$severity" --exclude=SC2317 "$f" 2>&1); then
    check_pass "$f"
  else
    check_fail "$f"
    printf '%s\n' "$output" | sed 's/^/    /'
  fi
done
finish
