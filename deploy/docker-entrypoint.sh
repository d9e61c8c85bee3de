#!/bin/sh
# The container's entrypoint (installed as /opt/uninlu/bin/uninlu-entrypoint): picks the model, then
# runs `uninlu "$@"` (the image passes `serve` first, so container args are serve flags).
#
# The model, first that applies:
#   1. UNINLU_MODEL, or --model/--config on the command line: left to the server, unchanged;
#   2. the mount point UNINLU_MODEL_MOUNT (default /models/uninlu) when it holds a config.json, else
#      /mnt/models (where KServe's storage initializer puts an InferenceService's storageUri);
#   3. the bundled model (<prefix>/share/uninlu/model), which the server finds by itself;
#   4. neither: UNINLU_MODEL is set to the mount point anyway, so the error names the documented path.
# The port, when no --port is given: $PORT (set by Knative, KServe's Serverless mode), else
# $UNINLU_HTTP_PORT (deploy/kserve's runtimes set it for RawDeployment).
# exec keeps uninlu as PID 1's replacement: it receives SIGTERM directly and drains.
set -eu

mount=${UNINLU_MODEL_MOUNT:-/models/uninlu}
kserve_mount=${UNINLU_KSERVE_MOUNT:-/mnt/models}
bin=${UNINLU_BIN:-uninlu}

port=${PORT:-${UNINLU_HTTP_PORT:-}}
if [ -n "$port" ]; then
  port_given=0
  for arg in "$@"; do
    case $arg in --port | --port=*) port_given=1 ;; esac
  done
  [ "$port_given" -eq 1 ] || set -- "$@" --port "$port"
fi

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
    elif [ -f "$kserve_mount/config.json" ]; then
      UNINLU_MODEL=$kserve_mount
      export UNINLU_MODEL
    else
      bundled=$(dirname "$(command -v "$bin" || echo "$bin")")/../share/uninlu/model
      if [ ! -f "$bundled/config.json" ]; then
        echo "uninlu-entrypoint: no model at $mount or $kserve_mount (mount one there, or set UNINLU_MODEL) and no bundled model" >&2
        UNINLU_MODEL=$mount
        export UNINLU_MODEL
      fi
    fi
  fi
fi

exec "$bin" "$@"
