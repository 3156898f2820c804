"""How consistent are the labels? A second annotator against the corpus, and the model against both.

``bench/second_annotation.jsonl`` holds 240 replies drawn at random (seed 2026) from the held-out
disclosures, labelled a second time from ``labels.md`` alone, without seeing the corpus's labels (the
annotator saw the disclosure, its two written flags and the reply). If two annotators agree far
better than the model agrees with either, the labels are learnable and the gap is the model's; if
they agree no better than the model, the bar is set by the labels.

    python bench/agreement.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listening.corpus import load_corpus  # noqa: E402
from listening.exercises import load_library  # noqa: E402
from listening.labels import LABELS  # noqa: E402
from listening.metrics import per_label  # noqa: E402
from listening.model import ListeningModel  # noqa: E402
from listening.train import featurizer_for, prepare  # noqa: E402

SECOND = ROOT / "bench" / "second_annotation.jsonl"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def matrix(label_sets) -> np.ndarray:
    return np.array([[int(label in labels) for label in LABELS] for labels in label_sets])


def main() -> None:
    library = load_library()
    corpus = {(e.group, e.reply): e for e in load_corpus(None, library)}
    rows = [json.loads(line) for line in SECOND.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples = [corpus[(row["exercise_id"], row["reply"])] for row in rows]
    first, second = matrix(e.labels for e in examples), matrix(row["labels"] for row in rows)
    model = ListeningModel.load()
    featured = prepare(examples, featurizer_for(model)).featured
    scores, _ = model.predict(featured.reply, featured.segment, featured.owner, featured.context)
    predicted = (scores >= model.thresholds).astype(int)
    say(f"{len(rows)} held-out replies; F1 of one annotation against another")
    say(f"{'label':17} {'corpus':>7} {'second':>7} {'corpus~second':>14} {'model~corpus':>13} {'model~second':>13}")
    pairs = [per_label(first, second), per_label(first, predicted), per_label(second, predicted)]  # F1 is symmetric
    columns = []
    for j, label in enumerate(LABELS):
        row = tuple(pair[label]["f1"] for pair in pairs)
        columns.append(row)
        say(f"{label:17} {first[:, j].sum():7d} {second[:, j].sum():7d} {row[0]:14.2f} {row[1]:13.2f} {row[2]:13.2f}")
    means = np.mean(columns, axis=0)
    say(f"{'macro':17} {'':7} {'':7} {means[0]:14.3f} {means[1]:13.3f} {means[2]:13.3f}")


if __name__ == "__main__":
    main()
