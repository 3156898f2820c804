"""Would more replies of the kind the corpus has help? Fine-tune on growing shares of the inner split.

The inner split of ``bench/hyperparams.py`` (the held-out disclosures are never read); the replies to
fit are sampled at random (seed 5) at each share, every disclosure kept; the same replies are scored
at each share, at each label's best threshold. If the curve is flat at the top, more of the same
data will not move the figures; if it still climbs, it will.

    python bench/learning_curve.py              # shares 0.25 0.5 0.75 1
    python bench/learning_curve.py 0.5 1

All four shares took 10 minutes on 2 cores for the round-4 corpus; the time grows with the corpus,
about three times that now.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hyperparams import best_f1, inner_split, say  # noqa: E402

from listening.encoder import Encoder  # noqa: E402
from listening.labels import LABELS  # noqa: E402
from listening.parse import Parser  # noqa: E402


def main(shares: list[float]) -> None:
    library, fit, score = inner_split()
    parser, encoder = Parser(), Encoder()
    order = list(range(len(fit)))
    random.Random(5).shuffle(order)
    say(f"inner split: up to {len(fit)} replies to fit, {len(score)} to score; best-threshold F1")
    say(f"{'share':>5} {'replies':>7} {'macro':>6} " + " ".join(f"{label[:8]:>8}" for label in LABELS))
    for share in shares:
        started = time.time()
        chosen = [fit[i] for i in sorted(order[:round(share * len(fit))])]
        figures = best_f1({}, library, chosen, score, parser, encoder)
        say(f"{share:5.2f} {len(chosen):7d} {np.mean(list(figures.values())):6.3f} "
            + " ".join(f"{figures[label]:8.3f}" for label in LABELS) + f"  ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main([float(arg) for arg in sys.argv[1:]] or [0.25, 0.5, 0.75, 1.0])
