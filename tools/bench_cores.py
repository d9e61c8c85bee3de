#!/usr/bin/env python3
"""Scaling across cores (issue 18): requests/s of the host path (the null device) with the whole process
(server and load generator, `uninlu bench` in process) on 1 core and on N cores, for one or two
binaries measured in the same run, in alternating order each round; the median over the rounds.

  tools/bench_cores.py [--binary build/src/cli/uninlu] [--before OTHER_BINARY] [--cores 0 0,1]
                       [--rounds 3] [--seconds 3] [--json-out FILE]

Requests: the load-test request and a 3-level nested schema (whose answer holds the most host work per
request: decoding, the next levels' prompts, the answer's JSON), 64 connections, over HTTP on loopback
and straight to Service::predict ("direct"), with one HTTP I/O thread per core of the set (--io-threads;
the default, min(4, cores / 2), leaves half the cores to a CPU device's inference). The figure per core
set is requests/s; "scaling" is the N-core figure over the 1-core one.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUESTS = {
    "load test": {"text": "华为在东莞松山湖建设了研发基地", "schema": {"公司": None, "地理位置": None}},
    "nested": {"text": "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元。",
               "schema": {"人物": {"毕业院校": {"所在城市": None}, "出生地": None},
                          "组织机构": {"成立时间": None, "总部": None}}},
}


def measure(binary, model, request_file, transport, cores, seconds):
    args = [binary, "bench", "--model", model, "--device", "null", "--transport", transport,
            "--connections", "64", "--duration", str(seconds), "--warmup", "1", "--server-cpu", cores,
            "--client-cpu", cores, "--io-threads", str(len(cores.split(","))), "--input", request_file, "--json"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    phase = json.loads(out)["phases"][0]
    if phase["requests_failed"]:
        raise SystemExit(f"{binary}: {phase['requests_failed']} requests failed: {phase['errors']}")
    return phase["qps"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "src", "cli", "uninlu"))
    p.add_argument("--before", help="another uninlu binary measured in the same run")
    p.add_argument("--model", default=os.path.join(ROOT, "build", "fixtures", "models", "tiny"))
    p.add_argument("--cores", nargs="+", default=["0", ",".join(str(c) for c in range(os.cpu_count()))],
                   help="CPU sets, as --server-cpu takes them (default: 0, then every CPU)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--json-out")
    args = p.parse_args()
    binaries = {"after": args.binary} if not args.before else {"before": args.before, "after": args.binary}

    work = tempfile.mkdtemp(prefix="uninlu_cores_")
    files = {}
    for name, body in REQUESTS.items():
        files[name] = os.path.join(work, name.replace(" ", "_") + ".jsonl")
        with open(files[name], "w", encoding="utf-8") as f:
            f.write(json.dumps(body, ensure_ascii=False) + "\n")

    with open("/proc/loadavg") as f:
        print(f"load average at start: {' '.join(f.read().split()[:3])}; {os.cpu_count()} CPUs", file=sys.stderr)
    qps = {}  # (label, request, transport, cores) -> [qps per round]
    for r in range(args.rounds):
        order = list(binaries.items())
        if r % 2 == 1:
            order.reverse()
        for label, binary in order:
            for request, path in files.items():
                for transport in ("http", "direct"):
                    for cores in args.cores:
                        q = measure(binary, args.model, path, transport, cores, args.seconds)
                        qps.setdefault((label, request, transport, cores), []).append(q)
                        print(f"round {r + 1} {label:6} {request:9} {transport:6} cpus {cores:5} {q:9.0f} req/s",
                              file=sys.stderr)

    n = len(args.cores[-1].split(","))
    header = "| request | transport | " + " | ".join(
        f"{label} 1 core | {label} {n} cores | {label} scaling" for label in binaries) + " |"
    print(header)
    print("|" + "---|" * (2 + 3 * len(binaries)))
    for request in REQUESTS:
        for transport in ("http", "direct"):
            cells = []
            for label in binaries:
                one = statistics.median(qps[(label, request, transport, args.cores[0])])
                many = statistics.median(qps[(label, request, transport, args.cores[-1])])
                cells += [f"{one:,.0f}", f"{many:,.0f}", f"{many / one:.2f}"]
            print(f"| {request} | {transport} | " + " | ".join(cells) + " |")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump([{"binary": k[0], "request": k[1], "transport": k[2], "cores": k[3], "qps": v}
                       for k, v in qps.items()], f, indent=1)


if __name__ == "__main__":
    main()
