#!/usr/bin/python3
"""CLUENER texts as `uninlu bench --input` / `uninlu predict --input` cases: every text of a CLUENER-format
file with one schema. Real texts of varied length make ragged batches of every row count, which the
seed request (always 17 tokens) never does.

  /usr/bin/python3 tests/bench/cluener_cases.py data/cluener/dev.json --schema seed > cases.jsonl
  /usr/bin/python3 tests/bench/cluener_cases.py data/cluener/dev.json --schema cluener10 > cases.jsonl
--schema seed: {"公司": null, "地理位置": null} (the load-test schema); cluener10: the 10 CLUENER types.
"""
import argparse
import json

SCHEMAS = {
    "seed": {"公司": None, "地理位置": None},
    "cluener10": {p: None for p in ("地址", "书名", "公司", "游戏", "政府", "电影", "姓名", "组织机构", "职位", "景点")},
}

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("data")
ap.add_argument("--schema", choices=sorted(SCHEMAS), default="seed")
ap.add_argument("--limit", type=int, default=0)
args = ap.parse_args()
with open(args.data, encoding="utf-8") as f:
    n = 0
    for line in f:
        if not line.strip():
            continue
        text = json.loads(line)["text"]
        print(json.dumps({"text": text, "schema": SCHEMAS[args.schema]}, ensure_ascii=False))
        n += 1
        if args.limit and n >= args.limit:
            break
