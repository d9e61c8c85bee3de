#!/usr/bin/env bash
# The GPU checks and benchmarks in one go (docs/gpu.md, "Running on a GPU machine").
#
#   tests/gpu/run_on_gpu.sh bundle
#       On a build machine with the project's Debian packages (scripts/install_deps.sh) and the CUDA
#       toolkit, GPU or not: builds for CUDA_ARCH into build-gpu/ and packs the binaries with the shared
#       libraries they need (not the driver's, not cuBLAS) into build-gpu/bundle.tar.xz, for a GPU
#       machine that lacks those packages.
#   tests/gpu/run_on_gpu.sh run [PHASE...]
#       On the GPU machine. Phases, in order (default: all of them):
#         setup      build here when the packages are here, else unpack build-gpu/bundle.tar.xz; fixtures
#         tests      gpu_tests (kernels, backend, goldens incl. the full-size model, scheduler faults, NVML)
#                    and monitor_tests
#         bench      gpu_request_bench (in process) and uninlu serve + 100-connection HTTP load (fp16, bf16)
#         drill      uninlu serve with UNINLU_FAULT_INJECT under load: no request may be lost
#         reference  tools/bench_gpu_reference.py: the Python pipeline, fp16 autocast, same GPU
#         summary    summary.md with the side-by-side figures
#       Everything goes to build-gpu/results/; at the end summary.md and results.tar.gz (all logs, JSON and
#       XML) are copied to $RESULTS_DIR (default: $OUT when set, else build-gpu/results-out).
#   tests/gpu/run_on_gpu.sh all [PHASE...]
#       run, building on the GPU machine itself (it needs the packages too)
#
# Environment: CUDA_ARCH (90), PYTHON (a python3 with torch; default python3), BENCH_SECONDS (20),
# CONNECTIONS (100), FULL_MODEL_CASES (60: golden cases the full-size model check runs), PORT (18080),
# JOBS (build parallelism; nproc). Fixtures go to /tmp/uninlu-fixtures, the path compiled into the tests.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
CUDA_ARCH=${CUDA_ARCH:-90}
PYTHON=${PYTHON:-python3}
BENCH_SECONDS=${BENCH_SECONDS:-20}
CONNECTIONS=${CONNECTIONS:-100}
FULL_MODEL_CASES=${FULL_MODEL_CASES:-60}
PORT=${PORT:-18080}
JOBS=${JOBS:-$(nproc)}
FIXTURES=/tmp/uninlu-fixtures
BUILD=$ROOT/build-gpu
RESULTS=$BUILD/results
BUNDLE=$BUILD/bundle.tar.xz
BIN=""        # where uninlu, gpu_tests, gpu_request_bench, monitor_tests are (set by the setup phase)
UNINLU_LD=""  # LD_LIBRARY_PATH for those binaries only: the bundle's libraries must not leak into python
FAILED_STEPS=()

log() { printf '[run_on_gpu %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Failures are kept in a file too, so a summary run in a later call still lists them.
failed() {
  FAILED_STEPS+=("$1")
  echo "$1" >>"$RESULTS/failed_steps.txt"
}

# Runs one of our binaries with the libraries it was built against.
uninlu_bin() {
  local name=$1
  shift
  env LD_LIBRARY_PATH="$UNINLU_LD" "$BIN/$name" "$@"
}

# step NAME COMMAND...: runs it with output in $RESULTS/NAME.log; a failure is recorded, not fatal.
step() {
  local name=$1
  shift
  log "$name: $*"
  if "$@" >"$RESULTS/$name.log" 2>&1; then
    log "$name: ok"
  else
    local rc=$?
    log "$name: FAILED (exit $rc); tail of $RESULTS/$name.log:"
    tail -n 30 "$RESULTS/$name.log" >&2
    failed "$name"
  fi
}

# Configures and builds the binaries the phases use, one target at a time so that one that does not build
# (another module in flux) does not stop the others; fails only without gpu_tests.
configure_and_build() {
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "$ROOT" -B "$BUILD/native" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DUNINLU_WERROR=ON \
    -DUNINLU_WITH_CUDA=ON -DUNINLU_BUILD_BENCH=OFF -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" \
    -DUNINLU_FIXTURES_DIR="$FIXTURES" -DCMAKE_PROJECT_uninlu_INCLUDE="$ROOT/tests/gpu/standalone.cmake" || return 1
  local target
  for target in gpu_tests monitor_tests fake_nvml gpu_request_bench uninlu; do
    cmake --build "$BUILD/native" --target "$target" -j "$JOBS" || log "target $target did not build"
  done
  [[ -n "$(find_built gpu_tests)" ]]
}

# Where the build put each binary (tests/gpu is a subdirectory, or the top level via standalone.cmake).
find_built() { find "$BUILD/native" -name "$1" -type f -perm -u+x 2>/dev/null | head -n 1; }

# ---- bundle -----------------------------------------------------------------------------------------------

cmd_bundle() {
  mkdir -p "$BUILD"
  configure_and_build || { log "build failed"; return 1; }
  local stage=$BUILD/bundle
  rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib"
  local name path
  for name in uninlu gpu_tests gpu_request_bench monitor_tests; do
    path=$(find_built "$name")
    if [[ -n "$path" ]]; then cp "$path" "$stage/bin/"; else log "no $name in the build: the phases that need it will fail"; fi
  done
  path=$(find "$BUILD/native" -name libfake_nvml.so | head -n 1)
  [[ -z "$path" ]] || cp "$path" "$stage/lib/"
  # Every shared library the binaries load, except the C library, the driver's and CUDA's (the GPU
  # machine has its own, matching its driver).
  for name in "$stage"/bin/*; do
    ldd "$name" | awk '/=> \// {print $3}'
  done | sort -u | while read -r path; do
    case "$(basename "$path")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libcuda.so*|libnvidia*|libcublas*|libcudart*) ;;
      *) cp -L "$path" "$stage/lib/" ;;
    esac
  done
  tar -C "$stage" -cJf "$BUNDLE" bin lib
  log "bundle: $BUNDLE ($(du -h "$BUNDLE" | cut -f1)); carry it to the GPU machine (run carry: build-gpu/bundle.tar.xz)"
  ls -la "$stage/lib" >&2
}

# ---- run phases -------------------------------------------------------------------------------------------

find_cublas() {
  # cuBLAS comes from the GPU machine: its CUDA toolkit, or the pip wheels PyTorch brings.
  local dir
  for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu \
    "$("$PYTHON" -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)"; do
    if [[ -n "$dir" && -e "$dir/libcublasLt.so.13" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

phase_setup() {
  local name path
  mkdir -p "$RESULTS"
  {
    nvidia-smi || true
    nvcc --version || true
    cmake --version || true
    uname -a
    "$PYTHON" -c 'import sys, torch; print(sys.version); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  } >"$RESULTS/environment.log" 2>&1
  rm -f "$RESULTS/failed_steps.txt"
  UNINLU_LD=${LD_LIBRARY_PATH:-}
  if [[ -f "$BUNDLE" && "${NATIVE_BUILD:-0}" != 1 ]]; then
    rm -rf "$BUILD/bundle" && mkdir -p "$BUILD/bundle"
    step unpack tar -C "$BUILD/bundle" -xJf "$BUNDLE"
    BIN=$BUILD/bundle/bin
    UNINLU_LD="$BUILD/bundle/lib${UNINLU_LD:+:$UNINLU_LD}"
  else
    step build configure_and_build
    BIN=$BUILD/native/bin-links
    mkdir -p "$BIN"
    for name in uninlu gpu_tests gpu_request_bench monitor_tests; do
      path=$(find_built "$name")
      [[ -z "$path" ]] || ln -sf "$path" "$BIN/$name"
    done
  fi
  local cublas
  if cublas=$(find_cublas); then
    UNINLU_LD="$cublas${UNINLU_LD:+:$UNINLU_LD}"
  else
    log "libcublasLt.so.13 not found: the binaries will not start"
    failed cublas
  fi
  printf 'BIN=%q\nUNINLU_LD=%q\n' "$BIN" "$UNINLU_LD" >"$BUILD/env.sh"
  env LD_LIBRARY_PATH="$UNINLU_LD" ldd "$BIN/gpu_tests" >"$RESULTS/ldd.log" 2>&1 || true
  mkdir -p "$FIXTURES/models"
  step fixture_tiny "$PYTHON" tools/make_fixture.py --size tiny --out "$FIXTURES/models/tiny" --safetensors
  step goldens "$PYTHON" tools/make_goldens.py --model "$FIXTURES/models/tiny" --out "$FIXTURES/goldens"
  step fixture_full "$PYTHON" tools/make_fixture.py --size full --safetensors --no-bin --out "$FIXTURES/models/full"
}

load_env() {
  if [[ -z "$BIN" && -f "$BUILD/env.sh" ]]; then
    # shellcheck disable=SC1091
    source "$BUILD/env.sh"
  fi
  [[ -n "$BIN" ]] || { log "run the setup phase first"; exit 1; }
}

# Driver and runtime versions first: with a driver older than the runtime, cudaGetDeviceCount fails and
# every GPU test skips (a suite that passes without testing anything).
print_versions() {
  local smi
  smi=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1) || smi="nvidia-smi failed: $smi"
  log "GPUs (nvidia-smi): ${smi//$'\n'/; }"
  log "CUDA version the driver supports: $(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -n 1)"
  log "nvcc here: $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  log "gpu_tests: $(uninlu_bin gpu_tests --gtest_filter=CudaVersions.* 2>&1 | grep '^cuda runtime' || echo 'did not start')"
}

# GPUs nvidia-smi lists (0 without nvidia-smi or without a GPU).
listed_gpus() { nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true; }

# skipped_tests XML: the number of skipped tests in a gtest XML report.
skipped_tests() {
  "$PYTHON" - "$1" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
skipped = sum(1 for case in root.iter("testcase")
              if case.get("result") == "skipped" or case.get("status") == "notrun" or case.find("skipped") is not None)
print(skipped)
PYEOF
}

# With a GPU listed, the GPU tests must run: a skip there means the binary saw no usable GPU (driver
# too old for the runtime, no device node, CUDA_VISIBLE_DEVICES...). Tests that need 2 GPUs may skip
# on a one-GPU machine; NoGpu.* skip whenever a GPU is there.
check_gpu_tests_ran() {
  local xml=$RESULTS/gpu_tests.xml gpus skipped
  gpus=$(listed_gpus)
  [[ "$gpus" -gt 0 ]] || { log "gpu_tests: nvidia-smi lists no GPU; skips are expected"; return 0; }
  [[ -f "$xml" ]] || { log "gpu_tests: no XML report"; return 1; }
  skipped=$("$PYTHON" - "$xml" "$gpus" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
gpus = int(sys.argv[2])
def allowed(case):
    name = case.get("classname", "") + "." + case.get("name", "")
    return name.startswith("NoGpu.") or (gpus < 2 and ("LayerSplit" in name or "TwoGpu" in name))
bad = [case.get("classname", "") + "." + case.get("name", "") for case in root.iter("testcase")
       if (case.get("result") == "skipped" or case.find("skipped") is not None) and not allowed(case)]
print(len(bad))
for name in bad[:20]:
    print("  skipped:", name, file=sys.stderr)
PYEOF
)
  if [[ "$skipped" != 0 ]]; then
    log "gpu_tests: nvidia-smi lists $gpus GPU(s) but $skipped GPU test(s) skipped: the tests did not see the GPU"
    return 1
  fi
  log "gpu_tests: $gpus GPU(s) listed, $(skipped_tests "$xml") test(s) skipped, all of them allowed"
}

phase_tests() {
  load_env
  print_versions
  step monitor_tests uninlu_bin monitor_tests --gtest_output="xml:$RESULTS/monitor_tests.xml"
  UNINLU_GPU_FULL_MODEL="$FIXTURES/models/full" UNINLU_GPU_FULL_MODEL_CASES="$FULL_MODEL_CASES" \
    step gpu_tests uninlu_bin gpu_tests --gtest_output="xml:$RESULTS/gpu_tests.xml"
  step gpu_tests_ran check_gpu_tests_ran
  grep -E '^(golden|attention|gemm|embedding|layernorm|gelu|text stage|hint stage|cross stage|cuda:0 budget|gpu [0-9]|no GPU)' \
    "$RESULTS/gpu_tests.log" >"$RESULTS/gpu_tests_figures.txt" 2>/dev/null || true
}

# serve NAME EXTRA_ARGS...: starts uninlu serve on the full-size model in the background (SERVER_PID).
SERVER_PID=""
serve() {
  local name=$1
  shift
  # env execs the server, so $! is the server itself (what stop_server kills).
  env LD_LIBRARY_PATH="$UNINLU_LD" "$BIN/uninlu" serve --model "$FIXTURES/models/full" --device cuda:0 \
    --host 127.0.0.1 --port "$PORT" --gpu-log "$RESULTS/$name.gpu.log" --gpu-log-interval-s 2 "$@" \
    >"$RESULTS/$name.serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    if "$PYTHON" - "$PORT" <<'EOF' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=2).read()
EOF
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { log "uninlu serve exited; see $RESULTS/$name.serve.log"; return 1; }
    sleep 0.5
  done
  log "uninlu serve did not answer /health"
  return 1
}

stop_server() {
  local name=$1
  if [[ -n "$SERVER_PID" ]]; then
    "$PYTHON" - "$PORT" "$RESULTS/$name.health.json" "$RESULTS/$name.metrics.txt" <<'EOF' || true
import sys, urllib.request
base = "http://127.0.0.1:%s" % sys.argv[1]
open(sys.argv[2], "wb").write(urllib.request.urlopen(base + "/health", timeout=5).read())
open(sys.argv[3], "wb").write(urllib.request.urlopen(base + "/metrics", timeout=5).read())
EOF
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}

http_load() {  # http_load NAME SECONDS
  "$PYTHON" tests/gpu/load_client.py --url "http://127.0.0.1:$PORT" --connections "$CONNECTIONS" \
    --duration "$2" --warmup 5 --schema-as-string --out "$RESULTS/$1.json"
}

phase_bench() {
  load_env
  step request_bench uninlu_bin gpu_request_bench --model "$FIXTURES/models/full" --precisions fp16,bf16,fp32 \
    --batches 1,8,32,128,256 --seconds 2 --json "$RESULTS/request_bench.json"
  local precision
  for precision in fp16 bf16; do
    if serve "http_$precision" --gpu-precision "$precision"; then
      step "http_$precision" http_load "http_$precision" "$BENCH_SECONDS"
      # The CPU team's load generator too, when this build has it (its JSON goes into the tarball).
      if uninlu_bin uninlu bench --help >/dev/null 2>&1; then
        step "http_${precision}_uninlu_bench" uninlu_bin uninlu bench --url "http://127.0.0.1:$PORT" \
          --connections "$CONNECTIONS" --duration "$BENCH_SECONDS" --json-out "$RESULTS/http_${precision}_uninlu_bench.json"
      fi
      stop_server "http_$precision"
    else
      failed "serve_$precision"
      stop_server "http_$precision"
    fi
  done
}

drill_check() {  # the fault drill's load must lose nothing: no failed request, no wrong answer
  http_load drill "$BENCH_SECONDS" || return 1
  "$PYTHON" - "$RESULTS/drill.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("drill: %d requests, %d failed, %d answers differ; served by %s" % (
    r["requests"], r["failed"], r["answers_differing_from_majority"], r["served_by"]))
sys.exit(0 if r["failed"] == 0 and r["answers_differing_from_majority"] == 0 and r["ok"] > 0 else 1)
EOF
}

phase_drill() {
  load_env
  # Several rules fire on call 40 (a multiple of 5): the most severe wins, so it is the device reset.
  if UNINLU_FAULT_INJECT="cuda:0:oom:every=5;cuda:0:error:every=13;cuda:0:sticky:at=40" serve drill; then
    step drill drill_check
    grep -cE "failed a (text|cross) batch" "$RESULTS/drill.serve.log" >"$RESULTS/drill_faults.txt" 2>/dev/null || true
    step drill_reset grep -q "device state rebuilt after a device reset" "$RESULTS/drill.serve.log"
    stop_server drill
  else
    failed serve_drill
    stop_server drill
  fi
}

phase_reference() {
  step reference "$PYTHON" tools/bench_gpu_reference.py --model "$FIXTURES/models/full" --autocast fp16 \
    --threads "1,8,32,$CONNECTIONS" --seconds "$BENCH_SECONDS" --out "$RESULTS/reference.json"
}

phase_summary() {
  "$PYTHON" - "$RESULTS" >"$RESULTS/summary.md" <<'EOF'
import json, os, sys
results = sys.argv[1]
failed_file = os.path.join(results, "failed_steps.txt")
failed = open(failed_file).read().split() if os.path.exists(failed_file) else []
def load(name):
    try:
        return json.load(open(os.path.join(results, name)))
    except (OSError, ValueError):
        return None
print("# uninlu on a GPU: run_on_gpu.sh results\n")
env = open(os.path.join(results, "environment.log")).read() if os.path.exists(os.path.join(results, "environment.log")) else ""
gpu = next((l.strip() for l in env.splitlines() if "NVIDIA" in l and "MiB" in l), "?")
print("GPU: `%s`\n" % gpu)
print("Failed steps: %s\n" % (", ".join(failed) if failed else "none"))
figures = os.path.join(results, "gpu_tests_figures.txt")
if os.path.exists(figures):
    print("## Accuracy (gpu_tests)\n```\n" + "".join(l for l in open(figures) if l.startswith(("golden", "cuda:0"))) + "```\n")
rb = load("request_bench.json")
if rb:
    print("## In-process (gpu_request_bench), load-test request\n\n| precision | requests/call | req/s | ms per call p50 |\n|---|---|---|---|")
    for r in rb["results"]:
        print("| %s | %d | %.0f | %.2f |" % (r["precision"], r["requests_per_call"], r["requests_per_second"], r["call_ms_p50"]))
    print()
ref = load("reference.json")
ref_best = max((r["qps"] for r in ref["runs"]), default=0) if ref else 0
print("## Whole request over HTTP, %s connections\n\n| system | req/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|" % os.environ.get("CONNECTIONS", "100"))
for name in ("http_fp16", "http_bf16", "drill"):
    r = load(name + ".json")
    if r:
        print("| uninlu %s | %.0f | %.1f | %.1f | %d |" % (name, r["qps"], r["latency_ms"]["p50"] or 0, r["latency_ms"]["p99"] or 0, r["failed"]))
if ref:
    for r in ref["runs"]:
        print("| Python reference fp16 autocast, %d threads | %.1f | %.1f | %.1f | %d |" % (
            r["threads"], r["qps"], r["latency_ms"]["p50"] or 0, r["latency_ms"]["p99"] or 0, len(r["errors"])))
print()
fp16 = load("http_fp16.json")
if fp16 and ref_best:
    ratio = fp16["qps"] / ref_best
    print("**uninlu fp16 / best Python reference: %.1fx** (target >= 20x)\n" % ratio)
if fp16:
    print("Load client CPU share: %.2f (close to 1 would mean the client, not the server, was the limit)\n" % fp16["client_cpu_share"])
EOF
  cat "$RESULTS/summary.md" >&2
}

collect() {
  local dest=${RESULTS_DIR:-${OUT:-$BUILD/results-out}}
  mkdir -p "$dest"
  cp "$RESULTS/summary.md" "$dest/" 2>/dev/null
  tar -C "$BUILD" -czf "$dest/results.tar.gz" results
  log "results: $dest/summary.md and $dest/results.tar.gz"
}

cmd_run() {
  mkdir -p "$RESULTS"
  local phases=("$@")
  [[ ${#phases[@]} -gt 0 ]] || phases=(setup tests bench drill reference summary)
  local p
  for p in "${phases[@]}"; do
    case "$p" in
      setup | tests | bench | drill | reference | summary) "phase_$p" ;;
      *) log "unknown phase $p"; exit 2 ;;
    esac
  done
  [[ " ${phases[*]} " == *" summary "* ]] || phase_summary
  collect
  if [[ ${#FAILED_STEPS[@]} -gt 0 ]]; then
    log "failed steps: ${FAILED_STEPS[*]}"
    return 1
  fi
}

case "${1:-}" in
  bundle) cmd_bundle ;;
  run) shift; cmd_run "$@" ;;
  all) shift; NATIVE_BUILD=1 cmd_run "$@" ;;
  *) sed -n '2,28p' "$0"; exit 2 ;;
esac
