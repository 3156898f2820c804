"""Pure builders for what the app shows: highlight segments from character offsets, and HTML fragments.

No Gradio here. Every piece of text that came from a person (a reply, a disclosure, an exercise) or
from the engine goes through ``esc`` before it reaches HTML, so markup in it is shown as text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Sequence

from listening.feedback import Feedback, Flag, Skill
from listening.highlight import (  # noqa: F401 - the app's highlight vocabulary, shared with the batch report
    BARRIER_COLOUR,
    MIXED_COLOUR,
    POSSIBLE_COLOUR,
    SKILL_COLOUR,
    Mark,
    colour_map,
    segments,
)
from listening.labels import BARRIERS, BY_NAME, GUIDANCE, LABELS, PRACTICES, SKILLS


def esc(text: object) -> str:
    """Text as HTML text: markup is shown, never run."""
    return html.escape("" if text is None else str(text), quote=True)


def label_title(label: str) -> str:
    return BY_NAME[label].title


# --- the highlighted reply ---------------------------------------------------------------------------


def marks_of(feedback: Feedback) -> list[Mark]:
    """Every evidence span of the feedback, skills and flags alike, clipped to the reply."""
    n = len(feedback.reply)
    marks = []
    findings: list[Flag | Skill] = [*feedback.skills, *feedback.flags]
    for finding in findings:
        possible = isinstance(finding, Flag) and finding.confidence != "likely"
        for span in finding.spans:
            start, end = max(0, min(n, span.start)), max(0, min(n, span.end))
            if start < end:
                marks.append(Mark(start, end, finding.label, possible))
    return marks


# --- feedback cards -----------------------------------------------------------------------------------


def _quotes(spans) -> str:
    if not spans:
        return ""
    items = "".join(f"<li><q>{esc(s.text)}</q></li>" for s in spans)
    return f'<ul class="evidence" aria-label="Words that show it">{items}</ul>'


def _practice_buttons(practices) -> str:
    return "".join(
        f'<button type="button" class="practice-link" data-practice="{p.number}" '
        f'aria-label="Open practice {p.number} in the practices view: {esc(p.title)}">'
        f"Practice {p.number}: {esc(p.title)} →</button>"
        for p in practices
    )


def flag_heading(flag: Flag) -> str:
    if flag.confidence == "likely":
        return f"{label_title(flag.label)}"
    return f"Possibly {label_title(flag.label).lower()}"


def _cards(kind: str, title: str, cards: list[str], empty: str) -> str:
    """A titled section of feedback cards, or the sentence that says there are none."""
    body = "".join(cards) if cards else f'<p class="quiet">{empty}</p>'
    return (f'<section class="cards {kind}" aria-labelledby="{kind}-h"><h3 id="{kind}-h">{title}</h3>'
            f"{body}</section>")


def _practice_names(practices) -> str:
    return "; ".join(f"Practice {p.number}: {esc(p.title)}" for p in practices)


def flags_html(feedback: Feedback | None, practice_links: bool = True) -> str:
    """One card per barrier: the words, the practice it relates to, why it matters and what to try.
    ``practice_links``: buttons that open the practice (the learner app), else the practices named as text."""
    if feedback is None:
        return ""
    cards = []
    for i, flag in enumerate(feedback.flags):
        confidence = (
            '<span class="confidence likely">likely</span>' if flag.confidence == "likely"
            else '<span class="confidence possible">possibly: the coach is not sure</span>'
        )
        cards.append(
            f'<article class="card flag {flag.confidence}" data-label="{esc(flag.label)}" '
            f'aria-labelledby="flag-{i}-h">'
            f'<h4 id="flag-{i}-h"><span class="kind">Got in the way</span> {esc(flag_heading(flag))} '
            f"{confidence}</h4>"
            f"{_quotes(flag.spans)}"
            f'<p class="why"><strong>Why it matters.</strong> {esc(flag.why)}</p>'
            f'<p class="try"><strong>Try instead.</strong> {esc(flag.alternative)}</p>'
            + (f'<p class="practices">{_practice_buttons(flag.practices)}</p>' if practice_links
               else f'<p class="practices"><strong>Related:</strong> {_practice_names(flag.practices)}</p>')
            + "</article>"
        )
    return _cards("flags", "What got in the way", cards, "Nothing the coach listens for got in the way this time.")


def skills_html(feedback: Feedback | None) -> str:
    """The skills the reply used, named first, with the words that show each."""
    if feedback is None:
        return ""
    cards = []
    for i, skill in enumerate(feedback.skills):
        cards.append(
            f'<article class="card skill" data-label="{esc(skill.label)}" aria-labelledby="skill-{i}-h">'
            f'<h4 id="skill-{i}-h"><span class="kind">Helped</span> {esc(label_title(skill.label))}</h4>'
            f"{_quotes(skill.spans)}"
            f"<p>{esc(skill.note)}</p>"
            "</article>"
        )
    return _cards("skills", "What helped", cards, "No listening skill stood out yet: try saying back what you "
                  "heard, naming the feeling, or asking an open question.")


@dataclass(frozen=True)
class Changes:
    """What changed between two attempts on the same disclosure."""

    flags_gone: tuple[str, ...]
    flags_new: tuple[str, ...]
    skills_gained: tuple[str, ...]
    skills_lost: tuple[str, ...]
    score_delta: int
    previous_score: int

    def to_dict(self) -> dict:
        return {
            "flags_gone": list(self.flags_gone), "flags_new": list(self.flags_new),
            "skills_gained": list(self.skills_gained), "skills_lost": list(self.skills_lost),
            "score_delta": self.score_delta, "previous_score": self.previous_score,
        }


def compare(previous: dict, current: Feedback) -> Changes:
    """``previous`` is a summary dict (flags, skills, score) kept from the last attempt."""
    before_flags, before_skills = set(previous["flags"]), set(previous["skills"])
    now_flags = {f.label for f in current.flags}
    now_skills = {s.label for s in current.skills}
    order = {label: i for i, label in enumerate(LABELS)}
    sort = lambda labels: tuple(sorted(labels, key=order.__getitem__))  # noqa: E731
    return Changes(
        flags_gone=sort(before_flags - now_flags),
        flags_new=sort(now_flags - before_flags),
        skills_gained=sort(now_skills - before_skills),
        skills_lost=sort(before_skills - now_skills),
        score_delta=current.listening_score - int(previous["score"]),
        previous_score=int(previous["score"]),
    )


def attempt_summary(feedback: Feedback) -> dict:
    """What the next attempt is compared with."""
    return {
        "flags": [f.label for f in feedback.flags],
        "skills": [s.label for s in feedback.skills],
        "score": feedback.listening_score,
    }


def _titles(labels: Sequence[str]) -> str:
    return ", ".join(esc(label_title(label)) for label in labels)


def changes_html(changes: Changes | None) -> str:
    if changes is None:
        return ""
    d = changes.score_delta
    delta = f"+{d}" if d > 0 else ("no change" if d == 0 else f"−{-d}")
    items = [f'<li class="delta"><strong>Score {delta}</strong> (was {changes.previous_score})</li>']
    if changes.flags_gone:
        items.append(f'<li class="good"><span class="sym" aria-hidden="true">✓</span> Gone: '
                     f"{_titles(changes.flags_gone)}</li>")
    if changes.skills_gained:
        items.append(f'<li class="good"><span class="sym" aria-hidden="true">+</span> New skill: '
                     f"{_titles(changes.skills_gained)}</li>")
    if changes.flags_new:
        items.append(f'<li class="bad"><span class="sym" aria-hidden="true">!</span> New this time: '
                     f"{_titles(changes.flags_new)}</li>")
    if changes.skills_lost:
        items.append(f'<li class="bad"><span class="sym" aria-hidden="true">−</span> Not there this time: '
                     f"{_titles(changes.skills_lost)}</li>")
    if len(items) == 1 and d == 0:
        items.append("<li>Same findings as last time.</li>")
    return (
        '<section class="changes" aria-labelledby="changes-h"><h3 id="changes-h">Since your last try</h3>'
        f'<ul>{"".join(items)}</ul></section>'
    )


def score_html(feedback: Feedback | None, attempt: int = 1, saved: bool | None = None) -> str:
    if feedback is None:
        return ""
    score = feedback.listening_score
    band = "high" if score >= 70 else ("mid" if score >= 45 else "low")
    note = "" if saved is None else ("Saved to your history." if saved else "Not saved (saving is off).")
    return (
        f'<section class="score {band}" aria-labelledby="score-h">'
        f'<h3 id="score-h" class="visually-hidden">Your feedback, attempt {attempt}</h3>'
        f'<div class="score-number"><span class="visually-hidden">Listening score </span>'
        f'<span class="n">{score}</span><span class="of">/ 100</span></div>'
        f'<div class="score-text"><p class="score-label">Listening score · attempt {attempt}</p>'
        f'<p class="summary">{esc(feedback.summary)}</p>'
        f'<div class="bar" aria-hidden="true"><span style="width:{score}%"></span></div>'
        + (f'<p class="quiet saved">{esc(note)}</p>' if note else "")
        + "</div></section>"
    )


def message_html(text: str | None, kind: str = "error") -> str:
    """One clear sentence for the learner; read out by screen readers as soon as it appears."""
    if not text:
        return ""
    role = "alert" if kind == "error" else "status"
    return f'<div class="message {esc(kind)}" role="{role}">{esc(text)}</div>'


def partner_html(disclosure: str, title: str = "", relationship: str = "", theme: str = "",
                 difficulty: str = "") -> str:
    """The disclosure as a message from the learner's partner, friend or relative."""
    if not disclosure:
        return ('<section class="partner empty" aria-label="Their message">'
                '<p class="quiet">Choose a conversation above, or write your own.</p></section>')
    who = f"Your {relationship} says:" if relationship else "They say:"
    meta = " · ".join(esc(x.replace("_", " ")) for x in (theme, difficulty) if x)
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in disclosure.split("\n") if p.strip())
    heading = f'<p class="partner-title">{esc(title)}' + (f' <span class="partner-meta">{meta}</span>' if meta else "")
    return (
        '<section class="partner" aria-labelledby="partner-h">'
        + (heading + "</p>" if title else "")
        + f'<h2 id="partner-h" class="partner-who">{esc(who)}</h2>'
        + f'<div class="bubble">{paragraphs}</div>'
        + "</section>"
    )


def examples_html(examples: Sequence[str], reason: str = "") -> str:
    if not examples:
        return f'<section class="examples"><p class="quiet">{esc(reason or "No example replies here.")}</p></section>'
    items = "".join(f"<li><q>{esc(e)}</q></li>" for e in examples)
    return (
        '<section class="examples" aria-labelledby="examples-h"><h3 id="examples-h">Example replies</h3>'
        '<p class="quiet">Some ways a good listener might answer. Yours does not need to match them.</p>'
        f"<ol>{items}</ol></section>"
    )


# --- the practices view ------------------------------------------------------------------------------


def _labels_for(practice: int, kinds: Sequence[str]) -> list[str]:
    return [name for name in LABELS if name in kinds and practice in BY_NAME[name].practices]


def practices_html() -> str:
    """Practices 1, 2 and 4 in depth, the others briefly; each a section with an id to jump to."""
    parts = []
    core = [p for p in PRACTICES.values() if p.core]
    rest = [p for p in PRACTICES.values() if not p.core]
    for practice in core + rest:
        n = practice.number
        guide = GUIDANCE.get(n)
        barriers = _labels_for(n, BARRIERS)
        skills = _labels_for(n, SKILLS)
        body = [f'<p class="lead">{esc(practice.summary)}</p>']
        if guide:
            body.append(f"<p>{esc(guide.idea)}</p>")
        if barriers:
            items = "".join(f"<li><strong>{esc(label_title(b))}</strong>: {esc(BY_NAME[b].description)}</li>"
                            for b in barriers)
            body.append(f"<h4>What gets in the way</h4><ul>{items}</ul>")
        if skills:
            items = "".join(f"<li><strong>{esc(label_title(s))}</strong>: {esc(BY_NAME[s].description)}</li>"
                            for s in skills)
            body.append(f"<h4>What helps</h4><ul>{items}</ul>")
        if guide:
            items = "".join(f"<li>{esc(t)}</li>" for t in guide.try_this)
            body.append(f"<h4>Try this</h4><ul>{items}</ul>")
            items = "".join(f"<li><q>{esc(t)}</q></li>" for t in guide.sounds_like)
            body.append(f'<h4>It can sound like</h4><ul class="sounds">{items}</ul>')
        cls = "practice core" if practice.core else "practice brief"
        parts.append(
            f'<section class="{cls}" id="practice-{n}" tabindex="-1" aria-labelledby="practice-{n}-h">'
            f'<h3 id="practice-{n}-h"><span class="num">{n}</span> {esc(practice.title)}</h3>'
            + "".join(body) + "</section>"
        )
    intro = (
        '<p class="lead">The coach ties everything it notices to a handful of listening practices. '
        "Practices 1, 2 and 4 are the ones it trains most, so they come first and in more depth.</p>"
    )
    core_html = "".join(parts[: len(core)])
    rest_html = "".join(parts[len(core):])
    return (
        f'<div class="practices-view">{intro}{core_html}'
        f'<h2 class="others-h">The other practices, briefly</h2>{rest_html}</div>'
    )


# --- history -----------------------------------------------------------------------------------------


def needs_work_html(needs: Sequence[dict], recent: int) -> str:
    """``needs``: dicts with practice, title, count, attempts, labels (label -> count)."""
    if not needs:
        return (
            '<section class="needs" aria-labelledby="needs-h"><h3 id="needs-h">Practices to work on</h3>'
            '<p class="quiet">Nothing stands out yet. Keep practising and this fills in.</p></section>'
        )
    items = []
    for need in needs:
        labels = ", ".join(f"{esc(label_title(label))} ×{count}" for label, count in need["labels"].items())
        plural = "s" if need["attempts"] != 1 else ""
        items.append(
            f'<li><button type="button" class="practice-link" data-practice="{need["practice"]}">'
            f'Practice {need["practice"]}: {esc(need["title"])}</button> '
            f'<span>came up in {need["count"]} of {need["attempts"]} recent attempt{plural} ({labels})</span></li>'
        )
    return (
        '<section class="needs" aria-labelledby="needs-h"><h3 id="needs-h">Practices to work on</h3>'
        f'<p class="quiet">From your last {recent} attempts at most.</p><ul>{"".join(items)}</ul></section>'
    )
