"""A trainable SiameseUniNLU (ModelScope SiameseUieModel) as torch.nn modules whose state_dict() has
exactly the checkpoint's key names:
  plm.embeddings.{word,position,token_type}_embeddings.weight, plm.embeddings.LayerNorm.*
  plm.encoder.layer.{0..L-7}.*            the text layers
  crossattention.layer.{0..5}.*           the cross layers
  head_clsf.*, tail_clsf.*
The math is ModelScope's BERT backbone (post-LN, exact erf GELU, additive finfo.min mask) with BERT's
dropout in training mode; in eval mode it computes what tools/reference/model.py computes.

The training forward follows SiameseUieModel.forward with one deliberate difference: the hint position
offset is each text's own token count (the pipeline's offset for a single-window text, where the text
tensor is [1, n]), not the padded batch length, so training sees the positions inference will use.
"""
import math

import torch
from torch import nn

CROSS_LAYERS = 6


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], h, padding_idx=cfg.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])

    def forward(self, ids, token_type, positions):
        x = self.word_embeddings(ids) + self.token_type_embeddings(token_type)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.heads = cfg["num_attention_heads"]
        self.head_dim = h // self.heads
        self.dropout = nn.Dropout(cfg["attention_probs_dropout_prob"])

    def forward(self, x, add_mask):
        b, s, h = x.shape

        def split(t):
            return t.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + add_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, h)


class DenseLN(nn.Module):
    """dense -> dropout -> LayerNorm(. + residual): BertSelfOutput / BertOutput."""

    def __init__(self, cfg, d_in):
        super().__init__()
        h = cfg["hidden_size"]
        self.dense = nn.Linear(d_in, h)
        self.LayerNorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = SelfAttention(cfg)
        self.output = DenseLN(cfg, cfg["hidden_size"])


class Intermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = Attention(cfg)
        self.intermediate = Intermediate(cfg)
        self.output = DenseLN(cfg, cfg["intermediate_size"])

    def forward(self, x, add_mask):
        a = self.attention.output(self.attention.self(x, add_mask), x)
        inter = torch.nn.functional.gelu(self.intermediate.dense(a))
        return self.output(inter, a)


class Encoder(nn.Module):
    def __init__(self, cfg, n):
        super().__init__()
        self.layer = nn.ModuleList([Layer(cfg) for _ in range(n)])

    def forward(self, x, mask):
        add = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layer:
            x = layer(x, add)
        return x


class Plm(nn.Module):
    def __init__(self, cfg, n_text):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg, n_text)


class SiameseUniNLU(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        n_text = cfg["num_hidden_layers"] - CROSS_LAYERS
        if n_text < 1:
            raise ValueError("num_hidden_layers must be > 6 (text layers + 6 cross layers)")
        self.cfg = cfg
        self.plm = Plm(cfg, n_text)
        self.crossattention = Encoder(cfg, CROSS_LAYERS)
        self.head_clsf = nn.Linear(cfg["hidden_size"], 1)
        self.tail_clsf = nn.Linear(cfg["hidden_size"], 1)
        self.init_weights(cfg["initializer_range"])

    def init_weights(self, std):
        """BertPreTrainedModel._init_weights: N(0, std) for Linear/Embedding, zero biases, LN = (1, 0)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.weight.data.normal_(0.0, std)
                m.bias.data.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.data.normal_(0.0, std)
                if m.padding_idx is not None:
                    m.weight.data[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.data.fill_(1.0)
                m.bias.data.zero_()

    def text_stage(self, ids, mask):
        b, s = ids.shape
        pos = torch.arange(s).expand(b, s)
        return self.plm.encoder(self.plm.embeddings(ids, torch.zeros_like(ids), pos), mask)

    def hint_stage(self, hint_ids, hint_mask, offsets):
        """offsets: LongTensor [P], the position offset of each row (its text's token count)."""
        p, m = hint_ids.shape
        pos = torch.arange(m)[None, :] + offsets[:, None]
        return self.plm.encoder(self.plm.embeddings(hint_ids, torch.ones_like(hint_ids), pos), hint_mask)

    def forward(self, text_ids, text_mask, pair_text, hint_ids, hint_mask):
        """text_ids/text_mask [B, S]; pair_text [P] (row -> text index); hint_ids/hint_mask [P, M].
        Returns head, tail logits [P, S] with -10000 added at text padding (as fast_inference does)."""
        text_states = self.text_stage(text_ids, text_mask)
        lengths = text_mask.sum(dim=1)
        hint_states = self.hint_stage(hint_ids, hint_mask, lengths[pair_text])
        s = text_ids.shape[1]
        x = torch.cat([text_states[pair_text], hint_states], dim=1)
        m = torch.cat([text_mask[pair_text], hint_mask], dim=1)
        x = self.crossattention(x, m)[:, :s, :]
        pad = (1 - text_mask[pair_text]).to(x.dtype) * -10000.0
        return self.head_clsf(x).squeeze(-1) + pad, self.tail_clsf(x).squeeze(-1) + pad


def circle_loss(y_pred, y_true):
    """ModelScope SiameseUieModel.circle_loss (multilabel categorical cross-entropy), rows = prompts."""
    batch_size = y_true.size(0)
    y_true = y_true.view(batch_size, -1)
    y_pred = y_pred.view(batch_size, -1)
    y_pred = (1 - 2 * y_true) * y_pred
    y_pred_neg = y_pred - y_true * 1e12
    y_pred_pos = y_pred - (1 - y_true) * 1e12
    zeros = torch.zeros_like(y_pred[:, :1])
    y_pred_neg = torch.cat([y_pred_neg, zeros], dim=-1)
    y_pred_pos = torch.cat([y_pred_pos, zeros], dim=-1)
    neg_loss = torch.logsumexp(y_pred_neg, dim=-1)
    pos_loss = torch.logsumexp(y_pred_pos, dim=-1)
    return (neg_loss + pos_loss).mean()
