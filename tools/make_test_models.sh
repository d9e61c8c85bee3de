#!/usr/bin/env bash
# Generates the test models into OUTDIR (CTest fixture "models"; see tests/fixtures/CMakeLists.txt):
#   OUTDIR/tiny     the tiny model every module's tests use: cross key layout, float32, seed 1234,
#                   pytorch_model.bin and model.safetensors
#   OUTDIR/loader   variants, manifests and broken checkpoints for the loader tests (tests/model)
# Usage: tools/make_test_models.sh OUTDIR      (UNINLU_PYTHON: a python3 with torch, default /usr/bin/python3)
set -euo pipefail

out=${1:?usage: make_test_models.sh OUTDIR}
python=${UNINLU_PYTHON:-/usr/bin/python3}
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mkdir -p "$out"
"$python" "$tools/make_fixture.py" --size tiny --out "$out/tiny" --safetensors
"$python" "$tools/make_loader_fixtures.py" --tiny "$out/tiny" --out "$out/loader"
