"""Independent Python/PyTorch reference of ModelScope's SiameseUniNLU pipeline (see docs/reference.md).

Modules: tokenizer (BertTokenizerFast semantics, pure Python), model (BERT from torch ops),
decode (window merge + span decoding), pipeline (SiameseUiePipeline with stage capture),
selftest (runnable self-checks)."""
