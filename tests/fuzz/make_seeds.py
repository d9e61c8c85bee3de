#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/ (tests/fuzz/run.sh calls it; nothing
here is committed). Sources: the JSON requests of the HTTP integration suite (tests/integration), the
generated test models (tools/make_test_models.sh, under BUILD/fixtures/models: their config.json files
and the small broken checkpoints), small checkpoints torch saves here, the bundled model's config.json,
and CLUENER texts for the tokenizer.

  /usr/bin/python3 tests/fuzz/make_seeds.py --repo . --models BUILD/fixtures/models --out OUT
"""
import argparse
import ast
import hashlib
import io
import json
import os
import sys
import zipfile

MAX_SEED_BYTES = 64 << 10  # bigger seeds (the 3 MB tiny checkpoints) only slow the fuzzer down


def requests_of_integration_suite(repo):
    """Every dict or list literal in test_http.py that is a request body ({"text": ..., ...})."""
    tree = ast.parse(open(os.path.join(repo, "tests/integration/test_http.py"), encoding="utf-8").read())
    bodies = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Dict, ast.List)):
            continue
        try:
            value = ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError):
            continue
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(i, dict) and ("text" in i or "schema" in i) for i in items):
            bodies.append(value)
    return bodies


class Corpus:
    def __init__(self, out, target):
        self.dir = os.path.join(out, target)
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0

    def add(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > MAX_SEED_BYTES:
            return
        with open(os.path.join(self.dir, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        self.count += 1


def http_request(method, target, body=b"", headers=(), keep_alive=True):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += list(headers)
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def small_checkpoints():
    """torch.save and safetensors files of a few tensors: dtypes, views, offsets, shared storage."""
    import torch
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import make_fixture

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {"a.weight": base, "a.bias": torch.ones(6), "half": base.half(), "bf16": base.bfloat16()[:2],
             "long": torch.arange(5), "strided": base.t(), "offset": base[1:, 2:], "shared": base[0],
             "double": base.double()[:1], "scalar": torch.tensor(3.0), "empty": torch.zeros(0, 4)}
    files = []
    for protocol in (2, 4):
        buf = io.BytesIO()
        torch.save(state, buf, pickle_protocol=protocol)
        files.append(buf.getvalue())
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(3, 2).state_dict(), buf)
    files.append(buf.getvalue())
    buf = io.BytesIO()
    torch.save({"w": base}, buf, _use_new_zipfile_serialization=False)
    files.append(buf.getvalue())
    path = os.path.join(OUT, ".tmp.safetensors")
    make_fixture.write_safetensors({k: v for k, v in state.items()
                                    if v.dim() > 0 and v.dtype in (torch.float32, torch.float16, torch.bfloat16, torch.int64)}, path)
    files.append(open(path, "rb").read())
    os.remove(path)
    return files


def pickles_of(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [z.read(n) for n in z.namelist() if n.endswith("/data.pkl")]
    except zipfile.BadZipFile:
        return []


def main():
    global REPO, OUT
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", required=True)
    p.add_argument("--models", required=True, help="the generated test models (tools/make_test_models.sh)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    REPO, OUT = args.repo, args.out

    bodies = requests_of_integration_suite(args.repo)
    if not bodies:
        sys.exit("make_seeds: found no request bodies in tests/integration/test_http.py")
    predict, schema, http = (Corpus(OUT, t) for t in ("predict_request_fuzz", "schema_fuzz", "http_server_fuzz"))
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False)
        predict.add(text)
        for item in body if isinstance(body, list) else [body]:
            s = item.get("schema")
            if s is not None:
                schema.add(s if isinstance(s, str) else json.dumps(s, ensure_ascii=False))
        http.add(http_request("POST", "/api/predict", text.encode()))
    first = json.dumps(bodies[0], ensure_ascii=False).encode()
    for target in ("/", "/health", "/v2/health/live", "/v2/health/ready", "/info", "/metrics", "/nope"):
        http.add(http_request("GET", target))
    http.add(http_request("HEAD", "/health"))
    http.add(http_request("POST", "/api/fallback", b"{}"))
    http.add(http_request("POST", "/api/restore", b"{}"))
    # The repository extension and a request naming its model.
    http.add(http_request("POST", "/v2/repository/index"))
    http.add(http_request("POST", "/v2/repository/models/uninlu/unload"))
    http.add(http_request("POST", "/api/predict", '{"text": "华为", "schema": {"公司": null}, "model": "uninlu"}'.encode()))
    http.add(http_request("OPTIONS", "/api/predict", headers=["Origin: https://app.example",
                                                              "Access-Control-Request-Method: POST"]))
    http.add(http_request("POST", "/api/predict", first, headers=["Origin: https://app.example",
                                                                   "X-Request-Id: seed.1"]))
    # Keep-alive pipelining, a chunked body, an expect-continue, a form body (415) and HTTP/1.0.
    http.add(http_request("GET", "/health") + http_request("POST", "/api/predict", first, keep_alive=False))
    chunked = ("POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               "Content-Type: application/json\r\n\r\n").encode()
    chunked += f"{len(first):x}\r\n".encode() + first + b"\r\n0\r\n\r\n"
    http.add(chunked)
    http.add(http_request("POST", "/api/predict", first, headers=["Expect: 100-continue"]))
    http.add(http_request("POST", "/api/predict", b"text=a&schema=b")
             .replace(b"application/json", b"application/x-www-form-urlencoded"))
    http.add(b"GET /health HTTP/1.0\r\n\r\n")

    config = Corpus(OUT, "model_config_fuzz")
    for root, _, files in os.walk(args.models):
        for name in files:
            if name in ("config.json", "configuration.json"):
                config.add(open(os.path.join(root, name), "rb").read())
    bundled = os.path.join(args.repo, "models/uninlu-cluener/config.json")
    if os.path.exists(bundled):
        config.add(open(bundled, "rb").read())

    checkpoint, pickles = Corpus(OUT, "checkpoint_fuzz"), Corpus(OUT, "torch_pickle_fuzz")
    candidates = small_checkpoints()
    for root, _, files in os.walk(args.models):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith((".bin", ".safetensors", ".pt")):
                data = open(path, "rb").read()
                candidates.append(data)
                for pkl in pickles_of(data):  # the pickles of the big checkpoints are small
                    pickles.add(pkl)
    for data in candidates:
        checkpoint.add(data)
        for pkl in pickles_of(data):
            pickles.add(pkl)

    tokenizer = Corpus(OUT, "tokenizer_fuzz")
    with open(os.path.join(args.repo, "data/cluener/dev.json"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 40:
                break
            tokenizer.add(json.loads(line)["text"])
    for body in bodies:
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item.get("text"), str):
                tokenizer.add(item["text"])
    for text in ("Héllo WORLD naïve café", "[CLS] a [SEP] b [MASK] [UNK]", "unaffable ##ing", "😀 e\u0301 \u00a0\t\n",
                 "東京タワー 서울 ١٢٣", "x" * 120 + " " + "中" * 30):
        tokenizer.add(text)

    for c in (predict, schema, http, config, checkpoint, pickles, tokenizer):
        if c.count == 0:
            sys.exit(f"make_seeds: no seeds for {os.path.basename(c.dir)}")
        print(f"{os.path.basename(c.dir)}: {len(os.listdir(c.dir))} seeds")


if __name__ == "__main__":
    main()
