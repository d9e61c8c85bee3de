"""The SiameseUniNLU network from plain torch ops (no nn.Module graph, no transformers), fp32 on CPU.

Weights come from pytorch_model.bin (torch.load, map_location='cpu') or, failing that, from
model.safetensors (read by hand). Tensors stored in fp16/bf16 are upcast to fp32, as ModelScope's
from_pretrained does when it copies them into an fp32 model. The last 6 layers may be named
`crossattention.layer.N` or, in a checkpoint saved before the split, `plm.encoder.layer.(L-6+N)`.

Computation as ModelScope's BERT (backbone.py) does it:
  embeddings  LN((word[id] + token_type[tt]) + position[pos])
  layer       q,k,v = Linear(x); scores = (q @ k^T) / sqrt(d) + mask; softmax; ctx = p @ v
              a = LN(Linear(ctx) + x);  out = LN(Linear(gelu_erf(Linear(a))) + a)
  mask        (1 - m) * finfo(float32).min, added to every query row (get_extended_attention_mask)
  heads       head = Linear(x).squeeze(-1) + (1 - text_mask) * -10000, same for tail
"""
import json
import math
import os

import torch

CROSS_LAYERS = 6


def read_safetensors(path):
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
              "I32": torch.int32, "F64": torch.float64}
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for key, meta in header.items():
            if key == "__metadata__":
                continue
            a, b = meta["data_offsets"]
            f.seek(base + a)
            raw = bytearray(f.read(b - a))
            t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
            dt = dtypes[meta["dtype"]]
            if dt == torch.bfloat16:
                t = t.view(torch.int16).view(torch.bfloat16)
            else:
                t = t.view(dt)
            out[key] = t.reshape(meta["shape"]).clone()
    return out


def write_safetensors(tensors, path, metadata=None):
    """Writes {name: tensor} in safetensors layout: u64 LE header length, JSON header (padded to 8
    bytes with spaces), raw little-endian bytes in header order."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32"}
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata or {"format": "pt"}
    enc = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    enc += b" " * (-len(enc) % 8)
    with open(path, "wb") as f:
        f.write(len(enc).to_bytes(8, "little"))
        f.write(enc)
        for d in blobs:
            f.write(d)


def load_state_dict(model_dir):
    binp = os.path.join(model_dir, "pytorch_model.bin")
    stp = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(binp):
        sd = torch.load(binp, map_location="cpu")
    elif os.path.exists(stp):
        sd = read_safetensors(stp)
    else:
        raise FileNotFoundError(f"{model_dir}: neither pytorch_model.bin nor model.safetensors")
    return {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}


class Layer:
    __slots__ = ("q_w", "q_b", "k_w", "k_b", "v_w", "v_b", "o_w", "o_b", "ln1_w", "ln1_b",
                 "i_w", "i_b", "f_w", "f_b", "ln2_w", "ln2_b")

    def __init__(self, sd, prefix):
        g = lambda name: sd[prefix + name]  # noqa: E731
        self.q_w, self.q_b = g("attention.self.query.weight"), g("attention.self.query.bias")
        self.k_w, self.k_b = g("attention.self.key.weight"), g("attention.self.key.bias")
        self.v_w, self.v_b = g("attention.self.value.weight"), g("attention.self.value.bias")
        self.o_w, self.o_b = g("attention.output.dense.weight"), g("attention.output.dense.bias")
        self.ln1_w, self.ln1_b = g("attention.output.LayerNorm.weight"), g("attention.output.LayerNorm.bias")
        self.i_w, self.i_b = g("intermediate.dense.weight"), g("intermediate.dense.bias")
        self.f_w, self.f_b = g("output.dense.weight"), g("output.dense.bias")
        self.ln2_w, self.ln2_b = g("output.LayerNorm.weight"), g("output.LayerNorm.bias")


def linear(x, w, b):
    return torch.nn.functional.linear(x, w, b)


class SiameseModel:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        self.cfg = cfg
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.head_dim = self.hidden // self.heads
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        self.n_layers = cfg["num_hidden_layers"]
        self.n_text = self.n_layers - CROSS_LAYERS
        act = cfg.get("hidden_act", "gelu")
        if act != "gelu":
            raise ValueError(f"hidden_act {act!r} is not supported (only the exact erf 'gelu')")
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        sd = load_state_dict(model_dir)
        self.word = sd["plm.embeddings.word_embeddings.weight"]
        self.pos = sd["plm.embeddings.position_embeddings.weight"]
        self.tt = sd["plm.embeddings.token_type_embeddings.weight"]
        self.emb_ln_w, self.emb_ln_b = sd["plm.embeddings.LayerNorm.weight"], sd["plm.embeddings.LayerNorm.bias"]
        self.text_layers = [Layer(sd, f"plm.encoder.layer.{i}.") for i in range(self.n_text)]
        if "crossattention.layer.0.attention.self.query.weight" in sd:
            self.layout = "cross"
            self.cross_layers = [Layer(sd, f"crossattention.layer.{i}.") for i in range(CROSS_LAYERS)]
        else:
            self.layout = "plm"
            self.cross_layers = [Layer(sd, f"plm.encoder.layer.{self.n_text + i}.") for i in range(CROSS_LAYERS)]
        self.head_w, self.head_b = sd["head_clsf.weight"], sd["head_clsf.bias"]
        self.tail_w, self.tail_b = sd["tail_clsf.weight"], sd["tail_clsf.bias"]
        self.max_positions = self.pos.shape[0]

    # --- building blocks -------------------------------------------------------------------------
    def embed(self, ids, token_type, positions):
        """ids, token_type, positions: LongTensor [B, S]."""
        x = self.word[ids] + self.tt[token_type]
        x = x + self.pos[positions]
        return torch.nn.functional.layer_norm(x, (self.hidden,), self.emb_ln_w, self.emb_ln_b, self.eps)

    @staticmethod
    def additive_mask(mask):
        """mask: [B, S] of 0/1 -> [B, 1, 1, S] additive float mask."""
        m = mask[:, None, None, :].to(torch.float32)
        return (1.0 - m) * torch.finfo(torch.float32).min

    def layer(self, x, add_mask, p):
        b, s, h = x.shape
        q = linear(x, p.q_w, p.q_b).view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)
        k = linear(x, p.k_w, p.k_b).view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)
        v = linear(x, p.v_w, p.v_b).view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores + add_mask
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, s, h)
        a = torch.nn.functional.layer_norm(linear(ctx, p.o_w, p.o_b) + x, (h,), p.ln1_w, p.ln1_b, self.eps)
        inter = torch.nn.functional.gelu(linear(a, p.i_w, p.i_b))
        return torch.nn.functional.layer_norm(linear(inter, p.f_w, p.f_b) + a, (h,), p.ln2_w, p.ln2_b, self.eps)

    def encode(self, x, mask, layers):
        add = self.additive_mask(mask)
        for p in layers:
            x = self.layer(x, add, p)
        return x

    # --- the siamese stages (ModelScope SiameseUieModel) -----------------------------------------
    def text_stage(self, ids, mask):
        """get_plm_sequence_output(ids, mask): token_type 0, positions 0..S-1."""
        b, s = ids.shape
        pos = torch.arange(s).expand(b, s)
        tt = torch.zeros_like(ids)
        return self.encode(self.embed(ids, tt, pos), mask, self.text_layers)

    def hint_stage(self, hint_ids, hint_mask, position_offset):
        """get_plm_sequence_output(hint, mask, position_ids=arange(M)+offset, is_hint=True):
        token_type 1 everywhere (padding included)."""
        b, m = hint_ids.shape
        pos = (torch.arange(m) + position_offset).expand(b, m)
        tt = torch.ones_like(hint_mask)
        return self.encode(self.embed(hint_ids, tt, pos), hint_mask, self.text_layers)

    def cross_stage(self, text_states, text_mask, hint_states, hint_mask):
        x = torch.cat([text_states, hint_states], dim=1)
        m = torch.cat([text_mask, hint_mask], dim=1)
        return self.encode(x, m, self.cross_layers)[:, : text_states.shape[1], :]

    def span_heads(self, x, text_mask):
        head = linear(x, self.head_w, self.head_b).squeeze(-1)
        tail = linear(x, self.tail_w, self.tail_b).squeeze(-1)
        return head + (1 - text_mask) * -10000, tail + (1 - text_mask) * -10000

    def fast_inference(self, text_states, text_mask, hint_ids, hint_mask, capture=None):
        position_offset = text_states.shape[1]
        hint_states = self.hint_stage(hint_ids, hint_mask, position_offset)
        x = self.cross_stage(text_states, text_mask, hint_states, hint_mask)
        head, tail = self.span_heads(x, text_mask)
        if capture is not None:
            capture["hint_states"] = hint_states
        return head, tail
