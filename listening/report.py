"""The batch report: what a scored file says about listening, as one self-contained HTML page.

Two halves, kept apart:

- ``Tally``: a fold over result rows (``tally_rows`` runs it over an iterable). It keeps counts, one
  entry per exercise and per learner, and only the ``keep`` highest- and lowest-scoring replies (two
  heaps), so it runs alongside a streaming batch without holding the rows.
- ``render``: a pure function from what was tallied to HTML: inline CSS and inline SVG charts, no
  script, nothing fetched from the network. Every piece of text that came from the input goes
  through ``esc``, so markup in a reply or an id is shown as text and never run.
"""

from __future__ import annotations

import datetime as dt
import heapq
import html
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from listening.feedback import LIKELY, listening_score
from listening.highlight import (
    BARRIER_COLOUR,
    MIXED_COLOUR,
    POSSIBLE_COLOUR,
    SKILL_COLOUR,
    Mark,
    marks_of_result,
    segments,
)
from listening.labels import BARRIERS, BY_NAME, LABELS, SKILLS

# The input fields the report reads besides the results: batch scoring hands them over with each row.
SOURCE_FIELDS = ("reply", "exercise_id", "learner", "timestamp", "attempt")
KEEP = 5  # highest- and lowest-scoring replies shown
ERRORS_SHOWN = 20
LEARNERS_CHARTED = 30
LEARNERS_LISTED = 200
OWN = ""  # the exercise key of rows that bring their own disclosure
FIRST_COLOUR, LATEST_COLOUR = "#6b7280", "#1d4ed8"


def esc(text: object) -> str:
    """Text as HTML text: markup is shown, never run."""
    return html.escape("" if text is None else str(text), quote=True)


# --- the tally ---------------------------------------------------------------------------------------


def moment(value) -> float | None:
    """A timestamp or attempt number as a number to order by: numbers as they are, ISO 8601 text as
    seconds since the epoch (naive times read as UTC); None when it cannot be read."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()


def order_key(source: Mapping, seq: int) -> tuple:
    """Where an attempt falls in a learner's history: by ``timestamp``, else ``attempt``, else input order.

    Rows with a readable value come before rows without one; equal values keep input order.
    """
    stamp, attempt = moment(source.get("timestamp")), moment(source.get("attempt"))
    return (stamp is None, stamp or 0.0, attempt is None, attempt or 0.0, seq)


@dataclass(frozen=True)
class Attempt:
    """A learner's attempt, as much as the report needs of it."""

    key: tuple
    score: int
    labels: frozenset[str]


@dataclass
class Learner:
    attempts: int = 0
    first: Attempt | None = None
    latest: Attempt | None = None


@dataclass
class ExerciseCounts:
    replies: int = 0
    score_total: int = 0
    labels: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Example:
    """A reply shown in full, with its evidence marked."""

    score: int
    id: object
    exercise: str
    reply: str
    marks: tuple[Mark, ...]
    labels: tuple[str, ...]


class Tally:
    """Counts over result rows, fed one row at a time (``add``); memory does not grow with the rows,
    only with the number of exercises and learners."""

    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self.rows = self.scored = self.failed = 0
        self.labels: Counter = Counter()
        self.score_total = 0
        self.histogram = [0] * 10  # listening scores 0-9, 10-19, ... 90-100
        self.exercises: dict[str, ExerciseCounts] = {}
        self.learners: dict[str, Learner] = {}
        self.errors: list[tuple[object, str]] = []
        self._top: list = []
        self._bottom: list = []

    def add(self, result: Mapping, source: Mapping) -> None:
        """One result row (as batch scoring writes it) and the input fields named in SOURCE_FIELDS."""
        seq = self.rows
        self.rows += 1
        if result.get("error"):
            self.failed += 1
            if len(self.errors) < ERRORS_SHOWN:
                self.errors.append((source.get("id", result.get("id")), result["error"]))
            return
        self.scored += 1
        found = set(result.get("labels") or ())
        labels = tuple(label for label in LABELS if label in found)
        score = listening_score([f["score"] for f in result.get("flags") or ()],
                                [s["score"] for s in result.get("skills") or ()])
        self.labels.update(labels)
        self.score_total += score
        self.histogram[min(score // 10, 9)] += 1

        exercise = str(source.get("exercise_id") or OWN)
        counts = self.exercises.setdefault(exercise, ExerciseCounts())
        counts.replies += 1
        counts.score_total += score
        counts.labels.update(labels)

        learner = source.get("learner")
        if learner not in (None, ""):
            attempt = Attempt(order_key(source, seq), score, frozenset(labels))
            record = self.learners.setdefault(str(learner), Learner())
            record.attempts += 1
            if record.first is None or attempt.key < record.first.key:
                record.first = attempt
            if record.latest is None or attempt.key > record.latest.key:
                record.latest = attempt

        reply = source.get("reply") if isinstance(source.get("reply"), str) else ""
        example = Example(score, source.get("id", result.get("id")), exercise, reply,
                          tuple(marks_of_result(reply, result)), labels)
        self._offer(self._top, (score, -seq), example)
        self._offer(self._bottom, (-score, -seq), example)

    def _offer(self, heap: list, key: tuple, example: Example) -> None:
        entry = (*key, example)
        if len(heap) < self.keep:
            heapq.heappush(heap, entry)
        elif key > heap[0][:2]:
            heapq.heapreplace(heap, entry)

    @property
    def highest(self) -> list[Example]:
        return [entry[-1] for entry in sorted(self._top, key=lambda e: e[:2], reverse=True)]

    @property
    def lowest(self) -> list[Example]:
        return [entry[-1] for entry in sorted(self._bottom, key=lambda e: e[:2], reverse=True)]

    @property
    def mean_score(self) -> float | None:
        return self.score_total / self.scored if self.scored else None


def tally_rows(rows: Iterable[tuple[Mapping, Mapping]], keep: int = KEEP) -> Tally:
    """The report's figures for (result, source) pairs: a pure fold, one pass."""
    tally = Tally(keep)
    for result, source in rows:
        tally.add(result, source)
    return tally


@dataclass(frozen=True)
class Progress:
    """First against latest attempt, over the learners with at least two attempts."""

    learners: int
    first_mean: float
    latest_mean: float
    first_labels: Counter
    latest_labels: Counter


def progress(tally: Tally) -> Progress | None:
    pairs = [(r.first, r.latest) for r in tally.learners.values() if r.attempts >= 2 and r.first and r.latest]
    if not pairs:
        return None
    first, latest = Counter(), Counter()
    for a, b in pairs:
        first.update(a.labels)
        latest.update(b.labels)
    n = len(pairs)
    return Progress(n, sum(a.score for a, _ in pairs) / n, sum(b.score for _, b in pairs) / n, first, latest)


# --- rendering ---------------------------------------------------------------------------------------

CSS = f"""
body{{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0;background:#fff}}
main{{max-width:60rem;margin:0 auto;padding:1.5rem}}
h1{{font-size:1.6rem;margin:.2rem 0}}h2{{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #d1d5db}}
h3{{font-size:1.05rem;margin-bottom:.3rem}}
.quiet{{color:#4b5563}}.figures{{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none}}
.figures li{{border:1px solid #d1d5db;border-radius:.5rem;padding:.5rem .9rem}}.figures strong{{font-size:1.3rem;display:block}}
figure{{margin:1rem 0}}figcaption{{font-weight:600;margin-bottom:.3rem}}svg{{max-width:100%;height:auto}}
table{{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}}
th,td{{border:1px solid #e5e7eb;padding:.25rem .4rem;text-align:left;vertical-align:top}}th{{background:#f3f4f6}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}.scroll{{overflow-x:auto}}tbody th{{min-width:11rem}}
.reply{{border:1px solid #d1d5db;border-radius:.5rem;padding:.6rem .8rem;margin:.6rem 0}}
.reply p.text{{white-space:pre-wrap;margin:.3rem 0}}
mark{{background:#fde2df;color:#1f2937;border-bottom:2px solid {BARRIER_COLOUR};padding:0 .1rem}}
mark.skill{{background:#dcf2e3;border-color:{SKILL_COLOUR}}}mark.possible{{background:#fbeedd;border-color:{POSSIBLE_COLOUR}}}
mark.mixed{{background:#ece6f6;border-color:{MIXED_COLOUR}}}
.tag{{font-size:.72rem;font-weight:700;color:#fff;background:{BARRIER_COLOUR};border-radius:.25rem;padding:0 .25rem;margin-left:.2rem}}
mark.skill .tag{{background:{SKILL_COLOUR}}}mark.possible .tag{{background:{POSSIBLE_COLOUR}}}mark.mixed .tag{{background:{MIXED_COLOUR}}}
"""


def label_title(label: str) -> str:
    return BY_NAME[label].title


def short(name: str, most: int = 24) -> str:
    """A name cut to fit a chart's label column (the tables show it whole)."""
    return name if len(name) <= most else name[:most - 1] + "…"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def bar_chart(caption: str, rows: list[tuple[str, int]], whole: int, colour: str, chart_id: str) -> str:
    """Horizontal bars: each row's share of ``whole``, labelled with the count and the share."""
    height, left, width = 26, 190, 360
    total_h = height * len(rows) + 10
    parts = []
    for i, (name, count) in enumerate(rows):
        y = 5 + i * height
        share = count / whole if whole else 0
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13">{esc(name)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{width}" height="{height - 8}" fill="#f3f4f6"/>'
            f'<rect x="{left}" y="{y + 4}" width="{share * width:.1f}" height="{height - 8}" fill="{colour}"/>'
            f'<text x="{left + width + 8}" y="{y + 17}" font-size="13">{count} ({_pct(count, whole)})</text>')
    desc = "; ".join(f"{name}: {count} of {whole}" for name, count in rows)
    return (f'<figure><figcaption id="{chart_id}-c">{esc(caption)}</figcaption>'
            f'<svg viewBox="0 0 {left + width + 110} {total_h}" width="{left + width + 110}" role="img" '
            f'aria-labelledby="{chart_id}-c" aria-describedby="{chart_id}-d"><desc id="{chart_id}-d">{esc(desc)}</desc>'
            f'{"".join(parts)}</svg></figure>')


def paired_chart(caption: str, rows: list[tuple[str, float, float]], chart_id: str, unit: str = "%") -> str:
    """Two bars per row (first attempt, latest attempt), values 0-100."""
    height, left, width = 34, 190, 340
    parts = []
    for i, (name, first, latest) in enumerate(rows):
        y = 5 + i * height
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" font-size="13">{esc(short(name))}</text>')
        for j, (value, colour) in enumerate(((first, FIRST_COLOUR), (latest, LATEST_COLOUR))):
            parts.append(f'<rect x="{left}" y="{y + 3 + j * 14}" width="{max(value, 0) / 100 * width:.1f}" '
                         f'height="12" fill="{colour}"/>'
                         f'<text x="{left + max(value, 0) / 100 * width + 6:.1f}" y="{y + 13 + j * 14}" '
                         f'font-size="11">{value:.0f}{unit}</text>')
    legend_y = 10 + len(rows) * height
    parts.append(f'<rect x="{left}" y="{legend_y}" width="12" height="12" fill="{FIRST_COLOUR}"/>'
                 f'<text x="{left + 18}" y="{legend_y + 11}" font-size="12">first attempt</text>'
                 f'<rect x="{left + 120}" y="{legend_y}" width="12" height="12" fill="{LATEST_COLOUR}"/>'
                 f'<text x="{left + 138}" y="{legend_y + 11}" font-size="12">latest attempt</text>')
    desc = "; ".join(f"{name}: first {a:.0f}{unit}, latest {b:.0f}{unit}" for name, a, b in rows)
    return (f'<figure><figcaption id="{chart_id}-c">{esc(caption)}</figcaption>'
            f'<svg viewBox="0 0 {left + width + 80} {legend_y + 20}" width="{left + width + 80}" role="img" '
            f'aria-labelledby="{chart_id}-c" aria-describedby="{chart_id}-d"><desc id="{chart_id}-d">{esc(desc)}</desc>'
            f'{"".join(parts)}</svg></figure>')


def histogram_chart(histogram: list[int]) -> str:
    peak = max(histogram) or 1
    width, height, bar = 440, 160, 40
    parts = []
    for i, count in enumerate(histogram):
        h = count / peak * (height - 40)
        x = 20 + i * (bar + 2)
        parts.append(f'<rect x="{x}" y="{height - 20 - h:.1f}" width="{bar}" height="{h:.1f}" fill="{LATEST_COLOUR}"/>'
                     f'<text x="{x + bar / 2}" y="{height - 24 - h:.1f}" text-anchor="middle" font-size="11">{count}</text>'
                     f'<text x="{x + bar / 2}" y="{height - 5}" text-anchor="middle" font-size="11">{i * 10}</text>')
    desc = "; ".join(f"{i * 10} to {i * 10 + 9 if i < 9 else 100}: {c}" for i, c in enumerate(histogram))
    return ('<figure><figcaption id="hist-c">Listening scores (0 to 100), replies per band of ten</figcaption>'
            f'<svg viewBox="0 0 {width} {height}" width="{width}" role="img" aria-labelledby="hist-c" '
            f'aria-describedby="hist-d"><desc id="hist-d">{esc(desc)}</desc>{"".join(parts)}</svg></figure>')


def highlighted(example: Example) -> str:
    """The reply with each piece of evidence marked and named (the name is text, not only a colour)."""
    out = []
    by_name = {m.name: m for m in example.marks}
    for text, category in segments(example.reply, example.marks):
        if category is None:
            out.append(esc(text))
            continue
        mark = by_name.get(category)
        kind = "mixed" if mark is None else ("skill" if mark.label in SKILLS else
                                              ("possible" if mark.possible else "barrier"))
        out.append(f'<mark class="{kind}">{esc(text)}<span class="tag">{esc(category)}</span></mark>')
    return "".join(out)


def _exercise_name(key: str, titles: Mapping[str, str]) -> str:
    if key == OWN:
        return "Rows with their own disclosure"
    return f"{titles[key]} ({key})" if key in titles else key


def _examples(title: str, examples: list[Example], titles: Mapping[str, str], section_id: str) -> str:
    if not examples:
        return ""
    cards = []
    for e in examples:
        found = ", ".join(label_title(label) for label in e.labels) or "nothing flagged"
        cards.append(f'<article class="reply"><h3>Listening score {e.score} · id {esc(e.id)}</h3>'
                     f'<p class="quiet">{esc(_exercise_name(e.exercise, titles))} · {esc(found)}</p>'
                     f'<p class="text">{highlighted(e)}</p></article>')
    return f'<section id="{section_id}"><h2>{esc(title)}</h2>{"".join(cards)}</section>'


def _rate_cell(count: int, whole: int, colour: str) -> str:
    share = count / whole if whole else 0
    alpha = f"{0.08 + 0.5 * share:.2f}"
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f'<td class="n" style="background:rgba({red},{green},{blue},{alpha})">{_pct(count, whole)}</td>'


def _exercise_table(tally: Tally, titles: Mapping[str, str]) -> str:
    head = "".join(f'<th scope="col">{esc(label_title(label))}</th>' for label in LABELS)
    rows = []
    for key, counts in sorted(tally.exercises.items(), key=lambda kv: (-kv[1].replies, kv[0])):
        cells = "".join(_rate_cell(counts.labels[label], counts.replies,
                                   BARRIER_COLOUR if label in BARRIERS else SKILL_COLOUR) for label in LABELS)
        rows.append(f'<tr><th scope="row">{esc(_exercise_name(key, titles))}</th><td class="n">{counts.replies}</td>'
                    f'<td class="n">{counts.score_total / counts.replies:.0f}</td>{cells}</tr>')
    return ('<section id="exercises"><h2>By exercise</h2><p class="quiet">Share of each exercise\'s scored replies '
            'showing each barrier and skill (darker is more often).</p><div class="scroll"><table>'
            f'<thead><tr><th scope="col">Exercise</th><th scope="col">Replies</th><th scope="col">Mean score</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div></section>')


def _titles(labels: Iterable[str]) -> str:
    return ", ".join(label_title(label) for label in LABELS if label in set(labels)) or "none"


def _learner_section(tally: Tally) -> str:
    if not tally.learners:
        return ""
    moved = progress(tally)
    parts = ['<section id="learners"><h2>Learners over time</h2>',
             f'<p>{len(tally.learners)} learner{"s" if len(tally.learners) != 1 else ""}. Attempts are ordered by '
             "the <code>timestamp</code> column, else <code>attempt</code>, else their order in the file; "
             "each learner's first attempt is compared with their latest.</p>"]
    if moved is None:
        parts.append('<p class="quiet">No learner has two scored attempts yet, so there is no change to show.</p>')
    else:
        parts.append(f'<ul class="figures"><li><strong>{moved.learners}</strong>learners with two or more attempts</li>'
                     f'<li><strong>{moved.first_mean:.0f} → {moved.latest_mean:.0f}</strong>mean listening score, '
                     'first → latest</li></ul>')
        for kind, labels in (("Barriers", BARRIERS), ("Skills", SKILLS)):
            rows = [(label_title(label), 100 * moved.first_labels[label] / moved.learners,
                     100 * moved.latest_labels[label] / moved.learners) for label in labels]
            parts.append(paired_chart(f"{kind}: share of learners showing each, first against latest attempt",
                                      rows, f"learners-{kind.lower()}"))
    listed = sorted(tally.learners.items(), key=lambda kv: (-kv[1].attempts, kv[0]))
    charted = [(name, r) for name, r in listed if r.attempts >= 2][:LEARNERS_CHARTED]
    if charted:
        rows = [(name, r.first.score, r.latest.score) for name, r in charted]  # type: ignore[union-attr]
        parts.append(paired_chart(f"Listening score, first against latest attempt (the {len(charted)} learners with "
                                  "the most attempts)", rows, "learner-scores", unit=""))
    body = []
    for name, r in listed[:LEARNERS_LISTED]:
        first, latest = r.first, r.latest
        body.append(f'<tr><th scope="row">{esc(name)}</th><td class="n">{r.attempts}</td>'
                    f'<td class="n">{first.score}</td><td class="n">{latest.score}</td>'  # type: ignore[union-attr]
                    f"<td>{esc(_titles(first.labels))}</td><td>{esc(_titles(latest.labels))}</td></tr>")  # type: ignore[union-attr]
    more = (f'<p class="quiet">The {len(listed) - LEARNERS_LISTED} learners with the fewest attempts are not listed.</p>'
            if len(listed) > LEARNERS_LISTED else "")
    parts.append('<div class="scroll"><table><thead><tr><th scope="col">Learner</th><th scope="col">Attempts</th>'
                 '<th scope="col">First score</th><th scope="col">Latest score</th><th scope="col">First: labels</th>'
                 f'<th scope="col">Latest: labels</th></tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}'
                 "</section>")
    return "".join(parts)


def render(tally: Tally, titles: Mapping[str, str] | None = None, source: str = "") -> str:
    """The report as one HTML document (no script, no network)."""
    titles = titles or {}
    scored = tally.scored
    mean = f"{tally.mean_score:.0f}" if tally.mean_score is not None else "-"
    overview = (f'<ul class="figures"><li><strong>{tally.rows}</strong>rows read</li>'
                f'<li><strong>{scored}</strong>replies scored</li><li><strong>{tally.failed}</strong>rows that could '
                f'not be scored</li><li><strong>{mean}</strong>mean listening score (0-100)</li></ul>')
    sections = [f"<header><h1>Listening report</h1><p class=\"quiet\">{esc(source)}</p>{overview}</header>"]
    if scored:
        sections.append(
            '<section id="overall"><h2>How often each barrier and skill occurs</h2>'
            '<p class="quiet">Share of the scored replies in which the coach found each label.</p>'
            + bar_chart("What got in the way (barriers)", [(label_title(b), tally.labels[b]) for b in BARRIERS],
                        scored, BARRIER_COLOUR, "barriers")
            + bar_chart("What helped (skills)", [(label_title(s), tally.labels[s]) for s in SKILLS],
                        scored, SKILL_COLOUR, "skills")
            + histogram_chart(tally.histogram) + "</section>")
        sections.append(_exercise_table(tally, titles))
        sections.append(_learner_section(tally))
        sections.append(_examples("Highest-scoring replies", tally.highest, titles, "highest"))
        sections.append(_examples("Lowest-scoring replies", tally.lowest, titles, "lowest"))
    if tally.failed:
        items = "".join(f"<li>id {esc(i)}: {esc(e)}</li>" for i, e in tally.errors)
        more = (f'<p class="quiet">The first {len(tally.errors)} are listed; every one is in the scored file\'s '
                "<code>error</code> column.</p>" if tally.failed > len(tally.errors) else "")
        sections.append(f'<section id="errors"><h2>Rows that could not be scored</h2><ul>{items}</ul>{more}</section>')
    sections.append('<footer><p class="quiet">Labels and scores from the listening coach, a practice aid: flags '
                    f"with a score under {LIKELY} read \"possibly\". Marked words are the evidence the coach found.</p></footer>")
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Listening report</title><style>{CSS}</style></head><body><main>{''.join(sections)}</main></body></html>")
