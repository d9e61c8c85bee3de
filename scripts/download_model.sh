#!/usr/bin/env bash
# Downloads the SiameseUniNLU model from ModelScope into a directory `uninlu serve --model` can use.
#
#   scripts/download_model.sh [--dest DIR] [--model-id ID] [--revision REV] [--base-url URL]
#                             [--uninlu BIN] [--vocab-lines N] [--force | --if-missing]
#
#   --dest DIR        where the model goes (default: ./models/nlp_structbert_siamese-uninlu_chinese-base)
#   --model-id ID     ModelScope model id (default: iic/nlp_structbert_siamese-uninlu_chinese-base)
#   --revision REV    branch, tag or commit (default: master)
#   --base-url URL    ModelScope endpoint (default: $UNINLU_MODELSCOPE_URL, else https://www.modelscope.cn)
#   --uninlu BIN      binary for the final `uninlu info --model DIR` check (default: $UNINLU_BIN, else
#                     `uninlu` on PATH, else <repo>/build/src/cli/uninlu; skipped when none is found)
#   --vocab-lines N   lines expected in vocab.txt (default 21128, bert-base-chinese; 0: do not check)
#   --force           replace DIR when it holds something else (default: refuse; a DIR already holding
#                     this model id and revision, as recorded by an earlier run, is left as it is)
#   --if-missing      do nothing (exit 0, no network) when DIR already holds a model: config.json,
#                     vocab.txt and pytorch_model.bin or model.safetensors, however it got there (a
#                     Kubernetes initContainer on a volume that may have been filled by hand)
#
# ModelScope HTTP API used (the same calls as the modelscope Python SDK's hub/api.py and file_download.py):
#   listing:  GET {base}/api/v1/models/{id}/repo/files?Revision={rev}&Recursive=true
#             -> {"Code": 200, "Data": {"Files": [{"Path", "Type": "blob"|"tree", "Size", "Sha256", ...}]}}
#   one file: GET {base}/api/v1/models/{id}/repo?Revision={rev}&FilePath={path}
#
# Files fetched: config.json, configuration.json, vocab.txt, pytorch_model.bin. They are downloaded into
# a temporary folder beside DIR, verified (size as listed; sha256 when the listing has one; config.json
# and configuration.json parse as JSON objects; pytorch_model.bin is a zip (torch.save) archive; vocab.txt
# has the expected lines; `uninlu info` loads the model), then renamed into place, so DIR is either the
# complete model or untouched.
#
# Exit codes: 0 done (or already present); 1 download or verification failed; 2 usage error or a missing
# tool; 3 ModelScope cannot be reached (offline: download elsewhere and copy the folder, see
# docs/deployment.md).
set -euo pipefail

prog=$(basename "$0")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

model_id=iic/nlp_structbert_siamese-uninlu_chinese-base
revision=master
base_url=${UNINLU_MODELSCOPE_URL:-https://www.modelscope.cn}
dest=""
uninlu_bin=${UNINLU_BIN:-}
vocab_lines=21128
force=0
if_missing=0
files=(config.json configuration.json vocab.txt pytorch_model.bin)
marker=.uninlu-download  # in DIR: what was downloaded, so a second run can tell it is already there

die() {  # die CODE MESSAGE
  echo "$prog: error: $2" >&2
  exit "$1"
}
say() { echo "$prog: $*" >&2; }
usage() {  # usage [EXIT_CODE]
  sed -n '2,/^# ModelScope HTTP API/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --dest | --model-id | --revision | --base-url | --uninlu | --vocab-lines)
      [[ $# -ge 2 ]] || die 2 "$1 needs a value"
      case $1 in
        --dest) dest=$2 ;;
        --model-id) model_id=$2 ;;
        --revision) revision=$2 ;;
        --base-url) base_url=$2 ;;
        --uninlu) uninlu_bin=$2 ;;
        --vocab-lines) vocab_lines=$2 ;;
      esac
      shift 2
      ;;
    --dest=* | --model-id=* | --revision=* | --base-url=* | --uninlu=* | --vocab-lines=*)
      value=${1#*=}
      case $1 in
        --dest=*) dest=$value ;;
        --model-id=*) model_id=$value ;;
        --revision=*) revision=$value ;;
        --base-url=*) base_url=$value ;;
        --uninlu=*) uninlu_bin=$value ;;
        --vocab-lines=*) vocab_lines=$value ;;
      esac
      shift
      ;;
    --force) force=1; shift ;;
    --if-missing) if_missing=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "$prog: unknown argument '$1'" >&2; usage ;;
  esac
done

[[ $model_id =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die 2 "--model-id must look like owner/name, got '$model_id'"
[[ $revision =~ ^[A-Za-z0-9_./-]+$ ]] || die 2 "--revision has unexpected characters: '$revision'"
[[ $force -eq 1 && $if_missing -eq 1 ]] && die 2 "--force and --if-missing exclude each other"
[[ $vocab_lines =~ ^[0-9]+$ ]] || die 2 "--vocab-lines must be a number, got '$vocab_lines'"
base_url=${base_url%/}
[[ $base_url =~ ^https?://[^/]+ ]] || die 2 "--base-url must be an http(s) URL, got '$base_url'"
server=${base_url#*://}
server=${server%%/*}
dest=${dest:-$PWD/models/${model_id#*/}}
dest=${dest%/}
[[ -n $dest ]] || die 2 "--dest must not be /"

command -v curl >/dev/null 2>&1 || die 2 "curl is needed (apt-get install curl)"
command -v sha256sum >/dev/null 2>&1 || die 2 "sha256sum is needed (coreutils)"

# JSON: Python 3 when there is one (any; the stdlib is enough), else jq.
json_tool=${UNINLU_JSON_TOOL:-}
if [[ -z $json_tool ]]; then
  if command -v python3 >/dev/null 2>&1; then
    json_tool=python3
  elif command -v jq >/dev/null 2>&1; then
    json_tool=jq
  else
    die 2 "python3 or jq is needed to read ModelScope's JSON answers (apt-get install jq)"
  fi
fi
case $json_tool in python3 | jq) ;; *) die 2 "UNINLU_JSON_TOOL must be python3 or jq" ;; esac

# The listing as lines "TYPE<TAB>PATH<TAB>SIZE<TAB>SHA256"; fails when it is not a successful answer.
parse_listing() {  # parse_listing FILE
  if [[ $json_tool == python3 ]]; then
    python3 - "$1" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    answer = json.load(f)
data = answer.get("Data") if isinstance(answer, dict) else None
if answer.get("Code") not in (200, "200", None) or not isinstance(data, dict) or not isinstance(data.get("Files"), list):
    sys.stderr.write("unexpected answer: Code={} Message={}\n".format(answer.get("Code"), answer.get("Message")))
    sys.exit(1)
for f in data["Files"]:
    print("\t".join(str(f.get(k) if f.get(k) is not None else "") for k in ("Type", "Path", "Size", "Sha256")))
PY
  else
    jq -er 'if (.Code == null or .Code == 200 or .Code == "200") and (.Data.Files | type) == "array"
            then .Data.Files[] | [(.Type // ""), (.Path // ""), ((.Size // "") | tostring), (.Sha256 // "")] | @tsv
            else ("unexpected answer: Code=\(.Code) Message=\(.Message)\n" | halt_error(1)) end' "$1"
  fi
}

is_json_object() {  # is_json_object FILE
  if [[ $json_tool == python3 ]]; then
    python3 -c 'import json, sys; sys.exit(0 if isinstance(json.load(open(sys.argv[1], encoding="utf-8")), dict) else 1)' "$1" 2>/dev/null
  else
    jq -e 'type == "object"' "$1" >/dev/null 2>&1
  fi
}

unreachable() {  # unreachable CURL_MESSAGE
  die 3 "cannot reach $server: ${1:-no answer}; download the model elsewhere and copy the folder; see docs/deployment.md"
}

# GET URL into FILE; prints the HTTP status. Connection failures end the script as "cannot reach".
fetch() {  # fetch URL FILE [extra curl args]
  local url=$1 out=$2 status err
  shift 2
  err=$(mktemp)
  if ! status=$(curl -sS -L --connect-timeout 20 --retry 3 --retry-delay 2 --retry-connrefused \
    -A "uninlu-download_model.sh" -o "$out" -w '%{http_code}' "$@" "$url" 2>"$err"); then
    local message
    message=$(grep -v '^ *$' "$err" | tail -n 1 | sed 's/^curl: //')
    rm -f "$err"
    unreachable "$message"
  fi
  rm -f "$err"
  printf '%s' "$status"
}

urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

find_uninlu() {
  if [[ -n $uninlu_bin ]]; then
    [[ -x $uninlu_bin ]] || die 2 "--uninlu/UNINLU_BIN $uninlu_bin is not executable"
    printf '%s' "$uninlu_bin"
  elif command -v uninlu >/dev/null 2>&1; then
    command -v uninlu
  elif [[ -x $repo/build/src/cli/uninlu ]]; then
    printf '%s' "$repo/build/src/cli/uninlu"
  fi
}

# --- already there? ---------------------------------------------------------------------------------
want="model_id=$model_id revision=$revision"
holds_model() {  # holds_model DIR
  [[ -f $1/config.json && -f $1/vocab.txt && ( -f $1/pytorch_model.bin || -f $1/model.safetensors ) ]]
}
# An empty DIR (made by hand, or by a previous failed attempt) counts as absent.
if [[ -d $dest ]] && [[ -z $(ls -A "$dest") ]]; then
  rmdir "$dest" 2>/dev/null || true
fi
if [[ $if_missing -eq 1 ]] && holds_model "$dest"; then
  say "$dest already holds a model (--if-missing): nothing to do"
  exit 0
fi
if [[ -e $dest ]]; then
  if [[ -f $dest/$marker ]] && [[ $(head -n 1 "$dest/$marker") == "$want" ]]; then
    say "$dest already holds $model_id at $revision (downloaded $(sed -n 2p "$dest/$marker")); nothing to do"
    exit 0
  fi
  if [[ $force -ne 1 ]]; then
    die 2 "$dest already exists and is not a download of $model_id at $revision; use --force to replace it"
  fi
fi

parent=$(dirname "$dest")
mkdir -p "$parent" || die 1 "cannot create $parent"
work=$(mktemp -d "$parent/.${dest##*/}.download.XXXXXX") || die 1 "cannot create a temporary folder in $parent"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
model_tmp=$work/model
mkdir "$model_tmp"

# --- listing ----------------------------------------------------------------------------------------
encoded_revision=$(urlencode "$revision")
listing_url="$base_url/api/v1/models/$model_id/repo/files?Revision=$encoded_revision&Recursive=true"
say "listing $model_id at $revision: $listing_url"
status=$(fetch "$listing_url" "$work/listing.json" --max-time 120) || exit $?
case $status in
  200) ;;
  401 | 403) die 1 "ModelScope refused the listing (HTTP $status): is $model_id private?" ;;
  404) die 1 "ModelScope has no model $model_id at revision $revision (HTTP 404)" ;;
  *) die 1 "ModelScope answered HTTP $status for $listing_url: $(head -c 300 "$work/listing.json")" ;;
esac
if ! parse_listing "$work/listing.json" >"$work/listing.tsv" 2>"$work/listing.err"; then
  die 1 "cannot read the listing of $model_id: $(cat "$work/listing.err")"
fi

declare -A size_of sha_of
while IFS=$'\t' read -r type path size sha; do
  [[ $type == tree ]] && continue
  size_of[$path]=$size
  sha_of[$path]=$sha
done <"$work/listing.tsv"

total=0
for f in "${files[@]}"; do
  [[ -n ${size_of[$f]+x} ]] || die 1 "$model_id at $revision has no $f (files listed: $(cut -f2 "$work/listing.tsv" | tr '\n' ' '))"
  [[ ${size_of[$f]} =~ ^[0-9]+$ ]] || die 1 "the listing gives no size for $f"
  total=$((total + size_of[$f]))
done
free_kb=$(df -Pk "$parent" | awk 'NR == 2 { print $4 }')
if [[ $free_kb =~ ^[0-9]+$ ]] && ((free_kb * 1024 < total + 16 * 1024 * 1024)); then
  die 1 "not enough space in $parent: the model needs $((total / 1048576)) MiB, $((free_kb / 1024)) MiB free"
fi

# --- download and verify each file ------------------------------------------------------------------
for f in "${files[@]}"; do
  url="$base_url/api/v1/models/$model_id/repo?Revision=$encoded_revision&FilePath=$(urlencode "$f")"
  say "downloading $f ($((size_of[$f] / 1024)) KiB)"
  # No overall time limit (the weights are ~400 MB), but a stalled transfer (< 1 KiB/s for 60 s) fails.
  status=$(fetch "$url" "$model_tmp/$f" --speed-limit 1024 --speed-time 60) || exit $?
  [[ $status == 200 ]] || die 1 "downloading $f failed: HTTP $status from $url"

  got=$(stat -c %s "$model_tmp/$f")
  [[ $got == "${size_of[$f]}" ]] || die 1 "$f: got $got bytes, the listing says ${size_of[$f]} (incomplete download?)"
  if [[ -n ${sha_of[$f]} ]]; then
    sum=$(sha256sum "$model_tmp/$f" | cut -d' ' -f1)
    [[ ${sum,,} == "${sha_of[$f],,}" ]] || die 1 "$f: sha256 $sum does not match the listing's ${sha_of[$f]}"
  else
    say "  (the listing gives no sha256 for $f: checked by size only)"
  fi
done

for f in config.json configuration.json; do
  is_json_object "$model_tmp/$f" || die 1 "$f is not a JSON object"
done
magic=$(head -c 4 "$model_tmp/pytorch_model.bin" | od -An -tx1 | tr -d ' \n')
[[ $magic == 504b0304 ]] || die 1 "pytorch_model.bin does not start with the zip magic PK\\x03\\x04 (got $magic): not a torch.save archive"
if [[ $vocab_lines -gt 0 ]]; then
  lines=$(awk 'END { print NR }' "$model_tmp/vocab.txt")
  [[ $lines == "$vocab_lines" ]] || die 1 "vocab.txt has $lines lines, expected $vocab_lines (--vocab-lines)"
fi

bin=$(find_uninlu)
if [[ -n $bin ]]; then
  say "checking with $bin info --model ..."
  if ! "$bin" info --model "$model_tmp" >"$work/info.txt" 2>&1; then
    cat "$work/info.txt" >&2
    die 1 "uninlu cannot load the downloaded model (above); nothing was installed"
  fi
  sed 's/^/  /' "$work/info.txt" >&2
else
  say "no uninlu binary found: skipping the final 'uninlu info' check"
fi

printf '%s\n%s\n' "$want" "$(date -u '+%Y-%m-%dT%H:%M:%SZ') from $base_url" >"$model_tmp/$marker"

# --- into place -------------------------------------------------------------------------------------
# rename(2) on the same file system: DIR appears complete or not at all. Replacing (--force) moves the
# old DIR aside first, so there is a moment without DIR, never a half-written one.
if [[ -e $dest ]]; then
  # Another download (a second pod's initContainer on a shared volume) may have finished meanwhile.
  if [[ -f $dest/$marker && $(head -n 1 "$dest/$marker") == "$want" ]] ||
    { [[ $if_missing -eq 1 ]] && holds_model "$dest"; }; then
    say "$dest was completed by another download meanwhile; keeping it"
    echo "$dest"
    exit 0
  fi
  [[ $force -eq 1 ]] || die 2 "$dest appeared during the download and is not this model; use --force to replace it"
  mv -T "$dest" "$work/old"
fi
mv -T "$model_tmp" "$dest"
say "done: $dest"
echo "$dest"
