#!/usr/bin/python3
"""Writes the golden test data the C++ side is checked against, from the Python reference
(tools/reference, an independent re-implementation of ModelScope's SiameseUiePipeline).

  /usr/bin/python3 tools/make_goldens.py --model build/fixtures/models/tiny --out build/fixtures/goldens

Outputs (formats: docs/reference.md):
  cases.jsonl         >= 300 end-to-end cases {id, task, tags, text, schema, output_all_prefix,
                      expected, n_tokens, n_windows, min_margin} (+ schema_text where the schema is
                      given as a JSON string)
  stages.jsonl        per-stage tensors of a subset of cases (keys into stages.safetensors)
  stages.safetensors  float32 tensors named by stages.jsonl
  decode_cases.jsonl  >= 50 model-free window-merge + span-decoding cases
  summary.json        the summary printed at the end

Deterministic for a given --seed and model. A candidate case whose smallest |logit - 0.5| over the
logits the decoder compared is below --min-margin (1e-3) is re-drawn, since a C++ fp32 engine differs
from torch by ~1e-6 and could flip such a span for reasons that are not bugs.
"""
import argparse
import collections
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.threads import pin_threads, threads_from_argv  # noqa: E402

pin_threads(threads_from_argv())  # before torch loads OpenBLAS
import torch  # noqa: E402
from reference.decode import get_entities, merge_windows  # noqa: E402
from reference.model import write_safetensors  # noqa: E402
from reference.pipeline import MAX_LEN, SLIDE_LEN, SiameseUIE, Trace, split_windows  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUENER = [os.path.join(REPO, "data", "cluener", f) for f in ("dev.json", "test.json", "train.json")]

NER_KEYS = ["人物", "地理位置", "组织机构", "公司", "游戏", "书名", "职位", "电影", "政府", "景点", "时间", "地址"]
RELATION_SCHEMAS = [
    {"人物": {"比赛项目(赛事名称)": None}},
    {"公司": {"创始人": None, "总部地点": None}},
    {"人物": {"出生地": None}},
    {"组织机构": {"成员": None}},
    {"人物": {"职位": None, "所属组织": None}},
    {"电影": {"导演": None}},
]
EVENT_SCHEMAS = [
    {"胜负(事件触发词)": {"时间": None, "败者": None, "胜者": None, "赛事名称": None}},
    {"收购(事件触发词)": {"收购方": None, "被收购方": None, "时间": None}},
    {"夺冠(事件触发词)": {"冠军": None, "夺冠赛事": None}},
    {"胜负(事件触发词)": {"时间": None, "败者": None}},
]
DEPTH3_SCHEMAS = [
    {"人物": {"组织机构": {"职位": None}}},
    {"公司": {"人物": {"职位": None}, "地理位置": None}},
    {"胜负(事件触发词)": {"胜者": {"时间": None}, "败者": None}},
    {"组织机构": {"人物": {"时间": None}}, "地理位置": None},
]
REVIEWS = [
    "这款手机的屏幕很清晰，但是电池续航太差了。",
    "酒店位置不错，服务态度也很好，就是早餐种类有点少。",
    "物流很快，包装完好，衣服的面料摸起来很舒服。",
    "这家餐厅的菜味道一般，价格偏贵，环境还可以。",
    "耳机音质出色，佩戴舒适，降噪效果令人惊喜。",
    "客服回复太慢了，问题到现在也没有解决。",
    "电影剧情紧凑，演员演技在线，特效也很震撼。",
    "笔记本电脑散热不好，风扇噪音很大，键盘手感倒是不错。",
    "房间干净整洁，床很软，隔音效果差了点。",
    "书的内容很有深度，翻译质量也不错，推荐购买。",
    "快递员态度恶劣，东西也被压坏了，非常失望。",
    "这个价位能买到这样的相机，性价比很高。",
    "景区人太多了，排队两个小时，体验很糟糕。",
    "咖啡香气浓郁，口感顺滑，店员也很热情。",
    "洗衣机运行安静，洗得干净，就是说明书写得不清楚。",
    "很满意的一次购物。",
    "外观漂亮，做工精细，系统流畅。",
    "不推荐，质量太差，用了两天就坏了。",
]
QUESTIONS = ["谁是文中提到的人物？", "事情发生在哪里？", "文中提到了哪家公司？", "这段话主要讲了什么？",
             "比赛的结果如何？", "什么时候发生的？", "文中的组织机构是什么？"]
TOPICS = "故事,文化,娱乐,体育,财经,房产,汽车,教育,科技,军事,旅游,国际,证券,农业,电竞"
SCRIPT_TEMPLATES = [
    ("latin", "Apple CEO Tim Cook visited Beijing in 2023 and met Alibaba's team."),
    ("digits", "2023年3月15日，GDP增长了6.5%，约合1,234,567元，编号No.007。"),
    ("emoji", "今天天气真好😀👍🔥，我们去颐和园玩吧！😂🥰"),
    ("accents", "Café naïve résumé Zoë Ångström São Paulo Dvořák"),
    ("combining", "Cafe\u0301 und Zoe\u0308 in Sa\u0303o Paulo"),
    ("mixed_scripts", "东京タワー和서울타워都是Tower，Москва也有Кремль。"),
    ("fullwidth", "ＡＢＣ公司于２０２３年在ＮＡＳＤＡＱ上市！（全角括号）＃１"),
    ("whitespace", "北京\t欢迎你\n上海\u3000欢迎你\u00a0广州 \u2028深圳\r\n  杭州  "),
    ("control_format", "微软\u200b公司\u200d在\ufeff西雅图\u00ad总部\x07召开\x0b大会\u2066会议"),
    ("special_literals", "[CLS]华为[SEP]在东莞[MASK]建设[UNK]了[PAD]基地[cls]"),
    ("long_word", "a" * 120 + " 华为在东莞 " + "b" * 100),
    ("unassigned_private", "华为\u0378在\ue000东莞\U000e0080建设\U0010fffd基地"),
    ("greek_turkish", "ΣΟΦΙΑ Οδυσσεύς İSTANBUL ıi Straße"),
    ("cjk_ext", "𠀀𠀁𪚥豈更⼀⺀龥鿕鿿"),
    ("math_ligature", "𝐀𝐁𝐂 ℌ ﬁnance ＡＴＭ ①②③ ㊙"),
    ("thai_arabic_hindi", "ภาษาไทย مَرْحَبًا नमस्ते"),
    ("emoji_zwj", "一家人👨\u200d👩\u200d👧去旅游，点赞👍🏻❤️"),
    ("korean_kana", "안녕하세요 ガギグゲゴ パン"),
    ("symbols", "价格￥99×2=198°C，→↑□◆●Ⅶ“引号”‘单引’…—·"),
    ("tiny", "好"),
]


def load_texts():
    texts = []
    for path in CLUENER:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    texts.append(json.loads(line)["text"])
    return texts


class Generator:
    def __init__(self, ref, texts, seed, min_margin):
        self.ref = ref
        self.tok = ref.tokenizer
        self.texts = texts
        self.seed = seed
        self.min_margin = min_margin
        self.redraws = collections.Counter()
        self.cases = []
        self.traces = {}

    # --- helpers -----------------------------------------------------------------------------------
    def clue(self, rng):
        return rng.choice(self.texts)

    def long_text(self, rng, min_tokens):
        parts, n = [], 2
        while n < min_tokens:
            t = self.clue(rng)
            parts.append(t)
            n += len(self.tok.tokenize_body(t))
        return "".join(parts)

    def exact_tokens(self, rng, target):
        """A text of exactly `target` tokens including [CLS]/[SEP]."""
        text = self.long_text(rng, target + 10)
        body = self.tok.tokenize_body(text)
        cut = body[target - 3][2][1]  # end of token target-2 (1-based)
        text = text[:cut]
        fill = "的是在了和有"
        for _ in range(200):
            n = len(self.tok.encode(text))
            if n == target:
                return text
            if n < target:
                text += rng.choice(fill)
            else:
                text = text[:-1]
        raise RuntimeError(f"could not build a text of {target} tokens")

    def run(self, text, schema, oap):
        tr = Trace()
        out = self.ref.predict(text, schema, output_all_prefix=oap, trace=tr)
        return out, tr

    def add(self, task, tags, make, want_windows=None):
        """make(rng) -> (text, schema, oap[, schema_text]). Re-draws while the margin is too small."""
        cid = f"{task}-{sum(1 for c in self.cases if c['task'] == task) + 1:03d}"
        rng = random.Random(f"{self.seed}/{cid}")
        for attempt in range(200):
            made = make(rng)
            text, schema, oap = made[:3]
            schema_text = made[3] if len(made) > 3 else None
            out, tr = self.run(text, schema_text if schema_text is not None else schema, oap)
            n_tokens = len(tr.text_ids)
            if want_windows is not None and split_windows(n_tokens) != want_windows:
                raise RuntimeError(f"{cid}: {split_windows(n_tokens)} windows, wanted {want_windows}")
            margin = min(tr.margins)
            if margin >= self.min_margin:
                break
            self.redraws[task] += 1
        else:
            raise RuntimeError(f"{cid}: no candidate with margin >= {self.min_margin} in 200 draws")
        case = {"id": cid, "task": task, "tags": tags, "text": text, "schema": schema}
        if schema_text is not None:
            case["schema_text"] = schema_text
        case.update({"output_all_prefix": oap, "expected": out, "n_tokens": n_tokens,
                     "n_windows": split_windows(n_tokens), "min_margin": margin})
        self.cases.append(case)
        self.traces[cid] = tr
        return case

    # --- the case families ---------------------------------------------------------------------------
    def build(self):
        # NER (CLUENER texts, 1-4 keys in random order)
        for i in range(70):
            def make(rng):
                keys = rng.sample(NER_KEYS, rng.randint(1, 4))
                return self.clue(rng), {k: None for k in keys}, False
            self.add("ner", ["cluener"], make)
        # relation
        for i in range(26):
            def make(rng, i=i):
                return self.clue(rng), RELATION_SCHEMAS[i % len(RELATION_SCHEMAS)], i % 4 == 3
            self.add("relation", ["cluener", "nested"], make)
        # event
        for i in range(20):
            def make(rng, i=i):
                return self.clue(rng), EVENT_SCHEMAS[i % len(EVENT_SCHEMAS)], i % 5 == 4
            self.add("event", ["cluener", "nested"], make)
        # aspect sentiment, with and without the leading '#'
        for i in range(22):
            def make(rng, i=i):
                r = rng.choice(REVIEWS)
                return ("#" + r if i % 2 == 0 else r), {"属性词": {"情感词": None}}, i % 6 == 5
            self.add("absa", ["hash" if i % 2 == 0 else "no_hash", "nested"], make)
        # sentiment classification
        for i in range(16):
            def make(rng, i=i):
                labels = "正向,负向" if i % 4 else "正向,负向,中性"
                return f"{labels}|{rng.choice(REVIEWS)}", {"情感分类": None}, False
            self.add("sentiment", [], make)
        # topic classification
        for i in range(16):
            def make(rng):
                labels = rng.sample(TOPICS.split(","), rng.randint(3, 8))
                return f"{','.join(labels)}|{self.clue(rng)}", {"分类": None}, False
            self.add("topic", ["cluener"], make)
        # text matching
        for i in range(16):
            def make(rng):
                a = self.clue(rng)
                b = a[: len(a) // 2] + self.clue(rng)[:10] if rng.random() < 0.5 else self.clue(rng)
                return f"相似,不相似|{a}&{b}", {"文本匹配": None}, False
            self.add("matching", ["cluener"], make)
        # natural language inference
        for i in range(16):
            def make(rng):
                return (f"蕴含,矛盾,中立|段落1：{self.clue(rng)}；段落2：{self.clue(rng)[:20]}",
                        {"自然语言推理": None}, False)
            self.add("nli", ["cluener"], make)
        # multiple-choice reading comprehension: options|passage, question as the key
        for i in range(16):
            def make(rng):
                opts = rng.sample(["北京", "上海", "广州", "深圳", "篮球", "足球", "一月", "三月", "公司", "学校"], 3)
                return f"{','.join(opts)}|{self.clue(rng)}", {rng.choice(QUESTIONS): None}, False
            self.add("mrc_choice", ["cluener"], make)
        # extractive reading comprehension: question as the key, plain passage
        for i in range(16):
            def make(rng):
                keys = rng.sample(QUESTIONS, 1 if rng.random() < 0.7 else 2)
                return self.clue(rng), {k: None for k in keys}, False
            self.add("mrc_extract", ["cluener"], make)
        # nesting to depth 3, output_all_prefix on half
        for i in range(20):
            def make(rng, i=i):
                return self.clue(rng), DEPTH3_SCHEMAS[i % len(DEPTH3_SCHEMAS)], i % 2 == 1
            self.add("ner", ["cluener", "nested", "depth3"] + (["output_all_prefix"] if i % 2 else []), make)
        # long texts: 1, 2 and 3 windows (flat schemas: a long text has many spans)
        for want, lo, hi, count in ((1, 200, 384, 5), (2, 390, 736, 6), (3, 740, 1088, 6)):
            for i in range(count):
                def make(rng, lo=lo, hi=hi):
                    target = rng.randint(lo, hi)
                    return self.exact_tokens(rng, target), {k: None for k in rng.sample(NER_KEYS, rng.randint(1, 2))}, False
                self.add("ner", ["long", f"windows{want}"], make, want_windows=want)
        # one nested schema over two windows
        def make(rng):
            return self.exact_tokens(rng, rng.randint(400, 500)), {"人物": {"地理位置": None}}, True
        self.add("ner", ["long", "windows2", "nested", "output_all_prefix"], make, want_windows=2)
        # exact boundary token counts
        for target in (383, 384, 385, 736, 737):
            for i in range(2):
                def make(rng, target=target):
                    return self.exact_tokens(rng, target), {rng.choice(NER_KEYS): None}, False
                self.add("ner", ["long", "boundary", f"tokens{target}"], make, want_windows=split_windows(target))
        # scripts and tokenizer corner cases
        for name, template in SCRIPT_TEMPLATES:
            for i in range(2):
                def make(rng, template=template, i=i):
                    keys = rng.sample(NER_KEYS, 2)
                    if i == 0:
                        return template, {k: None for k in keys}, False
                    frag = self.clue(rng)[: rng.randint(5, 20)]
                    return (frag + template if rng.random() < 0.5 else template + frag), {k: None for k in keys}, False
                self.add("ner", ["scripts", name], make)
        # schema keys with odd content (a literal [SEP], Latin, spaces)
        for key_set in (["人物[SEP]", "地点"], ["Person", "Location", "ORG"], [" 人物 ", "时间\t"]):
            def make(rng, key_set=key_set):
                return self.clue(rng), {k: None for k in key_set}, False
            self.add("ner", ["scripts", "odd_keys"], make)
        # a schema given as a JSON string with repeated keys (json.loads: first position, last value)
        dup_texts = ['{"人物": null, "地理位置": null, "人物": {"职位": null}}',
                     '{"组织机构": {"人物": null}, "时间": null, "组织机构": null}',
                     '{"公司": null, "公司": null}']
        for st in dup_texts:
            def make(rng, st=st):
                return self.clue(rng), json.loads(st), False, st
            self.add("ner", ["schema_string", "duplicate_keys"], make)
        # hints longer than 128 tokens (truncated), flat and nested
        for i in range(3):
            def make(rng, i=i):
                long_key = "".join(rng.choice("人物地理位置组织机构公司名称时间事件") for _ in range(140 + 10 * i))
                schema = {long_key: None} if i < 2 else {"人物": {long_key: None}}
                return self.clue(rng), schema, False
            self.add("ner", ["hint_truncation"] + (["nested"] if i == 2 else []), make)
        # short texts (empty results are common)
        for i in range(8):
            def make(rng):
                t = self.clue(rng)
                return t[: rng.randint(1, 4)], {k: None for k in rng.sample(NER_KEYS, 2)}, False
            self.add("ner", ["short"], make)


# --- stages -----------------------------------------------------------------------------------------
def pick_stage_cases(cases, traces):
    chosen, seen = [], collections.Counter()
    def n_items(c):
        return len(traces[c["id"]].prompts)
    # every multi-window and boundary case with a modest number of prompt items
    for c in cases:
        if c["n_windows"] > 1 and n_items(c) <= 12:
            chosen.append(c["id"])
    for c in cases:
        if c["id"] in chosen:
            continue
        key = (c["task"], "nested" in c["tags"], "depth3" in c["tags"], c["output_all_prefix"])
        if seen[key] < 2 and n_items(c) <= 40:
            seen[key] += 1
            chosen.append(c["id"])
    wanted = {"special_literals", "whitespace", "emoji_zwj", "long_word", "hint_truncation", "duplicate_keys"}
    for c in cases:  # a few tokenizer and schema corner cases
        if c["id"] not in chosen and wanted & set(c["tags"]) and n_items(c) <= 40:
            chosen.append(c["id"])
    return [c for c in cases if c["id"] in set(chosen)]


def write_stages(out_dir, cases, traces):
    tensors = {}
    lines = []
    for c in cases:
        tr = traces[c["id"]]
        cid = c["id"]
        rec = {"id": cid, "text_ids": tr.text_ids, "offsets": tr.offsets, "windows": [], "prompts": [], "merged": []}
        for w in tr.windows:
            key = f"{cid}/window{w['index']}/text_states"
            tensors[key] = w["states"].float()
            rec["windows"].append({"index": w["index"], "shift": w["shift"], "ids": w["ids"], "padded_len": w["padded_len"],
                                   "states": key})
        per_level = collections.Counter()
        for p in tr.prompts:
            k = per_level[(p["level"], p["window"])]
            per_level[(p["level"], p["window"])] += 1
            base = f"{cid}/level{p['level']}/prompt{k}/window{p['window']}"
            tensors[base + "/hint_states"] = p["hint_states"].float()
            tensors[base + "/head"] = p["head"].float()
            tensors[base + "/tail"] = p["tail"].float()
            rec["prompts"].append({"level": p["level"], "depth": p["depth"], "hint": p["hint"], "hint_ids": p["hint_ids"],
                                   "hint_padded_len": p["hint_padded_len"], "position_offset": p["position_offset"],
                                   "window": p["window"], "hint_states": base + "/hint_states", "head": base + "/head",
                                   "tail": base + "/tail"})
        per_level = collections.Counter()
        for m in tr.merged:
            k = per_level[m["level"]]
            per_level[m["level"]] += 1
            base = f"{cid}/level{m['level']}/prompt{k}/merged"
            tensors[base + "_head"] = torch.tensor(m["head"], dtype=torch.float32)
            tensors[base + "_tail"] = torch.tensor(m["tail"], dtype=torch.float32)
            rec["merged"].append({"level": m["level"], "depth": m["depth"], "hint": m["hint"],
                                  "head": base + "_head", "tail": base + "_tail"})
        lines.append(json.dumps(rec, ensure_ascii=False))
    with open(os.path.join(out_dir, "stages.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    write_safetensors(tensors, os.path.join(out_dir, "stages.safetensors"))
    return len(tensors)


# --- decode cases -----------------------------------------------------------------------------------
SPEC_TEXT = "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元，参加捐款的日本企业有69家。"
SPEC_EXPECTED = {
    "人物": [([18, 23], "谷口清太郎")],
    "地理位置": [([26, 28], "日本"), ([48, 50], "日本")],
    "组织机构": [([8, 10], "北大"), ([11, 16], "名古屋铁道")],
}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


class DecodeCases:
    def __init__(self, tok, texts, seed):
        self.tok = tok
        self.texts = texts
        self.rng = random.Random(f"{seed}/decode")
        self.cases = []

    def background(self, n):
        """float32-representable logits well below the threshold."""
        return [f32(self.rng.uniform(-6.0, -0.5)) for _ in range(n)]

    def windows_for(self, n, head, tail):
        """Cut whole-sequence logits into the pipeline's windows (values in overlaps: the given per-window
        lists override via `overrides`)."""
        split = split_windows(n)
        wins = []
        for j in range(split):
            s = j * SLIDE_LEN
            h = head[s:s + MAX_LEN]
            t = tail[s:s + MAX_LEN]
            if split > 1:
                pad = MAX_LEN - len(h)
                h = h + [-10000.0] * pad
                t = t + [-10000.0] * pad
            wins.append({"shift": s, "head": list(h), "tail": list(t)})
        return wins

    def add(self, name, text, wins, enc=None):
        # Every value float32-representable: the engine's logits are float32, and a reader may parse
        # them as float without changing any decision.
        wins = [{"shift": w["shift"], "head": [f32(v) for v in w["head"]], "tail": [f32(v) for v in w["tail"]]}
                for w in wins]
        enc = enc or self.tok.encode(text)
        n = len(enc)
        head, tail = merge_windows(n, [(w["shift"], w["head"], w["tail"]) for w in wins])
        ents = get_entities(text, enc.offsets, head, tail)
        self.cases.append({"name": name, "text": text, "offsets": [list(o) for o in enc.offsets], "windows": wins,
                           "n_tokens": n, "expected_spans": [{"offset": e["offset"], "span": e["span"]} for e in ents]})

    def simple(self, name, text, heads=(), tails=(), random_density=0.0, values=None):
        enc = self.tok.encode(text)
        n = len(enc)
        head, tail = self.background(n), self.background(n)
        for i in range(n):
            if self.rng.random() < random_density:
                head[i] = f32(self.rng.uniform(0.6, 3.0))
            if self.rng.random() < random_density:
                tail[i] = f32(self.rng.uniform(0.6, 3.0))
        for i in heads:
            head[i % n] = f32(self.rng.uniform(0.8, 3.0))
        for i in tails:
            tail[i % n] = f32(self.rng.uniform(0.8, 3.0))
        if values:
            for (kind, i), v in values.items():
                (head if kind == "head" else tail)[i % n] = v
        self.add(name, text, self.windows_for(n, head, tail), enc)

    def build(self):
        tok = self.tok
        # the spec's real-model example, one prompt type each
        enc = tok.encode(SPEC_TEXT)
        start_tok = {o[0]: i for i, o in enumerate(enc.offsets) if o != (0, 0)}
        end_tok = {o[1]: i for i, o in enumerate(enc.offsets) if o != (0, 0)}
        for key, spans in SPEC_EXPECTED.items():
            heads = [start_tok[b] for (b, e), _ in spans]
            tails = [end_tok[e] for (b, e), _ in spans]
            n = len(enc)
            head, tail = self.background(n), self.background(n)
            for i in heads:
                head[i] = f32(self.rng.uniform(1.0, 4.0))
            for i in tails:
                tail[i] = f32(self.rng.uniform(1.0, 4.0))
            self.add(f"spec_example_{key}", SPEC_TEXT, self.windows_for(n, head, tail), enc)
            got = [(c["offset"], c["span"]) for c in self.cases[-1]["expected_spans"]]
            want = [(list(o), s) for o, s in spans]
            if got != want:
                raise RuntimeError(f"spec example {key}: decoded {got}, expected {want}")
        # random single-window cases over CLUENER and corner-case texts
        for i in range(16):
            self.simple(f"random_{i:02d}", self.rng.choice(self.texts), random_density=0.12)
        for name, template in SCRIPT_TEMPLATES[:10]:
            self.simple(f"random_scripts_{name}", template, random_density=0.15)
        t = self.rng.choice([x for x in self.texts if len(x) >= 20])
        # heads and tails on [CLS] and [SEP]
        self.simple("head_on_cls_tail_inside", t, heads=[0], tails=[3])
        self.simple("head_inside_tail_on_sep", t, heads=[2], tails=[-1])
        self.simple("head_on_sep_tail_on_sep", t, heads=[-1], tails=[-1])
        self.simple("head_on_cls_tail_on_cls", t, heads=[0], tails=[0])
        self.simple("head_on_cls_tail_on_sep", t, heads=[0], tails=[-1])
        # several heads sharing one tail; heads without any tail after them
        self.simple("heads_share_tail", t, heads=[1, 2, 4], tails=[6])
        self.simple("head_without_tail", t, heads=[5], tails=[2])
        self.simple("heads_after_last_tail", t, heads=[1, 8, 9], tails=[3])
        # equal-offset duplicates: [CLS]->[SEP] and [SEP]->[SEP] both give [0, 0]
        self.simple("duplicate_offsets_cls_sep", t, heads=[0, -1], tails=[-1])
        self.simple("duplicate_offsets_cls_cls_sep_sep", t, heads=[0, -1], tails=[0, -1])
        # exactly 0.5 is not > 0.5
        self.simple("head_exactly_half", t, heads=[], tails=[4], values={("head", 2): 0.5, ("head", 3): 0.5000001})
        self.simple("tail_exactly_half", t, heads=[2], tails=[], values={("tail", 3): 0.5, ("tail", 5): 0.50000006})
        self.simple("tail_half_then_above", t, heads=[1], tails=[6], values={("tail", 2): 0.5, ("tail", 4): 0.5})
        # multi-window texts (real windowing, padding -10000)
        for n_target, name in ((385, "windows2_385"), (500, "windows2_500"), (736, "windows2_736"),
                               (737, "windows3_737"), (900, "windows3_900"), (1088, "windows3_1088")):
            text = self._text_of(n_target)
            self.simple(name, text, random_density=0.05)
        # overlap rules on a 2-window text: mean of the two windows; a value of exactly -1 in the first
        # window counts as "not yet set", so the second window's value replaces it
        text = self._text_of(420)
        enc = tok.encode(text)
        n = len(enc)
        head, tail = self.background(n), self.background(n)
        wins = self.windows_for(n, head, tail)
        w0, w1 = wins
        p = 360  # covered by both windows (352..383)
        w0["head"][p], w1["head"][p - SLIDE_LEN] = 0.25, 0.75          # mean exactly 0.5: no head
        w0["head"][p + 1], w1["head"][p + 1 - SLIDE_LEN] = 0.2, 1.0    # mean 0.6: head
        w0["tail"][p + 3], w1["tail"][p + 3 - SLIDE_LEN] = -1.0, 2.0   # -1 then replaced: 2.0
        w0["tail"][p + 2], w1["tail"][p + 2 - SLIDE_LEN] = 3.0, -2.5   # mean 0.25: no tail
        w0["head"][p + 5], w1["head"][p + 5 - SLIDE_LEN] = 2.0, -0.5   # mean 0.75: head
        w0["tail"][p + 6], w1["tail"][p + 6 - SLIDE_LEN] = -1.5, 2.6   # mean 0.55: tail
        self.add("overlap_mean_and_minus_one", text, wins, enc)
        # the mean must be taken in double: (0.5 + 2^-24 + 0.5) / 2 > 0.5 in double, == 0.5 in float32
        text = self._text_of(400)
        enc = tok.encode(text)
        n = len(enc)
        head, tail = self.background(n), self.background(n)
        wins = self.windows_for(n, head, tail)
        w0, w1 = wins
        p = 370
        a = 0.5 + 2.0 ** -24
        w0["head"][p], w1["head"][p - SLIDE_LEN] = a, 0.5
        w0["tail"][p + 1], w1["tail"][p + 1 - SLIDE_LEN] = 0.5, a
        self.add("overlap_mean_in_double", text, wins, enc)
        # three windows with spans crossing both overlaps and a head in the padding-adjacent tail
        text = self._text_of(1000)
        enc = tok.encode(text)
        n = len(enc)
        head, tail = self.background(n), self.background(n)
        wins = self.windows_for(n, head, tail)
        wins[0]["head"][340] = 2.0                       # global 340, window 0 only
        wins[1]["tail"][400 - 352] = 2.0                 # global 400, window 1 only: span crosses the overlap
        wins[1]["head"][652 - 352] = 2.0                 # global 652
        wins[1]["tail"][722 - 352] = 2.0                 # global 722, in the overlap of windows 1 and 2 ...
        wins[2]["tail"][722 - 704] = 2.0                 # ... set in both, mean 2.0
        wins[2]["head"][n - 704 - 2] = 2.0
        wins[2]["tail"][n - 704 - 1] = 2.0               # the [SEP] position
        wins[2]["head"][n - 704 + 5] = 5.0               # padding of the last window: ignored
        self.add("windows3_crossing_overlaps", text, wins, enc)

    def _text_of(self, target):
        parts, n = [], 2
        while n < target + 5:
            t = self.rng.choice(self.texts)
            parts.append(t)
            n += len(self.tok.tokenize_body(t))
        text = "".join(parts)
        body = self.tok.tokenize_body(text)
        text = text[: body[target - 3][2][1]]
        while len(self.tok.encode(text)) > target:
            text = text[:-1]
        while len(self.tok.encode(text)) < target:
            text += "的"
        assert len(self.tok.encode(text)) == target
        return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model directory (tools/make_fixture.py output)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--min-margin", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    ref = SiameseUIE(args.model)
    texts = load_texts()

    gen = Generator(ref, texts, args.seed, args.min_margin)
    gen.build()
    with open(os.path.join(args.out, "cases.jsonl"), "w", encoding="utf-8") as f:
        for c in gen.cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")

    stage_cases = pick_stage_cases(gen.cases, gen.traces)
    n_tensors = write_stages(args.out, stage_cases, gen.traces)

    dec = DecodeCases(ref.tokenizer, texts, args.seed)
    dec.build()
    with open(os.path.join(args.out, "decode_cases.jsonl"), "w", encoding="utf-8") as f:
        for c in dec.cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")

    cases = gen.cases
    per_task = collections.Counter(c["task"] for c in cases)
    windows = collections.Counter(c["n_windows"] for c in cases)
    spans = sum(len(c["expected"]["output"]) for c in cases)
    items = sum(len(chain) for c in cases for chain in c["expected"]["output"])
    empty = sum(1 for c in cases if not c["expected"]["output"])
    summary = {
        "cases": len(cases), "per_task": dict(per_task), "windows": {str(k): v for k, v in sorted(windows.items())},
        "result_chains": spans, "chain_items": items, "empty_results": empty,
        "min_margin": min(c["min_margin"] for c in cases), "redraws": sum(gen.redraws.values()),
        "redraws_per_task": dict(gen.redraws), "stage_cases": len(stage_cases), "stage_tensors": n_tensors,
        "decode_cases": len(dec.cases), "decode_spans": sum(len(c["expected_spans"]) for c in dec.cases),
    }
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)
    print(f"goldens in {args.out}: {len(cases)} cases, {len(stage_cases)} with stages, {len(dec.cases)} decode cases")
    print("  cases per task: " + ", ".join(f"{k} {v}" for k, v in per_task.items()))
    print("  windows: " + ", ".join(f"{k}: {v}" for k, v in sorted(windows.items())))
    print(f"  result chains {spans} ({items} items), empty results {empty}")
    print(f"  min margin overall {summary['min_margin']:.6g}; re-drawn for margin < {args.min_margin:g}: "
          f"{summary['redraws']} " + (str(dict(gen.redraws)) if gen.redraws else ""))
    print(f"  decode cases {len(dec.cases)} ({summary['decode_spans']} spans); {time.time() - t0:.1f} s")
    if empty > 0.9 * len(cases):
        print(f"WARNING: {empty} of {len(cases)} cases have no span at all: the model's logits hardly vary across "
              f"tokens (a collapsed random model?), so cases.jsonl says little about span decoding", file=sys.stderr)


if __name__ == "__main__":
    main()
