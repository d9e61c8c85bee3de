#!/usr/bin/env python3
"""Several models in one server, against the built binary: the tiny fixture and the bundled model served
side by side, each answering as it does alone (over /api/predict, v2 REST and the batch form); the
repository extension (index, load, unload) with its errors and access rules; and an unload under load
that fails no request to the other model. Python standard library only; reuses test_http's harness.
  python3 tests/integration/test_models.py --binary build/src/cli/uninlu --model build/fixtures/models/tiny [-v]
"""
import concurrent.futures
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLED = os.path.join(REPO, "models", "uninlu-cluener")
TEXTS = ["华为在东莞松山湖建设了研发基地", "阿里巴巴的总部在杭州", "北京大学位于海淀区", "张三在上海的复旦大学读书"]
SCHEMA = {"公司": None, "地理位置": None, "组织机构": None, "人物": None}


def models_args():
    return ["--model", f"tiny={test_http.MODEL}", "--model", f"cluener={BUNDLED}"]


def v2_infer(server, name, texts, schema=SCHEMA):
    body = {"inputs": [{"name": "text", "shape": [len(texts)], "datatype": "BYTES", "data": texts},
                       {"name": "schema", "shape": [1], "datatype": "BYTES",
                        "data": [json.dumps(schema, ensure_ascii=False)]}]}
    return server.post(f"/v2/models/{name}/infer", body)


class TwoModelsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Each model alone first: what the two-model server must answer.
        cls.alone = {}
        for name, path in (("tiny", test_http.MODEL), ("cluener", BUNDLED)):
            server = test_http.Server(["--model", path], model=False)
            try:
                cls.alone[name] = [server.predict_result(t, SCHEMA) for t in TEXTS]
            finally:
                assert server.stop() == 0
                server.close()
        cls.server = test_http.Server(models_args(), model=False)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.server.close()
        assert rc == 0, f"server exited with {rc}"

    def predict(self, text, model=None):
        body = {"text": text, "schema": SCHEMA}
        if model is not None:
            body["model"] = model
        return self.server.post("/api/predict", body)

    def test_the_models_answer_apart(self):
        # Different weights, different answers: otherwise the checks below could not tell the models apart.
        self.assertNotEqual(self.alone["tiny"], self.alone["cluener"])

    def test_each_model_answers_as_it_does_alone(self):
        for name in ("tiny", "cluener"):
            got = [self.predict(t, name).json()["result"] for t in TEXTS]
            self.assertEqual(got, self.alone[name], name)
            r = v2_infer(self.server, name, TEXTS)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual([json.loads(d) for d in r.json()["outputs"][0]["data"]], self.alone[name], name)

    def test_the_first_model_is_the_default(self):
        self.assertEqual([self.predict(t).json()["result"] for t in TEXTS], self.alone["tiny"])
        self.assertEqual([self.predict(t, None).json()["result"] for t in TEXTS[:1]], self.alone["tiny"][:1])

    def test_a_batch_may_mix_models(self):
        body = [{"text": TEXTS[0], "schema": SCHEMA, "model": "cluener"}, {"text": TEXTS[0], "schema": SCHEMA},
                {"text": TEXTS[0], "schema": SCHEMA, "model": "nope"}]
        r = self.server.post("/api/predict", body)
        self.assertEqual(r.status, 200, r.body)
        items = r.json()["results"]
        self.assertEqual(items[0]["result"], self.alone["cluener"][0])
        self.assertEqual(items[1]["result"], self.alone["tiny"][0])
        self.assertEqual(items[2]["status"], 404)

    def test_concurrent_clients_of_both_models(self):
        jobs = [(name, i) for i in range(len(TEXTS)) for name in ("tiny", "cluener")] * 4
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda job: (job, self.predict(TEXTS[job[1]], job[0])), jobs))
        for (name, i), r in answers:
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["result"], self.alone[name][i], name)

    def test_unknown_model_and_wrong_type(self):
        r = self.predict(TEXTS[0], "nope")
        self.assertEqual(r.status, 404, r.body)
        self.assertIn('unknown model "nope"; this server serves "tiny", "cluener"', r.json()["error"])
        self.assertEqual(self.predict(TEXTS[0], 7).status, 400)
        r = self.server.get("/v2/models/nope")
        self.assertEqual(r.status, 404)
        self.assertIn('"tiny", "cluener"', r.json()["error"])

    def test_v2_metadata_and_ready_per_model(self):
        for name in ("tiny", "cluener"):
            self.assertEqual(self.server.get(f"/v2/models/{name}").json()["name"], name)
            self.assertEqual(self.server.get(f"/v2/models/{name}/ready").json(), {"name": name, "ready": True})

    def test_index_health_info_and_metrics_list_both(self):
        r = self.server.post("/v2/repository/index")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), [{"name": "tiny", "version": "1", "state": "READY"},
                                    {"name": "cluener", "version": "1", "state": "READY"}])
        self.assertEqual([m["name"] for m in self.server.get("/health").json()["models"]], ["tiny", "cluener"])
        self.assertEqual([m["path"] for m in self.server.get("/info").json()["models"]], [test_http.MODEL, BUNDLED])
        self.predict(TEXTS[0], "cluener")
        metrics = self.server.get("/metrics").body.decode()
        self.assertRegex(metrics, r'uninlu_request_duration_seconds_count\{model="cluener"\} [1-9]')
        self.assertRegex(metrics, r'uninlu_batch_size_count\{model="tiny",stage="text"\} [1-9]')


class RepositoryTest(unittest.TestCase):
    """Load and unload: each test starts its own server, as they change what it serves."""

    def setUp(self):
        self.server = test_http.Server(models_args(), model=False)

    def tearDown(self):
        rc = self.server.stop()
        self.server.close()
        self.assertEqual(rc, 0)

    def state(self, name):
        return {m["name"]: m["state"] for m in self.server.post("/v2/repository/index").json()}[name]

    def test_unload_then_load(self):
        expected = self.server.predict_result(TEXTS[0], SCHEMA)  # tiny, the default
        r = self.server.post("/v2/repository/models/tiny/unload")
        self.assertEqual((r.status, r.json()), (200, {}), r.body)
        self.assertEqual(self.state("tiny"), "UNAVAILABLE")
        r = self.server.post("/api/predict", {"text": TEXTS[0], "schema": SCHEMA})
        self.assertEqual(r.status, 503, r.body)
        self.assertIn('the default model "tiny" is not loaded', r.json()["error"])
        self.assertEqual(v2_infer(self.server, "tiny", TEXTS[:1]).status, 503)
        self.assertEqual(self.server.get("/v2/models/tiny/ready").status, 503)
        # The other model serves, and the server stays ready.
        self.assertEqual(self.server.post("/api/predict", {"text": TEXTS[0], "schema": SCHEMA,
                                                           "model": "cluener"}).status, 200)
        self.assertEqual(self.server.get("/v2/health/ready").status, 200)

        r = self.server.post("/v2/repository/models/tiny/load")
        self.assertEqual((r.status, r.json()), (200, {}), r.body)
        self.assertEqual(self.state("tiny"), "READY")
        self.assertEqual(self.server.predict_result(TEXTS[0], SCHEMA), expected)
        self.assertIn("model tiny unloaded", self.server.stderr())
        self.assertIn("model tiny loaded", self.server.stderr())

    def test_unloading_one_under_load_fails_no_request_to_the_other(self):
        expected = {}
        for t in TEXTS:
            expected[t] = self.server.post("/api/predict", {"text": t, "schema": SCHEMA,
                                                            "model": "cluener"}).json()["result"]
        stop = threading.Event()
        failures, served = [], [0]

        def client(k):
            conn = self.server.connection()
            try:
                i = k
                while not stop.is_set():
                    text = TEXTS[i % len(TEXTS)]
                    r = test_http.exchange(conn, "POST", "/api/predict",
                                           {"text": text, "schema": SCHEMA, "model": "cluener"})
                    if r.status != 200 or r.json()["result"] != expected[text]:
                        failures.append((r.status, r.body[:200]))
                    served[0] += 1
                    i += 1
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        try:
            test_http.wait_until(lambda: served[0] >= 10, 60)
            for _ in range(2):
                r = self.server.post("/v2/repository/models/tiny/unload")
                self.assertEqual(r.status, 200, r.body)
                r = self.server.post("/v2/repository/models/tiny/load")
                self.assertEqual(r.status, 200, r.body)
            before = served[0]
            test_http.wait_until(lambda: served[0] >= before + 10, 60)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        self.assertEqual(failures, [])
        self.assertGreater(served[0], 20)
        print(f"\n{served[0]} requests to cluener while tiny unloaded and loaded twice: none failed", file=sys.stderr)

    def test_errors(self):
        r = self.server.post("/v2/repository/models/nope/load")
        self.assertEqual(r.status, 404, r.body)
        self.assertIn('unknown model "nope"', r.json()["error"])
        self.assertEqual(self.server.get("/v2/repository/models/tiny/load").status, 405)
        self.assertEqual(self.server.post("/v2/repository/models/tiny/reload").status, 404)
        # Loading a loaded model and unloading an unloaded one change nothing.
        self.assertEqual(self.server.post("/v2/repository/models/tiny/load").status, 200)
        self.assertEqual(self.server.post("/v2/repository/models/cluener/unload").status, 200)
        self.assertEqual(self.server.post("/v2/repository/models/cluener/unload").status, 200)
        self.assertEqual(self.state("cluener"), "UNAVAILABLE")
        # With every model unloaded the server is not ready.
        self.assertEqual(self.server.post("/v2/repository/models/tiny/unload").status, 200)
        self.assertEqual(self.server.get("/v2/health/ready").status, 503)


class AccessTest(unittest.TestCase):
    def test_load_and_unload_need_the_admin_key(self):
        server = test_http.Server(models_args() + ["--api-key", "client-key", "--admin-key", "admin-key"],
                                  model=False)
        try:
            client = {"Authorization": "Bearer client-key"}
            admin = {"Authorization": "Bearer admin-key"}
            self.assertEqual(server.post("/v2/repository/models/tiny/unload").status, 401)
            self.assertEqual(server.post("/v2/repository/models/tiny/unload", headers=client).status, 401)
            self.assertEqual(server.post("/v2/repository/index").status, 401)
            self.assertEqual(server.post("/v2/repository/index", headers=client).status, 200)
            self.assertEqual(server.post("/v2/repository/models/tiny/unload", headers=admin).status, 200)
            self.assertNotIn("admin-key", server.stderr() + server.stdout())
        finally:
            self.assertEqual(server.stop(), 0)
            server.close()


class StartupTest(unittest.TestCase):
    def test_a_model_that_cannot_load_stops_the_server(self):
        server = test_http.Server(["--model", f"tiny={test_http.MODEL}", "--model", "broken=/nonexistent/model"],
                                  model=False, wait=False)
        try:
            self.assertEqual(server.proc.wait(timeout=120), 3)  # ModelLoad's exit code
            self.assertIn("/nonexistent/model", server.stderr())
        finally:
            server.close()

    def test_two_models_of_one_name_are_a_usage_error(self):
        server = test_http.Server(["--model", test_http.MODEL, "--model", test_http.MODEL], model=False, wait=False)
        try:
            self.assertEqual(server.proc.wait(timeout=60), 2)
            self.assertIn("two models are named", server.stderr())
        finally:
            server.close()


if __name__ == "__main__":
    test_http.main(__doc__, fake=False)
