#!/usr/bin/env python3
"""Closed-loop HTTP load for the whole-request GPU benchmark (stdlib only, Python 3.8+).

C connections (spread over P processes so the client's GIL is not the bottleneck) each POST the load-test
request to /api/predict over a keep-alive connection, one request at a time, for D seconds after a warm-up.
Prints and writes (--out) throughput, latency percentiles, the status counts, how many answers differed
from the first one (a lost or wrong answer during a fault drill shows here), and the client's own CPU
time, so a saturated client can be told from a saturated server.

  load_client.py --url http://127.0.0.1:18080 --connections 100 --duration 30 --out result.json
"""
import argparse
import http.client
import json
import multiprocessing
import os
import socket
import sys
import threading
import time
import urllib.parse

REQUEST = {"text": "华为在东莞松山湖建设了研发基地", "schema": {"公司": None, "地理位置": None}}


def worker_process(url, threads, warmup, duration, body, queue):
    parsed = urllib.parse.urlsplit(url)
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration
    lock = threading.Lock()
    latencies, statuses, answers, served_by = [], {}, {}, {}

    def loop():
        conn = None
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
                    conn.connect()
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay
                t0 = time.monotonic()
                conn.request("POST", "/api/predict", body=body,
                             headers={"Content-Type": "application/json", "Connection": "keep-alive"})
                resp = conn.getresponse()
                data = resp.read()
                t1 = time.monotonic()
                status = resp.status
                answer, devices = None, ""
                if status == 200:
                    try:
                        reply = json.loads(data)
                        answer = json.dumps(reply["result"], ensure_ascii=False, sort_keys=True)
                        devices = ",".join(reply.get("devices", []))
                    except (ValueError, KeyError):
                        answer, devices = "<unparsable>", ""
            except (OSError, http.client.HTTPException) as e:
                t1 = time.monotonic()
                status, answer, devices, t0 = "error:" + type(e).__name__, None, "", t1
                if conn is not None:
                    conn.close()
                conn = None
            if t0 >= start_at and t1 <= stop_at:
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(t1 - t0)
                        answers[answer] = answers.get(answer, 0) + 1
                        served_by[devices] = served_by.get(devices, 0) + 1
        if conn is not None:
            conn.close()

    cpu0 = os.times()
    pool = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    cpu1 = os.times()
    queue.put({"latencies": latencies, "statuses": {str(k): v for k, v in statuses.items()}, "answers": answers,
               "served_by": served_by,
               "cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)})


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[i]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:18080")
    ap.add_argument("--connections", type=int, default=100)
    ap.add_argument("--processes", type=int, default=0, help="client processes (0: min(8, cores / 2))")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--schema-as-string", action="store_true",
                    help="send the schema as a JSON string, as docs/performance.md's load test does")
    ap.add_argument("--out", help="write the result as JSON here")
    args = ap.parse_args(argv)

    request = dict(REQUEST)
    if args.schema_as_string:
        request["schema"] = json.dumps(REQUEST["schema"], ensure_ascii=False)
    body = json.dumps(request, ensure_ascii=False).encode("utf-8")
    processes = args.processes or max(1, min(8, (os.cpu_count() or 2) // 2))
    processes = min(processes, args.connections)
    per = [args.connections // processes + (1 if i < args.connections % processes else 0) for i in range(processes)]
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker_process, args=(args.url, n, args.warmup, args.duration, body, queue))
             for n in per]
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()

    latencies = sorted(x for part in parts for x in part["latencies"])
    statuses, answers, served_by = {}, {}, {}
    for part in parts:
        for k, v in part["served_by"].items():
            served_by[k] = served_by.get(k, 0) + v
        for k, v in part["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in part["answers"].items():
            answers[k] = answers.get(k, 0) + v
    ok = statuses.get("200", 0)
    total = sum(statuses.values())
    majority = max(answers.values()) if answers else 0
    result = {
        "url": args.url,
        "connections": args.connections,
        "client_processes": processes,
        "duration_s": args.duration,
        "requests": total,
        "ok": ok,
        "failed": total - ok,
        "statuses": statuses,
        "qps": ok / args.duration,
        "latency_ms": {
            "mean": 1000 * sum(latencies) / len(latencies) if latencies else None,
            "p50": 1000 * percentile(latencies, 50) if latencies else None,
            "p90": 1000 * percentile(latencies, 90) if latencies else None,
            "p99": 1000 * percentile(latencies, 99) if latencies else None,
            "max": 1000 * latencies[-1] if latencies else None,
        },
        "served_by": served_by,
        "distinct_answers": len(answers),
        "answers_differing_from_majority": ok - majority,
        "client_cpu_s": sum(part["cpu_s"] for part in parts),
        "client_cpu_share": sum(part["cpu_s"] for part in parts) / ((args.warmup + args.duration) * processes),
    }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
