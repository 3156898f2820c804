"""How the label mix differs between the corpus's data rounds, the held-out disclosures and the slices.

A model learns the label priors and the co-labelling habits of the data it is trained on. When a
later round leans on some labels on purpose, or its writers apply a convention more often, the
trained model carries that over to test sets written by others. This prints, per source, the share
of replies carrying each label and, among replies labelled ``defensiveness``, the share that also
carry ``judgment`` and ``minimizing`` (labels.md: a counter-attack that labels the speaker is both;
a plain tit-for-tat is ``defensiveness`` only).

Sources: the corpus files grouped by the round their name starts with (rows to held-out disclosures
counted apart, as ``held-out``), and each slice in ``models/heldout/``.

    python bench/label_mix.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listening.corpus import CORPUS_DIR, load_file  # noqa: E402
from listening.exercises import load_library  # noqa: E402
from listening.labels import LABELS  # noqa: E402
from listening.train import HELDOUT_DIR, pinned_disclosures  # noqa: E402

SHORT = {"judgment": "judg", "defensiveness": "def", "premature_advice": "advice", "minimizing": "min",
         "self_focus": "self", "validation": "valid", "reflection": "refl", "open_question": "openq"}


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def round_of(path: Path) -> str:
    """``round7_older.jsonl`` -> ``round7``; the first files (named by theme) -> ``round1``."""
    stem = path.stem
    return stem.split("_", 1)[0] if stem.startswith("round") else "round1"


def main() -> int:
    library = load_library()
    held_out = pinned_disclosures() or set()
    sources: dict[str, list[set[str]]] = defaultdict(list)
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for example in load_file(path, library):
            sources["held-out" if example.group in held_out else round_of(path)].append(set(example.labels))
    for path in sorted(HELDOUT_DIR.glob("*.jsonl")):
        sources[f"slice {path.stem}"] = [set(e.labels) for e in load_file(path, library)]
    order = sorted((k for k in sources if k.startswith("round")), key=lambda k: int(k[5:]))
    order += [k for k in sources if not k.startswith("round")]
    say(f"{'source':16} {'replies':>7} " + " ".join(f"{SHORT[l]:>6}" for l in LABELS)
        + "   of defensive: +judg   +min")
    for name in order:
        rows = sources[name]
        defensive = [r for r in rows if "defensiveness" in r]
        shares = " ".join(f"{sum(l in r for r in rows) / len(rows):6.2f}" for l in LABELS)
        also = (f"{sum('judgment' in r for r in defensive) / len(defensive):6.2f} "
                f"{sum('minimizing' in r for r in defensive) / len(defensive):6.2f}") if defensive else ""
        say(f"{name:16} {len(rows):7d} {shares}   {len(defensive):5d} {also}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
