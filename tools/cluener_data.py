"""CLUENER2020 data for SiameseUniNLU: the type -> Chinese prompt mapping, reading the JSON-lines files,
and mapping character spans onto tokens with the reference tokenizer's code-point offsets.

A CLUENER label is `{type: {mention: [[start, end_inclusive], ...]}}` in code points. An entity is
usable for training when a token starts exactly at `start` and a token ends exactly at `end_inclusive + 1`
(the pointer network can only point at tokens); other entities are counted as misaligned and skipped.
"""
import json

# CLUENER type -> the prompt (schema key) the model is asked with. Order = schema order.
TYPE_PROMPTS = {
    "address": "地址",
    "book": "书名",
    "company": "公司",
    "game": "游戏",
    "government": "政府",
    "movie": "电影",
    "name": "姓名",
    "organization": "组织机构",
    "position": "职位",
    "scene": "景点",
}
TYPES = list(TYPE_PROMPTS)

# The names people type for each type. The bundled model is trained on TRAINED_NAMES (the canonical
# prompt first, then its alternatives, one sampled per (text, type) pair); HELD_OUT_NAMES are never
# trained on and measure whether the model generalises to a synonym it has not seen.
TRAINED_NAMES = {
    "address": ["地址", "地理位置", "地点"],
    "book": ["书名", "书籍", "图书"],
    "company": ["公司", "企业", "公司名称"],
    "game": ["游戏", "游戏名称", "电子游戏"],
    "government": ["政府", "政府机构", "政府部门"],
    "movie": ["电影", "影视作品", "影片"],
    "name": ["姓名", "人物", "人名"],
    "organization": ["组织机构", "机构", "组织"],
    "position": ["职位", "职务", "头衔"],
    "scene": ["景点", "风景名胜", "景区"],
}
HELD_OUT_NAMES = {
    "address": "位置", "book": "书", "company": "公司名", "game": "游戏名", "government": "政府机关",
    "movie": "影视", "name": "人", "organization": "团体", "position": "职称", "scene": "旅游景点",
}


def name_sets():
    """{set name: {type: prompt}}: the canonical prompts, each column of alternatives, the held-out names."""
    sets = {"canonical": dict(TYPE_PROMPTS)}
    for k in range(1, len(TRAINED_NAMES["address"])):
        sets[f"alternative {k}"] = {t: names[k] for t, names in TRAINED_NAMES.items()}
    sets["held out"] = dict(HELD_OUT_NAMES)
    return sets


def types_spec(prompts):
    """{type: prompt} -> 'type=prompt,...' (the --types argument of uninlu eval and reference_eval.py)."""
    return ",".join(f"{t}={p}" for t, p in prompts.items())


def parse_types(spec):
    """'address=地址,book=书名,...' -> ordered {type: prompt}; None -> TYPE_PROMPTS."""
    if not spec:
        return dict(TYPE_PROMPTS)
    out = {}
    for item in spec.split(","):
        if "=" not in item:
            raise ValueError(f"--types item {item!r} is not TYPE=PROMPT")
        t, p = item.split("=", 1)
        t, p = t.strip(), p.strip()
        if not t or not p:
            raise ValueError(f"--types item {item!r} has an empty type or prompt")
        if t in out:
            raise ValueError(f"--types names {t!r} twice")
        out[t] = p
    if len(set(out.values())) != len(out):
        raise ValueError("--types gives two types the same prompt")
    return out


def read_jsonl(path):
    """[(line_no, record)] of the non-blank lines; ValueError with the line number on bad JSON."""
    out = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{no}: not JSON: {e}") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError(f"{path}:{no}: expected an object with a string \"text\"")
            out.append((no, rec))
    return out


def gold_spans(rec, types, where=""):
    """{(type, start, end_inclusive)} of a record's labels; ValueError on an unknown type."""
    gold = set()
    label = rec.get("label")
    if not isinstance(label, dict):
        raise ValueError(f"{where}no \"label\" object (gold entities are needed; CLUENER's test split has none)")
    text = rec["text"]
    for t, mentions in label.items():
        if t not in types:
            raise ValueError(f"{where}label type {t!r} is not one of the types evaluated ({', '.join(types)})")
        if not isinstance(mentions, dict):
            raise ValueError(f"{where}label {t!r} must map mentions to span lists")
        for mention, spans in mentions.items():
            if not isinstance(spans, list):
                raise ValueError(f"{where}spans of {mention!r} must be a list of [start, end]")
            for sp in spans:
                if (not isinstance(sp, list) or len(sp) != 2
                        or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in sp)):
                    raise ValueError(f"{where}span {sp!r} of {mention!r} is not [start, end_inclusive]")
                s, e = sp
                if s > e or e >= len(text):
                    raise ValueError(f"{where}span {sp!r} of {mention!r} is outside the text ({len(text)} characters)")
                if text[s:e + 1] != mention:
                    raise ValueError(f"{where}span {sp!r} is {text[s:e + 1]!r}, not the mention {mention!r}")
                gold.add((t, s, e))
    return gold


class Example:
    __slots__ = ("text", "ids", "offsets", "entities", "gold")

    def __init__(self, text, ids, offsets, entities, gold):
        self.text = text
        self.ids = ids              # [CLS] body [SEP]
        self.offsets = offsets      # code-point offsets per token
        self.entities = entities    # {type: [(head_token, tail_token), ...]} (aligned entities only)
        self.gold = gold            # {(type, start, end_inclusive)} (all, for evaluation)


def encode_examples(tokenizer, records, types, max_tokens=128, stats=None):
    """Tokenizes records (truncating the body to max_tokens - 2) and aligns their entities to tokens.
    `stats` (a dict) receives counts: entities, aligned, misaligned, truncated, and examples of
    misaligned mentions."""
    st = stats if stats is not None else {}
    for k in ("entities", "aligned", "misaligned", "truncated"):
        st.setdefault(k, 0)
    st.setdefault("misaligned_examples", [])
    out = []
    for no, rec in records:
        text = rec["text"]
        enc = tokenizer.encode(text, max_length=max_tokens)
        starts = {}
        ends = {}
        for i, (b, e) in enumerate(enc.offsets):
            if i == 0 or i == len(enc.offsets) - 1 or b == e:
                continue
            starts.setdefault(b, i)
            ends[e] = i
        last_end = max((e for b, e in enc.offsets[1:-1]), default=0)
        gold = gold_spans(rec, types, f"line {no}: ")
        ents = {}
        for t, s, e in sorted(gold):
            st["entities"] += 1
            if e + 1 > last_end and e < len(text) and len(enc.ids) == max_tokens:
                st["truncated"] += 1
                continue
            h, tl = starts.get(s), ends.get(e + 1)
            if h is None or tl is None or tl < h:
                st["misaligned"] += 1
                if len(st["misaligned_examples"]) < 20:
                    st["misaligned_examples"].append((text[s:e + 1], t, text))
                continue
            st["aligned"] += 1
            ents.setdefault(t, []).append((h, tl))
        out.append(Example(text, list(enc.ids), list(enc.offsets), ents, gold))
    return out
