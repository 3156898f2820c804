"""Evidence highlighting shared by the app and the batch report: labelled stretches of a reply, cut into pieces.

Pure functions, no Gradio and no torch, so the command line can use them without loading the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from listening.labels import BY_NAME, LABELS, SKILLS

# Dark enough for white label chips (AA for small bold text); the app paints highlighted words with
# the same colour at 50% over the page, under black text.
BARRIER_COLOUR = "#b42318"
POSSIBLE_COLOUR = "#8a4b00"
SKILL_COLOUR = "#17663a"
MIXED_COLOUR = "#5b3d99"


@dataclass(frozen=True)
class Mark:
    """One labelled stretch of the reply: [start, end) in Python str offsets."""

    start: int
    end: int
    label: str
    possible: bool = False

    @property
    def name(self) -> str:
        title = BY_NAME[self.label].title
        return f"possibly {title.lower()}" if self.possible else title

    @property
    def colour(self) -> str:
        if self.label in SKILLS:
            return SKILL_COLOUR
        return POSSIBLE_COLOUR if self.possible else BARRIER_COLOUR


def marks_of_result(reply: str, result: dict) -> list[Mark]:
    """Every evidence span of a batch result row (``flags`` and ``skills`` as the contract writes them)."""
    n = len(reply)
    marks = []
    for finding in [*(result.get("skills") or []), *(result.get("flags") or [])]:
        possible = finding.get("confidence", "likely") != "likely"
        for span in finding.get("spans") or []:
            start, end = max(0, min(n, int(span["start"]))), max(0, min(n, int(span["end"])))
            if start < end:
                marks.append(Mark(start, end, finding["label"], possible))
    return marks


def segments(text: str, marks: Iterable[Mark]) -> list[tuple[str, str | None]]:
    """Cut ``text`` at every mark boundary; each piece carries the names of all marks covering it.

    The pieces, joined, give back ``text`` exactly (whitespace and newlines included). Overlapping
    marks give a piece named "A + B"; neighbouring pieces with the same names are merged.
    """
    marks = [m for m in marks if 0 <= m.start < m.end <= len(text)]
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[tuple[str, str | None]] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in marks if m.start <= start and end <= m.end]
        names: list[str] = []
        for label in LABELS:  # a stable order: skills and barriers as the vocabulary lists them
            for mark in covering:
                if mark.label == label and mark.name not in names:
                    names.append(mark.name)
        category = " + ".join(names) or None
        piece = text[start:end]
        if out and out[-1][1] == category:
            out[-1] = (out[-1][0] + piece, category)
        else:
            out.append((piece, category))
    return out or [(text, None)]


def colour_map(marks: Iterable[Mark], pieces) -> dict[str, str]:
    """A colour for every category in ``pieces``: green for skills, red for barriers, brown when weak."""
    single = {mark.name: mark.colour for mark in marks}
    return {category: single.get(category, MIXED_COLOUR) for _, category in pieces if category is not None}
