#!/usr/bin/env python3
"""The Open Inference Protocol over gRPC (`serve --grpc-port`) against the built binary, with a real
client: Debian's python3-grpcio and stubs generated at test time from proto/grpc_predict_v2.proto (protoc
and grpc_python_plugin from protobuf-compiler-grpc). Every RPC and error, deadlines, API keys, answers
identical to /api/predict, batching under concurrent load, metrics and graceful shutdown.
  python3 tests/integration/test_grpc.py --binary build/src/cli/uninlu --model build/fixtures/models/tiny [-v]
"""
import argparse
import concurrent.futures
import importlib
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http  # noqa: E402

import grpc  # noqa: E402  (python3-grpcio)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = "{\"公司\":null,\"地理位置\":null}"
TEXTS = ["华为在东莞松山湖建设了研发基地", "阿里巴巴的总部在杭州", "北京大学位于海淀区"]
pb = None  # grpc_predict_v2_pb2, generated in main()
pb_grpc = None


def generate_stubs(out_dir):
    subprocess.run(["protoc", "-I", os.path.join(REPO, "proto"), f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}", "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    os.path.join(REPO, "proto", "grpc_predict_v2.proto")], check=True)
    sys.path.insert(0, out_dir)
    return importlib.import_module("grpc_predict_v2_pb2"), importlib.import_module("grpc_predict_v2_pb2_grpc")


model_name = test_http.model_name


def bytes_input(name, values, shape=None):
    t = pb.ModelInferRequest.InferInputTensor(name=name, datatype="BYTES",
                                              shape=shape if shape is not None else [len(values)])
    t.contents.bytes_contents.extend(v.encode() if isinstance(v, str) else v for v in values)
    return t


def bool_input(name, values):
    t = pb.ModelInferRequest.InferInputTensor(name=name, datatype="BOOL", shape=[len(values)])
    t.contents.bool_contents.extend(values)
    return t


def infer_request(texts, schemas, name=None, **fields):
    return pb.ModelInferRequest(model_name=name or model_name(),
                                inputs=[bytes_input("text", texts), bytes_input("schema", schemas)], **fields)


def raw_bytes(values):
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def results_of(reply):
    out = reply.outputs[0]
    if reply.raw_output_contents:
        raw, values, at = reply.raw_output_contents[0], [], 0
        while at < len(raw):
            (n,) = struct.unpack_from("<I", raw, at)
            values.append(raw[at + 4:at + 4 + n])
            at += 4 + n
    else:
        values = list(out.contents.bytes_contents)
    return [json.loads(v) for v in values]


class GrpcServer(test_http.Server):
    """A serve process with --grpc-port; its gRPC stub and channel."""

    def __init__(self, extra_args=(), **kwargs):
        self.grpc_port = test_http.free_port()
        super().__init__(["--grpc-port", str(self.grpc_port)] + list(extra_args), **kwargs)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        self.stub = pb_grpc.GRPCInferenceServiceStub(self.channel)

    def close(self):
        self.channel.close()
        super().close()

    def metrics(self):
        return self.get("/metrics").body.decode()


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = GrpcServer()
        cls.stub = cls.server.stub
        cls.name = model_name()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.server.close()
        assert rc == 0, f"server exited with {rc}"

    def assert_code(self, call, code, words=""):
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        self.assertIn(words, caught.exception.details())
        return caught.exception

    # ---- health and metadata ------------------------------------------------------------------------

    def test_live_and_ready(self):
        self.assertTrue(self.stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live)
        self.assertTrue(self.stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready)
        for version in ("", "1"):
            self.assertTrue(self.stub.ModelReady(pb.ModelReadyRequest(name=self.name, version=version)).ready)

    def test_server_metadata_as_rest(self):
        reply = self.stub.ServerMetadata(pb.ServerMetadataRequest())
        rest = self.server.get("/v2").json()
        self.assertEqual((reply.name, reply.version, list(reply.extensions)),
                         (rest["name"], rest["version"], rest["extensions"]))

    def test_model_metadata_as_rest(self):
        rest = self.server.get(f"/v2/models/{self.name}").json()
        for version in ("", "1"):
            reply = self.stub.ModelMetadata(pb.ModelMetadataRequest(name=self.name, version=version))
            self.assertEqual((reply.name, list(reply.versions), reply.platform),
                             (rest["name"], rest["versions"], rest["platform"]))
            tensors = [[{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in ts]
                       for ts in (reply.inputs, reply.outputs)]
            self.assertEqual(tensors, [rest["inputs"], rest["outputs"]])

    def test_unknown_model_and_version(self):
        nf = grpc.StatusCode.NOT_FOUND
        self.assert_code(lambda: self.stub.ModelReady(pb.ModelReadyRequest(name="nope")), nf, "unknown model")
        self.assert_code(lambda: self.stub.ModelMetadata(pb.ModelMetadataRequest(name=self.name, version="7")), nf,
                         "no version \"7\"")
        self.assert_code(lambda: self.stub.ModelInfer(infer_request(TEXTS, [SCHEMA], name="nope")), nf,
                         "unknown model")
        self.assert_code(lambda: self.stub.ModelInfer(infer_request(TEXTS, [SCHEMA], model_version="2")), nf,
                         "no version")

    # ---- inference ----------------------------------------------------------------------------------

    def test_answers_equal_api_predict(self):
        expected = [self.server.predict_result(t, SCHEMA) for t in TEXTS]
        for schemas in ([SCHEMA], [SCHEMA] * 3):
            reply, call = self.stub.ModelInfer.with_call(infer_request(TEXTS, schemas, id="42", model_version="1"))
            self.assertEqual((reply.model_name, reply.model_version, reply.id), (self.name, "1", "42"))
            out = reply.outputs[0]
            self.assertEqual((out.name, out.datatype, list(out.shape)), ("result", "BYTES", [3]))
            self.assertEqual(results_of(reply), expected)
            self.assertTrue(dict(call.initial_metadata()).get("x-request-id"))

    def test_output_all_prefix(self):
        schema = "{\"公司\":{\"地理位置\":null}}"
        request = infer_request(TEXTS[:1], [schema])
        request.inputs.append(bool_input("output_all_prefix", [True]))
        self.assertEqual(results_of(self.stub.ModelInfer(request)), [self.server.predict_result(TEXTS[0], schema, True)])

    def test_raw_input_contents_answered_raw(self):
        request = pb.ModelInferRequest(model_name=self.name)
        for name, datatype, shape in (("text", "BYTES", [2]), ("schema", "BYTES", [1]),
                                      ("output_all_prefix", "BOOL", [1])):
            request.inputs.append(pb.ModelInferRequest.InferInputTensor(name=name, datatype=datatype, shape=shape))
        request.raw_input_contents.extend([raw_bytes(TEXTS[:2]), raw_bytes([SCHEMA]), b"\x00"])
        reply = self.stub.ModelInfer(request)
        self.assertEqual(len(reply.raw_output_contents), 1)
        self.assertEqual(results_of(reply), [self.server.predict_result(t, SCHEMA, False) for t in TEXTS[:2]])

    # ---- errors -------------------------------------------------------------------------------------

    def test_bad_requests(self):
        def with_inputs(*inputs, **fields):
            return pb.ModelInferRequest(model_name=self.name, inputs=list(inputs), **fields)

        raw_mixed = infer_request(TEXTS, [SCHEMA])
        raw_mixed.raw_input_contents.extend([raw_bytes(TEXTS), raw_bytes([SCHEMA])])
        raw_short = with_inputs(pb.ModelInferRequest.InferInputTensor(name="text", datatype="BYTES", shape=[1]),
                                pb.ModelInferRequest.InferInputTensor(name="schema", datatype="BYTES", shape=[1]))
        raw_short.raw_input_contents.extend([b"\x09\x00\x00\x00abc", raw_bytes([SCHEMA])])
        wrong_type = bytes_input("text", TEXTS)
        wrong_type.datatype = "FP32"
        cases = [
            (with_inputs(bytes_input("text", TEXTS)), "missing input \"schema\""),
            (infer_request(TEXTS, [SCHEMA, SCHEMA]), "it needs 1 (for every text) or 3"),
            (with_inputs(bytes_input("text", TEXTS, shape=[4]), bytes_input("schema", [SCHEMA])), "shape [4] needs 4"),
            (with_inputs(bytes_input("text", TEXTS, shape=[-3]), bytes_input("schema", [SCHEMA])), "non-negative"),
            (with_inputs(wrong_type, bytes_input("schema", [SCHEMA])), "must be BYTES"),
            (with_inputs(bytes_input("text", TEXTS), bytes_input("schema", [SCHEMA]), bytes_input("image", ["x"])),
             "unknown input \"image\""),
            (with_inputs(bytes_input("text", TEXTS), bytes_input("text", TEXTS), bytes_input("schema", [SCHEMA])),
             "given twice"),
            (infer_request(TEXTS, [SCHEMA], outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(name="logits")]),
             "unknown output \"logits\""),
            (raw_mixed, "one or the other"),
            (raw_short, "raw contents end inside an element"),
            (infer_request(["x"], ["{\"公司\": 3}"]), ""),  # refused by the pipeline, as by /api/predict
            (infer_request(["", "x"], [SCHEMA]), "text 0: "),  # the first failing text is named
        ]
        for request, words in cases:
            with self.subTest(words=words):
                self.assert_code(lambda: self.stub.ModelInfer(request, timeout=60), grpc.StatusCode.INVALID_ARGUMENT,
                                 words)
        # The same refusal as REST gives for the same inputs.
        rest = self.server.post(f"/v2/models/{self.name}/infer", {"inputs": [
            {"name": "text", "shape": [1], "datatype": "BYTES", "data": ["x"]},
            {"name": "schema", "shape": [1], "datatype": "BYTES", "data": ["{\"公司\": 3}"]}]})
        error = self.assert_code(lambda: self.stub.ModelInfer(infer_request(["x"], ["{\"公司\": 3}"])),
                                 grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(error.details(), rest.json()["error"])

    def test_limits(self):
        exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED
        self.assert_code(lambda: self.stub.ModelInfer(infer_request(["x"] * 65, [SCHEMA])), exhausted, "at most 64")
        self.assert_code(lambda: self.stub.ModelInfer(infer_request(["字" * 10001], [SCHEMA])), exhausted)
        # Over max_body_bytes (1 MiB): gRPC's own message limit.
        self.assert_code(lambda: self.stub.ModelInfer(infer_request(["x" * (1 << 20)], [SCHEMA])), exhausted)

    def test_metrics_label_the_rpcs(self):
        self.stub.ModelInfer(infer_request(TEXTS[:1], [SCHEMA]))
        self.stub.ServerLive(pb.ServerLiveRequest())
        text = self.server.metrics()
        for method in ("ModelInfer", "ServerLive"):
            self.assertRegex(text, r'uninlu_http_requests_total\{[^}]*route="grpc:/inference\.GRPCInferenceService/'
                             + method + r'"[^}]*status="200"[^}]*\} [1-9]')


class GrpcProcessTest(unittest.TestCase):
    """Settings that need their own server."""

    def start(self, args=(), **kwargs):
        server = GrpcServer(args, **kwargs)
        self.addCleanup(server.close)
        return server

    def test_api_keys_as_rest(self):
        server = self.start(["--api-key", "k1"])
        request = infer_request(TEXTS[:1], [SCHEMA])
        calls = [lambda md: server.stub.ModelInfer(request, metadata=md),
                 lambda md: server.stub.ModelMetadata(pb.ModelMetadataRequest(name=model_name()), metadata=md),
                 lambda md: server.stub.ServerMetadata(pb.ServerMetadataRequest(), metadata=md)]
        for call in calls:
            for metadata in ((), (("authorization", "Bearer k2"),), (("authorization", "k1"),)):
                with self.assertRaises(grpc.RpcError) as caught:
                    call(metadata)
                self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
            call((("authorization", "Bearer k1"),))
        self.assertTrue(server.stub.ServerReady(pb.ServerReadyRequest()).ready)  # probes stay open, as in REST

    def test_keys_file_reloaded_on_sighup(self):
        # A key taken out of the file stops working over gRPC at the same SIGHUP as over REST.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "keys")
            with open(path, "w") as f:
                f.write("old-key\n")
            server = self.start(["--api-keys-file", path])
            request = pb.ServerMetadataRequest()
            server.stub.ServerMetadata(request, metadata=(("authorization", "Bearer old-key"),))
            with open(path, "w") as f:
                f.write("new-key\n")
            server.proc.send_signal(signal.SIGHUP)
            # Logged once by the REST server and once by the gRPC front end.
            self.assertTrue(test_http.wait_until(lambda: server.stderr().count("re-read") >= 2, 30), server.stderr())
            with self.assertRaises(grpc.RpcError) as caught:
                server.stub.ServerMetadata(request, metadata=(("authorization", "Bearer old-key"),))
            self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
            server.stub.ServerMetadata(request, metadata=(("authorization", "Bearer new-key"),))
            self.assertEqual(server.request("GET", "/v2", headers={"Authorization": "Bearer new-key"}).status, 200)

    def test_grpc_deadline_stops_the_work(self):
        # Our timeout is far; the client's deadline is short: the server must drop the work at it.
        server = self.start(["--request-timeout-ms", "600000"])
        heavy = test_http.heavy_request(chars=3000, keys=40)
        request = infer_request([heavy["text"]], [json.dumps(heavy["schema"], ensure_ascii=False)])

        def timeouts():
            m = re.search(r'^uninlu_requests_rejected_total\{[^}]*reason="timeout"[^}]*\} (\d+)', server.metrics(), re.M)
            return int(m.group(1)) if m else 0

        self.assertEqual(timeouts(), 0)
        with self.assertRaises(grpc.RpcError) as caught:
            server.stub.ModelInfer(request, timeout=1.0)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(test_http.wait_until(timeouts, 60), 1, "the server did not drop the work at the deadline")
        self.assertTrue(server.stub.ServerLive(pb.ServerLiveRequest()).live)

    def test_request_timeout_when_sooner(self):
        server = self.start(["--request-timeout-ms", "300"])
        heavy = test_http.heavy_request(chars=3000, keys=40)
        request = infer_request([heavy["text"]], [json.dumps(heavy["schema"], ensure_ascii=False)])
        with self.assertRaises(grpc.RpcError) as caught:
            server.stub.ModelInfer(request, timeout=300)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        # The server's own answer (a client-side expiry would say "Deadline Exceeded").
        self.assertNotEqual(caught.exception.details(), "Deadline Exceeded")

    def test_batches_under_concurrent_load(self):
        server = self.start(["--max-wait-ms", "20", "--access-log", ""])
        one_key = "{\"公司\":null}"

        def batch_counts():
            buckets = {}
            for m in re.finditer(r'^uninlu_batch_size_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)', server.metrics(), re.M):
                buckets[float(m.group(1))] = buckets.get(float(m.group(1)), 0) + int(m.group(2))
            total = max(buckets.values(), default=0)
            return total, total - buckets.get(1.0, 0)

        self.assertEqual(server.post("/api/predict", {"text": TEXTS[0], "schema": one_key}).status, 200)
        self.assertEqual(batch_counts()[1], 0, "one text alone already made a batch of more than one item")

        def client(k):
            texts = [TEXTS[(k + i) % 3] for i in range(8)]
            return results_of(server.stub.ModelInfer(infer_request(texts, [one_key]), timeout=300))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(client, range(8)))
        expected = {t: server.post("/api/predict", {"text": t, "schema": one_key}).json()["result"] for t in TEXTS}
        for k, got in enumerate(answers):
            self.assertEqual(got, [expected[TEXTS[(k + i) % 3]] for i in range(8)])
        total, multi = batch_counts()
        self.assertGreater(multi, 0, "no batch held more than one item")
        print(f"\n64 gRPC texts from 8 clients: {total} batches, {multi} with more than one item", file=sys.stderr)

    def test_sigterm_answers_rpcs_in_flight(self):
        server = self.start(["--request-timeout-ms", "600000", "--shutdown-timeout-ms", "600000"])
        heavy = test_http.heavy_request(chars=2000, keys=12)
        request = infer_request([heavy["text"]], [json.dumps(heavy["schema"], ensure_ascii=False)])
        clients = 4
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(server.stub.ModelInfer, request, timeout=600) for _ in range(clients)]

            def admitted():
                if all(f.done() for f in futures):
                    return "done"
                return "ready" if server.get("/health", timeout=30).json().get("in_flight", 0) >= clients else None

            state = test_http.wait_until(admitted, 120)
            if state != "ready":
                self.fail(f"could not catch {clients} RPCs in flight (state {state!r})")
            server.proc.send_signal(signal.SIGTERM)
            for f in futures:
                self.assertIn("output", results_of(f.result(timeout=600))[0])
        self.assertEqual(server.proc.wait(timeout=300), 0, server.stderr())
        self.assertIn("shut down cleanly", server.stderr())

    def test_taken_port_is_reported(self):
        first = self.start()
        taken = first.grpc_port
        server = test_http.Server(["--grpc-port", str(taken)], wait=False)
        self.addCleanup(server.close)
        rc = server.proc.wait(timeout=300)
        self.assertNotEqual(rc, 0)
        self.assertIn(f"cannot listen for gRPC on 127.0.0.1:{taken}", server.stderr())

    def test_config_file_key(self):
        port = test_http.free_port()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"grpc_port": port}, f)
        self.addCleanup(os.unlink, f.name)
        server = test_http.Server(["--config", f.name])
        self.addCleanup(server.close)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            self.assertTrue(pb_grpc.GRPCInferenceServiceStub(channel).ServerLive(pb.ServerLiveRequest()).live)


def main():
    global pb, pb_grpc
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--model", required=True)
    args, rest = parser.parse_known_args()
    test_http.BINARY, test_http.MODEL = os.path.abspath(args.binary), os.path.abspath(args.model)
    with tempfile.TemporaryDirectory(prefix="uninlu_grpc_stubs_") as stubs:
        pb, pb_grpc = generate_stubs(stubs)
        unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
