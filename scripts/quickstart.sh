#!/usr/bin/env bash
# From a fresh clone to a running service in one command: installs the Debian build packages, builds
# uninlu (Release; the CUDA backend too when nvcc is installed) and serves the bundled model
# (models/uninlu-cluener) on http://localhost:7860 with the web page at /.
#   scripts/quickstart.sh [serve flags...]        e.g. --port 8080, --model /srv/models/uninlu
set -euo pipefail
cd "$(dirname "$0")/.."
build=${UNINLU_BUILD_DIR:-build-release}
scripts/install_deps.sh --build-only
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUNINLU_BUILD_TESTS=OFF -DUNINLU_BUILD_BENCH=OFF
cmake --build "$build" -j "$(nproc)"
exec "$build/src/cli/uninlu" serve "$@"
