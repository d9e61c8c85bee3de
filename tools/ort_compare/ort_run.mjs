#!/usr/bin/env node
// ONNX Runtime (CPU execution provider, MLAS, fp32) on the graphs written by export_onnx.py: the seed
// request as the reference pipeline runs it, one request at a time: one text.onnx call ([1, n]), then
// one cross.onnx call for the first schema level's prompts ([P, n] text states, [P, m] hints).
// Tokenisation and decoding are not timed (they are in uninlu's figures, so the comparison favours ORT).
//
//   node tools/ort_compare/ort_run.mjs --dir build-perf/ort [--threads 2] [--seconds 10 | --repeat N]
//        [--warmup 5] [--verify] [--json] [--concurrency K]
//
// --verify: compares ORT's head/tail logits with the PyTorch reference's (stored by export_onnx.py) and
// exits 1 beyond 1e-3. Prints one line (or JSON with --json): requests/s, latency percentiles, and this
// process's CPU time per request.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import ort from 'onnxruntime-node';

function parseArgs(argv) {
  const args = { dir: null, threads: 2, seconds: 0, repeat: 0, warmup: 5, verify: false, json: false, concurrency: 1 };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--dir') args.dir = next();
    else if (a === '--threads') args.threads = Number(next());
    else if (a === '--seconds') args.seconds = Number(next());
    else if (a === '--repeat') args.repeat = Number(next());
    else if (a === '--warmup') args.warmup = Number(next());
    else if (a === '--verify') args.verify = true;
    else if (a === '--json') args.json = true;
    else if (a === '--concurrency') args.concurrency = Number(next());
    else throw new Error(`unknown argument ${a} (see the header of ort_run.mjs)`);
  }
  if (!args.dir) throw new Error('--dir DIR (the output of export_onnx.py) is required');
  if (!(args.threads >= 1)) throw new Error('--threads must be at least 1');
  if (args.seconds <= 0 && args.repeat <= 0) args.seconds = 10;
  return args;
}

function int64Tensor(rows) {
  const flat = rows.flat().map((v) => BigInt(v));
  return new ort.Tensor('int64', BigInt64Array.from(flat), [rows.length, rows[0].length]);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const spec = JSON.parse(fs.readFileSync(path.join(args.dir, 'requests.json'), 'utf8'));
  const request = spec.requests[0];
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const loadStart = process.hrtime.bigint();
  const text = await ort.InferenceSession.create(path.join(args.dir, 'text.onnx'), options);
  const cross = await ort.InferenceSession.create(path.join(args.dir, 'cross.onnx'), options);
  const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;

  const ids = int64Tensor(request.input_ids);
  const mask = int64Tensor(request.attention_mask);
  const prompts = request.hint_ids.length;
  const n = request.input_ids[0].length;
  const hintIds = int64Tensor(request.hint_ids);
  const hintMask = int64Tensor(request.hint_mask);
  const crossMask = int64Tensor(Array.from({ length: prompts }, () => request.attention_mask[0]));

  async function once() {
    const t = await text.run({ input_ids: ids, attention_mask: mask });
    const states = t.text_states;  // [1, n, H]: the same window for every prompt
    const hidden = states.dims[2];
    const repeated = new Float32Array(prompts * n * hidden);
    for (let p = 0; p < prompts; ++p) repeated.set(states.data, p * n * hidden);
    const stacked = new ort.Tensor('float32', repeated, [prompts, n, hidden]);
    return cross.run({ text_states: stacked, text_mask: crossMask, hint_ids: hintIds, hint_mask: hintMask });
  }

  let verified = null;
  if (args.verify) {
    const out = await once();
    let worst = 0;
    for (const [name, expected] of [['head', request.expected_head], ['tail', request.expected_tail]]) {
      const got = out[name].data;
      expected.flat().forEach((v, i) => { worst = Math.max(worst, Math.abs(v - got[i])); });
    }
    verified = worst;
    if (!args.json) console.error(`verify: ORT vs PyTorch reference logits: max abs difference ${worst.toExponential(2)}`);
    if (!(worst <= 1e-3)) {
      console.error(`error: ORT logits differ from the reference by ${worst} (> 1e-3)`);
      process.exit(1);
    }
  }
  for (let i = 0; i < args.warmup; ++i) await once();

  const latencies = [];
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(args.seconds * 1e9));
  // --concurrency K: K request loops at once on the same sessions (ORT allows concurrent Run calls).
  async function loop() {
    for (;;) {
      const s = process.hrtime.bigint();
      if (args.repeat > 0 ? latencies.length >= args.repeat : s >= deadline) break;
      await once();
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: args.concurrency }, loop));
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    system: 'onnxruntime',
    version: ort.env.versions?.common ?? 'unknown',
    threads: args.threads,
    concurrency: args.concurrency,
    requests: latencies.length,
    seconds: wall,
    qps: latencies.length / wall,
    latency_ms: {
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
    },
    cpu_ms_per_request: (cpu.user + cpu.system) / 1e3 / Math.max(1, latencies.length),
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    load_seconds: loadSeconds,
    shapes: { text: [1, n], cross: { prompts, hint_len: request.hint_ids[0].length } },
    verify_max_abs: verified,
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const l = result.latency_ms;
    console.log(`onnxruntime ${result.version} threads=${args.threads}: ${result.requests} requests in ` +
      `${wall.toFixed(1)} s = ${result.qps.toFixed(1)} req/s; latency ms p50 ${l.p50.toFixed(1)} p95 ` +
      `${l.p95.toFixed(1)} p99 ${l.p99.toFixed(1)} max ${l.max.toFixed(1)}; cpu ${result.cpu_ms_per_request.toFixed(1)} ` +
      `ms/request; peak RSS ${result.peak_rss_mib.toFixed(0)} MiB`);
  }
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(2);
});
