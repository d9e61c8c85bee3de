#!/usr/bin/python3
"""Writes a SiameseUniNLU model directory in the real ModelScope format, with seeded random weights.

The directory holds what a user downloads from ModelScope (config.json, configuration.json, vocab.txt,
pytorch_model.bin written by torch.save) and optionally model.safetensors. Sizes:
  tiny  hidden 32, 12 layers (6 text + 6 cross), 4 heads, intermediate 64: for tests
  full  hidden 768, 12 layers, 12 heads, intermediate 3072: the real shape, for benchmarks

The weights are random but not degenerate: attention is peaked enough that masking and positions
matter, and the head/tail classifiers give logits spread around the 0.5 threshold so spans appear
(and sometimes do not). Run with Debian's python3 (python3-torch):

  /usr/bin/python3 tools/make_fixture.py --size tiny --out build/fixtures/tiny
"""
import argparse
import json
import os
import shutil
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB = os.path.join(REPO, "data", "vocab", "bert-base-chinese-vocab.txt")
CROSS_LAYERS = 6

SIZES = {
    "tiny": dict(hidden_size=32, num_hidden_layers=12, num_attention_heads=4, intermediate_size=64),
    "small": dict(hidden_size=128, num_hidden_layers=12, num_attention_heads=4, intermediate_size=512),
    "full": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def bert_config(vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, dropout=0.1):
    """A Hugging Face BertConfig as bert-base-chinese derived models carry it."""
    return {
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": dropout,
        "classifier_dropout": None,
        "directionality": "bidi",
        "hidden_act": "gelu",
        "hidden_dropout_prob": dropout,
        "hidden_size": hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": intermediate_size,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": num_attention_heads,
        "num_hidden_layers": num_hidden_layers,
        "pad_token_id": 0,
        "pooler_fc_size": 768,
        "pooler_num_attention_heads": 12,
        "pooler_num_fc_layers": 3,
        "pooler_size_per_head": 128,
        "pooler_type": "first_token_transform",
        "position_embedding_type": "absolute",
        "transformers_version": "4.26.1",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": vocab_size,
    }


MODELSCOPE_CONFIGURATION = {
    "framework": "pytorch",
    "task": "siamese-uie",
    "model": {"type": "bert"},
    "pipeline": {"type": "siamese-uie"},
    "preprocessor": {"type": "siamese-uie-preprocessor"},
}


def linear(gen, out_features, in_features, weight_std=None, bias_std=0.1, bias_mean=0.0):
    std = weight_std if weight_std is not None else in_features ** -0.5
    w = torch.randn(out_features, in_features, generator=gen) * std
    b = torch.randn(out_features, generator=gen) * bias_std + bias_mean
    return w, b


def layer_norm(gen, hidden):
    return 1.0 + 0.1 * torch.randn(hidden, generator=gen), 0.1 * torch.randn(hidden, generator=gen)


def make_state_dict(cfg, seed, layout, position_ids, pooler):
    """Random weights with the real key names. `layout` is 'cross' (crossattention.layer.N) or 'plm'
    (plm.encoder.layer.N for all layers, as saved before the cross split)."""
    gen = torch.Generator().manual_seed(seed)
    h, inter, n_layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    sd = {}
    sd["plm.embeddings.word_embeddings.weight"] = torch.randn(cfg["vocab_size"], h, generator=gen)
    sd["plm.embeddings.position_embeddings.weight"] = 0.5 * torch.randn(cfg["max_position_embeddings"], h, generator=gen)
    sd["plm.embeddings.token_type_embeddings.weight"] = 0.5 * torch.randn(cfg["type_vocab_size"], h, generator=gen)
    if position_ids:
        sd["plm.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).expand((1, -1))
    g, b = layer_norm(gen, h)
    sd["plm.embeddings.LayerNorm.weight"], sd["plm.embeddings.LayerNorm.bias"] = g, b
    text_layers = n_layers - CROSS_LAYERS
    for i in range(n_layers):
        if i < text_layers or layout == "plm":
            prefix = f"plm.encoder.layer.{i}."
        else:
            prefix = f"crossattention.layer.{i - text_layers}."
        # Twelve random post-LN layers wash token identity out (every token ends up with nearly the same
        # state, so the classifiers see one value and no span is ever found). Sharper attention (q, k
        # doubled) and residual branches at half weight keep tokens distinct and prompts influential.
        for name in ("query", "key", "value"):
            w, bb = linear(gen, h, h, weight_std=(2.0 if name != "value" else 1.0) * h ** -0.5)
            sd[prefix + f"attention.self.{name}.weight"], sd[prefix + f"attention.self.{name}.bias"] = w, bb
        w, bb = linear(gen, h, h, weight_std=0.5 * h ** -0.5)
        sd[prefix + "attention.output.dense.weight"], sd[prefix + "attention.output.dense.bias"] = w, bb
        g, b = layer_norm(gen, h)
        sd[prefix + "attention.output.LayerNorm.weight"], sd[prefix + "attention.output.LayerNorm.bias"] = g, b
        w, bb = linear(gen, inter, h)
        sd[prefix + "intermediate.dense.weight"], sd[prefix + "intermediate.dense.bias"] = w, bb
        w, bb = linear(gen, h, inter, weight_std=0.5 * inter ** -0.5)
        sd[prefix + "output.dense.weight"], sd[prefix + "output.dense.bias"] = w, bb
        g, b = layer_norm(gen, h)
        sd[prefix + "output.LayerNorm.weight"], sd[prefix + "output.LayerNorm.bias"] = g, b
    if pooler:
        w, bb = linear(gen, h, h)
        sd["plm.pooler.dense.weight"], sd["plm.pooler.dense.bias"] = w, bb
    # Logits spread by about 1.4 within a text around a low mean: on CLUENER sentences with two prompts
    # the tiny model finds about 2.6 spans per text, and no span in about a third of them.
    for head in ("head_clsf", "tail_clsf"):
        w, bb = linear(gen, 1, h, weight_std=4.5 * h ** -0.5, bias_std=0.0, bias_mean=-3.0)
        sd[f"{head}.weight"], sd[f"{head}.bias"] = w, bb
    return sd


def write_safetensors(state_dict, path):
    """safetensors by hand (the `safetensors` package is not in Debian 12): u64 header length, JSON
    header with dtype/shape/data_offsets, then the raw little-endian bytes in header order."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for key, t in state_dict.items():
        t = t.contiguous()
        raw = t.view(torch.uint8) if t.dtype != torch.bfloat16 else t.view(torch.int16).view(torch.uint8)
        data = raw.numpy().tobytes() if t.numel() else b""
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as f:
        f.write(len(encoded).to_bytes(8, "little"))
        f.write(encoded)
        for data in blobs:
            f.write(data)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory to write (created; existing files replaced)")
    p.add_argument("--size", choices=sorted(SIZES), default="tiny")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--layout", choices=["cross", "plm"], default="cross",
                   help="key names of the last 6 layers: crossattention.layer.N or plm.encoder.layer.N")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float32", help="dtype of the stored tensors")
    p.add_argument("--safetensors", action="store_true", help="also write model.safetensors")
    p.add_argument("--no-bin", action="store_true", help="do not write pytorch_model.bin")
    p.add_argument("--no-position-ids", action="store_true", help="omit the plm.embeddings.position_ids buffer")
    p.add_argument("--legacy", action="store_true", help="write pytorch_model.bin in the legacy (non-zip) format")
    args = p.parse_args(argv)

    with open(VOCAB, "rb") as f:
        vocab_size = f.read().decode("utf-8").rstrip("\n").count("\n") + 1
    cfg = bert_config(vocab_size, **SIZES[args.size])
    sd = make_state_dict(cfg, args.seed, args.layout, not args.no_position_ids, pooler=True)
    dtype = DTYPES[args.dtype]
    sd = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.out, "configuration.json"), "w", encoding="utf-8") as f:
        json.dump(MODELSCOPE_CONFIGURATION, f, indent=2)
    shutil.copyfile(VOCAB, os.path.join(args.out, "vocab.txt"))
    if not args.no_bin:
        torch.save(sd, os.path.join(args.out, "pytorch_model.bin"),
                   _use_new_zipfile_serialization=not args.legacy)
    if args.safetensors:
        write_safetensors(sd, os.path.join(args.out, "model.safetensors"))
    n_params = sum(v.numel() for k, v in sd.items() if v.is_floating_point() and not k.startswith("plm.pooler"))
    print(f"wrote {args.out}: size={args.size} layout={args.layout} dtype={args.dtype} params={n_params}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
