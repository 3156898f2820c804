"""The context gates of the model, as pure functions over segment logits."""

import numpy as np

from listening.labels import LABELS
from listening.model import ABSENT, acknowledged_first

ADVICE, VALIDATION, REFLECTION = (LABELS.index(l) for l in ("premature_advice", "validation", "reflection"))


def segments(*rows: dict[int, float]) -> np.ndarray:
    z = np.full((len(rows), len(LABELS)), ABSENT, np.float32)
    for i, row in enumerate(rows):
        for label, logit in row.items():
            z[i, label] = logit
    return z


def test_an_acknowledgment_before_the_suggestion_counts():
    z = segments({VALIDATION: 4.0}, {ADVICE: 3.0})
    assert acknowledged_first(z, np.array([0, 0]), 1)[0] > 0.95


def test_an_acknowledgment_after_the_suggestion_does_not():
    z = segments({ADVICE: 3.0}, {REFLECTION: 4.0})
    assert acknowledged_first(z, np.array([0, 0]), 1)[0] == 0.0


def test_each_reply_is_read_on_its_own():
    # reply 0: validation then advice; reply 1: advice alone; reply 2: no segments at all
    z = segments({VALIDATION: 4.0}, {ADVICE: 3.0}, {ADVICE: 3.0})
    got = acknowledged_first(z, np.array([0, 0, 1]), 3)
    assert got[0] > 0.95 and got[1] == 0.0 and got[2] == 0.0
