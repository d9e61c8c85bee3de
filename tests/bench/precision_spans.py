#!/usr/bin/python3
"""What reduced precision (bf16, int8) changes in the answers, against fp32, at the span level.

Runs `uninlu predict --input` once per precision on the same cases and compares every output chain
(a prediction: the list of {type, span, offset} from the schema root to a leaf) with fp32's:
  added    a chain the reduced precision outputs and fp32 does not
  removed  a chain fp32 outputs and the reduced precision does not
  changed  a removed and an added chain of the same case that differ only in the last element's
           boundaries (same types, overlapping offsets): counted once as changed, not as +1/-1
and the entity-level P/R/F1 of the reduced precision taking fp32's chains as the truth. With --cluener
the cases are a CLUENER-format file run with the 10-type schema, and the F1 against the gold labels is
reported too (the "entity-level F1 change").

  /usr/bin/python3 tests/bench/precision_spans.py --uninlu build-perf/src/cli/uninlu \\
      --model build-perf/fixtures/models/tiny --cases build-perf/fixtures/goldens/cases.jsonl
  /usr/bin/python3 tests/bench/precision_spans.py --uninlu build-perf/src/cli/uninlu \\
      --model models/uninlu-cluener --cluener data/cluener/dev.json [--limit 500] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CLUENER_TYPES = {"address": "地址", "book": "书名", "company": "公司", "game": "游戏", "government": "政府",
                 "movie": "电影", "name": "姓名", "organization": "组织机构", "position": "职位", "scene": "景点"}


def load_cases(path, limit):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            c = json.loads(line)
            if "schema_text" in c:
                c["schema"] = c["schema_text"]
            cases.append({"text": c["text"], "schema": c["schema"],
                          "output_all_prefix": bool(c.get("output_all_prefix", False))})
            if limit and len(cases) >= limit:
                break
    return cases, None


def load_cluener(path, limit):
    schema = {prompt: None for prompt in CLUENER_TYPES.values()}
    cases, gold = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            c = json.loads(line)
            cases.append({"text": c["text"], "schema": schema, "output_all_prefix": False})
            g = set()
            for label, mentions in c.get("label", {}).items():
                for spans in mentions.values():
                    for b, e in spans:
                        g.add(((CLUENER_TYPES[label], b, e + 1),))  # gold ends are inclusive
            gold.append(g)
            if limit and len(cases) >= limit:
                break
    return cases, gold


def chains(output):
    """{"output": [[{type, span, offset}, ...], ...]} -> set of ((type, b, e), ...) chains."""
    return {tuple((el["type"], el["offset"][0], el["offset"][1]) for el in chain) for chain in output["output"]}


def predict(uninlu, model, precision, cases, threads):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
        path = f.name
    try:
        start = time.monotonic()
        run = subprocess.run([uninlu, "predict", "--model", model, "--precision", precision, "--threads", str(threads),
                              "--input", path], capture_output=True, text=True, check=False)
        seconds = time.monotonic() - start
    finally:
        os.unlink(path)
    lines = [l for l in run.stdout.splitlines() if l.strip()]
    if len(lines) != len(cases):
        sys.exit(f"error: uninlu predict --precision {precision} gave {len(lines)} lines for {len(cases)} cases:\n"
                 f"{run.stderr[-2000:]}")
    outs = []
    for l in lines:
        j = json.loads(l)
        outs.append(chains(j) if "output" in j else None)  # None: the case failed (error line)
    return outs, seconds


def overlap(a, b):
    return a[1] < b[2] and b[1] < a[2]


def compare(reference, other):
    added = removed = changed = 0
    cases_differing = 0
    tp = fp = fn = 0
    for ref, got in zip(reference, other):
        if ref is None or got is None:
            continue
        plus, minus = sorted(got - ref), sorted(ref - got)
        tp += len(ref & got)
        fp += len(plus)
        fn += len(minus)
        if plus or minus:
            cases_differing += 1
        used = set()
        for m in minus:
            match = next((i for i, p in enumerate(plus) if i not in used and len(p) == len(m) and p[:-1] == m[:-1]
                          and p[-1][0] == m[-1][0] and overlap(p[-1], m[-1])), None)
            if match is not None:
                used.add(match)
                changed += 1
        added += len(plus) - len(used)
        removed += len(minus) - len(used)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"added": added, "removed": removed, "changed": changed, "cases_differing": cases_differing,
            "chains_fp32": sum(len(r) for r in reference if r is not None),
            "agreement_precision": precision, "agreement_recall": recall, "agreement_f1": f1}


def f1_against_gold(outputs, gold):
    tp = fp = fn = 0
    for got, g in zip(outputs, gold):
        got = got or set()
        tp += len(got & g)
        fp += len(got - g)
        fn += len(g - got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uninlu", required=True)
    ap.add_argument("--model", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--cases", help="JSON lines with text, schema (e.g. goldens/cases.jsonl)")
    src.add_argument("--cluener", help="CLUENER-format file with gold labels (data/cluener/dev.json)")
    ap.add_argument("--precisions", default="bf16,int8")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    cases, gold = load_cluener(args.cluener, args.limit) if args.cluener else load_cases(args.cases, args.limit)
    reference, ref_seconds = predict(args.uninlu, args.model, "fp32", cases, args.threads)
    result = {"model": args.model, "cases": len(cases), "source": args.cluener or args.cases,
              "fp32_failed_cases": sum(1 for r in reference if r is None), "fp32_seconds": ref_seconds,
              "precisions": {}}
    if gold is not None:
        result["fp32_vs_gold"] = f1_against_gold(reference, gold)
    for p in args.precisions.split(","):
        outs, seconds = predict(args.uninlu, args.model, p, cases, args.threads)
        r = compare(reference, outs)
        r["seconds"] = seconds
        if gold is not None:
            r["vs_gold"] = f1_against_gold(outs, gold)
            r["f1_change_vs_fp32"] = r["vs_gold"]["f1"] - result["fp32_vs_gold"]["f1"]
        result["precisions"][p] = r
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
    print(f"{len(cases)} cases from {result['source']} on {args.model}; fp32 outputs "
          f"{sum(len(r) for r in reference if r is not None)} chains")
    if gold is not None:
        g = result["fp32_vs_gold"]
        print(f"fp32 vs gold: P {g['precision']:.4f} R {g['recall']:.4f} F1 {g['f1']:.4f}")
    print("| precision | added | removed | changed | cases differing | agreement F1 vs fp32 |"
          + (" F1 vs gold | F1 change |" if gold is not None else ""))
    print("|---|---|---|---|---|---|" + ("---|---|" if gold is not None else ""))
    for p, r in result["precisions"].items():
        line = (f"| {p} | {r['added']} | {r['removed']} | {r['changed']} | {r['cases_differing']} / {len(cases)} | "
                f"{r['agreement_f1']:.4f} |")
        if gold is not None:
            line += f" {r['vs_gold']['f1']:.4f} | {r['f1_change_vs_fp32']:+.4f} |"
        print(line)


if __name__ == "__main__":
    main()
