#!/usr/bin/env bash
# Regenerates src/text/hf_unicode_overrides.inc: the code points where the Rust Hugging Face tokenizers
# library and utf8proc disagree (see docs/tokenizer.md).
# Usage: tools/oracle/gen_unicode_overrides.sh BUILD_DIR [OUTPUT]
#   BUILD_DIR must hold a built tests/text/text_unicode_dump
#   (cmake --build BUILD_DIR --target text_unicode_dump). OUTPUT defaults to the file in the source tree.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:?usage: gen_unicode_overrides.sh BUILD_DIR [OUTPUT]}
output=${2:-$repo/src/text/hf_unicode_overrides.inc}
dump_tool=$build/tests/text/text_unicode_dump
[[ -x $dump_tool ]] || { echo "error: $dump_tool not built (cmake --build $build --target text_unicode_dump)" >&2; exit 2; }

"$here/ensure_node_modules.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$dump_tool" > "$work/base.txt"
node "$here/gen_unicode_overrides.js" "$work/base.txt" > "$work/overrides.inc"
mv "$work/overrides.inc" "$output"
echo "wrote $output"
