#!/usr/bin/env python3
"""Rewrites the model answers in src/http/openapi.json's examples after the bundled model changes.

The examples of /api/predict and the v2 infer routes are the bundled model's (models/uninlu-cluener)
answers, and tests/integration/test_openapi.py replays every one of them against it. This serves the
bundled model on the CPU, replays each 200 example of those operations exactly as the test does, and
writes the answer into the example; request_id, timing and devices keep the document's values (they
differ per request, or per machine). Every other example is left as it is.
  /usr/bin/python3 tools/refresh_openapi_examples.py --binary build/src/cli/uninlu
"""
import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import test_http  # noqa: E402
import test_openapi  # noqa: E402

MODEL_ANSWERS = {"/api/predict", "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer"}


def keep_volatile(answer, documented):
    """`answer` with the document's values wherever the key is volatile."""
    if isinstance(answer, dict) and isinstance(documented, dict):
        return {k: (documented[k] if k in test_openapi.VOLATILE and k in documented else keep_volatile(v, documented.get(k)))
                for k, v in answer.items()}
    if isinstance(answer, list) and isinstance(documented, list) and len(answer) == len(documented):
        return [keep_volatile(a, d) for a, d in zip(answer, documented)]
    return answer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the uninlu binary")
    args = ap.parse_args()
    with open(test_openapi.DOCUMENT, encoding="utf-8") as f:
        doc = json.load(f)
    test_http.BINARY, test_http.MODEL = os.path.abspath(args.binary), test_openapi.BUNDLED_MODEL
    server = test_http.Server(["--access-log", "", "--device", "cpu"])
    changed = 0
    try:
        for ex in test_openapi.examples(doc):
            if ex.template not in MODEL_ANSWERS or ex.method != "POST" or ex.status != 200:
                continue
            r = server.request(ex.method, ex.path, ex.body)
            if r.status != 200:
                sys.exit(f"{ex.method} {ex.path} example {ex.name!r}: answered {r.status}: {r.body[:300]}")
            value = keep_volatile(r.json(), ex.example["value"])
            if value != ex.example["value"]:
                ex.example["value"] = value
                changed += 1
                print(f"{ex.method} {ex.path} example {ex.name!r}: updated")
    finally:
        rc = server.stop()
        server.close()
    if rc != 0:
        sys.exit(f"the server exited with {rc}")
    with open(test_openapi.DOCUMENT, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{changed} examples updated in {os.path.relpath(test_openapi.DOCUMENT, REPO)}")


if __name__ == "__main__":
    main()
