"""Other ways of reading a reply, compared with the shipped one on the inner split.

- ``reply``: the shipped reader. The encoder reads the reply alone; the disclosure enters the heads
  as its own embedding.
- ``pair``: the encoder reads ``[CLS] reply [SEP] disclosure [SEP]`` (the reply first, so clause
  positions are unchanged; pooling over the reply's tokens only), so every reply token can attend to
  the disclosure.
- ``attention``: the shipped reader plus a label-wise attention over the reply's tokens: each label
  learns which words to look at ("though", "again", "at least") instead of averaging them away, and
  its logit is added to the shipped one.

Every reader is fine-tuned the same way on the inner split of ``bench/hyperparams.py`` (the held-out
disclosures are never read) and scored the same way: the trained forward pass, best threshold per
label, defensiveness times the written "implicated" flag, premature advice times "not asked for".

    python bench/readers.py                  # all readers (about 20 minutes on 2 cores)
    python bench/readers.py reply attention  # some
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import listening.finetune as finetune  # noqa: E402
from listening.encoder import DIM, Encoder  # noqa: E402
from listening.features import Featurizer  # noqa: E402
from listening.finetune import FineTuneConfig, Trainee, build_items  # noqa: E402
from listening.labels import LABELS  # noqa: E402
from listening.lora import add_adapters, load_adapter_state  # noqa: E402
from listening.metrics import per_label  # noqa: E402
from listening.model import ADVICE, GATED, best_thresholds  # noqa: E402
from listening.parse import Parser  # noqa: E402
from listening.train import fit_once, segment_targets  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from hyperparams import inner_split, say  # noqa: E402

DISCLOSURE_TOKENS = 96


class PairTrainee(Trainee):
    """The training forward pass with the disclosure's tokens after the reply's."""

    disclosure_ids: list[list[int]] = []  # by row of the disclosure table, set before each fit

    def encode(self, items):
        width = max(len(i.ids) + len(self.disclosure_ids[i.disclosure]) for i in items) + 3
        ids = torch.full((len(items), width), self.pad, dtype=torch.long)
        types = torch.zeros((len(items), width), dtype=torch.long)
        mask = torch.zeros((len(items), width))
        reply_mask = torch.zeros((len(items), width))
        for row, item in enumerate(items):
            first = [self.cls, *item.ids, self.sep]
            second = [*self.disclosure_ids[item.disclosure], self.sep]
            ids[row, :len(first) + len(second)] = torch.tensor(first + second)
            types[row, len(first):len(first) + len(second)] = 1
            mask[row, :len(first) + len(second)] = 1
            reply_mask[row, :len(first)] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self.encoder(input_ids=ids, attention_mask=mask.long(), token_type_ids=types).last_hidden_state
        return hidden.float(), reply_mask


class LabelAttention(torch.nn.Module):
    """Per label: attention weights over the reply's tokens, then a logit from the weighted states."""

    def __init__(self, dim: int, labels: int):
        super().__init__()
        self.score = torch.nn.Linear(dim, labels)
        self.weight = torch.nn.Parameter(torch.zeros(labels, dim))  # starts silent: the shipped logits
        self.bias = torch.nn.Parameter(torch.zeros(labels))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.score(hidden).masked_fill(mask[..., None] == 0, -1e4)  # (batch, tokens, labels)
        pooled = torch.einsum("btl,btd->bld", scores.softmax(dim=1), hidden)
        return (pooled * self.weight).sum(-1) + self.bias


class LabelAttentionTrainee(Trainee):
    """The shipped forward pass, its reply logits plus a label-wise attention's."""

    def __setattr__(self, name, value):
        # the attention travels with the reply head, so fine_tune's optimiser and the saved model carry it
        if name == "reply_head" and value.mean.shape[0] > 1 and not hasattr(value, "label_attention"):
            value.label_attention = LabelAttention(DIM, len(LABELS))
        super().__setattr__(name, value)

    def forward(self, items):
        hidden, mask = self.encode(items)
        self._states = (hidden, mask)
        reply_logits, segment_logits = super().forward(items)
        return reply_logits + self.reply_head.label_attention(hidden, mask), segment_logits

    def encode(self, items):
        if getattr(self, "_states", None) is not None:  # the states forward() already computed
            states, self._states = self._states, None
            return states
        return super().encode(items)


READERS = {"reply": Trainee, "pair": PairTrainee, "attention": LabelAttentionTrainee}


def scored(model_parts, reader: str, library, score, parser, base: Encoder) -> np.ndarray:
    """Probabilities for the score split from the trained forward pass of this reader."""
    adapter, reply_head, segment_head, context_head, config = model_parts
    encoder = Encoder(base.precision)
    add_adapters(encoder.model, config.rank, config.alpha)
    load_adapter_state(encoder.model, adapter)
    featurizer = Featurizer(parser, base, context_head)
    groups = sorted({e.group for e in score})
    implicated = {g: float(library[g].implicates_listener) for g in groups}
    asks = {g: float(library[g].asks_advice) for g in groups}
    items, d_vectors, d_cues = build_items(score, featurizer, segment_targets, implicated, asks)
    if reader == "pair":
        PairTrainee.disclosure_ids = disclosure_token_ids(encoder, score)
    trainee = READERS[reader](encoder, reply_head, segment_head, d_vectors, d_cues)
    trainee.eval()
    out = []
    with torch.no_grad():
        for lo in range(0, len(items), 64):
            logits, _ = trainee(items[lo:lo + 64])
            out.append(torch.sigmoid(logits).numpy())
    p = np.concatenate(out)
    p[:, GATED] *= np.array([[implicated[e.group]] for e in score])
    p[:, ADVICE] *= 1.0 - np.array([asks[e.group] for e in score])
    return p


def disclosure_token_ids(encoder: Encoder, examples) -> list[list[int]]:
    """Token ids of each disclosure, in the order ``build_items`` gives the disclosure table."""
    texts = sorted({e.disclosure for e in examples})
    return encoder.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=DISCLOSURE_TOKENS,
                             verbose=False)["input_ids"]


def run(reader: str, library, fit, score, parser) -> dict[str, float]:
    torch.manual_seed(13)
    config = FineTuneConfig()
    base = Encoder()
    if reader == "pair":
        PairTrainee.disclosure_ids = disclosure_token_ids(base, fit)
    finetune.Trainee = READERS[reader]
    try:
        model = fit_once(fit, library, config, parser, base, lambda _: None)
    finally:
        finetune.Trainee = Trainee
    p = scored((model.adapter, model.reply_head, model.segment_head, model.context_head, config), reader,
               library, score, parser, base)
    y = np.array([[int(label in e.labels) for label in LABELS] for e in score], np.float32)
    chosen = (p >= best_thresholds(p, y)).astype(int)
    return {label: figures["f1"] for label, figures in per_label(y, chosen).items()}


def main(readers: list[str]) -> None:
    library, fit, score = inner_split()
    parser = Parser()
    say(f"inner split: {len(fit)} replies to fit, {len(score)} to score; best-threshold F1")
    say(f"{'reader':8} {'macro':>6} " + " ".join(f"{label[:8]:>8}" for label in LABELS))
    for reader in readers:
        started = time.time()
        figures = run(reader, library, fit, score, parser)
        say(f"{reader:8} {np.mean(list(figures.values())):6.3f} " + " ".join(f"{figures[label]:8.3f}" for label in LABELS)
            + f"  ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:] or list(READERS))
