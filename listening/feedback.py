"""The result types: what the coach says about one reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from listening.labels import BARRIERS, BY_NAME, LABELS, PRACTICES, Practice

# A flag scoring at least this is shown as likely; below it (but over its threshold) as possible.
LIKELY = 0.7


@dataclass(frozen=True)
class Evidence:
    """Words of the reply that show a label; offsets are Python str indices, end exclusive."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Flag:
    """A barrier found in the reply, with where it is, why it matters and what to try."""

    label: str
    score: float
    spans: tuple[Evidence, ...]
    practices: tuple[Practice, ...]
    why: str
    alternative: str

    @property
    def title(self) -> str:
        return BY_NAME[self.label].title

    @property
    def confidence(self) -> str:
        return "likely" if self.score >= LIKELY else "possible"

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "confidence": self.confidence,
            "practices": [p.number for p in self.practices],
            "practice_titles": [p.title for p in self.practices],
            "spans": [s.to_dict() for s in self.spans],
            "why": self.why,
            "try": self.alternative,
        }


@dataclass(frozen=True)
class Skill:
    """A listening skill the reply used, and the words that show it."""

    label: str
    score: float
    spans: tuple[Evidence, ...]
    practices: tuple[Practice, ...]
    note: str

    @property
    def title(self) -> str:
        return BY_NAME[self.label].title

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "practices": [p.number for p in self.practices],
            "spans": [s.to_dict() for s in self.spans],
            "note": self.note,
        }


@dataclass(frozen=True)
class Feedback:
    """Everything the coach found in one reply to one disclosure."""

    disclosure: str
    reply: str
    scores: dict[str, float]
    flags: tuple[Flag, ...]
    skills: tuple[Skill, ...]
    summary: str

    @property
    def labels(self) -> list[str]:
        found = {f.label for f in self.flags} | {s.label for s in self.skills}
        return [label for label in LABELS if label in found]

    @property
    def listening_score(self) -> int:
        return listening_score([f.score for f in self.flags], [s.score for s in self.skills])

    def to_dict(self) -> dict:
        return {
            "labels": self.labels,
            "scores": {label: round(self.scores[label], 4) for label in LABELS},
            "flags": [f.to_dict() for f in self.flags],
            "skills": [s.to_dict() for s in self.skills],
            "listening_score": self.listening_score,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: dict, disclosure: str, reply: str) -> "Feedback":
        """The feedback back from ``to_dict`` (which leaves the two texts out), e.g. as kept in a database."""

        def spans(found: dict) -> tuple[Evidence, ...]:
            return tuple(Evidence(int(s["start"]), int(s["end"]), str(s["text"])) for s in found["spans"])

        def practices(found: dict) -> tuple[Practice, ...]:
            return tuple(PRACTICES[int(n)] for n in found["practices"])

        return cls(
            disclosure=disclosure,
            reply=reply,
            scores={label: float(data["scores"][label]) for label in LABELS},
            flags=tuple(Flag(f["label"], float(f["score"]), spans(f), practices(f), f["why"], f["try"])
                        for f in data["flags"]),
            skills=tuple(Skill(s["label"], float(s["score"]), spans(s), practices(s), s["note"])
                         for s in data["skills"]),
            summary=data["summary"],
        )


def listening_score(flag_scores: Iterable[float], skill_scores: Iterable[float]) -> int:
    """0-100: skills raise it, barriers lower it, each weighted by its score."""
    gained = sum(min(score, 1.0) * 15 for score in skill_scores)
    lost = sum(min(score, 1.0) * 25 for score in flag_scores)
    return int(round(max(0.0, min(100.0, 55 + gained - lost))))


def is_barrier(label: str) -> bool:
    return label in BARRIERS
