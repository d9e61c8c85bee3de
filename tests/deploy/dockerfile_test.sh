#!/usr/bin/env bash
# deploy/Dockerfile, checked without Docker (fast, and where no Docker engine runs; docker_image_test.sh
# builds and runs the image for real):
#   1. static checks of the Dockerfile and .dockerignore (tests/deploy/dockerfile_check.py);
#   2. shellcheck on every RUN command, extracted as the bash scripts Docker would run;
#   3. the package names it installs exist in Debian 12 (build_packages, runtime_packages of
#      scripts/install_deps.sh);
#   4. the CPU build stage's cmake configure/build/install, run outside Docker into a temp prefix
#      (/src = this repo, /build = a build dir, /opt/uninlu = the temp prefix):
#        default: the same configure in a scratch dir; the compile is taken from <build-dir> (its
#                 install tree is the same) unless <build-dir> is itself configured like the image
#                 (tests, benchmarks and CUDA off), in which case the RUN runs there unchanged;
#        --full:  the RUN command verbatim in a fresh build dir (a full compile: ~10 min on 2 cores);
#   5. the runtime stage's promises on the installed tree: ldd finds every library, every library's
#      package is in install_deps.sh --runtime-only or its dependencies, the entrypoint serves the
#      tiny model mounted at the model path, the HEALTHCHECK command passes, SIGTERM exits 0.
#   tests/deploy/dockerfile_test.sh <build-dir> [--full]
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { echo "usage: $0 <build-dir> [--full]" >&2; exit 2; }
build=$(cd "$1" && pwd)
full=0
[[ ${2:-} == --full ]] && full=1
require_binary "$build"
require_tiny_model "$build"

tmp=$(mktemp -d -t uninlu_docker.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then stop_pid "$server_pid" 10; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- 1. static checks -----------------------------------------------------------------------------
while IFS= read -r line; do
  case $line in
    ok:*) check_pass "${line#ok: }" ;;
    FAILED:*) check_fail "${line#FAILED: }" ;;
    "exit: 0") ;;
    "exit: "*) check_fail "dockerfile_check.py ${line}" ;;
    *) note "$line" ;;
  esac
done < <("$python" "$deploy_tests/dockerfile_check.py" "$repo/deploy/Dockerfile" "$repo" "$tmp/runs" 2>&1; echo "exit: $?")

# --- 2. shellcheck on the RUN commands --------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
  for f in "$tmp"/runs/*.sh; do
    if output=$(shellcheck --exclude=SC2317 "$f" 2>&1); then
      check_pass "shellcheck: RUN $(basename "$f" .sh)"
    else
      check_fail "shellcheck: RUN $(basename "$f" .sh)"
      indent "$(cat "$f")"
      indent "$output"
    fi
  done
else
  note "shellcheck not installed: RUN commands not linted"
fi

# --- 3. package names -------------------------------------------------------------------------------
package_list() {  # package_list ARRAY_NAME: that array of scripts/install_deps.sh, one name a line
  (
    eval "$(sed -n "/^$1=(/,/^[^#]*)/p" "$repo/scripts/install_deps.sh")"  # to the ")" outside a comment
    declare -n list=$1
    printf '%s\n' "${list[@]}"
  )
}
mapfile -t build_packages < <(package_list build_packages)
mapfile -t runtime_packages < <(package_list runtime_packages)
check "install_deps.sh has build_packages (${#build_packages[@]})" test "${#build_packages[@]}" -gt 5
check "install_deps.sh has runtime_packages (${#runtime_packages[@]})" test "${#runtime_packages[@]}" -gt 3
known_package() {  # installed here, or apt knows it
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ||
    apt-cache show "$1" >/dev/null 2>&1
}
for p in "${build_packages[@]}" "${runtime_packages[@]}" jq ca-certificates; do
  check "Debian 12 has package $p" known_package "$p"
done

# --- 4. the build stage's cmake steps ---------------------------------------------------------------
prefix=$tmp/opt/uninlu
run_script=$tmp/runs/build-run-3.sh
if ! grep -q "cmake --install /build" "$run_script" 2>/dev/null; then
  run_script=$(grep -l "cmake --install /build" "$tmp"/runs/build-run-*.sh | head -n 1)
fi
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" 2>/dev/null; }
image_like=0
if [[ $(cache_value UNINLU_BUILD_TESTS) == OFF && $(cache_value UNINLU_BUILD_BENCH) == OFF &&
  $(cache_value UNINLU_WITH_CUDA) == OFF && $(cache_value CMAKE_GENERATOR) == Ninja ]]; then
  image_like=1
fi
export BUILD_JOBS=${BUILD_JOBS:-2}
if [[ $full -eq 1 ]]; then
  stage_build=$tmp/build
  mode="verbatim, fresh build dir (full compile)"
elif [[ $image_like -eq 1 ]]; then
  stage_build=$build
  mode="verbatim, in $build (configured like the image)"
else
  stage_build=$tmp/build
  mode="configure in a scratch dir; compiled tree and install from $build"
fi
# Paths of the image -> paths here (and the host's ccache statistics are not this test's to reset).
# /src goes through a placeholder: the repo itself may live under /src (CI's fresh root: /src/uninlu).
sed -e "s# /src # @REPO@ #g; s#/src/#@REPO@/#g; s#@REPO@#$repo#g; s#/opt/uninlu#$prefix#g; s# /build# $stage_build#g" \
  -e "s#ccache --zero-stats[^;]*;#:;#" "$run_script" >"$tmp/build-stage.sh"
if [[ $full -eq 0 && $image_like -eq 0 ]]; then
  # (--prefix: <build-dir> has its own install prefix, e.g. /usr/local, which must not be touched.)
  sed -i -e "s#cmake --build ${stage_build}[^;]*;#:;#; s#cmake --install $stage_build#cmake --install $build --prefix $prefix#" \
    "$tmp/build-stage.sh"
elif [[ $full -eq 0 ]]; then
  # <build-dir> keeps its own install prefix; the install goes to the temp prefix all the same.
  sed -i -e "s#-DCMAKE_INSTALL_PREFIX=[^ ]*##; s#cmake --install $stage_build#cmake --install $stage_build --prefix $prefix#" \
    "$tmp/build-stage.sh"
fi
note "build stage ($mode): $(grep -o 'cmake -S[^;]*' "$tmp/build-stage.sh" | tr -s ' ')"
if bash "$tmp/build-stage.sh" >"$tmp/build-stage.log" 2>&1; then
  check_pass "the build stage's RUN (cmake configure, build, install --strip, --version) succeeds"
else
  check_fail "the build stage's RUN failed:"
  tail -30 "$tmp/build-stage.log"
fi
# The configure from what `docker build` would send (.dockerignore applied: no tests/, bench/, build*/).
if "$python" "$deploy_tests/dockerfile_check.py" --context "$repo" "$tmp/context" >"$tmp/context.log" 2>&1; then
  note "$(tail -n 1 "$tmp/context.log")"
  if cmake -S "$tmp/context" -B "$tmp/build-context" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUNINLU_BUILD_TESTS=OFF \
    -DUNINLU_BUILD_BENCH=OFF -DUNINLU_WITH_CUDA=OFF >"$tmp/context-configure.log" 2>&1; then
    check_pass "cmake configures from the Docker build context alone"
  else
    check_fail "cmake cannot configure from the Docker build context (.dockerignore drops something needed):"
    tail -15 "$tmp/context-configure.log"
  fi
else
  check_fail "copying the build context failed: $(tail -n 3 "$tmp/context.log")"
fi

# FLAVOR=cuda: its configure (nvcc path, architectures), when this machine has the same CUDA toolkit.
cuda_version=$(sed -n "s/^CUDA_VERSION=//p" "$run_script" | tr -d "'")
if [[ -x /usr/local/cuda-$cuda_version/bin/nvcc ]]; then
  sed -e "s#^FLAVOR=.*#FLAVOR=cuda#; s# /src # $repo #g; s# /build# $tmp/build-cuda#g" \
    -e "s#cmake --build [^;]*;#:;#; s#cmake --install [^;]*;#:;#; s#install -m [^;]*;#:;#g; s#/opt/uninlu/bin/uninlu --version#:#" \
    "$run_script" >"$tmp/build-stage-cuda.sh"
  if bash "$tmp/build-stage-cuda.sh" >"$tmp/build-stage-cuda.log" 2>&1 &&
    grep -q "CUDA backend ON" "$tmp/build-stage-cuda.log"; then
    check_pass "FLAVOR=cuda: the build stage's configure finds nvcc $cuda_version (CUDA backend ON)"
  else
    check_fail "FLAVOR=cuda: the build stage's configure failed:"
    tail -20 "$tmp/build-stage-cuda.log"
  fi
else
  note "no CUDA $cuda_version toolkit here (/usr/local/cuda-$cuda_version): FLAVOR=cuda's configure not checked"
fi

installed=$prefix/bin/uninlu
check "installed: bin/uninlu" test -x "$installed"
check "nothing was installed outside the temp prefix" bash -c "! grep -v '^$prefix/' '$stage_build/install_manifest.txt' '$build/install_manifest.txt' 2>/dev/null | grep -q ."
check "installed: bin/uninlu-entrypoint" test -x "$prefix/bin/uninlu-entrypoint"
check "installed: bin/download_model.sh" test -x "$prefix/bin/download_model.sh"
check "installed uninlu --version prints the version" bash -c "'$installed' --version | grep -Eq '^[0-9]+\.[0-9]+'"
if [[ -d $repo/models/uninlu-cluener ]]; then
  check "installed: the bundled model in share/uninlu/model" test -f "$prefix/share/uninlu/model/config.json"
fi

# --- 5. the runtime stage's promises ----------------------------------------------------------------
ldd_out=$(ldd "$installed" 2>&1)
check "ldd finds every shared library" bash -c "! grep -q 'not found' <<<\"\$1\"" _ "$ldd_out"
if grep -q 'not found' <<<"$ldd_out"; then indent "$(grep 'not found' <<<"$ldd_out")"; fi

# Which package provides each library, and is it installed by runtime_packages (or their Depends)?
declare -A lib_package=()
while read -r lib; do
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$real" 2>/dev/null | head -n 1 | cut -d: -f1)
  [[ -n $pkg ]] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
  lib_package[$(basename "$lib")]=${pkg:-?}
done < <(awk '/=> \// { print $3 }' <<<"$ldd_out")
cuda_runtime_package() {  # the NVIDIA package that provides a CUDA runtime library, or nothing
  case $1 in
    libcublas.so.* | libcublasLt.so.*) echo libcublas ;;
    libcudart.so.*) echo cuda-cudart ;;
  esac
}
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances "${runtime_packages[@]}" 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
if [[ -z $closure ]]; then
  note "apt-cache knows no packages (run apt-get update): runtime package coverage not checked"
else
  for lib in $(printf '%s\n' "${!lib_package[@]}" | sort); do
    pkg=${lib_package[$lib]}
    cuda_pkg=$(cuda_runtime_package "$lib")
    case $pkg in
      libc6 | libgcc-s1 | libstdc++6) check_pass "$lib ($pkg) is in debian:12-slim" ;;
      \?)
        # A CUDA-enabled <build-dir> links the toolkit's libraries (not Debian packages here): the
        # FLAVOR=cuda runtime stage must install the NVIDIA package that provides each of them.
        if [[ -n $cuda_pkg ]] && grep -q "\"$cuda_pkg-\$v\"" "$repo/deploy/Dockerfile"; then
          check_pass "$lib (CUDA toolkit) is installed by the FLAVOR=cuda runtime stage ($cuda_pkg-<version>)"
        else
          check_fail "$lib: no Debian package provides it and it is not a CUDA runtime library the image installs"
        fi
        ;;
      *)
        if grep -qx "$pkg" <<<"$closure"; then
          if printf '%s\n' "${runtime_packages[@]}" | grep -qx "$pkg"; then how=listed; else how="a dependency of the list"; fi
          check_pass "$lib ($pkg) is installed by install_deps.sh --runtime-only ($how)"
        else
          check_fail "$lib ($pkg) is not installed by install_deps.sh --runtime-only: add $pkg to runtime_packages"
        fi
        ;;
    esac
  done
fi

port=$(free_port)
PATH=$prefix/bin:$PATH UNINLU_MODEL_MOUNT=$tiny_model \
  "$prefix/bin/uninlu-entrypoint" serve --host 127.0.0.1 --port "$port" --threads 1 --access-log "" \
  >"$tmp/entrypoint.log" 2>&1 &
server_pid=$!
if wait_ready "http://127.0.0.1:$port" 60 "$server_pid"; then
  check_pass "the entrypoint serves the model mounted at the model path (UNINLU_MODEL_MOUNT)"
  check "... it used that model" grep -q "using $tiny_model" "$tmp/entrypoint.log"
  check "the HEALTHCHECK command passes" env UNINLU_HEALTH_PORT="$port" sh "$tmp/runs/healthcheck.sh"
  check "POST /api/predict answers" bash -c "curl -fsS -H 'Content-Type: application/json' \
    -d '{\"text\":\"北京是中国的首都\",\"schema\":{\"地点\":null}}' http://127.0.0.1:$port/api/predict | grep -q '\"output\"'"
  kill -TERM "$server_pid"
  rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  check "SIGTERM: the server exits 0 (got $rc)" test "$rc" -eq 0
  check "the HEALTHCHECK command fails when the server is gone" bash -c "! UNINLU_HEALTH_PORT=$port sh '$tmp/runs/healthcheck.sh' 2>/dev/null"
else
  check_fail "the entrypoint did not serve the mounted model: $(tail -5 "$tmp/entrypoint.log")"
fi

if [[ ! -d $prefix/share/uninlu/model ]]; then
  rc=0
  PATH=$prefix/bin:$PATH UNINLU_MODEL_MOUNT=$tmp/no-model timeout 30 "$prefix/bin/uninlu-entrypoint" serve \
    --host 127.0.0.1 --port "$(free_port)" >"$tmp/no-model.log" 2>&1 || rc=$?
  check "no model mounted and none bundled: exit 3 (got $rc)" test "$rc" -eq 3
  check "... the entrypoint names the mount path" grep -q "no model at $tmp/no-model" "$tmp/no-model.log"
fi

finish
