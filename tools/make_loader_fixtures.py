#!/usr/bin/python3
"""Generates the checkpoints that the model-loading tests (tests/model) read, next to the tiny model.

  /usr/bin/python3 tools/make_loader_fixtures.py --tiny OUT/tiny --out OUT/loader

OUT/tiny must already exist (tools/make_fixture.py --size tiny --out OUT/tiny --safetensors). Writes:
  OUT/loader/<variant>/            model directories that must load: plm (plm.encoder key layout),
                                   fp16, bf16, st-only (model.safetensors only), views (strided, offset,
                                   shared and float64 storages, Parameters, a state dict with _metadata),
                                   proto4 (pickle protocol 4), rezipped (re-packed by Python's zipfile:
                                   "archive/" prefix, byteorder record, no ZIP64, misaligned data),
                                   other-task (configuration.json for another task: loads with a warning),
                                   tokenizer-settings (tokenizer_config.json, special_tokens_map.json,
                                   added_tokens.json)
  OUT/loader/manifests/<variant>/<file>.json
                                   what torch saved, per checkpoint: name, dtype, shape, sha256 of the
                                   tensor's contiguous little-endian bytes in the stored dtype and of its
                                   float32 conversion; read back with torch.load (safetensors: parsed here)
  OUT/loader/bad/<case>.bin|.safetensors   checkpoint files that must be refused
  OUT/loader/dirs/<case>/          model directories that must be refused
Everything is derived from the seeded tiny model; rerunning gives the same bytes.
"""
import argparse
import collections
import fractions
import hashlib
import io
import json
import os
import shutil
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixture  # noqa: E402  (the tiny model's generator: same config and weights)

MODEL_FILES = ("config.json", "configuration.json", "vocab.txt")
SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
                      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
                      "U8": torch.uint8, "BOOL": torch.bool}


# ---------------------------------------------------------------------------------------------- manifests

def raw_bytes(t):
    """The tensor's contiguous little-endian bytes in its own dtype."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16
    return t.numpy().tobytes()


def manifest_entry(name, t):
    entry = {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
             "sha256": hashlib.sha256(raw_bytes(t)).hexdigest(), "sha256_f32": None}
    if t.is_floating_point():
        entry["sha256_f32"] = hashlib.sha256(raw_bytes(t.float())).hexdigest()
    return entry


def read_safetensors(path):
    """An independent reader (the C++ one is what is under test): name -> tensor, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    items = sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"])
    out = collections.OrderedDict()
    for name, info in items:
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out


def write_manifest(checkpoint, manifest_path):
    if checkpoint.endswith(".safetensors"):
        tensors = read_safetensors(checkpoint)
    else:
        tensors = torch.load(checkpoint, map_location="cpu")
    os.makedirs(os.path.dirname(manifest_path), exist_ok=True)
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump({"file": os.path.basename(checkpoint),
                   "tensors": [manifest_entry(k, v) for k, v in tensors.items()]}, f, indent=1)


def manifest_all(model_dir, manifest_dir):
    for name in ("pytorch_model.bin", "model.safetensors"):
        path = os.path.join(model_dir, name)
        if os.path.exists(path):
            write_manifest(path, os.path.join(manifest_dir, name + ".json"))


# ------------------------------------------------------------------------------------------------ helpers

def base_state_dict():
    """The tiny model's state dict, exactly as make_fixture.py --size tiny writes it."""
    with open(make_fixture.VOCAB, "rb") as f:
        vocab_size = f.read().decode("utf-8").rstrip("\n").count("\n") + 1
    cfg = make_fixture.bert_config(vocab_size, **make_fixture.SIZES["tiny"])
    return collections.OrderedDict(make_fixture.make_state_dict(cfg, 1234, "cross", True, pooler=True))


def model_dir_like(tiny, out, weights=None):
    """A model directory with tiny's config, metadata and vocab; `weights` is a state dict to torch.save,
    or None to hard-link tiny's pytorch_model.bin."""
    os.makedirs(out, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(os.path.join(tiny, name), os.path.join(out, name))
    target = os.path.join(out, "pytorch_model.bin")
    if weights is None:
        try:
            os.link(os.path.join(tiny, "pytorch_model.bin"), target)
        except OSError:
            shutil.copyfile(os.path.join(tiny, "pytorch_model.bin"), target)
    else:
        torch.save(weights, target)
    return out


def repack(src, dst, rename=None, drop=(), replace=None, extra=None, compression=zipfile.ZIP_STORED):
    """Rewrites a torch zip with Python's zipfile: records renamed/dropped/replaced/added."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        prefix = zin.namelist()[0].split("/")[0]
        for info in zin.infolist():
            record = info.filename[len(prefix) + 1:]
            if record in drop:
                continue
            data = replace.get(record, zin.read(info.filename))
            zout.writestr((rename or prefix) + "/" + record, data)
        for record, data in (extra or {}).items():
            zout.writestr((rename or prefix) + "/" + record, data)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)


def save_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def torch_save_bytes(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def write_safetensors_raw(path, header, data):
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    save_bytes(path, len(encoded).to_bytes(8, "little") + encoded + data)


# ----------------------------------------------------------------------------------------- good variants

def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """What torch >= 2.0 pickles for a Parameter that carries Python attributes; torch 1.13 lacks it,
    so it is provided here under its real name for pickling and for torch.load in this process."""
    param = torch.nn.Parameter(data, requires_grad)
    param.__dict__.update(state)
    return param


_rebuild_parameter_with_state.__module__ = "torch._utils"
if not hasattr(torch._utils, "_rebuild_parameter_with_state"):
    torch._utils._rebuild_parameter_with_state = _rebuild_parameter_with_state


class ParameterWithState:
    """Pickles as torch >= 2.0 pickles a Parameter with attributes."""

    def __init__(self, data, state):
        self.data, self.state = data, state

    def __reduce_ex__(self, protocol):
        return (torch._utils._rebuild_parameter_with_state,
                (self.data, False, collections.OrderedDict(), self.state))


def views_state_dict(sd):
    """The same weights stored through views that make the reader do real work."""
    out = collections.OrderedDict(sd)
    word = "plm.embeddings.word_embeddings.weight"
    big = torch.zeros(sd[word].shape[0] + 3, sd[word].shape[1])
    big[3:] = sd[word]
    out[word] = big[3:]                                              # contiguous at a storage offset
    q = "plm.encoder.layer.0.attention.self.query.weight"
    out[q] = sd[q].t().contiguous().t()                              # transposed: stride (1, H)
    qb = "plm.encoder.layer.0.attention.self.query.bias"
    buf = torch.zeros(2 * sd[qb].numel())
    buf[::2] = sd[qb]
    out[qb] = buf[::2]                                               # stride 2
    both = torch.cat([sd["head_clsf.weight"], sd["tail_clsf.weight"]])
    out["head_clsf.weight"], out["tail_clsf.weight"] = both[0:1], both[1:2]  # one storage, two tensors
    pos = "plm.embeddings.position_embeddings.weight"
    out[pos] = sd[pos].double()                                      # float64, converted on load
    inter = "plm.encoder.layer.1.intermediate.dense.weight"
    out[inter] = sd[inter].half().t().contiguous().t()               # float16 and transposed
    dense = "plm.encoder.layer.2.output.dense.weight"
    out[dense] = torch.nn.Parameter(sd[dense], requires_grad=False)  # _rebuild_parameter
    key = "plm.encoder.layer.2.attention.self.key.weight"
    out[key] = ParameterWithState(sd[key], {"note": "a Python attribute"})  # _rebuild_parameter_with_state
    out["plm.pooler.dense.weight"] = out["plm.encoder.layer.5.attention.output.dense.weight"]  # tied
    out._metadata = collections.OrderedDict([("", {"version": 1}), ("plm", {"version": 1})])  # as state_dict()
    return out


def make_good(tiny, root, manifests):
    variants = {
        "plm": ["--layout", "plm", "--safetensors"],
        "fp16": ["--dtype", "float16", "--safetensors"],
        "bf16": ["--dtype", "bfloat16", "--safetensors"],
        "st-only": ["--safetensors", "--no-bin"],
        "legacy": ["--legacy"],
    }
    for name, args in variants.items():
        make_fixture.main(["--size", "tiny", "--out", os.path.join(root, name)] + args)
    sd = base_state_dict()
    model_dir_like(tiny, os.path.join(root, "views"), views_state_dict(sd))
    proto4 = model_dir_like(tiny, os.path.join(root, "proto4"))
    os.remove(os.path.join(proto4, "pytorch_model.bin"))
    torch.save(sd, os.path.join(proto4, "pytorch_model.bin"), pickle_protocol=4)
    rezipped = model_dir_like(tiny, os.path.join(root, "rezipped"))
    os.remove(os.path.join(rezipped, "pytorch_model.bin"))
    repack(os.path.join(tiny, "pytorch_model.bin"), os.path.join(rezipped, "pytorch_model.bin"), rename="archive",
           extra={"byteorder": b"little"})
    other = model_dir_like(tiny, os.path.join(root, "other-task"))
    with open(os.path.join(other, "configuration.json"), "w", encoding="utf-8") as f:
        json.dump(dict(make_fixture.MODELSCOPE_CONFIGURATION, task="text-classification"), f, indent=2)

    # The tokenizer files transformers reads next to vocab.txt (docs/tokenizer.md); the added tokens are in
    # vocab.txt, so the tiny weights still fit.
    tok = model_dir_like(tiny, os.path.join(root, "tokenizer-settings"))
    write_json(os.path.join(tok, "tokenizer_config.json"),
               {"do_lower_case": False, "tokenizer_class": "BertTokenizer", "model_max_length": 512,
                "additional_special_tokens": ["[unused1]"]})
    write_json(os.path.join(tok, "special_tokens_map.json"), {"unk_token": "[UNK]", "mask_token": "[MASK]"})
    write_json(os.path.join(tok, "added_tokens.json"), {"[unused2]": 2})

    manifest_all(tiny, os.path.join(manifests, "tiny"))
    for name in ("plm", "fp16", "bf16", "st-only", "views", "proto4", "rezipped"):
        manifest_all(os.path.join(root, name), os.path.join(manifests, name))


# ------------------------------------------------------------------------------------------ bad files

def central_directory_entry(data, index):
    """Byte offset of the index-th central directory header of a torch zip (ZIP64 end record)."""
    end64 = data.rfind(b"PK\x06\x06")
    pos = int.from_bytes(data[end64 + 48:end64 + 56], "little")
    for _ in range(index):
        assert data[pos:pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = (int.from_bytes(data[pos + o:pos + o + 2], "little") for o in (28, 30, 32))
        pos += 46 + name_len + extra_len + comment_len
    return pos


def make_bad_files(tiny, bad):
    os.makedirs(bad, exist_ok=True)
    src = os.path.join(tiny, "pytorch_model.bin")
    with open(src, "rb") as f:
        data = f.read()
    prefix = zipfile.ZipFile(src).namelist()[0].split("/")[0]
    with zipfile.ZipFile(src) as z:
        pickle_bytes = z.read(prefix + "/data.pkl")

    save_bytes(os.path.join(bad, "truncated.bin"), data[:len(data) * 6 // 10])
    corrupt = bytearray(data)
    third = central_directory_entry(data, 2)
    corrupt[third:third + 4] = b"\0\0\0\0"
    save_bytes(os.path.join(bad, "corrupt-cd.bin"), bytes(corrupt))
    repack(src, os.path.join(bad, "compressed.bin"), compression=zipfile.ZIP_DEFLATED)
    repack(src, os.path.join(bad, "no-data-pkl.bin"), drop=("data.pkl",))
    # Storage key 5 holds plm.embeddings.LayerNorm.bias (keys follow the state dict's order).
    repack(src, os.path.join(bad, "missing-storage.bin"), rename="archive", drop=("data/5",))
    with zipfile.ZipFile(src) as z:
        short = z.read(prefix + "/data/5")[:64]
    repack(src, os.path.join(bad, "short-storage.bin"), rename="archive", replace={"data/5": short})
    # The word embedding's size tuple (BININT2 21128, BININT1 32, TUPLE2) asks for one row too many.
    size_ops = b"M" + (21128).to_bytes(2, "little") + b"K\x20\x86"
    assert pickle_bytes.count(size_ops) == 1, "the tiny model's pickle changed: update make_loader_fixtures.py"
    too_big = pickle_bytes.replace(size_ops, b"M" + (21129).to_bytes(2, "little") + b"K\x20\x86")
    repack(src, os.path.join(bad, "view-out-of-range.bin"), rename="archive", replace={"data.pkl": too_big})
    repack(src, os.path.join(bad, "big-endian.bin"), rename="archive", extra={"byteorder": b"big"})

    t = torch.arange(4, dtype=torch.float32)
    save_bytes(os.path.join(bad, "unsupported-global.bin"), torch_save_bytes({"w": t, "step": fractions.Fraction(1, 3)}))
    save_bytes(os.path.join(bad, "unsupported-opcode.bin"), torch_save_bytes({"w": t, "tags": {"a"}}, pickle_protocol=4))
    save_bytes(os.path.join(bad, "not-a-dict.bin"), torch_save_bytes([t]))
    save_bytes(os.path.join(bad, "non-tensor.bin"), torch_save_bytes({"w": t, "epoch": 3}))
    shutil.copyfile(os.path.join(os.path.dirname(bad), "legacy", "pytorch_model.bin"), os.path.join(bad, "legacy.bin"))
    save_bytes(os.path.join(bad, "not-a-checkpoint.bin"), b"this is not a checkpoint\n" * 8)
    save_bytes(os.path.join(bad, "empty.bin"), b"")

    st = os.path.join(tiny, "model.safetensors")
    with open(st, "rb") as f:
        st_data = f.read()
    save_bytes(os.path.join(bad, "st-truncated.safetensors"), st_data[:len(st_data) // 2])
    save_bytes(os.path.join(bad, "st-header-length.safetensors"), (10 ** 9).to_bytes(8, "little") + b"{}      ")
    save_bytes(os.path.join(bad, "st-bad-json.safetensors"), (8).to_bytes(8, "little") + b'{"a": [ ')
    four = bytes(16)
    write_safetensors_raw(os.path.join(bad, "st-overlap.safetensors"),
                          {"first": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                           "second": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, four)
    write_safetensors_raw(os.path.join(bad, "st-bad-dtype.safetensors"),
                          {"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, four[:4])
    write_safetensors_raw(os.path.join(bad, "st-size-mismatch.safetensors"),
                          {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}}, four)
    write_safetensors_raw(os.path.join(bad, "st-out-of-bounds.safetensors"),
                          {"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}, four)


# ------------------------------------------------------------------------------------------ bad dirs

def make_bad_dirs(tiny, dirs):
    sd = base_state_dict()

    missing = collections.OrderedDict(sd)
    del missing["plm.encoder.layer.2.attention.self.key.bias"]
    del missing["crossattention.layer.5.output.LayerNorm.weight"]
    model_dir_like(tiny, os.path.join(dirs, "missing-tensors"), missing)

    extra = collections.OrderedDict(sd)
    extra["classifier.weight"] = torch.zeros(2, 32)
    extra["classifier.bias"] = torch.zeros(2)
    model_dir_like(tiny, os.path.join(dirs, "extra-tensors"), extra)

    shape = collections.OrderedDict(sd)
    name = "plm.encoder.layer.3.intermediate.dense.weight"
    shape[name] = sd[name].t().contiguous()
    model_dir_like(tiny, os.path.join(dirs, "wrong-shape"), shape)

    dtype = collections.OrderedDict(sd)
    dtype["head_clsf.bias"] = torch.zeros(1, dtype=torch.int64)
    model_dir_like(tiny, os.path.join(dirs, "wrong-dtype"), dtype)

    mixed = collections.OrderedDict(sd)
    mixed["plm.encoder.layer.6.attention.self.query.weight"] = sd["crossattention.layer.0.attention.self.query.weight"]
    model_dir_like(tiny, os.path.join(dirs, "mixed-layout"), mixed)

    # A plain BERT token classifier: bert.* for all 12 layers and a classifier head.
    other = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("plm."):
            other["bert." + k[len("plm."):]] = v
        elif k.startswith("crossattention.layer."):
            index, rest = k[len("crossattention.layer."):].split(".", 1)
            other[f"bert.encoder.layer.{int(index) + 6}.{rest}"] = v
    other["classifier.weight"], other["classifier.bias"] = torch.zeros(2, 32), torch.zeros(2)
    model_dir_like(tiny, os.path.join(dirs, "other-model"), other)

    d = model_dir_like(tiny, os.path.join(dirs, "missing-config-field"))
    with open(os.path.join(d, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    del cfg["hidden_size"]
    with open(os.path.join(d, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)

    d = model_dir_like(tiny, os.path.join(dirs, "vocab-mismatch"))
    with open(os.path.join(d, "vocab.txt"), "rb") as f:
        lines = f.read().split(b"\n")
    with open(os.path.join(d, "vocab.txt"), "wb") as f:
        f.write(b"\n".join(lines[:-2] + [b""]))  # the last token gone, the final newline kept

    d = model_dir_like(tiny, os.path.join(dirs, "bad-configuration"))
    save_bytes(os.path.join(d, "configuration.json"), b"{not json")

    # Tokenizer files uninlu must refuse (src/text/tokenizer_settings.cc).
    for name, files in {
        "tokenizer-class": {"tokenizer_config.json": {"tokenizer_class": "XLMRobertaTokenizer"}},
        "missing-special-token": {"special_tokens_map.json": {"unk_token": "<unk>"}},
        "added-token-past-vocab": {"added_tokens.json": {"<new>": 21128}},
    }.items():
        d = model_dir_like(tiny, os.path.join(dirs, name))
        for file, content in files.items():
            write_json(os.path.join(d, file), content)
    for file in ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"):
        d = model_dir_like(tiny, os.path.join(dirs, "bad-" + file.replace(".json", "").replace("_", "-")))
        save_bytes(os.path.join(d, file), b'{"unk_token": ')
    d = model_dir_like(tiny, os.path.join(dirs, "config-tokenizer-class"))
    with open(os.path.join(d, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["tokenizer_class"] = "XLMRobertaTokenizer"
    write_json(os.path.join(d, "config.json"), cfg)

    d = model_dir_like(tiny, os.path.join(dirs, "no-weights"))
    os.remove(os.path.join(d, "pytorch_model.bin"))
    os.makedirs(os.path.join(dirs, "empty"), exist_ok=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", required=True, help="the tiny model directory (make_fixture.py --size tiny --safetensors)")
    p.add_argument("--out", required=True, help="directory to (re)create")
    args = p.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    make_good(args.tiny, args.out, os.path.join(args.out, "manifests"))
    make_bad_files(args.tiny, os.path.join(args.out, "bad"))
    make_bad_dirs(args.tiny, os.path.join(args.out, "dirs"))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
