#!/usr/bin/python3
"""Entity-level precision / recall / F1 of the Python reference pipeline (tools/reference/pipeline.py) on
a CLUENER-format file: the same metric as `uninlu eval`, computed without any of the C++ code.

  /usr/bin/python3 tools/reference_eval.py --model models/uninlu-cluener --data data/cluener/dev.json

Each line's text goes through SiameseUIE.predict with the schema {"地址": null, "书名": null, ...}
(--types TYPE=PROMPT,... changes it); every result [{"type": prompt, "offset": [b, e]}] becomes the
entity (type, b, e - 1); gold entities are the label's (type, start, end_inclusive). Sets on both sides,
exact match, per type and micro-averaged (tools/cluener_metrics.py). Exit code 2 for a missing file,
a line that is not JSON or has no label, or a label type that is not evaluated.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.threads import pin_threads, threads_from_argv  # noqa: E402

pin_threads(threads_from_argv())  # before torch loads OpenBLAS
import torch  # noqa: E402

from cluener_data import gold_spans, parse_types, read_jsonl  # noqa: E402
from cluener_metrics import Scorer, format_table  # noqa: E402
from reference.pipeline import SiameseUIE  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="CLUENER JSON lines with labels")
    ap.add_argument("--types", default="", help="TYPE=PROMPT,... (default: the 10 CLUENER types)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N examples")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--predictions", help="also write each line's predicted entities here (JSON lines)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    try:
        prompts = parse_types(args.types)
        if not os.path.isfile(args.data):
            raise ValueError(f"data file {args.data!r} does not exist or is not a file")
        records = []
        for no, rec in read_jsonl(args.data):
            if args.limit and len(records) >= args.limit:
                break
            records.append((no, rec, gold_spans(rec, prompts, f"line {no}: ")))
        if not records:
            raise ValueError(f"data file {args.data!r} has no examples")
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    by_prompt = {p: t for t, p in prompts.items()}
    schema = {p: None for p in prompts.values()}
    ref = SiameseUIE(args.model)
    scorer = Scorer(list(prompts))
    pred_out = open(args.predictions, "w", encoding="utf-8") if args.predictions else None
    t0 = time.perf_counter()
    for no, rec, gold in records:
        out = ref.predict(rec["text"], schema)
        pred = set()
        for chain in out["output"]:
            item = chain[0]
            b, e = item["offset"]
            pred.add((by_prompt[item["type"]], b, e - 1))
        scorer.add(gold, pred)
        if pred_out:
            pred_out.write(json.dumps({"line": no, "pred": sorted(pred)}, ensure_ascii=False) + "\n")
    seconds = time.perf_counter() - t0
    if pred_out:
        pred_out.close()
    rep = scorer.report()
    if args.json:
        for t, r in rep["types"].items():
            r["prompt"] = prompts[t]
        print(json.dumps({"model": args.model, "data": args.data, "texts": len(records), **rep,
                          "seconds": seconds, "texts_per_second": len(records) / seconds}, ensure_ascii=False, indent=2))
    else:
        print(f"reference pipeline, model {args.model}, data {args.data} ({len(records)} texts, "
              f"{rep['micro']['gold']} gold entities)\n")
        print(format_table(rep, prompts))
        print(f"\n{len(records)} texts in {seconds:.2f} s: {len(records) / seconds:.1f} texts/s "
              f"(torch threads {args.threads})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
