// End-to-end test of the web page in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
//
//   node tests/browser/e2e.mjs --url http://127.0.0.1:PORT --out DIR [--chromium /usr/bin/chromium]
//
// Needs a running `uninlu serve` (tests/browser/run.sh starts one). For each preset it runs the page,
// asks the API directly for the same text and schema, and checks that the DOM shows exactly that
// answer: the highlighted spans are the multiset of (type, begin, end, span) over all chain items with a
// non-empty range, each mark covers exactly its span's text, the tree holds every chain, and the raw
// JSON is the answer. It also renders a canned answer with nested, crossing, duplicated, empty-range and
// astral-plane spans, checks both error paths (invalid JSON in the editor; an error from the server),
// the layout on a phone-sized viewport, and that the page loads nothing from another origin.
// Screenshots go to DIR (web-e2e.png is the main one). Exits 1 on any failure.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    out: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "60000" },
  },
});
if (!args.url || !args.out) {
  console.error("usage: node e2e.mjs --url http://127.0.0.1:PORT --out DIR [--chromium PATH]");
  process.exit(2);
}
const BASE = args.url.replace(/\/+$/, "");
const TIMEOUT = Number(args.timeout);
mkdirSync(args.out, { recursive: true });

const failures = [];
let checks = 0;
function check(condition, what, detail) {
  checks++;
  if (condition) return true;
  failures.push(detail === undefined ? what : `${what}\n      ${detail}`);
  console.log(`  FAIL ${what}`);
  return false;
}
function checkEqualMultisets(actual, expected, what) {
  const a = [...actual].sort();
  const e = [...expected].sort();
  const same = a.length === e.length && a.every((x, i) => x === e[i]);
  return check(same, what, `page (${a.length}): ${JSON.stringify(a.slice(0, 20))}\n      api  (${e.length}): ${JSON.stringify(e.slice(0, 20))}`);
}

const spanKey = (type, begin, end, span) => JSON.stringify([String(type), Number(begin), Number(end), String(span)]);

// What the page must highlight: every chain item with a non-empty range inside the text.
function expectedSpans(text, output) {
  const length = Array.from(text).length;
  const keys = [];
  for (const chain of output) {
    for (const item of chain) {
      const [b, e] = item.offset;
      if (Number.isInteger(b) && Number.isInteger(e) && b >= 0 && e > b && e <= length) keys.push(spanKey(item.type, b, e, item.span));
    }
  }
  return keys;
}
const expectedChains = (output) => output.map((chain) => JSON.stringify(chain.map((i) => [i.type, i.offset[0], i.offset[1], i.span])));

async function apiPredict(body) {
  const response = await fetch(`${BASE}/api/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// Everything the page shows for the last run, read from the DOM.
async function readPage(page) {
  return page.evaluate(() => {
    const marks = [...document.querySelectorAll("#highlighted mark.hl")];
    const byId = new Map();
    for (const m of marks) {
      const d = m.dataset;
      if (!byId.has(d.id)) byId.set(d.id, { type: d.type, begin: +d.begin, end: +d.end, span: d.span, count: +d.count, text: "", parts: 0, attrsAgree: true });
      const s = byId.get(d.id);
      s.text += m.textContent;
      s.parts++;
      s.attrsAgree &&= d.type === s.type && +d.begin === s.begin && +d.end === s.end && d.span === s.span;
    }
    const chains = [];
    for (const li of document.querySelectorAll("#tree li.node")) {
      const n = Number(li.dataset.chainEnd);
      if (!n) continue;
      const path = [];
      for (let node = li; node; node = node.parentElement.closest("li.node")) {
        path.unshift([node.dataset.type, Number(node.dataset.begin), Number(node.dataset.end), node.dataset.span]);
      }
      for (let i = 0; i < n; i++) chains.push(JSON.stringify(path));
    }
    const results = document.getElementById("results");
    return {
      spans: [...byId.values()],
      chains,
      highlightedText: document.getElementById("highlighted").firstChild ? [...document.getElementById("highlighted").childNodes].filter((n) => !(n.nodeType === 1 && n.tagName === "P")).map((n) => n.textContent).join("") : "",
      rawJson: document.getElementById("raw-json").textContent,
      latency: document.getElementById("latency").textContent,
      errorVisible: !document.getElementById("error").hidden,
      errorText: document.getElementById("error-message").textContent,
      status: results.dataset.status,
      requestId: results.dataset.requestId,
    };
  });
}

// Clicks Run (or presses Ctrl+Enter) and waits for the page to finish that run.
async function runOnPage(page, how = "click") {
  const before = Number(await page.getAttribute("#results", "data-seq"));
  if (how === "keyboard") {
    await page.focus("#text");
    await page.keyboard.press("Control+Enter");
  } else {
    await page.click("#run");
  }
  await page.waitForFunction((n) => Number(document.getElementById("results").dataset.seq) > n, before, { timeout: TIMEOUT });
  return readPage(page);
}

function compareWithApi(label, text, api, shown) {
  const output = api.result.output;
  const itemCount = output.reduce((n, c) => n + c.length, 0);
  console.log(`  ${label}: ${output.length} chains, ${itemCount} chain items, ${shown.spans.length} distinct highlighted spans`);
  check(shown.status === "ok", `${label}: the page finished without error`, `status ${shown.status}, error "${shown.errorText}"`);
  check(!shown.errorVisible, `${label}: no error shown`, shown.errorText);
  // Highlighted spans: the multiset over chain items (a mark's data-count says how many items share it).
  const pageSpans = shown.spans.flatMap((s) => Array(s.count).fill(spanKey(s.type, s.begin, s.end, s.span)));
  checkEqualMultisets(pageSpans, expectedSpans(text, output), `${label}: highlighted spans == API chain items (type, begin, end, span)`);
  const codePoints = Array.from(text);
  for (const s of shown.spans) {
    check(s.attrsAgree, `${label}: all parts of mark ${spanKey(s.type, s.begin, s.end, s.span)} carry the same attributes`);
    check(s.text === s.span, `${label}: mark ${spanKey(s.type, s.begin, s.end, s.span)} covers exactly its span`, `covers "${s.text}"`);
    check(codePoints.slice(s.begin, s.end).join("") === s.span, `${label}: span ${spanKey(s.type, s.begin, s.end, s.span)} is text[begin:end] in code points`);
  }
  check(shown.highlightedText === text, `${label}: the highlighted view shows the whole text unchanged`, `shows "${shown.highlightedText}"`);
  checkEqualMultisets(shown.chains, expectedChains(output), `${label}: the tree shows every chain`);
  let raw = null;
  try {
    raw = JSON.parse(shown.rawJson);
  } catch {
    raw = null;
  }
  check(raw && JSON.stringify(raw.result) === JSON.stringify(api.result), `${label}: the raw JSON shows the API's result`);
  check(/Round trip [\d.]+ ms/.test(shown.latency) && /Server [\d.]+ ms/.test(shown.latency) && /Device\s*\S+/.test(shown.latency), `${label}: latency and device shown`, shown.latency);
}

const CANNED_TEXT = "😀谷爱凌 Café𠀀北京冬奥会，中国";
// Nested, crossing, duplicated (one subject in two chains), an empty range and an astral character
// (😀 and 𠀀 are one code point each, two UTF-16 units).
const CANNED = {
  result: {
    output: [
      [{ type: "人物", span: "谷爱凌", offset: [1, 4] }, { type: "国籍", span: "中国", offset: [16, 18] }],
      [{ type: "人物", span: "谷爱凌", offset: [1, 4] }, { type: "赛事", span: "北京冬奥会", offset: [10, 15] }],
      [{ type: "地点", span: "北京", offset: [10, 12] }],
      [{ type: "赛事", span: "冬奥会，中", offset: [12, 17] }],
      [{ type: "表情", span: "😀谷", offset: [0, 2] }],
      [{ type: "混合", span: "Café𠀀北", offset: [5, 11] }],
      [{ type: "空", span: "", offset: [9, 9] }],
    ],
  },
  request_id: "canned-1",
  timing: { tokenize_ms: 0.1, queue_ms: 0.2, inference_ms: 1.5, total_ms: 1.8 },
  devices: ["cpu"],
};

async function main() {
  const userDataDir = mkdtempSync(join(tmpdir(), "uninlu-e2e-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: args.chromium,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1400, height: 1000 },
      timeout: TIMEOUT,
    });
    context.setDefaultTimeout(TIMEOUT);
    const page = context.pages()[0] || (await context.newPage());
    const pageErrors = [];
    const foreign = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      // The browser logs every 4xx answer; the error-path predictions below are meant to get one.
      const fromPredict = /\/api\/predict$/.test((m.location() && m.location().url) || "");
      if (m.type() === "error" && !(fromPredict && /Failed to load resource/.test(m.text()))) pageErrors.push(`console: ${m.text()}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/api/predict")) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on("request", (r) => {
      const url = r.url();
      if (!url.startsWith(BASE + "/") && !url.startsWith("data:")) foreign.push(url);
    });

    console.log(`page ${BASE}/`);
    const response = await page.goto(`${BASE}/`, { waitUntil: "load" });
    check(response && response.status() === 200, "GET / is 200");
    await page.waitForFunction(() => !/^…$/.test(document.getElementById("model-info").textContent), null, { timeout: TIMEOUT });
    const header = await page.evaluate(() => ({
      model: document.getElementById("model-info").textContent,
      device: document.getElementById("device-info").textContent,
    }));
    console.log(`  header: model ${header.model}; device ${header.device}`);
    check(header.model && !/unknown/.test(header.model), "the header shows the model from /info", header.model);
    check(header.device && header.device !== "…", "the header shows the device", header.device);
    const unlabeled = await page.evaluate(() =>
      [...document.querySelectorAll("textarea, select, input")].filter((e) => e.labels.length === 0).map((e) => e.id),
    );
    check(unlabeled.length === 0, "every form control has a label", unlabeled.join(", "));

    // Every preset, against the real API.
    const presetIds = await page.evaluate(() => (window.UNINLU_PRESETS || []).map((p) => p.id));
    check(presetIds.length >= 10, "ten presets (nine task shapes, two reading-comprehension forms)", presetIds.join(","));
    const runs = [
      ...presetIds.map((id) => ({ id, allPrefix: false })),
      { id: "relation", allPrefix: true },
      { id: "event", allPrefix: true },
      { id: "ner", allPrefix: false, how: "keyboard" },
      { id: "relation", allPrefix: false }, // last: the main screenshot
    ];
    let realItems = 0;
    for (const { id, allPrefix, how } of runs) {
      await page.selectOption("#preset", id);
      await page.setChecked("#output-all-prefix", allPrefix);
      const text = await page.inputValue("#text");
      const schema = await page.inputValue("#schema");
      const label = `${id}${allPrefix ? " +output_all_prefix" : ""}${how ? " (Ctrl+Enter)" : ""}`;
      const api = await apiPredict({ text, schema, output_all_prefix: allPrefix });
      if (!check(api.status === 200, `${label}: the API answers 200`, JSON.stringify(api.body))) continue;
      const shown = await runOnPage(page, how);
      compareWithApi(label, text, api.body, shown);
      realItems += api.body.result.output.reduce((n, c) => n + c.length, 0);
    }
    if (realItems === 0) {
      console.log("  NOTE: the model found no span for any preset (a random test model); only the canned answer below exercises the highlighting");
    }
    await page.screenshot({ path: join(args.out, "web-e2e.png"), fullPage: true });

    // The model picker (run.sh serves two models): the second model answers as the API says it does.
    const models = await page.evaluate(() => ({
      shown: !document.getElementById("model-field").hidden,
      names: [...document.querySelectorAll("#model option")].map((o) => o.value),
    }));
    if (check(models.shown && models.names.length === 2, "two models: the model picker is shown with both", JSON.stringify(models))) {
      await page.selectOption("#preset", "ner");
      await page.selectOption("#model", models.names[1]);
      const text = await page.inputValue("#text");
      const schema = await page.inputValue("#schema");
      const api = await apiPredict({ text, schema, output_all_prefix: false, model: models.names[1] });
      if (check(api.status === 200, "ner on the second model: the API answers 200", JSON.stringify(api.body))) {
        const [sent, shown] = await Promise.all([page.waitForRequest((r) => r.url().endsWith("/api/predict")), runOnPage(page)]);
        check(JSON.parse(sent.postData()).model === models.names[1], "the page sends the picked model", sent.postData());
        compareWithApi(`ner on model ${models.names[1]}`, text, api.body, shown);
      }
      await page.selectOption("#model", models.names[0]);
    }

    // A canned answer exercises overlapping, nested and astral-plane spans whatever the model says.
    await page.route("**/api/predict", (route) =>
      route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(CANNED) }),
    );
    await page.fill("#text", CANNED_TEXT);
    await page.fill("#schema", '{"人物": {"国籍": null, "赛事": null}, "地点": null, "赛事": null, "表情": null, "混合": null, "空": null}');
    const canned = await runOnPage(page);
    compareWithApi("canned overlapping spans", CANNED_TEXT, CANNED, canned);
    const depth = await page.evaluate(() => Math.max(...[...document.querySelectorAll("#highlighted mark.hl")].map((m) => {
      let d = 0;
      for (let p = m.parentElement; p && p.matches("mark.hl"); p = p.parentElement) d++;
      return d;
    })));
    check(depth >= 2, "canned: nested spans are nested marks", `max nesting ${depth}`);
    check(canned.spans.some((s) => s.parts > 1), "canned: a crossing span is continued in a second mark");
    await page.hover('#highlighted mark.hl[data-type="地点"]');
    const info = await page.textContent("#span-info");
    check(/地点「北京」\[10, 12\)/.test(info) && /赛事「北京冬奥会」/.test(info), "canned: hovering a nested span describes it and its enclosing spans", info);
    await page.screenshot({ path: join(args.out, "web-e2e-overlaps.png"), fullPage: true });
    await page.unroute("**/api/predict");

    // Error path 1: invalid JSON in the schema editor.
    await page.selectOption("#preset", "ner");
    await page.fill("#schema", '{"人物": null, "地理位置": null,');
    const editorMessage = await page.textContent("#schema-status");
    check(/Invalid JSON/.test(editorMessage), "the editor flags invalid JSON as the user types", editorMessage);
    check((await page.getAttribute("#schema", "aria-invalid")) === "true", "the schema box is aria-invalid");
    const invalid = await runOnPage(page);
    check(invalid.status === "error" && invalid.errorVisible, "invalid schema JSON: the error area is shown");
    const editorDetail = editorMessage.replace(/^.*Invalid JSON: /, "");
    check(editorDetail.length > 0 && invalid.errorText.includes(editorDetail), "invalid schema JSON: the error area shows the editor's message", `error "${invalid.errorText}", editor "${editorMessage}"`);
    check(invalid.spans.length === 0 && invalid.chains.length === 0, "invalid schema JSON: no stale result is left");

    // Error path 2: the server refuses the request; the page shows the server's message.
    for (const [what, text, schema] of [
      ["a schema value that is not null or an object", "谷爱凌获得金牌", '{"人物": 1}'],
      ["an empty text", "", '{"人物": null}'],
    ]) {
      await page.fill("#text", text);
      await page.fill("#schema", schema);
      const api = await apiPredict({ text, schema, output_all_prefix: false });
      check(api.status >= 400 && typeof api.body.error === "string", `${what}: the API refuses it`, JSON.stringify(api.body));
      const shown = await runOnPage(page);
      check(shown.errorVisible && shown.errorText === api.body.error, `${what}: the error area shows the server's message`, `page "${shown.errorText}", api "${api.body.error}"`);
    }
    await page.screenshot({ path: join(args.out, "web-e2e-error.png"), fullPage: true });

    // A phone-sized viewport: no horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.selectOption("#preset", "relation");
    await runOnPage(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, "narrow viewport: no horizontal overflow", `${overflow}px too wide`);
    await page.screenshot({ path: join(args.out, "web-e2e-mobile.png"), fullPage: true });

    check(pageErrors.length === 0, "no JavaScript errors or failed loads", pageErrors.join("\n      "));
    check(foreign.length === 0, "the page loads nothing from another origin (works offline)", foreign.join("\n      "));
  } finally {
    if (context) await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  failures.push(`exception: ${error && error.stack ? error.stack : error}`);
}
if (failures.length) {
  console.log(`\nweb e2e: ${failures.length} of ${checks} checks FAILED`);
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
console.log(`\nweb e2e: all ${checks} checks passed; screenshots in ${args.out}`);
