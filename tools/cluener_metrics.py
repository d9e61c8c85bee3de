"""Entity-level precision / recall / F1 for CLUENER, as `uninlu eval` computes it (docs/evaluation.md).

Gold entities are (type, start, end_inclusive) in code points; a predicted span with offset [b, e)
counts as (type, b, e - 1). Both sides are sets: a duplicate prediction counts once. A prediction is
correct when the same triple is in the gold set. Per type: P = tp / pred, R = tp / gold, F1 = 2PR/(P+R)
(0 when the denominator is 0); overall = micro average (summed counts over every type).
"""


def prf(tp, n_pred, n_gold):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class Scorer:
    def __init__(self, types):
        self.types = list(types)
        self.counts = {t: [0, 0, 0] for t in self.types}  # tp, pred, gold

    def add(self, gold, pred):
        """gold, pred: iterables of (type, start, end_inclusive)."""
        gold, pred = set(gold), set(pred)
        for t, _, _ in gold:
            self.counts[t][2] += 1
        for t, _, _ in pred:
            self.counts[t][1] += 1
        for t, _, _ in gold & pred:
            self.counts[t][0] += 1

    def report(self):
        rows = {}
        tot = [0, 0, 0]
        for t in self.types:
            tp, n_pred, n_gold = self.counts[t]
            p, r, f = prf(tp, n_pred, n_gold)
            rows[t] = {"precision": p, "recall": r, "f1": f, "tp": tp, "pred": n_pred, "gold": n_gold}
            for i in range(3):
                tot[i] += self.counts[t][i]
        p, r, f = prf(*tot)
        return {"types": rows, "micro": {"precision": p, "recall": r, "f1": f, "tp": tot[0], "pred": tot[1],
                                         "gold": tot[2]}}


def _width(s):
    """Terminal columns (East Asian wide characters take two), as uninlu eval pads its table."""
    def wide(c):
        c = ord(c)
        return (0x1100 <= c <= 0x115F or 0x2E80 <= c <= 0xA4CF or 0xAC00 <= c <= 0xD7A3 or 0xF900 <= c <= 0xFAFF
                or 0xFE30 <= c <= 0xFE4F or 0xFF00 <= c <= 0xFF60 or 0xFFE0 <= c <= 0xFFE6 or 0x20000 <= c <= 0x3FFFD)
    return sum(2 if wide(c) else 1 for c in s)


def _pad(s, width):
    w = _width(s)
    return s + " " if w >= width else s + " " * (width - w)


def _row(name, prompt, r):
    return (_pad(name, 14) + _pad(prompt, 10) + f"{r['precision']:8.4f} {r['recall']:8.4f} {r['f1']:8.4f} "
            f"{r['tp']:6d} {r['pred']:6d} {r['gold']:6d}")


def format_table(rep, prompts=None):
    """The table `uninlu eval` prints, in the same layout."""
    lines = [_pad("type", 14) + _pad("prompt", 10) + "       P        R       F1     tp   pred   gold"]
    for t, r in rep["types"].items():
        lines.append(_row(t, (prompts or {}).get(t, ""), r))
    lines.append(_row("micro", "", rep["micro"]))
    return "\n".join(lines)
