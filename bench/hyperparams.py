"""Compare fine-tuning settings on an inner split of the training data; the held-out disclosures are never read.

The training split is split again by disclosure (a different seed from the held-out split). Each
setting fine-tunes once on the inner training part and is scored on the inner test part, at each
label's best threshold there (the same for every setting, so the comparison is fair; the absolute
figure is optimistic). One setting takes about three minutes on 2 cores (eight epochs: four).

    python bench/hyperparams.py                                   # the settings below
    python bench/hyperparams.py '{"rank": 16, "alpha": 32}'       # one setting (JSON of FineTuneConfig fields)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listening.corpus import load_corpus  # noqa: E402
from listening.encoder import Encoder  # noqa: E402
from listening.exercises import load_library  # noqa: E402
from listening.finetune import FineTuneConfig  # noqa: E402
from listening.labels import LABELS  # noqa: E402
from listening.metrics import per_label  # noqa: E402
from listening.model import best_thresholds, sigmoid  # noqa: E402
from listening.parse import Parser  # noqa: E402
from listening.train import featurizer_for, fit_once, held_out_split, prepare, split_by_disclosure  # noqa: E402

INNER_SEED = 99
SETTINGS = [  # what was compared when rank 16 was chosen
    {"rank": 8, "alpha": 16.0},
    {"rank": 8, "alpha": 16.0, "epochs": 8},
    {"rank": 16, "alpha": 32.0},
    {"rank": 8, "alpha": 16.0, "lr_adapter": 2e-3},
    {"rank": 16, "alpha": 32.0, "lr_adapter": 2e-3},
    {"rank": 16, "alpha": 32.0, "epochs": 8},
]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def inner_split():
    library = load_library()
    examples = load_corpus(None, library)
    train_rows, _ = held_out_split(examples, library)
    train = [examples[i] for i in train_rows]
    fit, score = split_by_disclosure(train, library, seed=INNER_SEED)
    return library, [train[i] for i in fit], [train[i] for i in score]


def best_f1(setting: dict, library, fit, score, parser, encoder) -> dict[str, float]:
    torch.manual_seed(13)
    model = fit_once(fit, library, FineTuneConfig(**setting), parser, encoder, lambda _: None)
    prepared = prepare(score, featurizer_for(model, None, parser))
    featured = prepared.featured
    p = sigmoid(model.reply_logits(featured.reply, model.segment_logits(featured.segment), featured.owner,
                                   featured.context))
    chosen = (p >= best_thresholds(p, prepared.y)).astype(int)
    return {label: figures["f1"] for label, figures in per_label(prepared.y, chosen).items()}


def main(settings: list[dict]) -> None:
    library, fit, score = inner_split()
    parser, encoder = Parser(), Encoder()
    say(f"inner split: {len(fit)} replies to fit, {len(score)} to score "
        f"({len({e.group for e in score})} disclosures); best-threshold F1")
    say(f"{'setting':45} {'macro':>6} " + " ".join(f"{label[:8]:>8}" for label in LABELS))
    for setting in settings:
        started = time.time()
        figures = best_f1(setting, library, fit, score, parser, encoder)
        say(f"{json.dumps(setting):45} {np.mean(list(figures.values())):6.3f} "
            + " ".join(f"{figures[label]:8.3f}" for label in LABELS) + f"  ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main([json.loads(arg) for arg in sys.argv[1:]] or SETTINGS)
