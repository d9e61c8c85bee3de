"""Mention replacement for training on CLUENER: a text's entity mentions are swapped for other mentions
of the same type seen in training, so that the model meets each context with many names and each name in
many contexts (it cannot learn "this string is a company" by heart; it has to read the string and its
context). Deterministic for a given random.Random.
"""


def mention_pool(records):
    """{type: sorted unique mentions} of [(line_no, record)] (CLUENER labels)."""
    pool = {}
    for _, rec in records:
        for t, mentions in rec.get("label", {}).items():
            pool.setdefault(t, set()).update(mentions)
    return {t: sorted(ms) for t, ms in pool.items()}


def replace_mentions(rec, pool, prob, rng):
    """A copy of `rec` where each labelled span is, with probability `prob`, replaced by a mention of its
    type drawn uniformly from `pool`; the label's spans are moved to the new offsets. A record with
    overlapping spans is returned unchanged (the rewrite would be ambiguous)."""
    spans = sorted((s, e, t, m) for t, ms in rec.get("label", {}).items() for m, sps in ms.items() for s, e in sps)
    if not spans or any(a[1] >= b[0] for a, b in zip(spans, spans[1:])):
        return rec
    text = rec["text"]
    parts, label, pos, shift = [], {}, 0, 0
    for s, e, t, m in spans:
        new = m
        if rng.random() < prob and len(pool.get(t, ())) > 1:
            new = rng.choice(pool[t])
        parts.append(text[pos:s])
        parts.append(new)
        start = s + shift
        label.setdefault(t, {}).setdefault(new, []).append([start, start + len(new) - 1])
        shift += len(new) - (e - s + 1)
        pos = e + 1
    parts.append(text[pos:])
    return {"text": "".join(parts), "label": label}
