"""What the disclosure asks of the listener: are they implicated, is advice asked for?

Two facts that flip labels (defensiveness exists only when the listener is
implicated; advice is premature unless it was asked for). A small head reads
them from the disclosure's base embedding and cues. It learns from the
exercise library's flags and from a separate set of labelled disclosures, so
it sees far more disclosures than the reply corpus has.

For an exercise of the library the two facts are not guessed: its author
wrote them down, and ``authored_context`` hands them to the featurizer,
which uses them in place of the head's reading of that disclosure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from listening.model import Head, logits, sigmoid

CONTEXT = ("implicates_listener", "asks_advice")
CONTEXT_DIR = Path(__file__).resolve().parent.parent / "models" / "context"


def load_disclosures(directory: Path = CONTEXT_DIR) -> list[tuple[str, np.ndarray]]:
    """(disclosure, [implicates_listener, asks_advice]) pairs from every JSONL file in ``directory``."""
    return [row for path in sorted(Path(directory).glob("*.jsonl")) for row in load_disclosure_file(path)]


def load_disclosure_file(path: Path) -> list[tuple[str, np.ndarray]]:
    """(disclosure, [implicates_listener, asks_advice]) pairs from one JSONL file."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("disclosure"), str) or not all(isinstance(row.get(k), bool) for k in CONTEXT):
                raise ValueError(f"{Path(path).name}:{number}: needs 'disclosure' text and boolean {CONTEXT}.")
            rows.append((row["disclosure"], np.array([row[k] for k in CONTEXT], np.float32)))
    return rows


def disclosure_key(text: str) -> str:
    """The same disclosure whatever its spacing: the key authored flags are found by."""
    return " ".join(text.split())


def authored_context(exercises: Iterable) -> dict[str, np.ndarray]:
    """The flags the library's authors wrote, by disclosure: ``{key: [implicates_listener, asks_advice]}``."""
    return {disclosure_key(e.disclosure): np.array([getattr(e, k) for k in CONTEXT], np.float32) for e in exercises}


def train_context_head(x: np.ndarray, y: np.ndarray, seed: int = 13, steps: int = 400) -> Head:
    torch.manual_seed(seed)
    head = Head(x.shape[1], hidden=64, dropout=0.3, outputs=len(CONTEXT))
    head.fit_scaler(x)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    optimiser = torch.optim.AdamW(head.parameters(), lr=3e-3, weight_decay=0.05)
    head.train()
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(head(xs), ys)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return head.eval()


def context_scores(head: Head, vectors: np.ndarray, cues: np.ndarray) -> np.ndarray:
    """Probabilities, shape (n, 2): implicates_listener, asks_advice."""
    return sigmoid(logits(head, np.concatenate([vectors, cues], axis=1)))


def context_inputs(featurizer, texts: Sequence[str]) -> np.ndarray:
    """The context head's input: base embedding and parse cues of each disclosure."""
    docs = featurizer.parser.docs(texts)
    vectors = featurizer.encoder.embed(list(texts), adapter=False)
    cues = np.stack([featurizer.parser.disclosure_cues(d) for d in docs]) if texts else np.zeros((0, 0))
    return np.concatenate([vectors, cues], axis=1).astype(np.float32)
