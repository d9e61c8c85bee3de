#!/usr/bin/env bash
# Validates src/http/openapi.json (served at /openapi.json) against the OpenAPI 3.1 JSON Schema with
# @seriousme/openapi-schema-validator (pinned in package-lock.json; installed with `npm ci` on first
# use). tests/integration/run.sh runs it; tests/integration/test_openapi.py replays the examples.
#   tests/openapi/run.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: node and npm are needed to validate the OpenAPI document (apt-get install nodejs npm)" >&2
  exit 2
fi
if [[ ! -f $here/node_modules/@seriousme/openapi-schema-validator/package.json ]]; then
  echo "installing node dependencies in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
fi
node "$here/validate.mjs" "$repo/src/http/openapi.json"
