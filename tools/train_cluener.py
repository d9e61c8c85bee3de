#!/usr/bin/python3
"""Trains a small SiameseUniNLU-architecture model from random initialisation on CLUENER2020 and writes
it as a model directory in the real ModelScope format (config.json, configuration.json, vocab.txt,
pytorch_model.bin), the model shipped in models/uninlu-cluener.

What is trained is exactly SiameseUieModel (tools/cluener_model.py): the text `[CLS] text [SEP]` goes
through the first L-6 BERT layers (token type 0); each prompt `"{type}: "` -> `[CLS] hint [SEP]` goes
through the same layers with token type 1 and positions offset by the text's token count; the last 6
layers run over [text; hint]; head/tail logits per text token. Loss: ModelScope's circle loss on the head
logits (label 1 at the first token of each entity of the prompt's type) plus the same on the tail logits
(label 1 at the last token). The decoder's threshold is 0.5 on raw logits; circle loss separates
positives from negatives around 0; the exported model is shifted so that the pipeline's 0.5 is the
decision point chosen on held-out train texts (below).

Threshold: the loss puts its decision boundary at logit 0 (positives pushed above 0, negatives below),
while the pipeline keeps a token when its logit is > 0.5. Decoding the trained logits at 0.5 therefore
drops every entity scored in (0, 0.5]. At export the head and tail classifier biases are raised by
0.5 - t, so that the pipeline's `logit > 0.5` is the trained model's `logit > t`, where t is the point of
THRESHOLD_GRID with the best F1 on the --holdout texts (float32, canonical names; ties go to the t
nearest 0, the loss's own boundary). Precision and recall are rarely balanced at exactly 0, and the
choice never looks at dev. --no-tune-threshold takes t = 0 (biases raised by 0.5); --no-align-threshold
exports the biases as trained.

Each step takes --batch-texts texts; each text is paired with every type it has (aligned) entities of
and --negatives types it has none of (sampled). Each pair asks its type by one of the names people type
for it (cluener_data.TRAINED_NAMES: the canonical prompt with probability --canonical-share, else one of
the alternatives); cluener_data.HELD_OUT_NAMES are never trained on, and the final report gives dev F1
for the canonical names, each column of alternatives and the held-out names. Entities that do not start
and end on token boundaries cannot be pointed at: they are counted, reported and skipped (a type whose
entities in a text are all misaligned is then used neither as a positive nor as a negative for that text).

--holdout texts of train (a seeded draw) are kept out of training. Every --eval-every steps the model is
scored on them (canonical names, threshold 0), and the best step's weights are what is exported: the
choice never looks at dev, which stays for the final report.

Regularisers (the model otherwise learns the training mentions by heart: its loss keeps falling while the
held-out F1 stops rising): --replace-prob swaps, each epoch, every training mention with that probability
for another mention of its type from the training texts (tools/cluener_augment.py; re-tokenised, so the
labels stay on token boundaries), and --mask-prob replaces text tokens by [MASK], so that a type is read
from the context as well as from the mention. --init-from starts from an earlier run's weights (a fresh
optimizer, warmup and decay): the shipped model is two runs of this kind over a first one from random
initialisation (its model card gives the three commands).

--bf16 runs the matmuls under bfloat16 autocast (weights, optimizer state and loss stay float32); on a
CPU with AMX or AVX512-BF16 a step is about 3.5 times faster than float32. The exported weights are
float32 and the reported figures are float32 inference, as the pipeline runs them.

Deterministic for a given seed, thread count and CPU kind (bf16 kernels differ between AMX, AVX512-BF16
and emulation). Resumable: a state file in --work is written every --save-every steps and at the end;
rerunning the command continues from it (with another --epochs, the linear decay continues from the
saved step towards the new total). The defaults are the first run's settings (hidden 128, 4 heads,
2 text + 6 cross layers, 32 texts x (positives + 3 negatives) per step, 20 epochs, lr 1e-3, no
replacement or masking); the model card (models/uninlu-cluener/README.md) gives the three commands the
shipped model was trained with, the first of them:

  nice -n 10 /usr/bin/python3 tools/train_cluener.py --out build-eval/run1 \\
      --work build-eval/cluener-train --bf16 > build-eval/cluener-train.log 2>&1 &
"""
import argparse
import json
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.threads import pin_threads, threads_from_argv  # noqa: E402

pin_threads(threads_from_argv(default=2))  # before torch loads OpenBLAS
import torch  # noqa: E402

from cluener_augment import mention_pool, replace_mentions  # noqa: E402
from cluener_data import HELD_OUT_NAMES, TRAINED_NAMES, TYPE_PROMPTS, encode_examples, name_sets, read_jsonl  # noqa: E402
from make_fixture import MODELSCOPE_CONFIGURATION, bert_config  # noqa: E402
from cluener_metrics import Scorer, format_table  # noqa: E402
from cluener_model import SiameseUniNLU, circle_loss  # noqa: E402
from reference.tokenizer import BertTokenizer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB = os.path.join(REPO, "data", "vocab", "bert-base-chinese-vocab.txt")
MAX_BYTES_FP32 = 30 * 1000 * 1000
THRESHOLD = 0.5  # the pipeline's decoding threshold on raw logits
THRESHOLD_GRID = tuple(round(0.1 * i, 1) for i in range(-10, 11))  # decision points tried on the holdout
# May change when resuming. --epochs too: the linear decay then continues from the resumed step towards
# the new total (how the shipped model was trained, see its model card).
NOT_IN_STATE = ("eval_every", "save_every", "no_align_threshold", "no_tune_threshold", "dtype", "epochs",
                "max_steps")
HOLDOUT_EVAL_BATCH = 64

def model_config(args, vocab_size):
    """config.json of the trained model: a BertConfig as tools/make_fixture.py writes it."""
    return bert_config(vocab_size, args.hidden, args.text_layers + 6, args.heads, args.intermediate or 4 * args.hidden,
                       dropout=args.dropout)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- batches ------------------------------------------------------------------------------------------
def epoch_batches(n, lengths, batch, seed, epoch):
    """Shuffled batches of similar lengths (less padding): shuffle, sort chunks of 50 batches by length,
    cut, shuffle the batches. Deterministic in (seed, epoch)."""
    rng = random.Random(seed * 1000003 + epoch)
    idx = list(range(n))
    rng.shuffle(idx)
    chunk = 50 * batch
    batches = []
    for c in range(0, n, chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lengths[i])
        batches += [part[j:j + batch] for j in range(0, len(part), batch)]
    rng.shuffle(batches)
    return batches


def pairs_for(ex, types, negatives, names, canonical_share, rng):
    """[(type, name)]: every type with aligned entities + `negatives` sampled absent types, each asked
    with one of its names (`names[type]`, canonical first): the canonical one with probability
    `canonical_share`, else one of the others, uniformly."""
    gold_types = {t for t, _, _ in ex.gold}
    pos = [t for t in types if t in ex.entities]
    absent = [t for t in types if t not in gold_types]
    neg = rng.sample(absent, min(negatives, len(absent))) if negatives > 0 else absent

    def name(t):
        alts = names[t][1:]
        return names[t][0] if not alts or rng.random() < canonical_share else rng.choice(alts)
    return [(t, name(t)) for t in pos + neg]


def make_batch(exs, pair_lists, hints):
    """Tensors for the model: texts padded to the longest, one row per (text, type, name) pair;
    `hints` maps a name to its prompt's token ids."""
    s = max(len(e.ids) for e in exs)
    text_ids = torch.zeros(len(exs), s, dtype=torch.long)
    text_mask = torch.zeros(len(exs), s, dtype=torch.long)
    for i, e in enumerate(exs):
        text_ids[i, :len(e.ids)] = torch.tensor(e.ids)
        text_mask[i, :len(e.ids)] = 1
    rows = [(i, t, n) for i, pl in enumerate(pair_lists) for t, n in pl]
    m = max(len(hints[n]) for _, _, n in rows)
    hint_ids = torch.zeros(len(rows), m, dtype=torch.long)
    hint_mask = torch.zeros(len(rows), m, dtype=torch.long)
    head = torch.zeros(len(rows), s)
    tail = torch.zeros(len(rows), s)
    for r, (i, t, n) in enumerate(rows):
        h = hints[n]
        hint_ids[r, :len(h)] = torch.tensor(h)
        hint_mask[r, :len(h)] = 1
        for a, b in exs[i].entities.get(t, ()):
            head[r, a] = 1.0
            tail[r, b] = 1.0
    pair_text = torch.tensor([i for i, _, _ in rows], dtype=torch.long)
    return text_ids, text_mask, pair_text, hint_ids, hint_mask, head, tail, rows


# --- evaluation (batched, decoding exactly as the pipeline does for single-window texts) --------------
def decode(text, offsets, head, tail, threshold=0.5):
    """tools/reference/decode.get_entities on one row: [(b, e)] code-point offsets."""
    out = []
    n = len(offsets)
    for h in range(n):
        if head[h] > threshold:
            for t in range(h, n):
                if tail[t] > threshold:
                    out.append((offsets[h][0], offsets[t][1]))
                    break
    return out


@torch.no_grad()
def evaluate(model, exs, prompts, hints, thresholds=(0.5,), batch=24, bf16=False):
    """Every text asked for every type of `prompts` ({type: name}), decoded at each threshold."""
    model.eval()
    types = list(prompts)
    scorers = {th: Scorer(types) for th in thresholds}
    for c in range(0, len(exs), batch):
        part = exs[c:c + batch]
        pls = [[(t, prompts[t]) for t in types] for _ in part]
        text_ids, text_mask, pair_text, hint_ids, hint_mask, _, _, rows = make_batch(part, pls, hints)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            head, tail = model(text_ids, text_mask, pair_text, hint_ids, hint_mask)
        head, tail = head.float().tolist(), tail.float().tolist()
        for th in thresholds:
            preds = [set() for _ in part]
            for r, (i, t, _) in enumerate(rows):
                n = len(part[i].ids)
                for b, e in decode(part[i].text, part[i].offsets, head[r][:n], tail[r][:n], th):
                    preds[i].add((t, b, e - 1))
            for i, e in enumerate(part):
                scorers[th].add(e.gold, preds[i])
    model.train()
    return {th: s.report() for th, s in scorers.items()}


# --- saving -------------------------------------------------------------------------------------------
def export(model, cfg, out_dir, dtype_name):
    os.makedirs(out_dir, exist_ok=True)
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    n_bytes = sum(v.numel() * 4 for v in sd.values())
    if dtype_name == "auto":
        dtype_name = "float32" if n_bytes <= MAX_BYTES_FP32 else "float16"
    dt = {"float32": torch.float32, "float16": torch.float16}[dtype_name]
    sd = {k: v.to(dt) for k, v in sd.items()}
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "configuration.json"), "w", encoding="utf-8") as f:
        json.dump(MODELSCOPE_CONFIGURATION, f, indent=2)
        f.write("\n")
    shutil.copyfile(VOCAB, os.path.join(out_dir, "vocab.txt"))
    torch.save(sd, os.path.join(out_dir, "pytorch_model.bin"))
    return dtype_name, sum(v.numel() for v in sd.values())


def lr_at(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.path.join(REPO, "data", "cluener", "train.json"))
    ap.add_argument("--dev", default=os.path.join(REPO, "data", "cluener", "dev.json"))
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--work", required=True, help="directory for the resumable training state")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=0, help="default 4 x hidden")
    ap.add_argument("--text-layers", type=int, default=2, help="layers before the 6 cross layers")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--epochs", type=float, default=20)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke runs)")
    ap.add_argument("--batch-texts", type=int, default=32)
    ap.add_argument("--negatives", type=int, default=3, help="absent types per text and step (-1: all)")
    ap.add_argument("--no-synonyms", action="store_true",
                    help="ask every type by its canonical prompt only (default: sample cluener_data.TRAINED_NAMES)")
    ap.add_argument("--canonical-share", type=float, default=0.5,
                    help="probability that a pair is asked with its type's canonical prompt")
    ap.add_argument("--holdout", type=int, default=500,
                    help="train texts kept out of training: the periodic evaluation and the best-step choice")
    ap.add_argument("--replace-prob", type=float, default=0.0,
                    help="per epoch, each training mention is swapped for another of its type with this probability")
    ap.add_argument("--mask-prob", type=float, default=0.0,
                    help="each text token of a training row is replaced by [MASK] with this probability")
    ap.add_argument("--init-from", default="",
                    help="start from these weights (a best.pt or state.pt of an earlier run) with a fresh optimizer")
    ap.add_argument("--bf16", action="store_true",
                    help="bfloat16 autocast for the matmuls (fast with AMX or AVX512-BF16; weights stay float32)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of the steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--max-tokens", type=int, default=128, help="training text length in tokens")
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--dtype", choices=["auto", "float32", "float16"], default="auto")
    ap.add_argument("--no-align-threshold", action="store_true",
                    help="export the classifier biases as trained (see 'Threshold' above)")
    ap.add_argument("--no-tune-threshold", action="store_true",
                    help="raise the biases by 0.5 (decide at the loss's 0) instead of the holdout's best point")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_start = time.time()

    tok = BertTokenizer(VOCAB)
    types = list(TYPE_PROMPTS)
    names = {t: [p] for t, p in TYPE_PROMPTS.items()} if args.no_synonyms else TRAINED_NAMES
    all_names = {n for ns in TRAINED_NAMES.values() for n in ns} | set(HELD_OUT_NAMES.values())
    hints = {n: tok.encode(f"{n}: ", max_length=128).ids for n in sorted(all_names)}
    stats = {}
    train_records = read_jsonl(args.train)
    train = encode_examples(tok, train_records, types, args.max_tokens, stats)
    order = list(range(len(train)))
    random.Random(args.seed).shuffle(order)
    kept = sorted(order[args.holdout:])
    holdout = [train[i] for i in sorted(order[:args.holdout])]
    train = [train[i] for i in kept]
    train_records = [train_records[i] for i in kept]
    pool = mention_pool(train_records)  # the held-out texts' mentions stay unseen
    dev_stats = {}
    dev = encode_examples(tok, read_jsonl(args.dev), types, 512, dev_stats)
    log(f"train: {len(train)} texts, {stats['entities']} entities, {stats['aligned']} aligned, "
        f"{stats['misaligned']} misaligned (skipped), {stats['truncated']} truncated")
    for m, t, text in stats["misaligned_examples"][:10]:
        log(f"  misaligned {t}: {m!r} in {text!r}")
    log(f"dev: {len(dev)} texts, {dev_stats['entities']} entities, {dev_stats['misaligned']} misaligned "
        f"(unreachable for any model with this tokenizer)")
    log(f"{len(train)} texts trained on, {len(holdout)} held out of train for the periodic evaluation; "
        f"names per type: {'; '.join(t + ' ' + '/'.join(ns) for t, ns in names.items())}")

    with open(VOCAB, "rb") as f:
        vocab_size = f.read().decode("utf-8").rstrip("\n").count("\n") + 1
    cfg = model_config(args, vocab_size)
    model = SiameseUniNLU(cfg)
    if args.init_from:
        init = torch.load(args.init_from)
        model.load_state_dict(init["model"] if "model" in init else init)  # state.pt or best.pt
        log(f"initial weights from {args.init_from}")
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: hidden {cfg['hidden_size']}, layers {args.text_layers}+6, heads {cfg['num_attention_heads']}, "
        f"intermediate {cfg['intermediate_size']}, {n_params} parameters")

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith(".bias") or "LayerNorm" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.999), eps=1e-8)

    steps_per_epoch = (len(train) + args.batch_texts - 1) // args.batch_texts
    total = int(round(args.epochs * steps_per_epoch))
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = max(1, int(args.warmup * total))
    log(f"{steps_per_epoch} steps per epoch, {total} steps, warmup {warmup}, peak lr {args.lr}")

    os.makedirs(args.work, exist_ok=True)
    state_path = os.path.join(args.work, "state.pt")
    best_path = os.path.join(args.work, "best.pt")
    step, elapsed_before, best = 0, 0.0, {"f1": -1.0, "step": 0}
    if os.path.exists(state_path):
        st = torch.load(state_path)
        same = {k: v for k, v in st["args"].items() if k not in NOT_IN_STATE}
        if same != {k: v for k, v in vars(args).items() if k not in NOT_IN_STATE}:
            sys.exit(f"{state_path} was written with other arguments; remove it or use another --work")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        torch.set_rng_state(st["rng"])
        step, elapsed_before, best = st["step"], st["elapsed"], st["best"]
        log(f"resumed at step {step} (written with --epochs {st['args'].get('epochs')}, now {args.epochs}: "
            f"lr {lr_at(step, total, warmup, args.lr):.2e})")

    def save_state():
        tmp = state_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": torch.get_rng_state(),
                    "step": step, "elapsed": elapsed_before + time.time() - t_start, "best": best,
                    "args": {k: v for k, v in vars(args).items() if k not in NOT_IN_STATE}}, tmp)
        os.replace(tmp, state_path)

    def check_holdout():
        """F1 on the held-out train texts (canonical prompts, threshold 0: the loss's boundary); keeps the
        best step's weights in best.pt. True when this step is the new best."""
        rep = evaluate(model, holdout, TYPE_PROMPTS, hints, thresholds=(0.0,), batch=HOLDOUT_EVAL_BATCH,
                       bf16=args.bf16)[0.0]["micro"]
        if rep["f1"] > best["f1"]:
            best.update(f1=rep["f1"], step=step)
            torch.save(model.state_dict(), best_path)
        log(f"holdout F1 {rep['f1']:.4f} (P {rep['precision']:.4f} R {rep['recall']:.4f}); "
            f"best {best['f1']:.4f} at step {best['step']}")
        return best["step"] == step

    model.train()
    lengths = [len(e.ids) for e in train]
    loss_acc, n_acc, t_log = 0.0, 0, time.time()
    while step < total:
        epoch, in_epoch = divmod(step, steps_per_epoch)
        batches = epoch_batches(len(train), lengths, args.batch_texts, args.seed, epoch)
        rng = random.Random(args.seed * 7919 + epoch)
        epoch_train = train
        if args.replace_prob > 0:  # drawn for the whole epoch, so resuming mid-epoch matches
            aug_rng = random.Random(args.seed * 104729 + epoch)
            epoch_train = encode_examples(tok, [(no, replace_mentions(rec, pool, args.replace_prob, aug_rng))
                                                for no, rec in train_records], types, args.max_tokens, {})
        pair_lists_all = [None] * len(train)
        for bi in range(len(batches)):  # negatives drawn for the whole epoch, so resuming mid-epoch matches
            for i in batches[bi]:
                pair_lists_all[i] = pairs_for(epoch_train[i], types, args.negatives, names, args.canonical_share, rng)
        for bi in range(in_epoch, len(batches)):
            if step >= total:
                break
            exs = [epoch_train[i] for i in batches[bi]]
            pls = [pair_lists_all[i] for i in batches[bi]]
            text_ids, text_mask, pair_text, hint_ids, hint_mask, head_y, tail_y, _ = make_batch(exs, pls, hints)
            if args.mask_prob > 0:  # [CLS]/[SEP]/padding stay
                body = (text_mask == 1) & (text_ids != tok.cls_id) & (text_ids != tok.sep_id)
                text_ids = text_ids.masked_fill(body & (torch.rand(text_ids.shape) < args.mask_prob), tok.vocab["[MASK]"])
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, warmup, args.lr)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                head, tail = model(text_ids, text_mask, pair_text, hint_ids, hint_mask)
            loss = circle_loss(head.float(), head_y) + circle_loss(tail.float(), tail_y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            step += 1
            loss_acc += loss.item()
            n_acc += 1
            if step % 50 == 0 or step == total:
                el = elapsed_before + time.time() - t_start
                log(f"step {step}/{total} epoch {step / steps_per_epoch:.2f} loss {loss_acc / n_acc:.4f} "
                    f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_log) / n_acc:.2f}s/step elapsed {el / 60:.1f}min")
                loss_acc, n_acc, t_log = 0.0, 0, time.time()
            new_best = False
            if step % args.eval_every == 0 or step == total:
                new_best = check_holdout()
                t_log = time.time()
            if step % args.save_every == 0 or new_best:  # a new best at once: a resumed run knows best.pt's figure
                save_state()
    save_state()
    train_min = (elapsed_before + time.time() - t_start) / 60
    log(f"training done: {step} steps in {train_min:.1f} min")
    if best["step"] != step:
        model.load_state_dict(torch.load(best_path))
        log(f"exporting step {best['step']}, the best on the held-out texts (F1 {best['f1']:.4f})")

    model.eval()
    decide_at = 0.0
    if not args.no_align_threshold and not args.no_tune_threshold:
        by_t = evaluate(model, holdout, TYPE_PROMPTS, hints, thresholds=THRESHOLD_GRID, batch=HOLDOUT_EVAL_BATCH)
        f1 = {t: round(r["micro"]["f1"], 4) for t, r in by_t.items()}
        decide_at = max(THRESHOLD_GRID, key=lambda t: (f1[t], -abs(t)))
        log("holdout F1 by decision point: " + ", ".join(f"{t:+.1f} {f1[t]:.4f}" for t in THRESHOLD_GRID))
    shift = 0.0 if args.no_align_threshold else round(THRESHOLD - decide_at, 1)
    with torch.no_grad():
        model.head_clsf.bias += shift
        model.tail_clsf.bias += shift
    log(f"classifier biases raised by {shift}: the pipeline's {THRESHOLD} is the trained logits' {THRESHOLD - shift:+.1f}")
    dtype_name, n = export(model, cfg, args.out, args.dtype)
    size = os.path.getsize(os.path.join(args.out, "pytorch_model.bin"))
    log(f"wrote {args.out}: {n} parameters, {dtype_name}, pytorch_model.bin {size} bytes")
    rep = evaluate(model, dev, TYPE_PROMPTS, hints, thresholds=(THRESHOLD, THRESHOLD + shift))
    log(f"full dev, decoded at {THRESHOLD} (as the pipeline):\n" + format_table(rep[THRESHOLD], TYPE_PROMPTS))
    if shift:
        log(f"full dev F1 without the bias shift (decoding the trained logits at {THRESHOLD}): "
            f"{rep[THRESHOLD + shift]['micro']['f1']:.4f}")
    by_name_set = {}
    for set_name, prompts in name_sets().items():
        r = rep[THRESHOLD] if set_name == "canonical" else evaluate(model, dev, prompts, hints)[THRESHOLD]
        by_name_set[set_name] = r
        log(f"full dev, {set_name} names ({', '.join(prompts.values())}): F1 {r['micro']['f1']:.4f}")
    summary = {"steps": step, "exported_step": best["step"], "holdout_f1": best["f1"],
               "train_minutes": round(train_min, 1), "threads": args.threads, "seed": args.seed,
               "params": n, "dtype": dtype_name, "bin_bytes": size, "bias_shift": shift, "decide_at": decide_at,
               "dev": rep[THRESHOLD], "dev_f1_unshifted": rep[THRESHOLD + shift]["micro"]["f1"],
               "dev_by_name_set": by_name_set,
               "train_entities": stats["entities"], "train_misaligned": stats["misaligned"],
               "dev_misaligned": dev_stats["misaligned"], "args": vars(args)}
    with open(os.path.join(args.work, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
