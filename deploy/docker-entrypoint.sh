#!/bin/sh
# The container's entrypoint (installed as /opt/uninlu/bin/uninlu-entrypoint): picks the model, then
# runs `uninlu "$@"` (the image passes `serve` first, so container args are serve flags).
#
# The model, first that applies:
#   1. UNINLU_MODEL, or --model/--config on the command line: left to the server, unchanged;
#   2. the mount point UNINLU_MODEL_MOUNT (default /models/uninlu) when it holds a config.json;
#   3. the bundled model (<prefix>/share/uninlu/model), which the server finds by itself;
#   4. neither: UNINLU_MODEL is set to the mount point anyway, so the error names the documented path.
# exec keeps uninlu as PID 1's replacement: it receives SIGTERM directly and drains.
set -eu

mount=${UNINLU_MODEL_MOUNT:-/models/uninlu}
bin=${UNINLU_BIN:-uninlu}

if [ -z "${UNINLU_MODEL:-}" ]; then
  explicit=0
  for arg in "$@"; do
    case $arg in
      --model | --model=* | --model-path | --model-path=* | --model_path | --model_path=* | --config | --config=*)
        explicit=1 ;;
    esac
  done
  if [ "$explicit" -eq 0 ]; then
    if [ -f "$mount/config.json" ]; then
      UNINLU_MODEL=$mount
      export UNINLU_MODEL
    else
      bundled=$(dirname "$(command -v "$bin" || echo "$bin")")/../share/uninlu/model
      if [ ! -f "$bundled/config.json" ]; then
        echo "uninlu-entrypoint: no model at $mount (mount one there, or set UNINLU_MODEL) and no bundled model" >&2
        UNINLU_MODEL=$mount
        export UNINLU_MODEL
      fi
    fi
  fi
fi

exec "$bin" "$@"
