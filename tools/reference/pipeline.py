"""SiameseUiePipeline as ModelScope runs it (pipelines/nlp/siamese_uie_pipeline.py), CPU, fp32.

What is reproduced, step by step:
  * the text is tokenized whole ([CLS] text [SEP], no truncation); n = its token count;
  * split_num = ceil((n - 384) / 352) + 1 if n > 384 else 1; windows ids[j*352 : j*352+384]; when
    split_num > 1 only the last window is padded (id 0, mask 0) to 384, so the text tensor is
    [split_num, 384]; otherwise it is [1, n];
  * text stage on tensor_split(windows, split_num // 8 + 1) batches;
  * per schema level, hints "{type}: {span}, " * prefix + "{key}: " are tokenized together with
    padding=True, truncation=True, max_length=128; items are hint-major (hint i, window j), batched by
    tensor_split(items, n_items // 8 + 1); hint positions arange(M) + text tensor length (384 when
    windowed, else n); hint token_type 1 everywhere;
  * cross stage on cat([text; hint]) keeping the first text-length outputs; logits + (1-mask)*-10000;
  * per hint, windows merged (default -1; covered: value if current == -1 else (cur + new) / 2) and
    decoded from raw logits (> 0.5), [CLS]/[SEP] positions included;
  * depth-first recursion in schema key order, then offset order; output_all_prefix emits a chain
    before recursing into it.
The text stage is computed once per request here (ModelScope recomputes it at every level; the values
are the same).
"""
import json
from math import ceil

import torch

from .decode import get_entities, merge_windows
from .model import SiameseModel
from .tokenizer import BertTokenizer

SLIDE_LEN = 352
MAX_LEN = 384
HINT_MAX_LEN = 128
INFERENCE_BATCH_SIZE = 8


class SchemaError(ValueError):
    pass


def parse_schema(schema):
    """A JSON object (dict) or a JSON string, as the pipeline accepts it (json.loads: a repeated key
    keeps its first position and its last value)."""
    if isinstance(schema, str):
        schema = json.loads(schema)
    check_schema(schema)
    return schema


def check_schema(schema, depth=0):
    # ModelScope has no checks; it fails inside torch.stack on an empty level and misbehaves on values
    # that are neither null nor objects. The reference refuses those up front.
    if not isinstance(schema, dict):
        raise SchemaError("schema must be a JSON object")
    if not schema:
        raise SchemaError("schema has an empty object (ModelScope raises on it: torch.stack of no items)")
    for v in schema.values():
        if v is not None:
            check_schema(v, depth + 1)


def split_windows(n):
    split_num = ceil((n - MAX_LEN) / SLIDE_LEN) + 1 if n > MAX_LEN else 1
    return split_num


class Trace:
    """Per-stage tensors of one request (filled when passed to predict)."""

    def __init__(self):
        self.text_ids = None
        self.offsets = None
        self.windows = []   # {index, shift, ids, padded_len, states [n_real, H]}
        self.prompts = []   # {level, depth, hint, hint_ids, hint_padded_len, position_offset, window,
                            #  hint_states [m_real, H], head [n_real], tail [n_real]}
        self.merged = []    # {level, depth, hint, head [n_tokens] floats, tail}
        self.margins = []   # |logit - 0.5| of every logit the decoder compared with the threshold
        self.levels = 0


class SiameseUIE:
    def __init__(self, model_dir):
        import os
        self.tokenizer = BertTokenizer(os.path.join(model_dir, "vocab.txt"))
        self.model = SiameseModel(model_dir)

    # ---------------------------------------------------------------------------------------------
    def predict(self, text, schema, output_all_prefix=False, trace=None):
        schema = parse_schema(schema)
        enc = self.tokenizer.encode(text)
        state = self._text_stage(enc, trace)
        out = []
        with torch.no_grad():
            self._forward(text, enc, state, [], schema, out, output_all_prefix, trace, 0)
        return {"output": out}

    def _text_stage(self, enc, trace):
        n = len(enc)
        split_num = split_windows(n)
        token_ids = [enc.ids[j * SLIDE_LEN:j * SLIDE_LEN + MAX_LEN] for j in range(split_num)]
        masks = [enc.attention_mask[j * SLIDE_LEN:j * SLIDE_LEN + MAX_LEN] for j in range(split_num)]
        n_real = [len(w) for w in token_ids]
        if split_num > 1:
            token_ids[-1] = token_ids[-1] + [0] * (MAX_LEN - len(token_ids[-1]))
            masks[-1] = masks[-1] + [0] * (MAX_LEN - len(masks[-1]))
        token_ids = torch.tensor(token_ids, dtype=torch.long)
        masks = torch.tensor(masks, dtype=torch.long)
        batch_num = token_ids.size(0) // INFERENCE_BATCH_SIZE + 1
        outs = []
        with torch.no_grad():
            for ids_b, mask_b in zip(torch.tensor_split(token_ids, batch_num), torch.tensor_split(masks, batch_num)):
                outs.append(self.model.text_stage(ids_b, mask_b))
        seq = torch.cat(outs, dim=0)
        if trace is not None:
            trace.text_ids = list(enc.ids)
            trace.offsets = [list(o) for o in enc.offsets]
            for j in range(split_num):
                trace.windows.append({"index": j, "shift": j * SLIDE_LEN, "ids": enc.ids[j * SLIDE_LEN:j * SLIDE_LEN + n_real[j]],
                                      "padded_len": int(token_ids.shape[1]), "n_real": n_real[j],
                                      "states": seq[j, :n_real[j]].clone()})
        return {"seq": seq, "masks": masks, "split_num": split_num, "n_real": n_real}

    def _forward(self, text, enc, state, prefix_info, schema, out, output_all_prefix, trace, depth):
        next_prefix_infos = self._get_prefix_infos(text, enc, state, prefix_info, schema, trace, depth)
        for pi in next_prefix_infos:
            nxt = schema[pi[-1]["type"]]
            if nxt is None:
                out.append(pi)
            else:
                if output_all_prefix:
                    out.append(pi)
                self._forward(text, enc, state, pi, nxt, out, output_all_prefix, trace, depth + 1)

    def _get_prefix_infos(self, text, enc, state, prefix_info, schema, trace, depth):
        level = trace.levels if trace is not None else 0
        if trace is not None:
            trace.levels += 1
        schema_types = list(schema.keys())
        hints = []
        for st in schema_types:
            hint = ""
            for item in prefix_info:
                hint += f"{item['type']}: {item['span']}, "
            hint += f"{st}: "
            hints.append(hint)
        # tokenizer(hints, padding=True, truncation=True, max_length=128)
        hint_encs = [self.tokenizer.encode(h, max_length=HINT_MAX_LEN) for h in hints]
        m = max(len(e) for e in hint_encs)
        hint_ids = [e.ids + [0] * (m - len(e)) for e in hint_encs]
        hint_masks = [[1] * len(e) + [0] * (m - len(e)) for e in hint_encs]

        split_num = state["split_num"]
        items = [(i, j) for i in range(len(hints)) for j in range(split_num)]
        seq = torch.stack([state["seq"][j] for _, j in items])
        masks = torch.stack([state["masks"][j] for _, j in items])
        h_ids = torch.tensor([hint_ids[i] for i, _ in items], dtype=torch.long)
        h_masks = torch.tensor([hint_masks[i] for i, _ in items], dtype=torch.long)
        batch_num = seq.size(0) // INFERENCE_BATCH_SIZE + 1
        all_head, all_tail = [], []
        pos_offset = int(seq.shape[1])
        k = 0
        for b_seq, b_mask, b_hid, b_hmask in zip(torch.tensor_split(seq, batch_num), torch.tensor_split(masks, batch_num),
                                                 torch.tensor_split(h_ids, batch_num), torch.tensor_split(h_masks, batch_num)):
            cap = {} if trace is not None else None
            head, tail = self.model.fast_inference(b_seq, b_mask, b_hid, b_hmask, capture=cap)
            if trace is not None:
                for r in range(head.shape[0]):
                    i, j = items[k + r]
                    nr = state["n_real"][j]
                    mr = len(hint_encs[i])
                    trace.prompts.append({
                        "level": level, "depth": depth, "hint": hints[i], "hint_ids": list(hint_encs[i].ids),
                        "hint_padded_len": m, "position_offset": pos_offset, "window": j,
                        "hint_states": cap["hint_states"][r, :mr].clone(),
                        "head": head[r, :nr].clone(), "tail": tail[r, :nr].clone()})
            k += head.shape[0]
            all_head += head.tolist()
            all_tail += tail.tolist()

        # Group consecutive items by id = hint + '--' + text, merge the windows, decode.
        n_tokens = len(enc.offsets)
        groups = []
        last_uuid = None
        for (i, j), h, t in zip(items, all_head, all_tail):
            uuid = hints[i] + "--" + text
            if uuid != last_uuid:
                groups.append((hints[i], []))
            groups[-1][1].append((j * SLIDE_LEN, h, t))
            last_uuid = uuid
        all_pred_entities = []
        for hint, probs in groups:
            head_m, tail_m = merge_windows(n_tokens, probs)
            if trace is not None:
                trace.merged.append({"level": level, "depth": depth, "hint": hint, "head": head_m, "tail": tail_m})
            margins = trace.margins if trace is not None else None
            all_pred_entities.append(get_entities(text, enc.offsets, head_m, tail_m, margins))
        next_prefix_infos = []
        for st, ents in zip(schema_types, all_pred_entities):
            for e in ents:
                pi = [dict(x) for x in prefix_info]
                pi.append({"type": st, "span": e["span"], "offset": e["offset"]})
                next_prefix_infos.append(pi)
        return next_prefix_infos
