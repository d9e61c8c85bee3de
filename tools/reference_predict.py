#!/usr/bin/python3
"""Runs the Python reference of the SiameseUniNLU pipeline (tools/reference) on one request or a file
of requests and prints what ModelScope's pipeline returns, one JSON line per request:
  {"output": [[{"type": ..., "span": ..., "offset": [b, e]}, ...], ...]}

  /usr/bin/python3 tools/reference_predict.py --model DIR --text '华为在东莞松山湖建设了研发基地' \\
      --schema '{"公司":null,"地理位置":null}'
  /usr/bin/python3 tools/reference_predict.py --model DIR --input goldens/cases.jsonl --check

--input reads JSON lines with "text", "schema" (object or JSON string) or "schema_text", and an optional
"output_all_prefix"; --check compares with each line's "expected" and exits 1 on a difference.
--repeat K times each request K times after --warmup runs and prints ms per request on stderr.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.threads import pin_threads, threads_from_argv  # noqa: E402

pin_threads(threads_from_argv(), threads_from_argv(default=None, flag="--blas-threads"))  # before torch loads OpenBLAS
import torch  # noqa: E402
from reference.pipeline import SchemaError, SiameseUIE  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--text")
    src.add_argument("--input", help="JSON lines file of requests")
    ap.add_argument("--schema", help="JSON object (with --text)")
    ap.add_argument("--output-all-prefix", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op and OpenBLAS threads (default 1)")
    ap.add_argument("--blas-threads", type=int, help="OpenBLAS threads, if not --threads")
    ap.add_argument("--repeat", type=int, default=0, help="time each request this many times")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs before --repeat timing")
    ap.add_argument("--check", action="store_true", help="compare with the 'expected' field of --input lines")
    args = ap.parse_args(argv)
    if args.text is not None and args.schema is None:
        ap.error("--text needs --schema")
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    ref = SiameseUIE(args.model)
    load_s = time.perf_counter() - t0

    requests = []
    if args.text is not None:
        requests.append({"text": args.text, "schema": args.schema, "output_all_prefix": args.output_all_prefix})
    else:
        with open(args.input, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    if "schema_text" in r:
                        r["schema"] = r["schema_text"]
                    r.setdefault("output_all_prefix", args.output_all_prefix)
                    requests.append(r)

    failures = 0
    times = []
    for r in requests:
        try:
            out = ref.predict(r["text"], r["schema"], output_all_prefix=bool(r["output_all_prefix"]))
        except (SchemaError, json.JSONDecodeError) as e:
            print(json.dumps({"error": str(e)}, ensure_ascii=False))
            failures += 1
            continue
        print(json.dumps(out, ensure_ascii=False), flush=True)
        if args.check and "expected" in r and out != r["expected"]:
            failures += 1
            print(f"MISMATCH {r.get('id', '?')}", file=sys.stderr)
        if args.repeat > 0:
            for _ in range(args.warmup):
                ref.predict(r["text"], r["schema"], output_all_prefix=bool(r["output_all_prefix"]))
            for _ in range(args.repeat):
                s = time.perf_counter()
                ref.predict(r["text"], r["schema"], output_all_prefix=bool(r["output_all_prefix"]))
                times.append((time.perf_counter() - s) * 1000.0)
    if args.repeat > 0 and times:
        print(f"reference timing: {len(times)} runs ({len(requests)} request(s) x {args.repeat}, after {args.warmup} "
              f"warm-up each), threads={args.threads} blas_threads={args.blas_threads or args.threads}, load {load_s:.2f} s: mean {statistics.mean(times):.2f} ms, "
              f"median {statistics.median(times):.2f} ms, min {min(times):.2f} ms, max {max(times):.2f} ms per request",
              file=sys.stderr)
    if args.check:
        print(f"checked {len(requests)} request(s): {failures} mismatch(es)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
