"""Fine-tuning: low-rank adapters on the encoder and both heads, trained together.

The loss is the reply head's multi-label cross-entropy plus the segment
head's, so the encoder learns both what a reply does and where it does it.
Feature layout comes from ``features`` and pooling matches ``Encoder.encode``,
so what is trained here is exactly what the coach runs.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from listening.corpus import Example
from listening.encoder import WINDOW, Encoder, span_tokens
from listening.features import N_SEG, Featurizer, reply_vector, segment_place, segment_vector
from listening.labels import LABELS
from listening.lora import adapter_state, add_adapters
from listening.model import ABSENT, ADVICE, GATED, SEGMENT_LOGIT_SCALE, Head

Log = Callable[[str], None]


@dataclass
class FineTuneConfig:
    rank: int = 16  # chosen without the held-out set: bench/hyperparams.py (figures in the README)
    alpha: float = 32.0
    epochs: int = 5
    batch_size: int = 32
    lr_adapter: float = 1e-3
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    hidden: int = 256
    dropout: float = 0.2
    segment_weight: float = 0.5
    aimed_weight: float = 1.0  # loss weight of replies from the rounds aimed at a few labels (train.AIMED_ROUNDS)
    seed: int = 13


@dataclass
class Item:
    """One reply, ready for the training loop."""

    ids: list[int]
    segments: list[list[int]]  # token positions (within ids) of each segment
    cues: np.ndarray  # (n_segments, N_SEG)
    disclosure: int  # row in the disclosure table
    y: np.ndarray  # (labels,)
    segment_y: np.ndarray  # (n_segments, labels)
    implicated: float  # 1 when the disclosure implicates the listener: only then are gated labels learned
    asks_advice: float = 0.0  # 1 when the disclosure asks for advice: premature_advice is then not learned
    weight: float = 1.0  # the reply's share in the loss


def build_items(examples: Sequence[Example], featurizer: Featurizer, segment_targets,
                implicated: dict[str, float], asks_advice: dict[str, float] | None = None,
                weights: Sequence[float] | None = None) -> tuple[list[Item], np.ndarray, np.ndarray]:
    """Training items; ``implicated`` maps a disclosure group to its flag (rows of other groups: from labels);
    ``asks_advice`` likewise (rows of other groups: 0); ``weights``: each reply's loss weight (default 1)."""
    asks_advice = asks_advice or {}
    weights = [1.0] * len(examples) if weights is None else list(weights)
    parser, encoder = featurizer.parser, featurizer.encoder
    disclosures = sorted({e.disclosure for e in examples})
    table = featurizer.disclosure(disclosures)
    d_vectors = np.stack([v for v, _ in table])
    d_cues = np.stack([c for _, c in table])
    where = {d: i for i, d in enumerate(disclosures)}
    docs = parser.docs([e.reply for e in examples])
    tokenized = encoder.tokenizer([e.reply for e in examples], add_special_tokens=False,
                                  return_offsets_mapping=True, verbose=False)
    items = []
    for example, weight, doc, ids, offsets in zip(examples, weights, docs, tokenized["input_ids"],
                                                  tokenized["offset_mapping"]):
        ids, offsets = ids[:WINDOW - 2], offsets[:WINDOW - 2]
        segments = parser.segments(doc)
        positions = []
        for s in segments:
            inside = span_tokens(offsets, s.start, s.end)
            positions.append(inside or list(range(len(ids))) or [0])
        items.append(Item(
            ids=ids, segments=positions, cues=parser.segment_cues(doc, segments), disclosure=where[example.disclosure],
            y=np.array([int(l in example.labels) for l in LABELS], np.float32),
            segment_y=segment_targets(example, segments),
            implicated=implicated.get(example.group, float("defensiveness" in example.labels)),
            asks_advice=asks_advice.get(example.group, 0.0),
            weight=float(weight),
        ))
    return items, d_vectors, d_cues


class Trainee(torch.nn.Module):
    """Encoder with adapters plus the two heads: the forward pass of training."""

    def __init__(self, encoder: Encoder, reply_head: Head, segment_head: Head, d_vectors, d_cues):
        super().__init__()
        self.encoder = encoder.model
        self.cls, self.sep, self.pad = encoder.cls_id, encoder.sep_id, encoder.pad_id
        self.bf16 = encoder.precision == "bf16"
        self.reply_head, self.segment_head = reply_head, segment_head
        self.d_vectors = torch.from_numpy(d_vectors)
        self.d_cues = torch.from_numpy(d_cues)

    def encode(self, items: Sequence[Item]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token states (batch, width, dim) of ``[CLS] reply [SEP]``, and the mask of the reply's positions."""
        width = max(len(i.ids) for i in items) + 2
        ids = torch.full((len(items), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(items), width))
        for row, item in enumerate(items):
            seq = [self.cls, *item.ids, self.sep]
            ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self.encoder(input_ids=ids, attention_mask=mask.long()).last_hidden_state
        return hidden.float(), mask

    def inputs(self, items: Sequence[Item]):
        hidden, mask = self.encode(items)
        width = hidden.shape[1]
        reply = F.normalize((hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), dim=-1)
        pool_rows, pool_cols, pool_vals, owner, places, cues = [], [], [], [], [], []
        for row, item in enumerate(items):
            for position, tokens in enumerate(item.segments):
                index = len(owner)
                pool_rows += [index] * len(tokens)
                pool_cols += [row * width + 1 + t for t in tokens]
                pool_vals += [1.0 / len(tokens)] * len(tokens)
                owner.append(row)
                places.append(segment_place(position, len(item.segments)))
            cues.append(item.cues)
        pool = torch.zeros((len(owner), len(items) * width))
        pool[torch.tensor(pool_rows, dtype=torch.long), torch.tensor(pool_cols, dtype=torch.long)] = torch.tensor(pool_vals)
        segment = F.normalize(pool @ hidden.reshape(-1, hidden.shape[-1]), dim=-1)
        owner_t = torch.tensor(owner)
        d_index = torch.tensor([i.disclosure for i in items])
        d_vec, d_cue = self.d_vectors[d_index], self.d_cues[d_index]
        cue_max = torch.from_numpy(np.stack([c.max(0) if len(c) else np.zeros(N_SEG, np.float32) for c in cues]))
        cue_mean = torch.from_numpy(np.stack([c.mean(0) if len(c) else np.zeros(N_SEG, np.float32) for c in cues]))
        n_segments = torch.tensor([[np.log1p(len(i.segments))] for i in items], dtype=torch.float32)
        reply_x = reply_vector(reply, d_vec, cue_max, cue_mean, d_cue, n_segments)
        all_cues = torch.from_numpy(np.concatenate(cues)) if owner else torch.zeros((0, N_SEG))
        segment_x = segment_vector(segment, reply[owner_t], d_vec[owner_t], all_cues, d_cue[owner_t],
                                   torch.tensor(places, dtype=torch.float32).reshape(-1, 3))
        return reply_x, segment_x, owner_t

    def forward(self, items: Sequence[Item]):
        reply_x, segment_x, owner = self.inputs(items)
        segment_z = self.segment_head(segment_x)
        strongest = torch.full((len(items), segment_z.shape[1]), ABSENT).scatter_reduce(
            0, owner[:, None].expand(-1, segment_z.shape[1]), segment_z, reduce="amax", include_self=True)
        return self.reply_head(torch.cat([reply_x, strongest], dim=1)), segment_z


def fine_tune(items: list[Item], d_vectors: np.ndarray, d_cues: np.ndarray, config: FineTuneConfig,
              precision: str | None = None, log: Log = lambda _: None) -> tuple[dict, Head, Head]:
    """Train adapters and heads; returns (adapter tensors, reply head, segment head)."""
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    encoder = Encoder(precision)
    add_adapters(encoder.model, config.rank, config.alpha)
    trainee = Trainee(encoder, Head(1, 1), Head(1, 1), d_vectors, d_cues)
    with torch.no_grad():  # adapters start as the identity: fit the input scalers on base features
        xs = [trainee.inputs(items[lo:lo + 128]) for lo in range(0, len(items), 128)]
    probe_reply = torch.cat([x[0] for x in xs]).numpy()
    probe_segment = torch.cat([x[1] for x in xs]).numpy()
    n = len(LABELS)
    reply_head = Head(probe_reply.shape[1] + n, config.hidden, config.dropout)
    segment_head = Head(probe_segment.shape[1], config.hidden, config.dropout)
    reply_head.fit_scaler(np.concatenate([probe_reply, np.zeros((len(probe_reply), n), np.float32)], axis=1))
    with torch.no_grad():  # the strongest-segment logits are read as they are, only scaled
        reply_head.mean[-n:] = 0.0
        reply_head.scale[-n:] = SEGMENT_LOGIT_SCALE
    segment_head.fit_scaler(probe_segment)
    trainee.reply_head, trainee.segment_head = reply_head, segment_head

    y = np.stack([i.y for i in items])
    w = np.array([i.weight for i in items], np.float32)
    positives = w @ y
    pos_weight = torch.from_numpy(np.sqrt(np.clip((w.sum() - positives) / np.maximum(positives, 1), 1, 4)))
    adapters = [p for n, p in encoder.model.named_parameters() if p.requires_grad]
    heads = list(reply_head.parameters()) + list(segment_head.parameters())
    optimiser = torch.optim.AdamW([{"params": adapters, "lr": config.lr_adapter},
                                   {"params": heads, "lr": config.lr_head}], weight_decay=config.weight_decay)
    steps = config.epochs * ((len(items) + config.batch_size - 1) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[config.lr_adapter, config.lr_head],
                                                   total_steps=steps, pct_start=0.1)
    trainee.train()
    started = time.time()
    for epoch in range(config.epochs):
        order = list(range(len(items)))
        rng.shuffle(order)
        total = 0.0
        for lo in range(0, len(order), config.batch_size):
            batch = [items[i] for i in order[lo:lo + config.batch_size]]
            reply_logits, segment_logits = trainee(batch)
            target = torch.from_numpy(np.stack([i.y for i in batch]))
            segment_target = torch.from_numpy(np.concatenate([i.segment_y for i in batch]))
            mask = torch.ones_like(target)
            mask[:, GATED] = torch.tensor([[i.implicated] for i in batch])  # learned only where it can exist
            mask[:, ADVICE] = torch.tensor([1.0 - i.asks_advice for i in batch])  # "is there a suggestion"
            segment_mask = torch.ones_like(segment_target)
            segment_mask[:, GATED] = torch.tensor([[i.implicated] for i in batch for _ in i.segments])
            segment_mask[:, ADVICE] = torch.tensor([1.0 - i.asks_advice for i in batch for _ in i.segments])
            mask = mask * torch.tensor([[i.weight] for i in batch])
            segment_mask = segment_mask * torch.tensor([[i.weight] for i in batch for _ in i.segments])
            loss = (F.binary_cross_entropy_with_logits(reply_logits, target, pos_weight=pos_weight, reduction="none")
                    * mask).sum() / mask.sum().clamp_min(1e-6)
            loss = loss + config.segment_weight * (F.binary_cross_entropy_with_logits(
                segment_logits, segment_target, reduction="none") * segment_mask).sum() / segment_mask.sum().clamp_min(1e-6)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        log(f"  epoch {epoch + 1}/{config.epochs}: loss {total / len(items):.4f} ({time.time() - started:.0f} s)")
    trainee.eval()
    reply_head.eval()
    segment_head.eval()
    return adapter_state(encoder.model), reply_head, segment_head
