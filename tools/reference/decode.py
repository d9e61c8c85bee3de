"""Window merging and span decoding, exactly as SiameseUiePipeline.get_prefix_infos/get_entities do it,
in Python floats (the per-window logits are float32 values turned into Python floats by .tolist()).
No model involved: make_goldens.py's decode_cases.jsonl are produced with these functions alone."""

THRESHOLD = 0.5


def merge_windows(n_tokens, windows):
    """windows: [(shift, head_list, tail_list)] in window order. A position starts at -1; a window
    covering it sets the value if the current value == -1, else takes the mean (cur + new) / 2.
    Positions j + shift >= n_tokens (padding of the last window) are ignored."""
    head = [-1] * n_tokens
    tail = [-1] * n_tokens
    for shift, h, t in windows:
        for j in range(len(h)):
            if j + shift < n_tokens:
                head[j + shift] = h[j] if head[j + shift] == -1 else (head[j + shift] + h[j]) / 2
                tail[j + shift] = t[j] if tail[j + shift] == -1 else (tail[j + shift] + t[j]) / 2
    return head, tail


def get_entities(text, offsets, head, tail, margins=None):
    """Every token with head > 0.5 (the [CLS]/[SEP] positions included) opens a span closed by the first
    t >= h with tail > 0.5; offsets [offsets[h][0], offsets[t][1]], span text[b:e] (Python slicing, so
    b >= e gives ''); sorted by the offset pair (stable). `margins`, if given, is a list that receives
    |value - 0.5| of every logit compared with the threshold."""
    entities = []
    heads = []
    for j in range(len(head)):
        if margins is not None:
            margins.append(abs(head[j] - THRESHOLD))
        if head[j] > THRESHOLD:
            heads.append(j)
    for ph in heads:
        for pt in range(ph, len(tail)):
            if margins is not None:
                margins.append(abs(tail[pt] - THRESHOLD))
            if tail[pt] > THRESHOLD:
                b, e = offsets[ph][0], offsets[pt][1]
                entities.append({"offset": [b, e], "span": text[b:e]})
                break
    return sorted(entities, key=lambda x: tuple(x["offset"]))
