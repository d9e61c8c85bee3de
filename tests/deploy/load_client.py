#!/usr/bin/env python3
"""Closed-loop load for the failover test (stdlib only, any Python 3.8+).

N clients each send POST /api/predict over a keep-alive connection, one request at a time, for D
seconds. At given times it signals given processes (SIGKILL/SIGTERM) itself, so the failure analysis
knows exactly when each event happened. Every request is recorded (start, end, outcome); a failure is
"in flight at an event" when it started before the event and ended after it.

  load_client.py --url http://127.0.0.1:8080 --clients 16 --duration 15 \
      --event 5:KILL:1234 --event 10:TERM:1235 --out result.json

Prints a summary; the exit code is 0 (the caller judges the JSON it writes).
"""
import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

TEXTS = [
    "北京是中国的首都。",
    "张三在上海的复旦大学读书，他的老师是李四。",
    "2023年9月，阿里巴巴在杭州发布了新的模型。",
    "小明昨天去了广州，今天又回到了深圳。" * 3,
    "王五是一名医生，在武汉协和医院工作了十年，最近调到了南京鼓楼医院。" * 2,
]
SCHEMAS = [
    {"人物": None, "地点": None},
    {"人物": None, "组织机构": None, "时间": None},
    {"地点": None},
]


def parse_event(text):
    at, sig, pid = text.split(":")
    return float(at), sig.upper(), int(pid)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []  # (start, end, ok, detail)

    def add(self, start, end, ok, detail):
        with self.lock:
            self.records.append((start, end, ok, detail))


def client_loop(index, url, deadline, recorder, stop):
    parsed = urllib.parse.urlsplit(url)
    conn = None
    i = index
    while not stop.is_set() and time.monotonic() < deadline:
        body = json.dumps({"text": TEXTS[i % len(TEXTS)], "schema": SCHEMAS[i % len(SCHEMAS)]},
                          ensure_ascii=False).encode("utf-8")
        i += 1
        start = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=60)
            conn.request("POST", "/api/predict", body=body,
                         headers={"Content-Type": "application/json", "Connection": "keep-alive"})
            resp = conn.getresponse()
            payload = resp.read()
            end = time.monotonic()
            ok = False
            detail = "HTTP %d" % resp.status
            if resp.status == 200:
                try:
                    answer = json.loads(payload)
                    ok = isinstance(answer.get("result", {}).get("output"), list)
                    if not ok:
                        detail = "200 without result.output"
                except ValueError:
                    detail = "200 with a body that is not JSON"
            else:
                detail += " " + payload[:200].decode("utf-8", "replace")
            recorder.add(start, end, ok, detail)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            end = time.monotonic()
            recorder.add(start, end, False, "%s: %s" % (type(e).__name__, e))
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
    if conn is not None:
        conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=15.0)
    p.add_argument("--event", action="append", default=[], help="SECONDS:KILL|TERM:PID")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    events = sorted(parse_event(e) for e in args.event)
    recorder = Recorder()
    stop = threading.Event()
    t0 = time.monotonic()
    deadline = t0 + args.duration
    threads = [threading.Thread(target=client_loop, args=(i, args.url, deadline, recorder, stop), daemon=True)
               for i in range(args.clients)]
    for t in threads:
        t.start()

    done_events = []
    for at, sig, pid in events:
        delay = t0 + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        when = time.monotonic()
        try:
            os.kill(pid, signal.SIGKILL if sig == "KILL" else signal.SIGTERM)
            status = "sent"
        except OSError as e:
            status = "failed: %s" % e
        done_events.append({"at": when - t0, "signal": sig, "pid": pid, "status": status, "t": when})
        print("load_client: t=%.2fs SIG%s -> pid %d (%s)" % (when - t0, sig, pid, status), flush=True)

    for t in threads:
        t.join(timeout=args.duration + 90)
    stop.set()

    records = sorted(recorder.records)
    total = len(records)
    ok = sum(1 for r in records if r[2])
    failures = []
    for start, end, good, detail in records:
        if good:
            continue
        in_flight_at = [e["signal"] for e in done_events if start <= e["t"] <= end]
        failures.append({"start": round(start - t0, 3), "end": round(end - t0, 3), "detail": detail,
                         "in_flight_at": in_flight_at})
    unexplained = [f for f in failures if not f["in_flight_at"]]
    latencies = sorted(r[1] - r[0] for r in records if r[2])

    def pct(q):
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None

    summary = {
        "requests": total, "ok": ok, "failed": len(failures),
        "failed_in_flight_at_an_event": len(failures) - len(unexplained),
        "failed_unexplained": len(unexplained),
        "rps": round(total / args.duration, 1),
        "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)},
        "events": [{k: v for k, v in e.items() if k != "t"} for e in done_events],
        "ok_after_last_event": sum(1 for r in records if r[2] and done_events and r[0] > done_events[-1]["t"]),
        "failures": failures[:50],
    }
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    print("load_client: requests=%d ok=%d failed=%d (in flight at a kill/term: %d, other: %d) rps=%.1f "
          "latency_ms p50=%s p95=%s p99=%s" % (total, ok, len(failures), summary["failed_in_flight_at_an_event"],
                                               len(unexplained), summary["rps"], pct(0.5), pct(0.95), pct(0.99)))
    for f in failures[:10]:
        print("load_client: failure %s" % json.dumps(f, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
