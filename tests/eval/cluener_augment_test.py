#!/usr/bin/env python3
"""tools/cluener_augment.py: mention replacement keeps every label pointing at its mention, moves the
later spans by the length change, replaces nothing at probability 0 and everything at probability 1, and
leaves a record with overlapping spans alone.
  tests/eval/cluener_augment_test.py
"""
import os
import random
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
from cluener_augment import mention_pool, replace_mentions  # noqa: E402
from cluener_data import TYPES, gold_spans, read_jsonl  # noqa: E402

TRAIN = os.path.join(REPO, "data", "cluener", "train.json")
REC = {"text": "张三在北京的华为公司工作，张三很忙。",
       "label": {"name": {"张三": [[0, 1], [13, 14]]}, "address": {"北京": [[3, 4]]}, "company": {"华为公司": [[6, 9]]}}}
POOL = {"name": ["欧阳修远", "李"], "address": ["上海市浦东新区", "杭州"], "company": ["腾讯", "阿里巴巴集团"]}


def mentions(rec):
    return sorted((t, m) for t, ms in rec["label"].items() for m in ms)


class ReplaceMentions(unittest.TestCase):
    def test_probability_zero_changes_nothing(self):
        out = replace_mentions(REC, POOL, 0.0, random.Random(1))
        self.assertEqual(out["text"], REC["text"])
        self.assertEqual(out["label"], REC["label"])

    def test_probability_one_replaces_every_span_and_moves_the_others(self):
        out = replace_mentions(REC, POOL, 1.0, random.Random(3))
        gold_spans(out, TYPES)  # raises unless every span is inside the text and spells its mention
        for t in ("name", "address", "company"):
            self.assertTrue(set(out["label"][t]) <= set(POOL[t]), t)
        self.assertEqual(sum(len(s) for s in out["label"]["name"].values()), 2)
        self.assertNotIn("张三", out["text"])
        self.assertNotIn("北京", out["text"])
        self.assertTrue(out["text"].endswith("很忙。"))

    def test_a_type_with_one_mention_in_the_pool_is_kept(self):
        out = replace_mentions({"text": "去故宫", "label": {"scene": {"故宫": [[1, 2]]}}}, {"scene": ["长城"]}, 1.0,
                               random.Random(0))
        self.assertEqual(out["text"], "去故宫")

    def test_overlapping_spans_are_left_alone(self):
        rec = {"text": "北京大学", "label": {"organization": {"北京大学": [[0, 3]]}, "address": {"北京": [[0, 1]]}}}
        self.assertIs(replace_mentions(rec, {"organization": ["a", "b"], "address": ["c", "d"]}, 1.0, random.Random(0)), rec)

    def test_cluener_train_stays_valid_and_is_deterministic(self):
        records = read_jsonl(TRAIN)[:2000]
        pool = mention_pool(records)
        a = [replace_mentions(r, pool, 0.5, random.Random(7 + i)) for i, (_, r) in enumerate(records)]
        b = [replace_mentions(r, pool, 0.5, random.Random(7 + i)) for i, (_, r) in enumerate(records)]
        self.assertEqual(a, b)
        changed = 0
        for (no, r), out in zip(records, a):
            gold_spans(out, TYPES, f"line {no}: ")
            self.assertTrue(all(m in pool[t] for t, m in mentions(out)))
            changed += out["text"] != r["text"]
        self.assertGreater(changed, len(records) // 2)


if __name__ == "__main__":
    unittest.main()
