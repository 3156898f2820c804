"""The trained part of the engine: two small heads, their calibration and thresholds.

The reply head scores the eight labels for the whole reply; the segment head
scores each sentence or clause, so evidence points at the words that carry a
label. The encoder's low-rank adapter, per-label Platt calibration and
decision thresholds (chosen on held-out disclosures) are saved with the heads
in one safetensors file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from listening.labels import ACKNOWLEDGING, LABELS, NEEDS_IMPLICATED, UNLESS_ASKED

GATED = [LABELS.index(label) for label in NEEDS_IMPLICATED]
ADVICE = LABELS.index(UNLESS_ASKED)
ACK = [LABELS.index(label) for label in ACKNOWLEDGING]
ABSENT = -10.0  # the segment logit of a label no segment carries
SEGMENT_LOGIT_SCALE = 4.0  # the reply head reads segment logits divided by this, not standardised


def acknowledged_first(segment_z: np.ndarray, owner: np.ndarray, replies: int) -> np.ndarray:
    """Per reply, P(the feeling was acknowledged before the suggestion): the strongest acknowledging
    segment that comes before the segment most likely to be the suggestion (0 when none does)."""
    out = np.zeros(replies, np.float32)
    ack = 1.0 / (1.0 + np.exp(-segment_z[:, ACK].max(1))) if len(owner) else np.zeros(0, np.float32)
    starts = np.searchsorted(owner, np.arange(replies))
    ends = np.searchsorted(owner, np.arange(replies), side="right")
    for reply, (lo, hi) in enumerate(zip(starts, ends)):
        if hi - lo > 1:
            advice_at = lo + int(np.argmax(segment_z[lo:hi, ADVICE]))
            out[reply] = ack[lo:advice_at].max() if advice_at > lo else 0.0
    return out


def strongest_segments(segment_z: np.ndarray, owner: np.ndarray, replies: int) -> np.ndarray:
    """Per reply and label, the highest segment logit: does any one sentence or clause carry it?"""
    out = np.full((replies, len(LABELS)), ABSENT, np.float32)
    if len(owner):
        np.maximum.at(out, owner, segment_z)
    return out

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
WEIGHTS = "listening-head.safetensors"


class Head(torch.nn.Module):
    """Standardise, one hidden layer, one logit per label."""

    def __init__(self, width: int, hidden: int = 256, dropout: float = 0.2, outputs: int = len(LABELS)):
        super().__init__()
        self.register_buffer("mean", torch.zeros(width))
        self.register_buffer("scale", torch.ones(width))
        self.net = torch.nn.Sequential(
            torch.nn.Dropout(dropout),
            torch.nn.Linear(width, hidden),
            torch.nn.GELU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(hidden, outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.scale)

    def fit_scaler(self, x: np.ndarray) -> None:
        self.mean.copy_(torch.from_numpy(x.mean(0)))
        self.scale.copy_(torch.from_numpy(np.maximum(x.std(0), 1e-3)))


def logits(head: Head, x: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return head(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy()


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_platt(z: np.ndarray, y: np.ndarray, steps: int = 500,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-label a, b such that sigmoid(a*z + b) is calibrated on (z, y), rows weighted by ``weights``."""
    zt, yt = torch.from_numpy(z.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
    a = torch.ones(z.shape[1], requires_grad=True)
    b = torch.zeros(z.shape[1], requires_grad=True)
    optimiser = torch.optim.LBFGS([a, b], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")
    w = None if weights is None else torch.from_numpy(np.asarray(weights, np.float32) / np.mean(weights))[:, None]
    loss_fn = torch.nn.BCEWithLogitsLoss(weight=w)

    def closure():
        optimiser.zero_grad()
        # a light pull towards the identity keeps separable folds from running to infinity
        loss = loss_fn(zt * a + b, yt) + 1e-3 * (((a - 1) ** 2).sum() + (b ** 2).sum())
        loss.backward()
        return loss

    optimiser.step(closure)
    return a.detach().numpy(), b.detach().numpy()


def best_thresholds(p: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per label, the probability cut that maximises F1, rows weighted by ``weights`` (ties: the cut nearer 0.5)."""
    grid = np.round(np.arange(0.10, 0.91, 0.01), 2)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, np.float64)
    cuts = []
    for j in range(p.shape[1]):
        scores = []
        truth = w * (y[:, j] == 1)
        for t in grid:
            pred = p[:, j] >= t
            tp = float(truth[pred].sum())
            f1 = 2 * tp / max(float(w[pred].sum() + truth.sum()), 1e-9)
            scores.append((round(f1, 4), -abs(t - 0.5), t))
        cuts.append(max(scores)[2])
    return np.array(cuts, np.float32)


@dataclass
class ListeningModel:
    """The reply head, the segment head, calibration and thresholds, saved together."""

    reply_head: Head
    segment_head: Head
    platt_a: np.ndarray
    platt_b: np.ndarray
    thresholds: np.ndarray
    context_head: Head | None = None
    adapter: dict[str, torch.Tensor] | None = None
    rank: int = 8
    alpha: float = 16.0
    segment_threshold: float = 0.5
    advice_gate: bool = False  # trained with premature_advice learned only where advice was not asked for
    meta: dict = field(default_factory=dict)

    def segment_logits(self, segment: np.ndarray) -> np.ndarray:
        if not len(segment):
            return np.zeros((0, len(LABELS)), np.float32)
        return logits(self.segment_head, segment)

    def reply_logits(self, reply: np.ndarray, segment_z: np.ndarray, owner: np.ndarray,
                     context: np.ndarray) -> np.ndarray:
        """Uncalibrated logits: a label is as strong as the reply head or its strongest segment says.

        The reply head reads the whole reply (and the segment logits); the segment head reads each
        sentence or clause, so advice between a kind opening and an open question is not averaged
        away. Both learn defensiveness only from disclosures that implicate the listener, so their
        score means "defensive, if they were implicated"; times P(implicated) it is the whole answer.
        """
        strongest = strongest_segments(segment_z, owner, len(reply))
        z = logits(self.reply_head, np.concatenate([reply, strongest], axis=1))
        z = np.maximum(z, strongest)
        if GATED:
            gated = sigmoid(z[:, GATED]) * context[:, :1]
            z[:, GATED] = np.log(np.clip(gated, 1e-6, 1 - 1e-6) / np.clip(1 - gated, 1e-6, 1))
        if self.advice_gate:  # "a suggestion" times "not (asked for and acknowledged first)"
            kept = 1.0 - context[:, 1] * acknowledged_first(segment_z, owner, len(reply))
            gated = sigmoid(z[:, ADVICE]) * kept
            z[:, ADVICE] = np.log(np.clip(gated, 1e-6, 1 - 1e-6) / np.clip(1 - gated, 1e-6, 1))
        return z

    def predict(self, reply: np.ndarray, segment: np.ndarray, owner: np.ndarray,
                context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated reply scores (n, 8) and segment scores (n_segments, 8), in LABELS order."""
        segment_z = self.segment_logits(segment)
        reply_z = self.reply_logits(reply, segment_z, owner, context)
        return sigmoid(reply_z * self.platt_a + self.platt_b), sigmoid(segment_z)

    def save(self, directory: Path = MODEL_DIR) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {f"reply.{k}": v.contiguous() for k, v in self.reply_head.state_dict().items()}
        tensors |= {f"segment.{k}": v.contiguous() for k, v in self.segment_head.state_dict().items()}
        if self.context_head is not None:
            tensors |= {f"context.{k}": v.contiguous() for k, v in self.context_head.state_dict().items()}
        tensors["platt_a"] = torch.from_numpy(self.platt_a.astype(np.float32))
        tensors["platt_b"] = torch.from_numpy(self.platt_b.astype(np.float32))
        tensors["thresholds"] = torch.from_numpy(self.thresholds.astype(np.float32))
        tensors |= {f"adapter.{k}": v.contiguous() for k, v in (self.adapter or {}).items()}
        metadata = {
            "labels": json.dumps(list(LABELS)),
            "segment_threshold": str(self.segment_threshold),
            "reply_hidden": str(self.reply_head.net[1].out_features),
            "segment_hidden": str(self.segment_head.net[1].out_features),
            "rank": str(self.rank),
            "alpha": str(self.alpha),
            "advice_gate": str(int(self.advice_gate)),
            "meta": json.dumps(self.meta),
        }
        path = directory / WEIGHTS
        save_file(tensors, str(path), metadata=metadata)
        return path

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> "ListeningModel":
        path = Path(directory) / WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"No trained model at {path}; run `python -m listening train` first.")
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
        if json.loads(metadata["labels"]) != list(LABELS):
            raise ValueError(f"{path} was trained for other labels; retrain it.")
        tensors = load_file(str(path))
        heads = {}
        for name in ("reply", "segment", "context"):
            state = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}
            if not state:
                heads[name] = None
                continue
            hidden, outputs = state["net.1.weight"].shape[0], state["net.4.weight"].shape[0]
            head = Head(state["mean"].shape[0], hidden, outputs=outputs)
            head.load_state_dict(state)
            heads[name] = head.eval()
        return cls(
            reply_head=heads["reply"],
            segment_head=heads["segment"],
            context_head=heads["context"],
            platt_a=tensors["platt_a"].numpy(),
            platt_b=tensors["platt_b"].numpy(),
            thresholds=tensors["thresholds"].numpy(),
            adapter={k[len("adapter."):]: v for k, v in tensors.items() if k.startswith("adapter.")} or None,
            rank=int(metadata.get("rank", 8)),
            alpha=float(metadata.get("alpha", 16.0)),
            segment_threshold=float(metadata["segment_threshold"]),
            advice_gate=metadata.get("advice_gate", "0") == "1",
            meta=json.loads(metadata["meta"]),
        )
