#!/usr/bin/env bash
# Installs what uninlu needs, from Debian 12 packages only.
# Usage: scripts/install_deps.sh [--build-only | --runtime-only | --sanitizers]
#   (default)       build + test packages: what scripts/test.sh and CI need
#   --build-only    what compiling needs (the Dockerfile's build stage)
#   --sanitizers    build packages + what tests/sanitize/run.sh and tests/fuzz/run.sh need (CI's host)
#   --runtime-only  the shared libraries the installed binary loads (the Dockerfile's runtime stage)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libopenblas0-pthread libgomp1  # dnnl-config.cmake needs OpenCL
  libssl-dev libboost-dev libboost-system-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libutf8proc-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # the gRPC front end (src/grpc/)
)
test_packages=(
  python3 python3-torch python3-numpy python3-yaml  # reference implementation, fixtures, goldens, k8s checks
  python3-jsonschema                                # the KServe manifests against KServe's CRD schemas
  chromium fonts-wqy-microhei                       # web page end-to-end test (and readable screenshots)
  nginx python3-locust wrk curl jq shellcheck procps psmisc iproute2
  openssl                                           # the TLS tests make their CA and certificates with it
  qemu-user                                         # the CPU matrix: kernels as other x86-64 CPUs
  python3-grpcio python3-protobuf                   # the gRPC integration test's client
)
sanitize_packages=(
  clang libclang-rt-14-dev            # the fuzz targets: clang's -fsanitize=fuzzer (libFuzzer) and its runtimes
  python3 python3-torch python3-numpy  # the fixture models the sanitized tests and the fuzz seeds come from
)
runtime_packages=(libdnnl2 libopenblas0-pthread libgomp1 libutf8proc2 libspdlog1.10 libfmt9
  libprometheus-cpp-core1.0 libssl3 libgrpc++1.51 libprotobuf32 curl ca-certificates)

case "${1:-}" in
  --build-only) packages=("${build_packages[@]}") ;;
  --runtime-only) packages=("${runtime_packages[@]}") ;;
  --sanitizers) packages=("${build_packages[@]}" "${sanitize_packages[@]}") ;;
  "")
    packages=("${build_packages[@]}" "${test_packages[@]}")
    # Node.js and npm (tokenizer oracle, browser test driver): keep an existing install (the machines
    # come with NodeSource's node 20, which bundles npm and conflicts with Debian's npm package).
    if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
    ;;
  *) echo "usage: $0 [--build-only | --runtime-only | --sanitizers]" >&2; exit 2 ;;
esac

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${packages[@]}"
