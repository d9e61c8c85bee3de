#!/usr/bin/env bash
# Tokenizer parity test: uninlu's tokenizer against the Rust Hugging Face tokenizers library (ids and
# offsets) and transformers.js (ids) on CLUENER texts, seeded hard cases and a code-point sweep; then the
# same for each tokenizer setting a model directory can carry (settings_parity.js).
# Usage: tools/oracle/run_parity.sh BUILD_DIR [SEED]
#   BUILD_DIR holds the built uninlu binary (src/cli/uninlu) and, for the Unicode table check,
#   tests/text/text_unicode_dump. Outputs go to BUILD_DIR/tokenizer-parity/. Exits non-zero on any
#   mismatch. docs/tokenizer.md explains what is compared.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run_parity.sh BUILD_DIR [SEED]}" && pwd)
seed=${2:-20240611}
uninlu=$build/src/cli/uninlu
vocab=$repo/data/vocab/bert-base-chinese-vocab.txt
out=$build/tokenizer-parity
truncation=16
[[ -x $uninlu ]] || { echo "error: $uninlu not built (cmake --build $build --target uninlu)" >&2; exit 2; }

"$here/ensure_node_modules.sh"
mkdir -p "$out"
node "$here/tokenizer_json.js" "$vocab" "$out/tokenizer.json"
node "$here/gen_parity_inputs.js" "$repo" "$out" "$seed"

start=$(date +%s%N)
"$uninlu" tokenize --vocab "$vocab" --jsonl < "$out/inputs.jsonl" > "$out/ours.jsonl"
end=$(date +%s%N)
echo "uninlu tokenize: $(wc -l < "$out/inputs.jsonl") strings, $(wc -c < "$out/inputs.jsonl") bytes of JSON in $(( (end - start) / 1000000 )) ms"
"$uninlu" tokenize --vocab "$vocab" --jsonl --max-length "$truncation" < "$out/inputs.jsonl" > "$out/ours_truncated.jsonl"

status=0
node "$here/compare_parity.js" "$out" "$truncation" || status=1

# Each tokenizer setting a model directory can carry, read by `uninlu tokenize --model` from the files and
# given to the reference tokenizers as the equivalent tokenizer.json.
echo "tokenizer settings (uninlu tokenize --model DIR against the same settings in the references):"
for variant in $(node "$here/settings_parity.js" prepare "$vocab" "$out/inputs.jsonl" "$out/settings"); do
  "$uninlu" tokenize --model "$out/settings/$variant/model" --jsonl < "$out/settings/$variant/inputs.jsonl" \
    > "$out/settings/$variant/ours.jsonl"
  node "$here/settings_parity.js" compare "$out/settings" "$variant" || status=1
done

# User errors on a line: exit code 2 and a message naming the line.
expect_input_error() {  # NAME EXPECTED_MESSAGE ARGS... (stdin: the input)
  local name=$1 expected=$2 rc=0 message
  shift 2
  message=$("$uninlu" tokenize --vocab "$vocab" "$@" 2>&1 >/dev/null) || rc=$?
  if [[ $rc -eq 2 && $message == *"$expected"* ]]; then
    echo "cli: $name -> exit 2, \"$message\""
  else
    echo "FAIL: cli: $name: exit $rc, message \"$message\" (expected exit 2 and \"$expected\")"
    status=1
  fi
}
printf 'ok\nbad \xff\n' | expect_input_error "invalid UTF-8" "input line 2 is not valid UTF-8"
printf '"ok"\n"unterminated\n' | expect_input_error "bad JSON" "input line 2 is not a JSON string literal" --jsonl
printf '"ok"\n["a"]\n' | expect_input_error "JSON that is not a string" "input line 2 is JSON array" --jsonl
printf '"\\ud800"\n' | expect_input_error "lone surrogate escape" "input line 1" --jsonl

# The committed Unicode overrides must still be what the Rust library and utf8proc give.
if [[ -x $build/tests/text/text_unicode_dump ]]; then
  "$here/gen_unicode_overrides.sh" "$build" "$out/hf_unicode_overrides.inc" > /dev/null
  if cmp -s "$out/hf_unicode_overrides.inc" "$repo/src/text/hf_unicode_overrides.inc"; then
    echo "src/text/hf_unicode_overrides.inc: up to date"
  else
    echo "FAIL: src/text/hf_unicode_overrides.inc is stale (diff $out/hf_unicode_overrides.inc; regenerate with tools/oracle/gen_unicode_overrides.sh)"
    status=1
  fi
else
  echo "note: $build/tests/text/text_unicode_dump not built; skipped the Unicode override check"
fi
exit $status
