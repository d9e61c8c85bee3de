#!/usr/bin/env bash
# scripts/download_model.sh:
#   - offline: the real ModelScope host (when it cannot be reached from here, as on the project's
#     machines) and a closed local port: exit 3 with "cannot reach ...; download the model elsewhere
#     and copy the folder; see docs/deployment.md", nothing left behind;
#   - against a local fake ModelScope (tests/deploy/fake_modelscope.py) serving the tiny model: success
#     with sha256 checks and the final `uninlu info`, with Python and with jq for the JSON; a second run
#     is a no-op; an existing other folder is refused without --force and replaced with it; a corrupt
#     file (sha256), a truncated file (size), a listing without sha256, an unknown model and revision.
#   tests/deploy/download_model_test.sh <build-dir>
# shellcheck disable=SC2317  # functions run through trap and check() look unreachable to shellcheck
set -uo pipefail
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || { echo "usage: $0 <build-dir>" >&2; exit 2; }
build=$(cd "$1" && pwd)
require_binary "$build"
require_tiny_model "$build"
command -v curl >/dev/null || skip "curl not installed"

script=$repo/scripts/download_model.sh
model_id=iic/nlp_structbert_siamese-uninlu_chinese-base
tmp=$(mktemp -d -t uninlu_download.XXXXXX)
server_pid=""
stop_server() {
  if [[ -n $server_pid ]]; then stop_pid "$server_pid" 5; fi
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server [fake_modelscope.py fault args]: sets base (its URL).
start_server() {
  stop_server
  rm -f "$tmp/port"
  "$python" "$deploy_tests/fake_modelscope.py" --root "$tiny_model" --model-id "$model_id" --port 0 \
    --port-file "$tmp/port" "$@" 2>>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 100); do [[ -s $tmp/port ]] && break; sleep 0.05; done
  base=http://127.0.0.1:$(cat "$tmp/port")
}

run() {  # run ARGS...: output in $out, exit code in $rc
  out=$("$script" "$@" 2>&1)
  rc=$?
}
contains() { grep -qF -- "$2" <<<"$1"; }
no_leftovers() { ! compgen -G "$1/.*.download.*" >/dev/null; }

# --- offline --------------------------------------------------------------------------------------
if curl -sS -o /dev/null --connect-timeout 5 --max-time 10 https://www.modelscope.cn/ 2>/dev/null; then
  note "www.modelscope.cn is reachable from here: skipping the real offline check (it would download 400 MB)"
else
  run --dest "$tmp/offline/model" --uninlu "$uninlu_bin"
  check "offline (real host): exit 3 (got $rc)" test "$rc" -eq 3
  check "offline: the message names the host and what to do" \
    contains "$out" "cannot reach www.modelscope.cn: "
  check "offline: ... download elsewhere, see docs/deployment.md" \
    contains "$out" "download the model elsewhere and copy the folder; see docs/deployment.md"
  check "offline: nothing created" test ! -e "$tmp/offline/model"
  check "offline: no temporary folder left" no_leftovers "$tmp/offline"
  indent "$(tail -n 1 <<<"$out")"
fi
closed=$(free_port)
run --dest "$tmp/closed/model" --base-url "http://127.0.0.1:$closed" --uninlu "$uninlu_bin"
check "closed port: exit 3 (got $rc)" test "$rc" -eq 3
check "closed port: 'cannot reach 127.0.0.1:$closed'" contains "$out" "cannot reach 127.0.0.1:$closed: "

# --- success --------------------------------------------------------------------------------------
start_server
dest=$tmp/models/uninlu
run --dest "$dest" --base-url "$base" --uninlu "$uninlu_bin"
check "download from the fake server: exit 0 (got $rc)" test "$rc" -eq 0
for f in config.json configuration.json vocab.txt pytorch_model.bin; do
  check "$f is identical to the served one" cmp -s "$tiny_model/$f" "$dest/$f"
done
check "only the model files were fetched (no model.safetensors)" test ! -e "$dest/model.safetensors"
check "the final check ran uninlu info" contains "$out" "parameters"
check "uninlu info loads the result" quiet "$uninlu_bin" info --model "$dest"
check "no temporary folder left" no_leftovers "$tmp/models"
check "the listing URL form is ModelScope's" grep -q "GET /api/v1/models/$model_id/repo/files?Revision=master&Recursive=true" "$tmp/server.log"
check "the file URL form is ModelScope's" grep -q "GET /api/v1/models/$model_id/repo?Revision=master&FilePath=vocab.txt" "$tmp/server.log"
[[ $rc -eq 0 ]] || indent "$out"

run --dest "$dest" --base-url "$base"
check "second run: exit 0 (got $rc)" test "$rc" -eq 0
check "second run: nothing to do" contains "$out" "nothing to do"

mkdir -p "$tmp/models/other"
echo "not a model" >"$tmp/models/other/README"
run --dest "$tmp/models/other" --base-url "$base"
check "existing other folder without --force: exit 2 (got $rc)" test "$rc" -eq 2
check "... and it is untouched" test -f "$tmp/models/other/README"
run --dest "$tmp/models/other" --base-url "$base" --force --uninlu "$uninlu_bin"
check "existing other folder with --force: exit 0 (got $rc)" test "$rc" -eq 0
check "... replaced by the model" test -f "$tmp/models/other/config.json" -a ! -e "$tmp/models/other/README"

if command -v jq >/dev/null 2>&1; then
  out=$(UNINLU_JSON_TOOL=jq "$script" --dest "$tmp/models/jq" --base-url "$base" --uninlu "$uninlu_bin" 2>&1)
  rc=$?
  check "with jq instead of Python: exit 0 (got $rc)" test "$rc" -eq 0
  check "... same files" cmp -s "$tiny_model/pytorch_model.bin" "$tmp/models/jq/pytorch_model.bin"
else
  note "jq not installed: the jq path is not tested"
fi

mkdir -p "$tmp/models/copied"
cp "$tiny_model"/{config.json,vocab.txt,pytorch_model.bin} "$tmp/models/copied/"
run --dest "$tmp/models/copied" --base-url "http://127.0.0.1:$closed" --if-missing
check "--if-missing with a model copied by hand: exit 0 without the network (got $rc)" test "$rc" -eq 0
check "... says nothing to do" contains "$out" "already holds a model"
mkdir -p "$tmp/models/empty"
run --dest "$tmp/models/empty" --base-url "$base" --if-missing
check "--if-missing with an empty folder: downloads (got $rc)" test "$rc" -eq 0 -a -f "$tmp/models/empty/pytorch_model.bin"

# --- failures -------------------------------------------------------------------------------------
run --dest "$tmp/models/x" --base-url "$base" --model-id iic/no-such-model
check "unknown model: exit 1 (got $rc)" test "$rc" -eq 1
check "... says HTTP 404" contains "$out" "HTTP 404"
run --dest "$tmp/models/x" --base-url "$base" --revision v9.9.9
check "unknown revision: exit 1 (got $rc)" test "$rc" -eq 1
run --dest "$tmp/models/x" --base-url "$base" --model-id "bad id"
check "malformed model id: exit 2 (got $rc)" test "$rc" -eq 2

start_server --corrupt pytorch_model.bin
run --dest "$tmp/models/corrupt" --base-url "$base"
check "corrupt file: exit 1 (got $rc)" test "$rc" -eq 1
check "... sha256 mismatch reported" contains "$out" "pytorch_model.bin: sha256"
check "... nothing installed" test ! -e "$tmp/models/corrupt"
check "... no temporary folder left" no_leftovers "$tmp/models"

start_server --truncate vocab.txt
run --dest "$tmp/models/short" --base-url "$base"
check "truncated file: exit 1 (got $rc)" test "$rc" -eq 1
check "... size mismatch reported" contains "$out" "vocab.txt: got"
check "... nothing installed" test ! -e "$tmp/models/short"

start_server --no-sha --corrupt pytorch_model.bin
run --dest "$tmp/models/nosha" --base-url "$base" --uninlu "$uninlu_bin"
check "no sha256 in the listing + corrupt weights: exit 1 (got $rc)" test "$rc" -eq 1
check "... says sizes only" contains "$out" "checked by size only"
check "... caught by the zip magic check" contains "$out" "zip magic"
check "... nothing installed" test ! -e "$tmp/models/nosha"

start_server --no-sha
run --dest "$tmp/models/nosha2" --base-url "$base" --uninlu "$uninlu_bin"
check "no sha256 in the listing, intact files: exit 0 (got $rc)" test "$rc" -eq 0

finish
