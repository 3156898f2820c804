"""Training and evaluation: rebuild the model in ``models/`` from the repo's data.

Held-out figures are always computed on disclosures the model never saw:
the test split is chosen by disclosure, and calibration and thresholds come
from out-of-fold predictions grouped by disclosure inside the training split.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from listening.corpus import CORPUS_DIR, Example, load_corpus
from listening.exercises import Exercise, load_library
from listening.features import Featured, Featurizer
from listening.labels import LABELS
from listening.metrics import report
from listening.model import MODEL_DIR, ListeningModel, TrainConfig, best_thresholds, fit_platt, logits, train_head

HELDOUT_DIR = Path(__file__).resolve().parent.parent / "models" / "heldout"
TEST_SHARE = 0.2
SPLIT_SEED = 7

Log = Callable[[str], None]


@dataclass
class Prepared:
    examples: list[Example]
    featured: Featured
    y: np.ndarray  # (n, labels)
    segment_y: np.ndarray  # (n_segments, labels)


def evidence_ranges(example: Example, label: str) -> list[tuple[int, int]]:
    ranges = []
    for text in example.evidence.get(label, ()):
        start = example.reply.find(text)
        while start != -1:
            ranges.append((start, start + len(text)))
            start = example.reply.find(text, start + 1)
    return ranges


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Overlap of two character ranges as a share of the shorter one."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return max(inter, 0) / max(min(a[1] - a[0], b[1] - b[0]), 1)


def prepare(examples: Sequence[Example], featurizer: Featurizer, batch: int = 256) -> Prepared:
    parts = [featurizer([e.disclosure for e in examples[i:i + batch]], [e.reply for e in examples[i:i + batch]])
             for i in range(0, len(examples), batch)]
    offset, owners = 0, []
    for part in parts:
        owners.append(part.owner + offset)
        offset += len(part.reply)
    featured = Featured(
        reply=np.concatenate([p.reply for p in parts]),
        segment=np.concatenate([p.segment for p in parts]),
        owner=np.concatenate(owners),
        segments=[s for p in parts for s in p.segments],
    )
    y = np.array([[int(l in e.labels) for l in LABELS] for e in examples], np.float32)
    segment_y = []
    for example, segments in zip(examples, featured.segments):
        for segment in segments:
            span = (segment.start, segment.end)
            segment_y.append([int(any(overlaps(span, r) >= 0.5 for r in evidence_ranges(example, l))) for l in LABELS])
    return Prepared(list(examples), featured, y, np.array(segment_y, np.float32).reshape(-1, len(LABELS)))


def split_by_disclosure(examples: Sequence[Example], library: dict[str, Exercise],
                        share: float = TEST_SHARE, seed: int = SPLIT_SEED) -> tuple[list[int], list[int]]:
    """Indices of train and test examples; no disclosure is in both. Strata keep test varied."""
    groups = sorted({e.group for e in examples})
    strata: dict[tuple[bool, bool], list[str]] = {}
    for g in groups:
        exercise = library.get(g)
        key = (exercise.implicates_listener, exercise.asks_advice) if exercise else (False, False)
        strata.setdefault(key, []).append(g)
    rng = random.Random(seed)
    test_groups: set[str] = set()
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        test_groups.update(members[:max(1, round(share * len(members)))] if len(members) > 1 else [])
    train = [i for i, e in enumerate(examples) if e.group not in test_groups]
    test = [i for i, e in enumerate(examples) if e.group in test_groups]
    return train, test


def group_folds(groups: Sequence[str], folds: int, seed: int) -> list[np.ndarray]:
    names = sorted(set(groups))
    random.Random(seed).shuffle(names)
    fold_of = {g: i % folds for i, g in enumerate(names)}
    assignment = np.array([fold_of[g] for g in groups])
    return [np.where(assignment == k)[0] for k in range(folds)]


def _segment_rows(prepared: Prepared, reply_rows: np.ndarray) -> np.ndarray:
    return np.where(np.isin(prepared.featured.owner, reply_rows))[0]


def fit_heads(prepared: Prepared, rows: np.ndarray, config: TrainConfig):
    reply_head = train_head(prepared.featured.reply[rows], prepared.y[rows], config)
    seg_rows = _segment_rows(prepared, rows)
    segment_head = train_head(prepared.featured.segment[seg_rows], prepared.segment_y[seg_rows], config)
    return reply_head, segment_head


def train_model(prepared: Prepared, rows: np.ndarray, config: TrainConfig, folds: int, log: Log) -> ListeningModel:
    """Out-of-fold calibration and thresholds, then a final fit on all rows."""
    groups = [prepared.examples[i].group for i in rows]
    oof = np.zeros((len(rows), len(LABELS)), np.float32)
    for k, held in enumerate(group_folds(groups, folds, config.seed)):
        fit_rows = np.delete(rows, held)
        head = train_head(prepared.featured.reply[fit_rows], prepared.y[fit_rows], config)
        oof[held] = logits(head, prepared.featured.reply[rows[held]])
        log(f"  fold {k + 1}/{folds} done")
    a, b = fit_platt(oof, prepared.y[rows])
    calibrated = 1 / (1 + np.exp(-(oof * a + b)))
    thresholds = best_thresholds(calibrated, prepared.y[rows])
    reply_head, segment_head = fit_heads(prepared, rows, config)
    oof_report = report(prepared.y[rows], calibrated, thresholds)
    return ListeningModel(reply_head, segment_head, a, b, thresholds,
                          meta={"config": asdict(config), "out_of_fold": oof_report})


def span_hit_rate(model: ListeningModel, prepared: Prepared, rows: np.ndarray) -> float:
    """Of labels both predicted and true, the share whose chosen span overlaps the gold evidence."""
    from listening.coach import choose_segments

    reply_scores = model.reply_scores(prepared.featured.reply[rows])
    hits = total = 0
    for position, i in enumerate(rows):
        seg_rows = np.where(prepared.featured.owner == i)[0]
        seg_scores = model.segment_scores(prepared.featured.segment[seg_rows])
        segments = prepared.featured.segments[i]
        example = prepared.examples[i]
        for j, label in enumerate(LABELS):
            if reply_scores[position, j] < model.thresholds[j] or label not in example.labels:
                continue
            chosen = choose_segments(seg_scores[:, j], model.segment_threshold)
            gold = evidence_ranges(example, label)
            total += 1
            hits += any(overlaps((segments[c].start, segments[c].end), g) > 0 for c in chosen for g in gold)
    return hits / max(total, 1)


def evaluate(model: ListeningModel, prepared: Prepared, rows: np.ndarray) -> dict:
    figures = report(prepared.y[rows], model.reply_scores(prepared.featured.reply[rows]), model.thresholds)
    figures["disclosures"] = len({prepared.examples[i].group for i in rows})
    figures["span_hit_rate"] = span_hit_rate(model, prepared, rows)
    return figures


def run(out: Path = MODEL_DIR, corpus: Sequence[Path] | None = None, heldout: Sequence[Path] | None = None,
        config: TrainConfig | None = None, folds: int = 5, subset: int | None = None,
        featurizer: Featurizer | None = None, log: Log = lambda _: None) -> dict:
    """Train on the training split, evaluate on the held-out disclosures and slices, save everything."""
    from listening.card import write_card

    config = config or TrainConfig()
    started = time.time()
    torch.manual_seed(config.seed)
    library = load_library()
    examples = load_corpus(list(corpus) if corpus else None, library)
    if subset:
        examples = random.Random(config.seed).sample(examples, min(subset, len(examples)))
    heldout_paths = list(heldout) if heldout is not None else sorted(HELDOUT_DIR.glob("*.jsonl"))
    slices = {Path(p).stem: load_corpus([Path(p)], library) for p in heldout_paths}
    if featurizer is None:
        from listening.encoder import Encoder
        from listening.parse import Parser

        featurizer = Featurizer(Parser(), Encoder())
    log(f"featurising {len(examples)} replies")
    prepared = prepare(examples, featurizer)
    train_rows, test_rows = (np.array(r) for r in split_by_disclosure(examples, library))
    log(f"train: {len(train_rows)} replies, test: {len(test_rows)} replies on held-out disclosures")
    model = train_model(prepared, train_rows, config, folds, log)
    figures = {
        "trained_at_seconds": round(time.time() - started, 1),
        "corpus": {"replies": len(examples), "disclosures": len({e.group for e in examples}),
                   "label_counts": {l: int(prepared.y[:, j].sum()) for j, l in enumerate(LABELS)},
                   "train_replies": int(len(train_rows)), "test_replies": int(len(test_rows)),
                   "test_disclosures": sorted({examples[i].group for i in test_rows})},
        "thresholds": {l: float(t) for l, t in zip(LABELS, model.thresholds)},
        "out_of_fold": model.meta["out_of_fold"],
        "test": evaluate(model, prepared, test_rows) if len(test_rows) else None,
        "slices": {},
    }
    for name, slice_examples in slices.items():
        sliced = prepare(slice_examples, featurizer)
        figures["slices"][name] = evaluate(model, sliced, np.arange(len(slice_examples)))
    model.meta["figures"] = {k: figures[k] for k in ("test", "slices")}
    out = Path(out)
    model.save(out)
    (out / "metrics.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    write_card(out, figures, config)
    log(f"saved to {out} in {time.time() - started:.0f} s")
    return figures
