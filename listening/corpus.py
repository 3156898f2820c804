"""The labelled corpus: replies to disclosures, each with its labels and evidence.

One JSONL row per reply::

    {"exercise_id": "work-failing", "reply": "...",
     "evidence": {"premature_advice": ["you should talk to HR"]}}

A row names its disclosure by ``exercise_id`` or carries it as ``disclosure``.
The labels of a row are the keys of ``evidence``; each value lists exact
substrings of the reply that show the label. ``python -m listening.corpus FILE...``
checks files and prints the statistics worth watching.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from listening.exercises import Exercise, load_library
from listening.labels import LABELS

CORPUS_DIR = Path(__file__).resolve().parent.parent / "models" / "corpus"


class CorpusError(ValueError):
    """A corpus row that breaks the format; the message names file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled reply to one disclosure."""

    disclosure: str
    reply: str
    evidence: dict[str, tuple[str, ...]]
    group: str  # the disclosure's id; held-out splits never share a group
    source: str  # "file:line", for error messages and audits

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self.evidence)


def parse_row(row: object, where: str, library: dict[str, Exercise]) -> Example:
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: a row must be a JSON object.")
    reply = row.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        raise CorpusError(f"{where}: 'reply' must be a non-empty string.")
    if "exercise_id" in row:
        exercise = library.get(row["exercise_id"])
        if exercise is None:
            raise CorpusError(f"{where}: unknown exercise_id {row['exercise_id']!r}.")
        disclosure, group = exercise.disclosure, exercise.id
    elif isinstance(row.get("disclosure"), str) and row["disclosure"].strip():
        disclosure = row["disclosure"]
        group = row.get("group") or "text:" + " ".join(disclosure.split())[:80]
    else:
        raise CorpusError(f"{where}: a row needs 'exercise_id' or 'disclosure'.")
    evidence = row.get("evidence", {})
    if not isinstance(evidence, dict):
        raise CorpusError(f"{where}: 'evidence' must be an object of label -> list of substrings.")
    checked: dict[str, tuple[str, ...]] = {}
    for label, spans in evidence.items():
        if label not in LABELS:
            raise CorpusError(f"{where}: unknown label {label!r}.")
        if isinstance(spans, str):
            spans = [spans]
        if not isinstance(spans, list) or not spans:
            raise CorpusError(f"{where}: evidence for {label!r} must be a non-empty list of substrings.")
        for span in spans:
            if not isinstance(span, str) or not span.strip() or span not in reply:
                raise CorpusError(f"{where}: evidence {span!r} for {label!r} is not a substring of the reply.")
        checked[label] = tuple(spans)
    return Example(disclosure, reply, checked, group, where)


def load_file(path: Path, library: dict[str, Exercise]) -> list[Example]:
    examples = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{Path(path).name}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise CorpusError(f"{where}: not valid JSON ({err.msg}).") from None
            examples.append(parse_row(row, where, library))
    return examples


def load_corpus(paths: list[Path] | None = None, library: dict[str, Exercise] | None = None) -> list[Example]:
    """Load corpus files (by default every ``*.jsonl`` in ``models/corpus``)."""
    library = load_library() if library is None else library
    paths = sorted(CORPUS_DIR.glob("*.jsonl")) if paths is None else paths
    return [example for path in paths for example in load_file(Path(path), library)]


def statistics(examples: list[Example]) -> str:
    """A plain-text summary: label counts, empty rows, opening-word concentration, duplicates."""
    out = [f"{len(examples)} replies over {len({e.group for e in examples})} disclosures"]
    counts = Counter(label for e in examples for label in e.labels)
    out.append(f"  no label: {sum(1 for e in examples if not e.labels)}")
    for label in LABELS:
        openers = Counter(
            (e.reply.split() or [""])[0].lower().strip(",.!?") for e in examples if label in e.labels
        )
        top, top_n = openers.most_common(1)[0] if openers else ("-", 0)
        share = top_n / max(counts[label], 1)
        warn = "  <- rewrite some" if share > 0.10 and counts[label] >= 30 else ""
        out.append(f"  {label:17s} {counts[label]:5d}   top opener {top!r} {share:.0%}{warn}")
    replies = Counter(" ".join(e.reply.lower().split()) for e in examples)
    repeated = [r for r, n in replies.items() if n > 1]
    out.append(f"  replies written more than once: {len(repeated)}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    try:
        library = load_library()
        examples = load_corpus([Path(p) for p in argv] or None, library)
    except (CorpusError, ValueError) as err:
        sys.stderr.write(f"{err}\n")
        return 1
    sys.stdout.write(statistics(examples) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
