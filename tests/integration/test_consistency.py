#!/usr/bin/env python3
"""200 concurrent clients against `uninlu serve` get exactly what `uninlu predict` gives.

Mixed requests (NER, relation, nested event schemas, classification, long texts of 2-3 windows,
output_all_prefix) are answered once offline by `uninlu predict --input` (one request at a time, no
batching), then sent by 200 concurrent clients, each request with its own X-Request-Id. Every answer must
equal the offline one, every request must be answered exactly once under its own id, and /metrics must
show that the server put several requests' work into one batch.

Python standard library only. Run through run.sh, or:
  python3 tests/integration/test_consistency.py --binary build/src/cli/uninlu --model build/fixtures/models/tiny
"""
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http  # noqa: E402  (the Server helper and the binary/model globals)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS = 200
REQUESTS_PER_CLIENT = 3


def dev_texts(n):
    with open(os.path.join(REPO, "data", "cluener", "dev.json"), encoding="utf-8") as f:
        return [json.loads(line)["text"] for _, line in zip(range(n), f)]


def mixed_cases():
    texts = dev_texts(60)
    ner = {"姓名": None, "组织机构": None, "地址": None}
    relation = {"人物": {"比赛项目(赛事名称)": None, "参赛地点(城市)": None}}
    event = {"胜负(事件触发词)": {"时间": None, "败者": {"地点": None}, "胜者": None}}
    cases = []
    for i, t in enumerate(texts[:24]):
        cases.append({"text": t, "schema": ner})
    for t in texts[24:32]:
        cases.append({"text": t, "schema": relation, "output_all_prefix": True})
    for t in texts[32:38]:
        cases.append({"text": t, "schema": json.dumps(event, ensure_ascii=False)})  # schema as a string
    for t in texts[38:44]:
        cases.append({"text": "正向,负向|" + t, "schema": {"情感分类": None}})
    for t in texts[44:48]:
        cases.append({"text": "体育,财经,娱乐,科技|" + t, "schema": {"分类": None}})
    long_text = "".join(texts)  # about 2,700 characters: several windows
    cases.append({"text": long_text[:420], "schema": ner})   # 2 windows
    cases.append({"text": long_text[:800], "schema": ner})   # 3 windows
    cases.append({"text": long_text[:1100], "schema": relation})
    return cases


def offline_answers(cases):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
        path = f.name
    try:
        out = subprocess.run([test_http.BINARY, "predict", "--model", test_http.MODEL, "--input", path],
                             check=True, capture_output=True, timeout=1800).stdout.decode("utf-8")
    finally:
        os.unlink(path)
    answers = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(answers) == len(cases), f"predict gave {len(answers)} answers for {len(cases)} cases"
    return answers


def batch_size_histogram(metrics_text):
    """{upper bound: cumulative count} of uninlu_batch_size buckets, summed over stages."""
    buckets = collections.Counter()
    for m in re.finditer(r'^uninlu_batch_size_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)', metrics_text, re.M):
        buckets[float(m.group(1))] += int(m.group(2))
    return buckets


class ConsistencyTest(unittest.TestCase):
    def test_concurrent_clients_get_the_offline_answers(self):
        cases = mixed_cases()
        expected = offline_answers(cases)
        self.assertTrue(sum(len(a["output"]) for a in expected) > 0, "the model found nothing at all")
        server = test_http.Server(["--max-wait-ms", "5", "--max-in-flight", "1000", "--access-log", ""])
        try:
            rng = random.Random(20241124)
            plan = [[rng.randrange(len(cases)) for _ in range(REQUESTS_PER_CLIENT)] for _ in range(CLIENTS)]
            answers = {}
            lock = threading.Lock()
            start = threading.Barrier(CLIENTS)

            def client(k):
                conn = server.connection(timeout=1800)
                start.wait()
                try:
                    for j, case_index in enumerate(plan[k]):
                        rid = f"c{k}-r{j}"
                        r = test_http.exchange(conn, "POST", "/api/predict", cases[case_index],
                                               {"X-Request-Id": rid})
                        with lock:
                            answers.setdefault(rid, []).append((case_index, r.status, r.header("x-request-id"), r.body))
                finally:
                    conn.close()

            threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

            sent = CLIENTS * REQUESTS_PER_CLIENT
            self.assertEqual(len(answers), sent, "some requests got no answer")
            wrong = []
            for rid, got in answers.items():
                self.assertEqual(len(got), 1, f"{rid} answered {len(got)} times")
                case_index, status, header_id, body = got[0]
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(header_id, rid)
                payload = json.loads(body)
                self.assertEqual(payload["request_id"], rid)
                if payload["result"] != expected[case_index]:
                    wrong.append((rid, case_index))
            self.assertEqual(wrong, [], f"{len(wrong)} answers differ from `uninlu predict`, e.g. {wrong[:3]}")

            hist = batch_size_histogram(server.get("/metrics").body.decode())
            total = max(hist.values())
            single = hist.get(1.0, 0)
            self.assertGreater(total, single, f"no batch held more than one item: {dict(hist)}")
            print(f"\n{sent} requests from {CLIENTS} clients, all identical to `uninlu predict`; "
                  f"{total} batches, {total - single} with more than one item", file=sys.stderr)
        finally:
            self.assertEqual(server.stop(), 0)
            server.close()


if __name__ == "__main__":
    test_http.main(__doc__, fake=False)
