// uninlu web page: the SiameseUniNLU demo served by `uninlu serve` (docs/web.md, docs/http-api.md).
// Plain browser JavaScript, no dependencies, no build step.
//
// Offsets from the API are [begin, end) in Unicode code points, so the text is handled as an array of
// code points (Array.from) everywhere, never with UTF-16 string indices.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const els = {
    preset: $("preset"),
    presetNote: $("preset-note"),
    form: $("form"),
    text: $("text"),
    textCount: $("text-count"),
    schema: $("schema"),
    schemaStatus: $("schema-status"),
    formatSchema: $("format-schema"),
    allPrefix: $("output-all-prefix"),
    run: $("run"),
    results: $("results"),
    error: $("error"),
    errorMessage: $("error-message"),
    errorMeta: $("error-meta"),
    latency: $("latency"),
    legend: $("legend"),
    highlighted: $("highlighted"),
    spanInfo: $("span-info"),
    tree: $("tree"),
    resultView: $("result-view"),
    raw: $("raw"),
    rawJson: $("raw-json"),
    copyJson: $("copy-json"),
    copyStatus: $("copy-status"),
    model: $("model"),
    modelField: $("model-field"),
    modelInfo: $("model-info"),
    deviceInfo: $("device-info"),
    statusInfo: $("status-info"),
  };
  const presets = window.UNINLU_PRESETS || [];
  let maxTextChars = null;
  let running = false;
  let seq = 0;

  // ---------------------------------------------------------------- helpers

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "style") for (const [k, v] of Object.entries(value)) node.style.setProperty(k, v);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // A stable colour per type: the first type seen gets the first hue, the next one a hue a golden angle
  // (137.5°) further, and so on, so the types of one result stay far apart on the colour wheel. A type
  // keeps its colour for the life of the page.
  const hues = new Map();
  function hueOf(type) {
    if (!hues.has(type)) hues.set(type, Math.round((210 + hues.size * 137.508) % 360));
    return hues.get(type);
  }
  function colourStyle(type) {
    const h = hueOf(type);
    return {
      "--color": `hsl(${h} 70% 42%)`,
      "--tint": `hsl(${h} 85% 55% / 0.16)`,
      "--tint-strong": `hsl(${h} 85% 55% / 0.38)`,
    };
  }

  const fmtMs = (v) => (typeof v === "number" && isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : "–");

  // ---------------------------------------------------------------- schema editor

  // Where a JSON.parse error is, as line and column (browsers report a character position).
  function jsonErrorMessage(error, source) {
    if (source.trim() === "") return "schema 为空 · the schema is empty";
    let message = String((error && error.message) || error);
    const m = /position (\d+)/.exec(message);
    if (m && !/line \d+/.test(message)) {
      const before = source.slice(0, Number(m[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      message += ` (line ${line}, column ${column})`;
    }
    return message;
  }

  // The first structural problem the server would refuse, or null (the server has the last word).
  function schemaProblem(value, path) {
    const where = path ? `"${path}"` : "the schema";
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return `${where} must be a JSON object such as {"人物": null}`;
    }
    const keys = Object.keys(value);
    if (keys.length === 0) return `${where} is an empty object`;
    for (const key of keys) {
      if (key === "") return `${where} has an empty key`;
      const child = value[key];
      if (child === null) continue;
      if (typeof child !== "object" || Array.isArray(child)) {
        return `the value of "${key}" must be null or a nested schema object, not ${Array.isArray(child) ? "an array" : typeof child}`;
      }
      const inner = schemaProblem(child, key);
      if (inner) return inner;
    }
    return null;
  }

  function schemaStats(value) {
    let keys = 0;
    let depth = 0;
    (function walk(node, level) {
      depth = Math.max(depth, level);
      for (const child of Object.values(node)) {
        keys++;
        if (child && typeof child === "object") walk(child, level + 1);
      }
    })(value, 1);
    return { keys, depth };
  }

  // {ok, syntax: true when it is not JSON at all, message}
  function checkSchema(source) {
    let value;
    try {
      value = JSON.parse(source);
    } catch (error) {
      return { ok: false, syntax: true, message: jsonErrorMessage(error, source) };
    }
    const problem = schemaProblem(value, "");
    if (problem) return { ok: false, syntax: false, message: problem };
    const { keys, depth } = schemaStats(value);
    return { ok: true, syntax: false, message: `${keys} keys, depth ${depth}` };
  }

  function updateSchemaStatus() {
    const check = checkSchema(els.schema.value);
    const status = els.schemaStatus;
    els.schema.setAttribute("aria-invalid", check.syntax ? "true" : "false");
    if (check.ok) {
      status.className = "schema-status ok";
      status.textContent = `✓ 有效 Valid schema · ${check.message}`;
    } else if (check.syntax) {
      status.className = "schema-status bad";
      status.textContent = `✗ 无效的 JSON · Invalid JSON: ${check.message}`;
    } else {
      status.className = "schema-status warn";
      status.textContent = `⚠ ${check.message} (the server will refuse it)`;
    }
    return check;
  }

  // Re-indents valid JSON token by token, so key order is kept exactly (JSON.parse + stringify would
  // move integer-like keys such as "2020" to the front).
  function formatJson(source) {
    let out = "";
    let indent = 0;
    let inString = false;
    const newline = () => "\n" + "  ".repeat(indent);
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (inString) {
        out += c;
        if (c === "\\") out += source[++i];
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
      } else if (c === "{" || c === "[") {
        const close = c === "{" ? "}" : "]";
        let j = i + 1;
        while (/\s/.test(source[j] || "")) j++;
        if (source[j] === close) {
          out += c + close;
          i = j;
        } else {
          indent++;
          out += c + newline();
        }
      } else if (c === "}" || c === "]") {
        indent--;
        out += newline() + c;
      } else if (c === ",") {
        out += "," + newline();
      } else if (c === ":") {
        out += ": ";
      } else if (!/\s/.test(c)) {
        out += c;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- presets and input

  function loadPreset(id) {
    const preset = presets.find((p) => p.id === id);
    if (!preset) return;
    els.text.value = preset.text;
    els.schema.value = formatJson(preset.schema);
    els.presetNote.textContent = preset.note || "";
    updateSchemaStatus();
    updateTextCount();
  }

  function updateTextCount() {
    const n = Array.from(els.text.value).length;
    els.textCount.textContent = `${n}${maxTextChars ? " / " + maxTextChars : ""} 字符 characters`;
  }

  // ---------------------------------------------------------------- results

  function setStatus(status) {
    els.results.dataset.status = status;
    els.results.setAttribute("aria-busy", status === "running" ? "true" : "false");
  }

  function finish(status, requestId) {
    seq++;
    els.results.dataset.seq = String(seq);
    els.results.dataset.requestId = requestId || "";
    setStatus(status);
  }

  function clearResults() {
    els.resultView.hidden = false;
    els.error.hidden = true;
    els.errorMessage.textContent = "";
    els.errorMeta.textContent = "";
    els.latency.textContent = "";
    els.legend.replaceChildren();
    els.highlighted.replaceChildren();
    els.highlighted.classList.remove("filtering");
    els.spanInfo.textContent = "";
    els.tree.replaceChildren();
    els.rawJson.textContent = "";
    els.copyStatus.textContent = "";
  }

  function showError(message, meta) {
    els.resultView.hidden = true;
    els.error.hidden = false;
    els.errorMessage.textContent = message;
    els.errorMeta.textContent = meta || "";
  }

  // Distinct highlightable spans: one per (type, begin, end), counting the chain items that share it
  // (a relation's subject appears in each of its chains). Empty or out-of-range offsets are skipped.
  function collectSpans(output, codePoints) {
    const length = codePoints.length;
    const byKey = new Map();
    let skipped = 0;
    let mismatched = 0;
    output.forEach((chain, chainIndex) => {
      for (const item of chain) {
        const [begin, end] = Array.isArray(item.offset) ? item.offset : [];
        if (!Number.isInteger(begin) || !Number.isInteger(end) || end <= begin || begin < 0 || end > length) {
          skipped++;
          continue;
        }
        const key = `${item.type}\u0000${begin}\u0000${end}`;
        let span = byKey.get(key);
        if (!span) {
          span = { id: byKey.size, type: String(item.type), begin, end, text: String(item.span), count: 0, chains: [] };
          byKey.set(key, span);
          if (codePoints.slice(begin, end).join("") !== span.text) mismatched++;
        }
        span.count++;
        if (!span.chains.includes(chainIndex)) span.chains.push(chainIndex);
      }
    });
    return { spans: [...byKey.values()], skipped, mismatched };
  }

  function spanLabel(span) {
    return `${span.type}: ${span.text} [${span.begin}, ${span.end})`;
  }

  // The text with nested <mark>s. The text is cut at every span boundary; each piece is wrapped in the
  // spans that cover it, outermost first (earlier begin, then later end). A span that crosses another
  // one's end is continued in a new <mark> (data-part 1, 2, ...) with the same data-id.
  function renderHighlighted(codePoints, spans) {
    const container = els.highlighted;
    const cuts = new Set([0, codePoints.length]);
    for (const s of spans) cuts.add(s.begin).add(s.end);
    const points = [...cuts].sort((a, b) => a - b);
    const ordered = [...spans].sort((a, b) => a.begin - b.begin || b.end - a.end || a.id - b.id);
    const parts = new Map();
    const stack = [];
    let maxDepth = 0;
    const fragment = document.createDocumentFragment();
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i];
      const to = points[i + 1];
      const covering = ordered.filter((s) => s.begin <= from && s.end >= to);
      let keep = 0;
      while (keep < stack.length && keep < covering.length && stack[keep].span === covering[keep]) keep++;
      stack.length = keep;
      for (let depth = keep; depth < covering.length; depth++) {
        const span = covering[depth];
        const part = parts.get(span.id) || 0;
        parts.set(span.id, part + 1);
        const mark = el("mark", {
          class: "hl",
          title: spanLabel(span) + (span.count > 1 ? ` ×${span.count}` : ""),
          style: { ...colourStyle(span.type), "--depth": String(depth) },
          dataset: {
            id: String(span.id),
            part: String(part),
            type: span.type,
            begin: String(span.begin),
            end: String(span.end),
            span: span.text,
            count: String(span.count),
            chains: span.chains.join(","),
          },
        });
        if (part === 0) mark.tabIndex = 0;
        (depth ? stack[depth - 1].mark : fragment).append(mark);
        stack.push({ span, mark });
        maxDepth = Math.max(maxDepth, depth);
      }
      const piece = document.createTextNode(codePoints.slice(from, to).join(""));
      (stack.length ? stack[stack.length - 1].mark : fragment).append(piece);
    }
    container.style.setProperty("--max-depth", String(maxDepth));
    container.replaceChildren(fragment);
  }

  // What is under the pointer or the focus: the innermost mark and every mark around it.
  function describeMarks(target) {
    const mark = target && target.closest && target.closest("mark.hl");
    if (!mark) return;
    const labels = [];
    for (let m = mark; m && m.matches("mark.hl"); m = m.parentElement) {
      const d = m.dataset;
      labels.push(`${d.type}「${d.span}」[${d.begin}, ${d.end})${Number(d.count) > 1 ? " ×" + d.count : ""}`);
    }
    els.spanInfo.textContent = labels.join("  ⊂  ");
  }

  function renderLegend(spans) {
    const counts = new Map();
    for (const s of spans) counts.set(s.type, (counts.get(s.type) || 0) + 1);
    const buttons = [...counts].map(([type, count]) =>
      el(
        "button",
        { type: "button", "aria-pressed": "false", style: colourStyle(type), dataset: { type }, title: `只看 ${type} · show only ${type}` },
        el("span", { class: "swatch", "aria-hidden": "true" }),
        el("span", {}, type),
        el("span", { class: "count" }, String(count)),
      ),
    );
    els.legend.replaceChildren(...buttons);
  }

  function toggleLegend(button) {
    const pressed = button.getAttribute("aria-pressed") !== "true";
    for (const b of els.legend.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", String(pressed));
    els.highlighted.classList.toggle("filtering", pressed);
    for (const mark of els.highlighted.querySelectorAll("mark.hl")) {
      mark.classList.toggle("focus", pressed && mark.dataset.type === button.dataset.type);
    }
  }

  // The chains as a tree: chains that share a prefix share its nodes. data-chain-end on a node counts
  // the chains that end there (more than leaves when output_all_prefix is on).
  function renderTree(output) {
    if (output.length === 0) {
      els.tree.replaceChildren(el("p", { class: "none" }, "无结果 · No result: the output is empty."));
      return;
    }
    const root = { children: new Map() };
    for (const chain of output) {
      let node = root;
      for (const item of chain) {
        const offset = Array.isArray(item.offset) ? item.offset : [];
        const key = JSON.stringify([item.type, offset[0], offset[1], item.span]);
        if (!node.children.has(key)) node.children.set(key, { item, children: new Map(), ends: 0 });
        node = node.children.get(key);
      }
      node.ends++;
    }
    const list = (node, level) =>
      el(
        "ul",
        {},
        ...[...node.children.values()].map((child) => {
          const { type, span, offset } = child.item;
          const [begin, end] = Array.isArray(offset) ? offset : [];
          const empty = !(end > begin);
          return el(
            "li",
            {
              class: "node",
              dataset: { type: String(type), begin: String(begin), end: String(end), span: String(span), chainEnd: String(child.ends) },
            },
            el(
              "span",
              { class: "item", style: colourStyle(String(type)) },
              level > 0 ? el("span", { class: "arrow", "aria-hidden": "true" }, "→") : null,
              el("span", { class: "type" }, String(type)),
              el("span", { class: "span" }, String(span)),
              el("span", { class: "offset" }, `[${begin}, ${end}]`),
              empty ? el("span", { class: "empty-range" }, "空区间 empty range") : null,
              child.ends > 0 && (child.children.size > 0 || child.ends > 1)
                ? el("span", { class: "ends" }, `◂ ${child.ends} chain${child.ends > 1 ? "s" : ""} end here`)
                : null,
            ),
            child.children.size ? list(child, level + 1) : null,
          );
        }),
      );
    els.tree.replaceChildren(list(root, 0));
  }

  function renderResult(text, body, roundTripMs) {
    const output = body && body.result && Array.isArray(body.result.output) ? body.result.output : null;
    if (!output) {
      showError("服务器的回答中没有 result.output · The answer has no result.output.");
      return false;
    }
    const codePoints = Array.from(text);
    const { spans, skipped, mismatched } = collectSpans(output, codePoints);
    renderLegend(spans);
    renderHighlighted(codePoints, spans);
    if (spans.length === 0) {
      els.highlighted.append(el("p", { class: "placeholder" }, "（没有可高亮的片段 · no span to highlight）"));
    }
    const chainItems = output.reduce((n, chain) => n + chain.length, 0);
    els.spanInfo.textContent =
      `${output.length} chain${output.length === 1 ? "" : "s"}, ${spans.length} distinct span${spans.length === 1 ? "" : "s"}` +
      (skipped ? ` · ${skipped} item(s) with an empty range not highlighted` : "") +
      (mismatched ? ` · ⚠ ${mismatched} span(s) differ from the text at their offsets` : "") +
      (chainItems ? " · 悬停或聚焦片段查看详情 hover or focus a span for details" : "");
    renderTree(output);

    const t = body.timing || {};
    const devices = Array.isArray(body.devices) ? body.devices.join(", ") : "–";
    els.latency.replaceChildren(
      "往返 Round trip ",
      el("b", {}, `${fmtMs(roundTripMs)} ms`),
      " · 服务器 Server ",
      el("b", {}, `${fmtMs(t.total_ms)} ms`),
      ` (tokenize ${fmtMs(t.tokenize_ms)} · queue ${fmtMs(t.queue_ms)} · inference ${fmtMs(t.inference_ms)})`,
      " · 设备 Device ",
      el("b", {}, devices),
      body.request_id ? ` · id ${body.request_id}` : "",
    );
    if (Array.isArray(body.devices) && body.devices.length) els.deviceInfo.textContent = devices;
    return true;
  }

  // ---------------------------------------------------------------- prediction

  async function run() {
    if (running) return;
    const text = els.text.value;
    const schema = els.schema.value;
    const outputAllPrefix = els.allPrefix.checked;
    clearResults();

    const check = updateSchemaStatus();
    if (check.syntax) {
      showError(`Schema 不是有效的 JSON · Invalid schema JSON: ${check.message}`, "schema 编辑器 · schema editor (not sent)");
      finish("error", "");
      return;
    }

    running = true;
    els.run.disabled = true;
    els.run.textContent = "运行中… Running…";
    setStatus("running");
    let status = "error";
    let requestId = "";
    const started = performance.now();
    try {
      // The schema is sent as the JSON string the user wrote: the server parses it, keeping key order.
      const response = await authedFetch("api/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        // "model" only where the server serves several (the picker is shown): the first is the default.
        body: JSON.stringify({ text, schema, output_all_prefix: outputAllPrefix, ...(els.modelField.hidden ? {} : { model: els.model.value }) }),
      });
      const raw = await response.text();
      const roundTripMs = performance.now() - started;
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
      requestId = (body && body.request_id) || response.headers.get("X-Request-Id") || "";
      els.rawJson.textContent = body ? JSON.stringify(body, null, 2) : raw;
      if (!response.ok || !body) {
        const message = body && typeof body.error === "string" ? body.error : raw.trim() || response.statusText;
        const meta = [`HTTP ${response.status}`, body && body.kind ? `kind ${body.kind}` : "", requestId ? `request_id ${requestId}` : ""];
        showError(message || `HTTP ${response.status}`, meta.filter(Boolean).join(" · "));
        els.latency.textContent = `往返 Round trip ${fmtMs(roundTripMs)} ms`;
      } else if (renderResult(text, body, roundTripMs)) {
        status = "ok";
      }
    } catch (error) {
      showError(`无法连接服务器 · The request failed: ${error && error.message ? error.message : error}`);
    } finally {
      running = false;
      els.run.disabled = false;
      els.run.textContent = "运行 Run";
      finish(status, requestId);
      refreshHealth();
    }
  }

  // ---------------------------------------------------------------- header: model and devices

  // API keys (docs/security.md): when the server answers 401, ask for the key once and retry. The key
  // lives in sessionStorage only: it is gone when the tab closes and never written to disk by the page.
  const API_KEY_ITEM = "uninlu.apiKey";

  async function authedFetch(path, options = {}) {
    const send = () => {
      const headers = new Headers(options.headers || {});
      const key = sessionStorage.getItem(API_KEY_ITEM);
      if (key) headers.set("Authorization", `Bearer ${key}`);
      return fetch(path, { ...options, headers });
    };
    let response = await send();
    if (response.status === 401 && askForKey()) response = await send();
    return response;
  }

  // Several requests may get 401 at once (page load): one question is enough.
  let keyAsked = false;
  function askForKey() {
    if (keyAsked) return Boolean(sessionStorage.getItem(API_KEY_ITEM));
    keyAsked = true;
    const hadKey = Boolean(sessionStorage.getItem(API_KEY_ITEM));
    const key = window.prompt(hadKey ? "API key not accepted; enter another · 密钥无效，请重新输入" : "This server needs an API key · 请输入 API 密钥");
    setTimeout(() => { keyAsked = false; }, 1000);
    if (!key || !key.trim()) return false;
    sessionStorage.setItem(API_KEY_ITEM, key.trim());
    return true;
  }

  async function getJson(path) {
    const response = await authedFetch(path, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  async function loadInfo() {
    try {
      const info = await getJson("info");
      const model = info.model || {};
      const config = model.config || {};
      const name = String(model.path || "model").replace(/[\\/]+$/, "").split(/[\\/]/).pop();
      const details = [];
      if (typeof model.parameter_count === "number") details.push(`${(model.parameter_count / 1e6).toFixed(model.parameter_count < 1e7 ? 2 : 0)}M params`);
      if (config.num_hidden_layers && config.hidden_size) details.push(`${config.num_hidden_layers}×${config.hidden_size}`);
      if (model.stored_dtype) details.push(model.stored_dtype);
      els.modelInfo.textContent = details.length ? `${name} (${details.join(", ")})` : name;
      els.modelInfo.title = [model.path, model.weights_file, info.version ? `uninlu ${info.version}` : ""].filter(Boolean).join("\n");
      if (Array.isArray(info.devices) && info.devices.length) {
        els.deviceInfo.textContent = info.devices.map((d) => (typeof d === "string" ? d : d.name)).join(", ");
      }
      showModels(Array.isArray(info.models) ? info.models : []);
      if (info.limits && info.limits.max_text_chars) {
        maxTextChars = info.limits.max_text_chars;
        updateTextCount();
      }
    } catch (error) {
      els.modelInfo.textContent = `unknown (/info: ${error.message})`;
    }
  }

  // A server of several models (--model NAME=PATH, repeated): a picker, the default (first) selected.
  function showModels(models) {
    if (models.length < 2) return;
    const chosen = els.model.value;
    els.model.replaceChildren(...models.map((m) => {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = m.state === "READY" ? m.name : `${m.name} (${m.state})`;
      option.title = m.path || "";
      return option;
    }));
    if (models.some((m) => m.name === chosen)) els.model.value = chosen;
    els.modelField.hidden = false;
  }

  async function refreshHealth() {
    try {
      const health = await getJson("health");
      const ok = health.status === "ok";
      els.statusInfo.textContent = String(health.status || "?") + (health.fallback_active ? " (CPU fallback)" : "");
      els.statusInfo.className = ok ? "status-ok" : "status-bad";
      if (Array.isArray(health.serving_on) && health.serving_on.length) els.deviceInfo.textContent = health.serving_on.join(", ");
    } catch (error) {
      els.statusInfo.textContent = `unreachable (${error.message})`;
      els.statusInfo.className = "status-bad";
    }
  }

  // ---------------------------------------------------------------- copy

  async function copyRaw() {
    const text = els.rawJson.textContent;
    if (!text) return;
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      // No clipboard API outside secure contexts (plain http on another host): select and copy.
      const area = el("textarea", { readonly: "", style: { position: "fixed", opacity: "0" } });
      area.value = text;
      document.body.append(area);
      area.select();
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      area.remove();
    }
    els.copyStatus.textContent = ok ? "已复制 Copied" : "复制失败 · Copy failed: select the text instead";
  }

  // ---------------------------------------------------------------- wiring

  for (const preset of presets) els.preset.append(el("option", { value: preset.id }, preset.label));
  els.preset.addEventListener("change", () => loadPreset(els.preset.value));
  els.schema.addEventListener("input", updateSchemaStatus);
  els.text.addEventListener("input", updateTextCount);
  els.formatSchema.addEventListener("click", () => {
    if (updateSchemaStatus().syntax) return;
    els.schema.value = formatJson(els.schema.value);
  });
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  els.highlighted.addEventListener("mouseover", (event) => describeMarks(event.target));
  els.highlighted.addEventListener("focusin", (event) => describeMarks(event.target));
  els.legend.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) toggleLegend(button);
  });
  els.copyJson.addEventListener("click", copyRaw);

  if (presets.length) {
    els.preset.value = presets[0].id;
    loadPreset(presets[0].id);
  }
  loadInfo();
  refreshHealth();
})();
