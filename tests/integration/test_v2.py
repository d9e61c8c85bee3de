#!/usr/bin/env python3
"""The Open Inference Protocol (KServe v2) over REST against the built binary: every route and error,
requests shaped as the protocol document's examples, answers identical to /api/predict, and v2 texts
batched with other work. Python standard library only; reuses test_http's server harness.
  python3 tests/integration/test_v2.py --binary build/src/cli/uninlu --model build/fixtures/models/tiny [--fake] [-v]
"""
import argparse
import concurrent.futures
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http  # noqa: E402

SCHEMA = "{\"公司\":null,\"地理位置\":null}"
TEXTS = ["华为在东莞松山湖建设了研发基地", "阿里巴巴的总部在杭州", "北京大学位于海淀区"]


def tensor(name, data, shape=None, datatype="BYTES"):
    return {"name": name, "shape": shape if shape is not None else [len(data)], "datatype": datatype, "data": data}


def infer_body(texts, schemas, **extra):
    body = {"inputs": [tensor("text", texts), tensor("schema", schemas)]}
    body.update(extra)
    return body


model_name = test_http.model_name


class V2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = test_http.Server()
        cls.name = model_name()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.server.close()
        assert rc == 0, f"server exited with {rc}"

    def infer_path(self, version=None):
        base = f"/v2/models/{self.name}"
        return (f"{base}/versions/{version}" if version else base) + "/infer"

    def assert_v2_error(self, r, status, words=""):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.header("content-type"), "application/json")
        body = r.json()
        self.assertIsInstance(body.get("error"), str, body)
        self.assertIn(words, body["error"])

    # ---- metadata and health ------------------------------------------------------------------------

    def test_server_metadata(self):
        r = self.server.get("/v2")
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["name"], "uninlu")
        self.assertRegex(body["version"], r"^\d+\.\d+")
        self.assertEqual(body["extensions"], ["model_repository"])

    def test_model_metadata(self):
        for path in (f"/v2/models/{self.name}", f"/v2/models/{self.name}/versions/1"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, path)
            body = r.json()
            self.assertEqual(body["name"], self.name)
            self.assertEqual(body["versions"], ["1"])
            self.assertIsInstance(body["platform"], str)
            self.assertEqual(body["inputs"], [
                {"name": "text", "datatype": "BYTES", "shape": [-1]},
                {"name": "schema", "datatype": "BYTES", "shape": [-1]},
                {"name": "output_all_prefix", "datatype": "BOOL", "shape": [1]}])
            self.assertEqual(body["outputs"], [{"name": "result", "datatype": "BYTES", "shape": [-1]}])

    def test_model_ready(self):
        for path in (f"/v2/models/{self.name}/ready", f"/v2/models/{self.name}/versions/1/ready"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, path)
            self.assertEqual(r.json(), {"name": self.name, "ready": True})

    # ---- inference ----------------------------------------------------------------------------------

    def test_request_as_the_protocol_example(self):
        # inference_rest.md's example, with this model's tensors: id, inputs, requested outputs.
        body = {"id": "42",
                "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [TEXTS[0]]},
                           {"name": "schema", "shape": [1], "datatype": "BYTES", "data": [SCHEMA]}],
                "outputs": [{"name": "result"}]}
        r = self.server.post(self.infer_path(), body)
        self.assertEqual(r.status, 200, r.body)
        answer = r.json()
        self.assertEqual(answer["id"], "42")
        self.assertEqual(answer["model_name"], self.name)
        self.assertEqual(answer["model_version"], "1")
        self.assertEqual(len(answer["outputs"]), 1)
        out = answer["outputs"][0]
        self.assertEqual((out["name"], out["datatype"], out["shape"]), ("result", "BYTES", [1]))
        self.assertEqual(json.loads(out["data"][0]), self.server.predict_result(TEXTS[0], SCHEMA))

    def test_answers_equal_api_predict(self):
        expected = [self.server.predict_result(t, SCHEMA) for t in TEXTS]
        # One schema for every text, and one per text; with and without a version in the path.
        for body, path in ((infer_body(TEXTS, [SCHEMA]), self.infer_path()),
                           (infer_body(TEXTS, [SCHEMA] * 3), self.infer_path("1"))):
            r = self.server.post(path, body)
            self.assertEqual(r.status, 200, r.body)
            out = r.json()["outputs"][0]
            self.assertEqual(out["shape"], [3])
            self.assertEqual([json.loads(d) for d in out["data"]], expected)
        self.assertNotIn("id", r.json())

    def test_output_all_prefix(self):
        schema = "{\"公司\":{\"地理位置\":null}}"
        body = infer_body(TEXTS[:1], [schema])
        body["inputs"].append(tensor("output_all_prefix", [True], datatype="BOOL"))
        r = self.server.post(self.infer_path(), body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(json.loads(r.json()["outputs"][0]["data"][0]), self.server.predict_result(TEXTS[0], schema, True))

    def test_nested_data_and_parameters(self):
        # Data in its natural [2, 1] form; request parameters of the protocol's value types are accepted.
        body = {"inputs": [tensor("text", [[TEXTS[0]], [TEXTS[1]]], shape=[2, 1]), tensor("schema", [SCHEMA])],
                "parameters": {"binary_data_output": False, "priority": 1, "tag": "x"}}
        r = self.server.post(self.infer_path(), body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(json.loads(r.json()["outputs"][0]["data"][1]), self.server.predict_result(TEXTS[1], SCHEMA))

    # ---- errors -------------------------------------------------------------------------------------

    def test_unknown_model_and_version(self):
        self.assert_v2_error(self.server.get("/v2/models/no-such-model"), 404, "unknown model")
        self.assert_v2_error(self.server.post("/v2/models/no-such-model/infer", infer_body(TEXTS, [SCHEMA])), 404,
                             "unknown model")
        self.assert_v2_error(self.server.get(f"/v2/models/{self.name}/versions/7/ready"), 404, "no version \"7\"")
        self.assert_v2_error(self.server.post(self.infer_path("7"), infer_body(TEXTS, [SCHEMA])), 404, "no version")
        self.assert_v2_error(self.server.get(f"/v2/models/{self.name}/stats"), 404, "no route")

    def test_bad_requests(self):
        cases = [
            ("{", "malformed JSON"),
            ({"inputs": "text"}, "missing \"inputs\""),
            ({"inputs": [tensor("text", TEXTS)]}, "missing input \"schema\""),
            (infer_body(TEXTS, [SCHEMA, SCHEMA]), "it needs 1 (for every text) or 3"),
            ({"inputs": [tensor("text", TEXTS, shape=[4]), tensor("schema", [SCHEMA])]}, "shape [4] needs 4"),
            ({"inputs": [tensor("text", [1.5], datatype="FP32"), tensor("schema", [SCHEMA])]}, "must be BYTES"),
            ({"inputs": [tensor("text", TEXTS), tensor("schema", [SCHEMA]), tensor("image", ["x"])]},
             "unknown input \"image\""),
            (infer_body(TEXTS, [SCHEMA], outputs=[{"name": "logits"}]), "unknown output \"logits\""),
            (infer_body(TEXTS, [SCHEMA], id=5), "\"id\" must be a string"),
            (infer_body(["x"], ["{\"公司\": 3}"]), ""),  # refused by the pipeline, as by /api/predict
            (infer_body(["", "x"], [SCHEMA]), "text 0: "),  # the first failing text is named
        ]
        for body, words in cases:
            with self.subTest(body=body):
                self.assert_v2_error(self.server.post(self.infer_path(), body), 400, words)

    def test_limits(self):
        self.assert_v2_error(self.server.post(self.infer_path(), infer_body(["x"] * 65, [SCHEMA])), 413,
                             "at most 64")
        r = self.server.post(self.infer_path(), infer_body(["字" * 10001], [SCHEMA]))
        self.assert_v2_error(r, 413)
        r = self.server.post(self.infer_path(), infer_body(["x" * (1 << 20)], [SCHEMA]))
        self.assertEqual(r.status, 413)  # the body limit, before any v2 code runs

    def test_methods_and_content_type(self):
        r = self.server.get(self.infer_path())
        self.assertEqual(r.status, 405)
        self.assertIn("POST", r.header("allow"))
        r = self.server.post(f"/v2/models/{self.name}", infer_body(TEXTS, [SCHEMA]))
        self.assertEqual(r.status, 405)
        r = self.server.post(self.infer_path(), "a=b", {"Content-Type": "application/x-www-form-urlencoded"})
        self.assert_v2_error(r, 415, "application/json")

    def test_metrics_label_the_v2_routes(self):
        self.server.post(self.infer_path(), infer_body(TEXTS[:1], [SCHEMA]))
        self.server.get(f"/v2/models/{self.name}")
        text = self.server.get("/metrics").body.decode()
        self.assertRegex(text, r'uninlu_http_requests_total\{[^}]*route="/v2/models/\{model\}/infer"')
        self.assertRegex(text, r'uninlu_http_requests_total\{[^}]*route="/v2/models/\{model\}"')


class V2ProcessTest(unittest.TestCase):
    """Settings that need their own server."""

    def start(self, args):
        server = test_http.Server(args)
        self.addCleanup(server.close)
        return server

    def test_model_name_flag(self):
        server = self.start(["--model-name", "uie"])
        self.assertEqual(server.get("/v2/models/uie").json()["name"], "uie")
        self.assertEqual(server.get(f"/v2/models/{model_name()}").status, 404)
        r = server.post("/v2/models/uie/infer", infer_body(TEXTS[:1], [SCHEMA]))
        self.assertEqual((r.status, r.json()["model_name"]), (200, "uie"), r.body)

    def test_api_keys_apply_as_to_api_predict(self):
        server = self.start(["--api-key", "k1"])
        name = model_name()
        for method, path in (("GET", "/v2"), ("GET", f"/v2/models/{name}"), ("POST", f"/v2/models/{name}/infer")):
            body = infer_body(TEXTS[:1], [SCHEMA]) if method == "POST" else None
            self.assertEqual(server.request(method, path, body).status, 401, path)
            r = server.request(method, path, body, {"Authorization": "Bearer k1"})
            self.assertEqual(r.status, 200, r.body)
        self.assertEqual(server.get("/v2/health/ready").status, 200)  # probes stay open

    def test_v2_texts_batch_with_other_work(self):
        if test_http.FAKE:
            self.skipTest("batches need the real model")
        server = self.start(["--max-wait-ms", "20", "--access-log", ""])
        name = model_name()
        one_key = "{\"公司\":null}"  # one prompt per step: a batch of more than one item holds several texts

        def batch_counts():
            text = server.get("/metrics").body.decode()
            buckets = {}
            for m in re.finditer(r'^uninlu_batch_size_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)', text, re.M):
                buckets[float(m.group(1))] = buckets.get(float(m.group(1)), 0) + int(m.group(2))
            total = max(buckets.values(), default=0)
            return total, total - buckets.get(1.0, 0)

        self.assertEqual(server.post("/api/predict", {"text": TEXTS[0], "schema": one_key}).status, 200)
        self.assertEqual(batch_counts()[1], 0, "one text alone already made a batch of more than one item")

        def client(k):
            texts = [TEXTS[(k + i) % 3] for i in range(8)]
            return server.post(f"/v2/models/{name}/infer", infer_body(texts, [one_key]))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(client, range(8)))
        for r in answers:
            self.assertEqual(r.status, 200, r.body)
        expected = {t: server.post("/api/predict", {"text": t, "schema": one_key}).json()["result"] for t in TEXTS}
        for k, r in enumerate(answers):
            got = [json.loads(d) for d in r.json()["outputs"][0]["data"]]
            self.assertEqual(got, [expected[TEXTS[(k + i) % 3]] for i in range(8)])
        total, multi = batch_counts()
        self.assertGreater(multi, 0, "no batch held more than one item")
        print(f"\n64 v2 texts from 8 clients: {total} batches, {multi} with more than one item", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--fake", action="store_true")
    args, rest = parser.parse_known_args()
    test_http.BINARY, test_http.MODEL = os.path.abspath(args.binary), os.path.abspath(args.model)
    test_http.FAKE = args.fake
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
