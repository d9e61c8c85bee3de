#!/usr/bin/python3
"""Self-checks of the Python reference. Exits non-zero on any failure.

  /usr/bin/python3 tools/reference/selftest.py            # makes tiny fixtures in a temp dir
  /usr/bin/python3 tools/reference/selftest.py --model DIR

Checks: tokenizer facts (spec offsets, normalisation corner cases, special tokens, truncation);
the batched fp32 encoder against a second, naive route (float64, explicit per-head/per-query loops,
masked keys skipped instead of added); padding invariance of real-token outputs (text window padded
to 384, hints padded to a longer M); hand-worked window merges and decodes; the whole pipeline
against an unbatched naive re-run; both weight layouts and both weight files give the same model.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
from reference.threads import pin_threads  # noqa: E402

pin_threads(1)
import torch  # noqa: E402
from reference.decode import get_entities, merge_windows  # noqa: E402
from reference.model import SiameseModel, read_safetensors, load_state_dict  # noqa: E402
from reference.pipeline import MAX_LEN, SLIDE_LEN, SiameseUIE, Trace, split_windows  # noqa: E402

FAILURES = []


def check(cond, what):
    if cond:
        print(f"  ok   {what}")
    else:
        print(f"  FAIL {what}")
        FAILURES.append(what)


# --- tokenizer ------------------------------------------------------------------------------------------
def test_tokenizer(tok):
    print("tokenizer")
    e = tok.encode("Café")
    check(e.tokens == ["[CLS]", "cafe", "[SEP]"] and e.offsets == [(0, 0), (0, 4), (0, 0)], "Café -> cafe (0,4)")
    e = tok.encode("cafe\u0301!")
    check(e.tokens[1:3] == ["cafe", "!"] and e.offsets[1:3] == [(0, 4), (5, 6)],
          "a removed combining mark lies in no token (cafe\\u0301! -> cafe (0,4), ! (5,6))")
    text = "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元，参加捐款的日本企业有69家。"
    e = tok.encode(text)
    starts = {o[0] for o in e.offsets[1:-1]}
    ends = {o[1] for o in e.offsets[1:-1]}
    spans = [(18, 23, "谷口清太郎"), (26, 28, "日本"), (48, 50, "日本"), (8, 10, "北大"), (11, 16, "名古屋铁道")]
    check(all(b in starts and en in ends and text[b:en] == s for b, en, s in spans),
          "spec example: tokens start/end at the expected character offsets")
    check(e.offsets[0] == (0, 0) and e.offsets[-1] == (0, 0) and e.ids[0] == 101 and e.ids[-1] == 102,
          "[CLS]/[SEP] ids 101/102 with offsets (0,0)")
    e = tok.encode("a\x0bb c\u3000d\u00a0e\u2028f")
    check(e.tokens[1:-1] == ["ab", "c", "d", "e", "f"] and e.offsets[1] == (0, 3),
          "VT is a control (removed, no split); U+3000/U+00A0/U+2028 are whitespace")
    e = tok.encode("北京abc，x-y")
    check(e.tokens[1:-1] == ["北", "京", "abc", "，", "x", "-", "y"], "CJK spacing and punctuation isolation")
    e = tok.encode("￥5×3")
    check(e.tokens[1:-1] == ["￥", "##5", "##×", "##3"], "￥ and × are not punctuation: one word, wordpieces ##5 ##× ##3")
    e = tok.encode("x" * 101)
    check(e.tokens[1:-1] == ["[UNK]"] and e.offsets[1] == (0, 101), "101-character word -> one [UNK]")
    e = tok.encode("x" * 100)
    check("[UNK]" not in e.tokens, "100-character word is still split into wordpieces")
    e = tok.encode("a[SEP]b[mask]")
    check(e.ids[1:4] == [tok.vocab["a"], 102, tok.vocab["b"]] and e.offsets[2] == (1, 6) and 103 not in e.ids,
          "literal [SEP] in text is the special token (case-sensitive: [mask] is not)")
    e = tok.encode("İSTANBUL ΣΑΣ")
    check(e.tokens[1] == "is" and e.offsets[1] == (0, 2) and e.tokens[-2] == "##σ",
          "İ -> i (NFD + strip before lowercase); per-character lowercase (final Σ -> σ)")
    e = tok.encode("👨\u200d👩\u200d👧!")
    check(e.tokens[1:-1] == ["[UNK]", "!"] and e.offsets[1] == (0, 5), "ZWJ (Cf) removed inside an emoji word")
    e = tok.encode("\u0378x\ue000")
    check(e.offsets[1] == (0, 2), "unassigned U+0378 kept (crate is_other is Cc|Cf|Co), private use removed")
    long = "测" * 300
    e = tok.encode(long, max_length=128)
    check(len(e) == 128 and e.ids[-1] == 102 and e.offsets[-2] == (125, 126), "truncation to 128 keeps [CLS] + 126 + [SEP]")
    check(len(tok.inv_vocab) == 21128 and tok.inv_vocab[343] == "\u2028" and tok.inv_vocab[13502] == "##\u2028",
          "vocab split on \\n only (U+2028 entries at 343 and 13502)")


# --- naive encoder (second route) -------------------------------------------------------------------------
def naive_layer(x, mask, p, heads, eps):
    """x: [S, H] float64; mask: list of 0/1; masked keys are skipped."""
    S, H = x.shape
    d = H // heads
    W = lambda t: t.double()  # noqa: E731
    q = x @ W(p.q_w).T + W(p.q_b)
    k = x @ W(p.k_w).T + W(p.k_b)
    v = x @ W(p.v_w).T + W(p.v_b)
    ctx = torch.zeros(S, H, dtype=torch.float64)
    keys = torch.tensor([j for j in range(S) if mask[j]])
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        kh, vh = k[keys, sl], v[keys, sl]
        for i in range(S):  # one query at a time, masked keys left out
            scores = (kh @ q[i, sl]) / math.sqrt(d)
            ex = torch.exp(scores - scores.max())
            ctx[i, sl] = (ex / ex.sum()) @ vh

    def ln(t, g, b):
        mu = t.mean(-1, keepdim=True)
        var = ((t - mu) ** 2).mean(-1, keepdim=True)
        return (t - mu) / torch.sqrt(var + eps) * W(g) + W(b)

    a = ln(ctx @ W(p.o_w).T + W(p.o_b) + x, p.ln1_w, p.ln1_b)
    inter = a @ W(p.i_w).T + W(p.i_b)
    inter = 0.5 * inter * (1.0 + torch.erf(inter / math.sqrt(2.0)))
    return ln(inter @ W(p.f_w).T + W(p.f_b) + a, p.ln2_w, p.ln2_b)


def naive_embed(m, ids, tts, poss):
    x = torch.stack([m.word[i].double() + m.tt[t].double() + m.pos[p].double() for i, t, p in zip(ids, tts, poss)])
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + m.eps) * m.emb_ln_w.double() + m.emb_ln_b.double()


def naive_stack(m, x, mask, layers):
    for p in layers:
        x = naive_layer(x, mask, p, m.heads, m.eps)
    return x


def naive_logits(m, text_ids, hint_ids, pos_offset):
    """One (window, hint) item by the naive route, unpadded: returns head, tail over the text tokens."""
    t = naive_stack(m, naive_embed(m, text_ids, [0] * len(text_ids), range(len(text_ids))), [1] * len(text_ids), m.text_layers)
    h = naive_stack(m, naive_embed(m, hint_ids, [1] * len(hint_ids), [pos_offset + i for i in range(len(hint_ids))]),
                    [1] * len(hint_ids), m.text_layers)
    x = naive_stack(m, torch.cat([t, h]), [1] * (len(text_ids) + len(hint_ids)), m.cross_layers)[: len(text_ids)]
    head = x @ m.head_w.double().T + m.head_b.double()
    tail = x @ m.tail_w.double().T + m.tail_b.double()
    return t, h, head.squeeze(-1), tail.squeeze(-1)


def test_encoder(ref):
    print("encoder")
    m, tok = ref.model, ref.tokenizer
    text = "华为在东莞松山湖建设了研发基地，Tim Cook 2023年来访。"
    hint = "公司: 华为, 地理位置: "
    e, he = tok.encode(text), tok.encode(hint)
    ids = torch.tensor([e.ids])
    with torch.no_grad():
        states = m.text_stage(ids, torch.ones_like(ids))[0]
        hs = m.hint_stage(torch.tensor([he.ids]), torch.ones(1, len(he), dtype=torch.long), len(e))[0]
        head, tail = m.fast_inference(states[None], torch.ones_like(ids), torch.tensor([he.ids]),
                                      torch.ones(1, len(he), dtype=torch.long))
    nt, nh, nhead, ntail = naive_logits(m, e.ids, he.ids, len(e))
    d1 = (states.double() - nt).abs().max().item()
    d2 = (hs.double() - nh).abs().max().item()
    d3 = max((head[0].double() - nhead).abs().max().item(), (tail[0].double() - ntail).abs().max().item())
    check(d1 < 1e-4, f"text stage (L-6 layers) = naive float64 loop (max |diff| {d1:.2e})")
    check(d2 < 1e-4, f"hint stage (token_type 1, positions n..) = naive route (max |diff| {d2:.2e})")
    check(d3 < 1e-4, f"cross stage + heads = naive route (max |diff| {d3:.2e})")

    print("padding invariance")
    n = len(e)
    padded = torch.tensor([e.ids + [0] * (MAX_LEN - n)])
    pmask = torch.tensor([[1] * n + [0] * (MAX_LEN - n)])
    with torch.no_grad():
        ps = m.text_stage(padded, pmask)[0, :n]
        d = (ps - states).abs().max().item()
        check(d < 1e-5, f"text window padded to 384: real-token states unchanged (max |diff| {d:.2e})")
        M = len(he) + 17
        hp = torch.tensor([he.ids + [0] * 17])
        hm = torch.tensor([[1] * len(he) + [0] * 17])
        hs2 = m.hint_stage(hp, hm, len(e))[0, : len(he)]
        d = (hs2 - hs).abs().max().item()
        check(d < 1e-5, f"hint padded to M={M}: real hint states unchanged (max |diff| {d:.2e})")
        h2, t2 = m.fast_inference(states[None], torch.ones_like(ids), hp, hm)
        d = max((h2 - head).abs().max().item(), (t2 - tail).abs().max().item())
        check(d < 1e-5, f"cross stage with a padded hint: logits unchanged (max |diff| {d:.2e})")
        # a padded text window: positions offset 384 for the hint, so compare against the naive route with 384
        h3, t3 = m.fast_inference(m.text_stage(padded, pmask), pmask, torch.tensor([he.ids]),
                                  torch.ones(1, len(he), dtype=torch.long))
        _, _, nh3, nt3 = naive_logits(m, e.ids, he.ids, MAX_LEN)
        d = max((h3[0, :n].double() - nh3).abs().max().item(), (t3[0, :n].double() - nt3).abs().max().item())
        check(d < 1e-4, f"padded window (hint positions 384..): real-token logits = naive unpadded route ({d:.2e})")
        check(bool((h3[0, n:] < -9000).all()), "padded text positions get -10000 added")


# --- merge and decode by hand --------------------------------------------------------------------------
def test_merge_decode():
    print("merge and decode")
    # 6 tokens, windows of 4 with shift 0 and 2 (positions 2,3 covered twice), last window padded to 4
    head, tail = merge_windows(6, [(0, [0.1, 0.2, 0.3, -1.0], [1, 2, 3, 4]), (2, [0.9, 5.0, 0.6, 0.7], [5, 6, 7, -10000.0])])
    check(head == [0.1, 0.2, (0.3 + 0.9) / 2, 5.0, 0.6, 0.7], "merge: mean of two windows; -1 counts as unset and is replaced")
    check(tail == [1, 2, 4.0, 5.0, 7, -10000.0], "merge: tails likewise; position < n_tokens only")
    head, tail = merge_windows(5, [(0, [1, 2, 3], [1, 2, 3]), (3, [4, 5, -10000.0], [4, 5, -10000.0])])
    check(head == [1, 2, 3, 4, 5], "merge: padding beyond n_tokens ignored")
    text = "ab cd"
    offsets = [(0, 0), (0, 2), (3, 5), (0, 0)]
    ents = get_entities(text, offsets, [0.7, 0.5, 0.9, 0.6], [0.1, 0.2, 0.3, 0.8])
    check(ents == [{"offset": [0, 0], "span": ""}, {"offset": [0, 0], "span": ""}, {"offset": [3, 0], "span": ""}],
          "decode: heads on [CLS]/[SEP] count, 0.5 is not > 0.5, [b,0] spans are ''")
    ents = get_entities(text, offsets, [0.0, 0.9, 0.9, 0.0], [0.0, 0.0, 0.6, 0.0])
    check(ents == [{"offset": [0, 5], "span": "ab cd"}, {"offset": [3, 5], "span": "cd"}], "decode: two heads share a tail")
    ents = get_entities(text, offsets, [0.0, 0.0, 0.9, 0.0], [0.0, 0.6, 0.0, 0.0])
    check(ents == [], "decode: a head with no tail at or after it gives nothing")
    check([split_windows(n) for n in (2, 383, 384, 385, 736, 737, 1088, 1089)] == [1, 1, 1, 2, 2, 3, 3, 4],
          "split_num = ceil((n-384)/352)+1 for n > 384")


# --- pipeline against the naive route --------------------------------------------------------------------
def naive_pipeline(ref, text, schema, oap):
    tok, m = ref.tokenizer, ref.model
    enc = tok.encode(text)
    n = len(enc)
    split = split_windows(n)
    T = MAX_LEN if split > 1 else n
    margins = []

    def level(prefix, sch, out):
        found = []
        for st in sch:
            hint = "".join(f"{it['type']}: {it['span']}, " for it in prefix) + f"{st}: "
            hids = tok.encode(hint, max_length=128).ids
            wins = []
            for j in range(split):
                ids = enc.ids[j * SLIDE_LEN:j * SLIDE_LEN + MAX_LEN]
                _, _, h, t = naive_logits(m, ids, hids, T)
                hl = [float(torch.tensor(v, dtype=torch.float32)) for v in h.tolist()]
                tl = [float(torch.tensor(v, dtype=torch.float32)) for v in t.tolist()]
                wins.append((j * SLIDE_LEN, hl, tl))
            head, tail = merge_windows(n, wins)
            for ent in get_entities(text, enc.offsets, head, tail, margins):
                found.append(prefix + [{"type": st, "span": ent["span"], "offset": ent["offset"]}])
        for pi in found:
            nxt = sch[pi[-1]["type"]]
            if nxt is None:
                out.append(pi)
            else:
                if oap:
                    out.append(pi)
                level(pi, nxt, out)

    out = []
    level([], schema, out)
    return {"output": out}, min(margins)


def test_pipeline(ref):
    print("pipeline vs naive route")
    clue = os.path.join(os.path.dirname(TOOLS), "data", "cluener", "dev.json")
    import json
    texts = [json.loads(line)["text"] for line in open(clue, encoding="utf-8")][:6]
    cases = [(texts[0], {"人物": None, "地理位置": None}, False),
             (texts[5], {"人物": {"组织机构": None}}, True),
             (texts[0], {"地理位置": {"组织机构": {"人物": None}}, "公司": None}, True),
             (texts[5], {"组织机构": {"人物": None}}, False),
             (texts[2] + texts[3], {"公司": None}, False)]
    long_text = "".join(texts) * 3
    enc = ref.tokenizer.encode(long_text)
    cut = enc.offsets[400][1]
    cases.append((long_text[:cut], {"地理位置": None}, False))  # 2 windows
    for text, schema, oap in cases:
        tr = Trace()
        got = ref.predict(text, schema, output_all_prefix=oap, trace=tr)
        want, margin = naive_pipeline(ref, text, schema, oap)
        n = len(tr.text_ids)
        if margin < 1e-4:
            print(f"  skip ({n} tokens): a logit within {margin:.1e} of 0.5, spans may legitimately differ")
            continue
        check(got == want, f"{n} tokens, {split_windows(n)} window(s), schema {json.dumps(schema, ensure_ascii=False)}: "
                           f"same output ({len(got['output'])} chains)")


def test_layouts(model_dir, tmp):
    print("weight files and layouts")
    fixture = os.path.join(TOOLS, "make_fixture.py")
    plm = os.path.join(tmp, "plm")
    subprocess.run([sys.executable, fixture, "--size", "tiny", "--out", plm, "--layout", "plm", "--safetensors"],
                   check=True, capture_output=True)
    a, b = SiameseModel(model_dir), SiameseModel(plm)
    same = all(torch.equal(x.q_w, y.q_w) and torch.equal(x.f_b, y.f_b) for x, y in zip(a.cross_layers, b.cross_layers))
    check(a.layout == "cross" and b.layout == "plm" and same, "crossattention.layer.N and plm.encoder.layer.(L-6+N) load the same")
    sd_bin = load_state_dict(plm)
    sd_st = {k: v.float() if v.is_floating_point() else v for k, v in read_safetensors(os.path.join(plm, "model.safetensors")).items()}
    check(sd_bin.keys() == sd_st.keys() and all(torch.equal(sd_bin[k], sd_st[k]) for k in sd_bin),
          "model.safetensors (hand-read) = pytorch_model.bin")


def spans_model(src, dst):
    """The tiny fixture collapses to near-constant logits over its 12 random layers (no spans at all);
    for the pipeline checks, derive a copy whose residual branches are halved, q/k doubled and
    classifiers doubled, which keeps tokens distinct so spans appear."""
    import shutil
    os.makedirs(dst, exist_ok=True)
    for f in ("config.json", "configuration.json", "vocab.txt"):
        shutil.copy(os.path.join(src, f), dst)
    sd = load_state_dict(src)
    for k in sd:
        if k.endswith(("attention.self.query.weight", "attention.self.key.weight", "head_clsf.weight", "tail_clsf.weight")):
            sd[k] = sd[k] * 2
        elif k.endswith("output.dense.weight"):
            sd[k] = sd[k] * 0.5
    torch.save(sd, os.path.join(dst, "pytorch_model.bin"))
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a tiny model directory (default: generated with tools/make_fixture.py)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model
        if model_dir is None:
            model_dir = os.path.join(tmp, "tiny")
            subprocess.run([sys.executable, os.path.join(TOOLS, "make_fixture.py"), "--size", "tiny", "--out", model_dir],
                           check=True, capture_output=True)
        ref = SiameseUIE(model_dir)
        test_tokenizer(ref.tokenizer)
        test_encoder(ref)
        test_merge_decode()
        test_pipeline(SiameseUIE(spans_model(model_dir, os.path.join(tmp, "spans"))))
        if args.model is None:
            test_layouts(model_dir, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
