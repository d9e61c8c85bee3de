#!/usr/bin/env python3
"""Keeps the bundled model (models/uninlu-cluener) from silently getting worse: `uninlu eval` on the
first TEXTS texts of CLUENER dev, asked with the canonical prompts and with the first alternative names
(人物, 地理位置, 机构, ... : what the web page's NER preset and most people type), must reach each
set's floor.

The floors are the figures the model card reports for this subset, less MARGIN. The model runs in fp32;
another CPU (AVX2 instead of AVX-512, another BLAS blocking) changes logits by a few ulps, which can flip
an entity only when its logit lies within that distance of the 0.5 threshold. MARGIN allows about five
such flips among the subset's ~700 gold entities: far more than rounding can do, far less than any real
regression (a retrained or corrupted model moves F1 by several points).
  tests/eval/bundled_model_f1_test.py --binary build/src/cli/uninlu
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
from cluener_data import name_sets, types_spec  # noqa: E402

MODEL = os.path.join(REPO, "models", "uninlu-cluener")
DEV = os.path.join(REPO, "data", "cluener", "dev.json")
TEXTS = 300
MARGIN = 0.015
# Micro-F1 on the first 300 dev texts, from the model card ("A check that it stays this good").
FLOORS = {"canonical": 0.6340, "alternative 1": 0.6324}


def micro_f1(binary, prompts):
    out = subprocess.run([binary, "eval", "--model", MODEL, "--data", DEV, "--limit", str(TEXTS), "--types",
                          types_spec(prompts), "--json", "--quiet"], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"uninlu eval exited with {out.returncode}: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    assert report["texts"] == TEXTS, report["texts"]
    return report["micro"]["f1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the uninlu binary")
    args = ap.parse_args()
    sets = name_sets()
    failed = []
    for name, floor in FLOORS.items():
        f1 = micro_f1(args.binary, sets[name])
        ok = f1 >= floor - MARGIN
        print(f"{name} names: micro-F1 {f1:.4f} on the first {TEXTS} dev texts "
              f"(model card {floor:.4f}, floor {floor - MARGIN:.4f}): {'ok' if ok else 'TOO LOW'}")
        if not ok:
            failed.append(name)
    if failed:
        sys.exit(f"the bundled model scores below its floor with the {', '.join(failed)} names")


if __name__ == "__main__":
    main()
