#!/usr/bin/env python3
"""Times the Python reference pipeline (tools/reference: what ModelScope's SiameseUiePipeline does) on a
GPU under fp16 autocast, as ModelScope runs it, on the load-test request

    {"text": "华为在东莞松山湖建设了研发基地", "schema": {"公司": null, "地理位置": null}}

single-stream (latency) and from N threads sharing the model (closed loop, like the original Flask app's
threads), so uninlu's GPU throughput can be put side by side with it on the same GPU
(tests/gpu/run_on_gpu.sh runs both; the target is >= 20x this throughput).

    python3 tools/bench_gpu_reference.py --model DIR [--threads 1,8,32,100] [--seconds 20] [--out result.json]

Needs a python3 whose torch sees a CUDA GPU (exit 3 otherwise); --device cpu --autocast off is a smoke
test of the script itself. The model is any uninlu model directory
(pytorch_model.bin or model.safetensors), e.g. tools/make_fixture.py --size full.
"""
import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.threads import pin_threads  # noqa: E402

pin_threads(int(os.environ.get("REFERENCE_CPU_THREADS", "4")))  # before torch loads its BLAS
import torch  # noqa: E402
from reference.model import SiameseModel  # noqa: E402
from reference.pipeline import SiameseUIE  # noqa: E402

TEXT = "华为在东莞松山湖建设了研发基地"
SCHEMA = {"公司": None, "地理位置": None}


class GpuSiameseModel(SiameseModel):
    """The reference model with its tensors on a GPU. The pipeline builds its index tensors on the CPU;
    each stage moves its inputs to the model's device, and positions are made there."""

    def to_device(self, device):
        self.device = device
        for name, value in list(vars(self).items()):
            if torch.is_tensor(value):
                setattr(self, name, value.to(device))
        for layer in self.text_layers + self.cross_layers:
            for slot in layer.__slots__:
                setattr(layer, slot, getattr(layer, slot).to(device))
        return self

    def text_stage(self, ids, mask):
        ids, mask = ids.to(self.device), mask.to(self.device)
        b, s = ids.shape
        pos = torch.arange(s, device=self.device).expand(b, s)
        tt = torch.zeros_like(ids)
        return self.encode(self.embed(ids, tt, pos), mask, self.text_layers)

    def hint_stage(self, hint_ids, hint_mask, position_offset):
        hint_ids, hint_mask = hint_ids.to(self.device), hint_mask.to(self.device)
        b, m = hint_ids.shape
        pos = (torch.arange(m, device=self.device) + position_offset).expand(b, m)
        tt = torch.ones_like(hint_mask)
        return self.encode(self.embed(hint_ids, tt, pos), hint_mask, self.text_layers)

    def fast_inference(self, text_states, text_mask, hint_ids, hint_mask, capture=None):
        return super().fast_inference(text_states.to(self.device), text_mask.to(self.device),
                                      hint_ids.to(self.device), hint_mask.to(self.device), capture)


def load(model_dir, device):
    pipeline = SiameseUIE(model_dir)
    model = pipeline.model
    model.__class__ = GpuSiameseModel
    model.to_device(device)
    return pipeline


def predict(pipeline, dtype):
    if dtype is None:
        return pipeline.predict(TEXT, SCHEMA)
    with torch.autocast(pipeline.model.device.type, dtype=dtype):
        return pipeline.predict(TEXT, SCHEMA)


def closed_loop(pipeline, dtype, threads, seconds):
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies = []
    errors = []

    def loop():
        mine = []
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                predict(pipeline, dtype)
                mine.append(time.perf_counter() - t0)
        except Exception as e:  # a failure must show in the result, not kill the benchmark
            errors.append(repr(e))
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda p: 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else None  # noqa: E731
    return {"threads": threads, "requests": len(latencies), "seconds": elapsed,
            "qps": len(latencies) / elapsed, "latency_ms": {
                "mean": 1000 * statistics.fmean(latencies) if latencies else None,
                "p50": pick(50), "p99": pick(99)}, "errors": errors[:5]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--autocast", choices=["fp16", "bf16", "off"], default="fp16",
                    help="torch.autocast dtype (ModelScope's GPU default is fp16)")
    ap.add_argument("--threads", default="1,8,32,100", help="comma-separated thread counts")
    ap.add_argument("--seconds", type=float, default=20.0, help="per thread count")
    ap.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args(argv)

    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    if on_gpu and not torch.cuda.is_available():
        print("bench_gpu_reference: torch sees no CUDA GPU (torch %s)" % torch.__version__, file=sys.stderr)
        return 3
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "off": None}[args.autocast]
    torch.set_grad_enabled(False)
    pipeline = load(args.model, device)
    answer = predict(pipeline, dtype)
    for _ in range(args.warmup):
        predict(pipeline, dtype)
    if on_gpu:
        torch.cuda.synchronize(device)
    result = {"gpu": torch.cuda.get_device_name(device) if on_gpu else "cpu", "torch": torch.__version__,
              "model": args.model, "autocast": args.autocast, "answer": answer,
              "request": {"text": TEXT, "schema": SCHEMA}, "runs": []}
    for n in [int(x) for x in args.threads.split(",") if x]:
        run = closed_loop(pipeline, dtype, n, args.seconds)
        result["runs"].append(run)
        print("reference %s, %3d threads: %8.1f req/s, p50 %.1f ms, p99 %.1f ms%s" % (
            args.autocast, n, run["qps"], run["latency_ms"]["p50"] or 0, run["latency_ms"]["p99"] or 0,
            ", ERRORS: %s" % run["errors"] if run["errors"] else ""), flush=True)
    if on_gpu:
        result["max_memory_allocated_bytes"] = torch.cuda.max_memory_allocated(device)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
