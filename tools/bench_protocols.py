#!/usr/bin/env python3
"""Throughput of the three protocols at saturation on one server: POST /api/predict, the Open Inference
Protocol over REST (POST /v2/models/{name}/infer) and over gRPC (ModelInfer), the same text and schema,
one text per request, C concurrent clients each with its own keep-alive connection (REST) or a shared
channel (gRPC). The protocols run in turn, R rounds, so that a shared machine's drift hits all of them.
  /usr/bin/python3 tools/bench_protocols.py --binary build/src/cli/uninlu [--model models/uninlu-cluener]
      [--clients 16] [--seconds 20] [--rounds 2] [--device cpu|null]
With --device null (fixed logits, no model: engine/null) it measures what each protocol itself costs.
Prints requests/s, latency percentiles and the server's CPU time per request (from /proc: on a shared
machine steadier than throughput) per protocol and round, then each protocol's best round and median
CPU per request against /api/predict's.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from test_grpc import generate_stubs  # noqa: E402  (the client stubs, made from proto/ as the tests make them)
TEXT = "华为在东莞松山湖建设了研发基地"
SCHEMA = {"公司": None, "地理位置": None}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rest_client(port, path, body):
    payload = json.dumps(body, ensure_ascii=False).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call():
        conn.request("POST", path, payload, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{path}: {r.status} {data[:200]!r}")
    return call


def grpc_client(stub, request):
    def call():
        stub.ModelInfer(request, timeout=120)
    return call


def run(make_call, clients, seconds):
    """C threads call as fast as answers come for `seconds`; returns (requests/s, sorted latencies)."""
    latencies = [[] for _ in range(clients)]
    stop = time.monotonic() + seconds
    errors = []

    def worker(i):
        call = make_call()
        try:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                call()
                latencies[i].append(time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        raise errors[0]
    all_latencies = sorted(x for per in latencies for x in per)
    return len(all_latencies) / elapsed, all_latencies


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--model", default=os.path.join(REPO, "models", "uninlu-cluener"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    port, grpc_port = free_port(), free_port()
    name = os.path.basename(os.path.normpath(args.model))
    server = subprocess.Popen([args.binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--grpc-port",
                               str(grpc_port), "--model", args.model, "--device", args.device, "--access-log", ""]
                              + (["--allow-null-device"] if args.device == "null" else []),
                              stderr=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory() as out_dir:
            pb, pb_grpc = generate_stubs(out_dir)
            channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            deadline = time.monotonic() + 300
            while True:
                try:
                    if stub.ServerReady(pb.ServerReadyRequest(), timeout=2).ready:
                        break
                except grpc.RpcError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.2)

            request = pb.ModelInferRequest(model_name=name)
            for tensor_name, value in (("text", TEXT), ("schema", json.dumps(SCHEMA, ensure_ascii=False))):
                t = request.inputs.add(name=tensor_name, datatype="BYTES", shape=[1])
                t.contents.bytes_contents.append(value.encode())
            v2_body = {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [TEXT]},
                                  {"name": "schema", "shape": [1], "datatype": "BYTES",
                                   "data": [json.dumps(SCHEMA, ensure_ascii=False)]}]}
            protocols = {
                "/api/predict": lambda: rest_client(port, "/api/predict", {"text": TEXT, "schema": SCHEMA}),
                "v2 REST": lambda: rest_client(port, f"/v2/models/{name}/infer", v2_body),
                "v2 gRPC": lambda: grpc_client(stub, request),
            }
            run(protocols["/api/predict"], args.clients, 3)  # warm-up: threads, caches, connections
            best = {}
            cpu_per_request = {}
            print(f"{args.clients} clients, {args.seconds:.0f} s per protocol and round, model {name}, "
                  f"device {args.device}, {os.cpu_count()} CPUs")
            for r in range(args.rounds):
                for label, make in protocols.items():
                    cpu0 = cpu_seconds(server.pid)
                    rate, lat = run(make, args.clients, args.seconds)
                    cpu_ms = (cpu_seconds(server.pid) - cpu0) * 1000 / len(lat)
                    best[label] = max(best.get(label, 0), rate)
                    cpu_per_request.setdefault(label, []).append(cpu_ms)
                    print(f"round {r + 1}  {label:13s} {rate:8.1f} req/s   p50 {percentile(lat, 50):7.1f} ms   "
                          f"p99 {percentile(lat, 99):7.1f} ms   server CPU {cpu_ms:6.2f} ms/request   "
                          f"({len(lat)} requests)", flush=True)
            base = best["/api/predict"]
            base_cpu = sorted(cpu_per_request["/api/predict"])[len(cpu_per_request["/api/predict"]) // 2]
            for label, rate in best.items():
                cpu = sorted(cpu_per_request[label])[len(cpu_per_request[label]) // 2]
                print(f"best  {label:13s} {rate:8.1f} req/s ({100 * (rate / base - 1):+6.1f}%)   "
                      f"median server CPU {cpu:6.2f} ms/request ({100 * (cpu / base_cpu - 1):+6.1f}%) vs /api/predict")
            channel.close()
    finally:
        server.terminate()
        server.wait(timeout=120)


if __name__ == "__main__":
    main()
