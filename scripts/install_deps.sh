#!/usr/bin/env bash
# Installs everything uninlu needs to build, test and run, from Debian 12 packages only.
# Usage: sudo scripts/install_deps.sh [--runtime-only]
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libdnnl-dev libopenblas-dev libopenblas0-pthread
  libboost-dev libboost-system-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libutf8proc-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
test_packages=(
  python3 python3-torch python3-numpy   # reference implementation, fixtures and goldens
  chromium                              # web page end-to-end test
  nginx python3-locust wrk curl shellcheck procps psmisc iproute2
)
runtime_packages=(libdnnl2 libopenblas0-pthread libutf8proc2 libspdlog1.10 libfmt9 libprometheus-cpp-core1.0 curl)

packages=("${build_packages[@]}" "${test_packages[@]}")
# Node.js and npm (tokenizer oracle, browser test driver): keep an existing install (the machines
# come with NodeSource's node 20, which bundles npm and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
if [[ "${1:-}" == "--runtime-only" ]]; then packages=("${runtime_packages[@]}"); fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
