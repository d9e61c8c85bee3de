#!/usr/bin/python3
"""Exports the PyTorch reference (tools/reference/model.py) as two ONNX graphs for ONNX Runtime, from the
weights of one model directory, and writes the seed request's stage inputs next to them:

  text.onnx   input_ids [B,S] int64, attention_mask [B,S] int64      -> text_states [B,S,H]
              (the text stage: embeddings with token type 0, positions 0..S-1, the first L-6 layers)
  cross.onnx  text_states [B,S,H] f32, text_mask [B,S] int64,
              hint_ids [B,M] int64, hint_mask [B,M] int64             -> head [B,S], tail [B,S]
              (SiameseModel.fast_inference: the hint stage at positions S.., the last 6 layers on
              [text; hint], the head/tail classifiers with the -10000 mask)
  requests.json  the stage inputs of each request, as the reference pipeline builds them (one text
              call per request and one hint+cross call per schema level; hints padded to the longest)

Batch and lengths are dynamic axes. torch 1.13's exporter works offline (no `onnx` package needed).

  /usr/bin/python3 tools/ort_compare/export_onnx.py --model build-perf/fixtures/models/full \\
      --out build-perf/ort

requests.json also holds the eager model's head/tail logits for the seed request: `node ort_run.mjs
--verify` checks the exported graphs against them (max abs difference).
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from reference.threads import pin_threads, threads_from_argv  # noqa: E402

pin_threads(threads_from_argv())
import torch  # noqa: E402
from reference.model import SiameseModel  # noqa: E402
from reference.pipeline import HINT_MAX_LEN, parse_schema  # noqa: E402
from reference.tokenizer import BertTokenizer  # noqa: E402

SEED_TEXT = "华为在东莞松山湖建设了研发基地"
SEED_SCHEMA = "{\"公司\":null,\"地理位置\":null}"


def layer(m, x, add_mask, p):
    """SiameseModel.layer with the shapes the exporter needs: LayerNorm over the constant hidden size
    (model.py takes it from x.shape, which the tracer makes dynamic) and reshapes with -1."""
    h, heads, d = m.hidden, m.heads, m.head_dim

    def split(t):
        return t.reshape(t.shape[0], -1, heads, d).permute(0, 2, 1, 3)

    q = split(torch.nn.functional.linear(x, p.q_w, p.q_b))
    k = split(torch.nn.functional.linear(x, p.k_w, p.k_b))
    v = split(torch.nn.functional.linear(x, p.v_w, p.v_b))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    probs = torch.softmax(scores + add_mask, dim=-1)
    ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(x.shape[0], -1, h)
    a = torch.nn.functional.layer_norm(torch.nn.functional.linear(ctx, p.o_w, p.o_b) + x, (h,), p.ln1_w, p.ln1_b,
                                       m.eps)
    inter = torch.nn.functional.gelu(torch.nn.functional.linear(a, p.i_w, p.i_b))
    return torch.nn.functional.layer_norm(torch.nn.functional.linear(inter, p.f_w, p.f_b) + a, (h,), p.ln2_w,
                                          p.ln2_b, m.eps)


def encode(m, x, mask, layers):
    add = m.additive_mask(mask)
    for p in layers:
        x = layer(m, x, add, p)
    return x


def embed(m, ids, token_type, positions):
    x = m.word[ids] + m.tt[token_type]
    x = x + m.pos[positions]
    return torch.nn.functional.layer_norm(x, (m.hidden,), m.emb_ln_w, m.emb_ln_b, m.eps)


class TextStage(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, input_ids, attention_mask):
        # model.text_stage, with positions built without expand(b, s) (which the exporter cannot take
        # with traced sizes): the same values 0..S-1 on every row.
        positions = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1
        x = embed(self.m, input_ids, torch.zeros_like(input_ids), positions)
        return encode(self.m, x, attention_mask, self.m.text_layers)


class CrossStage(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, text_states, text_mask, hint_ids, hint_mask):
        # model.fast_inference: hint positions S..S+M-1 (S = the text tensor's length), token type 1.
        offset = torch.ones_like(text_mask).sum(dim=1, keepdim=True)
        positions = torch.cumsum(torch.ones_like(hint_ids), dim=1) - 1 + offset
        hint = encode(self.m, embed(self.m, hint_ids, torch.ones_like(hint_mask), positions), hint_mask,
                      self.m.text_layers)
        x = encode(self.m, torch.cat([text_states, hint], dim=1), torch.cat([text_mask, hint_mask], dim=1),
                   self.m.cross_layers)
        x = x[:, : text_states.shape[1], :]
        head = torch.nn.functional.linear(x, self.m.head_w, self.m.head_b).squeeze(-1)
        tail = torch.nn.functional.linear(x, self.m.tail_w, self.m.tail_b).squeeze(-1)
        return head + (1 - text_mask) * -10000, tail + (1 - text_mask) * -10000


def level_one_inputs(tokenizer, text, schema):
    """The text call and the first schema level's hint+cross call, as the reference builds them for a
    text of one window (the load-test request; deeper levels depend on the spans found)."""
    enc = tokenizer.encode(text)
    if len(enc) > 384:
        raise SystemExit(f"text of {len(enc)} tokens: only single-window requests are exported")
    hints = [f"{key}: " for key in parse_schema(schema).keys()]
    encs = [tokenizer.encode(h, max_length=HINT_MAX_LEN) for h in hints]
    m = max(len(e) for e in encs)
    return {
        "text": text,
        "schema": schema,
        "input_ids": [list(enc.ids)],
        "attention_mask": [[1] * len(enc)],
        "hint_ids": [list(e.ids) + [0] * (m - len(e)) for e in encs],
        "hint_mask": [[1] * len(e) + [0] * (m - len(e)) for e in encs],
    }


def export(model, out_dir, opset):
    os.makedirs(out_dir, exist_ok=True)
    h = model.hidden
    ids = torch.randint(1, 100, (2, 9))
    mask = torch.ones(2, 9, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(TextStage(model), (ids, mask), os.path.join(out_dir, "text.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["text_states"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "text_states": {0: "batch", 1: "seq"}},
                          opset_version=opset, do_constant_folding=True)
        states = torch.randn(2, 9, h)
        hint_ids = torch.randint(1, 100, (2, 5))
        hint_mask = torch.ones(2, 5, dtype=torch.long)
        torch.onnx.export(CrossStage(model), (states, mask, hint_ids, hint_mask), os.path.join(out_dir, "cross.onnx"),
                          input_names=["text_states", "text_mask", "hint_ids", "hint_mask"],
                          output_names=["head", "tail"],
                          dynamic_axes={"text_states": {0: "batch", 1: "seq"}, "text_mask": {0: "batch", 1: "seq"},
                                        "hint_ids": {0: "batch", 1: "hint"}, "hint_mask": {0: "batch", 1: "hint"},
                                        "head": {0: "batch", 1: "seq"}, "tail": {0: "batch", 1: "seq"}},
                          opset_version=opset, do_constant_folding=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model directory (config.json, vocab.txt, weights)")
    ap.add_argument("--out", required=True, help="output directory for text.onnx, cross.onnx, requests.json")
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = SiameseModel(args.model)
    tokenizer = BertTokenizer(os.path.join(args.model, "vocab.txt"))
    export(model, args.out, args.opset)
    seed = level_one_inputs(tokenizer, SEED_TEXT, SEED_SCHEMA)
    with torch.no_grad():
        ids = torch.tensor(seed["input_ids"])
        mask = torch.tensor(seed["attention_mask"])
        states = model.text_stage(ids, mask)
        p = len(seed["hint_ids"])
        head, tail = model.fast_inference(states.expand(p, -1, -1), mask.expand(p, -1), torch.tensor(seed["hint_ids"]),
                                          torch.tensor(seed["hint_mask"]))
    seed["expected_head"] = head.tolist()
    seed["expected_tail"] = tail.tolist()
    with open(os.path.join(args.out, "requests.json"), "w", encoding="utf-8") as f:
        json.dump({"model": os.path.abspath(args.model), "hidden": model.hidden, "requests": [seed]}, f,
                  ensure_ascii=False)
    sizes = {n: os.path.getsize(os.path.join(args.out, n)) for n in ("text.onnx", "cross.onnx")}
    print(f"exported to {args.out}: " + ", ".join(f"{n} {s / 2**20:.0f} MiB" for n, s in sizes.items()),
          file=sys.stderr)


if __name__ == "__main__":
    main()
