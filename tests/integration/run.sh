#!/usr/bin/env bash
# HTTP and HTTPS integration tests against the built binary, then the concurrency consistency test.
#   tests/integration/run.sh <build-dir> [--fake] [unittest args, e.g. -v -k sigterm]
# Without --fake: <build>/src/cli/uninlu with the tiny fixture model (generated when missing).
# With --fake: <build>/tests/http/uninlu_fake_serve (the HTTP layer over a fake Service; no model needed).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [--fake] [unittest args]" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "$1" && pwd)
shift
fake=()
if [[ ${1:-} == --fake ]]; then
  fake=(--fake)
  shift
fi
python=/usr/bin/python3  # Debian's: it has torch for the fixture script; the tests need only the stdlib

if [[ ${#fake[@]} -gt 0 ]]; then
  target=uninlu_fake_serve
  binary=$build/tests/http/uninlu_fake_serve
  model=$build/fixtures/models/none  # ignored by the fake
else
  target=uninlu
  binary=$build/src/cli/uninlu
  model=$build/fixtures/models/tiny
  if [[ ! -f $model/config.json ]]; then
    echo "generating the tiny fixture model in $model" >&2
    "$python" "$repo/tools/make_fixture.py" --size tiny --out "$model" --safetensors
  fi
fi
if [[ ! -x $binary ]]; then
  echo "error: $binary is not built (cmake --build $build --target $target)" >&2
  exit 2
fi
"$python" "$repo/tests/integration/test_http.py" --binary "$binary" --model "$model" "${fake[@]}" "$@"
"$python" "$repo/tests/integration/test_v2.py" --binary "$binary" --model "$model" "${fake[@]}" "$@"
# HTTPS: a test CA made with the openssl CLI; `uninlu bench` over https when the real binary is built.
bench=()
if [[ -x $build/src/cli/uninlu ]]; then bench=(--uninlu "$build/src/cli/uninlu"); fi
"$python" "$repo/tests/integration/test_tls.py" --binary "$binary" --model "$model" "${fake[@]}" "${bench[@]}" "$@"
if [[ ${#fake[@]} -eq 0 ]]; then
  # The OpenAPI document: valid OpenAPI 3.1 (npm validator), and its examples replayed on the bundled model.
  "$repo/tests/openapi/run.sh"
  "$python" "$repo/tests/integration/test_openapi.py" --binary "$binary" "$@"
  "$python" "$repo/tests/integration/test_grpc.py" --binary "$binary" --model "$model" "$@"  # python3-grpcio client
  # Two models in one server (the tiny fixture beside the bundled model); load and unload under load.
  "$python" "$repo/tests/integration/test_models.py" --binary "$binary" --model "$model" "$@"
  # 200 concurrent clients get exactly what `uninlu predict` gives (needs the real model and binary).
  "$python" "$repo/tests/integration/test_consistency.py" --binary "$binary" --model "$model" "$@"
fi
