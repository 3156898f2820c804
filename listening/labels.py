"""The product's vocabulary: the eight labels and the practices they tie to.

This is the one place where label names, their kind (barrier or skill), the
practices and their guidance live; everything else imports from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    BARRIER = "barrier"
    SKILL = "skill"


@dataclass(frozen=True)
class Practice:
    """One of the practices of the source essay, in the project's own words."""

    number: int
    title: str
    summary: str
    core: bool  # practices 1, 2 and 4 are the ones the coach trains most


PRACTICES: dict[int, Practice] = {
    p.number: p
    for p in (
        Practice(
            1,
            "Make it safe to speak",
            "People only open up where they expect no verdict. Hold back labels, blame and "
            "lectures, and let the other person finish before you weigh anything.",
            True,
        ),
        Practice(
            2,
            "Listen openly, without defending or rehearsing",
            "Take in what is said before you answer it. Don't plan your rebuttal or your fix "
            "while they talk, and don't turn a complaint into a trial of who is right.",
            True,
        ),
        Practice(
            3,
            "Let yourself be known",
            "Closeness grows when both people risk showing what they fear and hope, at a "
            "moment when it helps the other rather than replaces them.",
            False,
        ),
        Practice(
            4,
            "Feel with them, then show it",
            "Try to sense what the feeling is like from the inside, even when you would feel "
            "differently, and say back that it makes sense before anything else.",
            True,
        ),
        Practice(
            5,
            "Share rituals that connect",
            "Regular shared moments (a walk, a meal, a weekly check-in) give feelings a "
            "place to come out.",
            False,
        ),
        Practice(
            6,
            "Be fully present",
            "Give your attention to them, not to your phone or your own story, for as long "
            "as the conversation needs it.",
            False,
        ),
        Practice(
            7,
            "Know your own reactions",
            "Notice what a conversation stirs in you, so your own feelings don't steer "
            "your reply.",
            False,
        ),
    )
}


@dataclass(frozen=True)
class Label:
    """A barrier or a skill the coach listens for."""

    name: str
    kind: Kind
    title: str
    description: str
    practices: tuple[int, ...]


LABEL_LIST: tuple[Label, ...] = (
    Label(
        "judgment",
        Kind.BARRIER,
        "Judging",
        "criticizing, moralizing, labelling or blaming the speaker, or telling them how they should feel",
        (1,),
    ),
    Label(
        "defensiveness",
        Kind.BARRIER,
        "Getting defensive",
        "justifying yourself, denying, making excuses or counter-attacking when the speaker raises a concern about you",
        (2,),
    ),
    Label(
        "premature_advice",
        Kind.BARRIER,
        "Jumping to advice",
        "offering fixes or instructions before the speaker feels understood, when they did not ask",
        (2, 4),
    ),
    Label(
        "minimizing",
        Kind.BARRIER,
        "Minimizing",
        "shrinking, dismissing or silver-lining the feeling",
        (4,),
    ),
    Label(
        "self_focus",
        Kind.BARRIER,
        "Turning it to yourself",
        "steering the conversation to your own story, feelings or needs",
        (2, 6),
    ),
    Label(
        "validation",
        Kind.SKILL,
        "Validating",
        "acknowledging the feeling and saying it makes sense, with warmth",
        (4, 1),
    ),
    Label(
        "reflection",
        Kind.SKILL,
        "Reflecting",
        "putting the speaker's experience into your own words",
        (2, 4),
    ),
    Label(
        "open_question",
        Kind.SKILL,
        "Asking an open question",
        "inviting them to say more about their experience",
        (2, 4),
    ),
)

LABELS: tuple[str, ...] = tuple(label.name for label in LABEL_LIST)
BY_NAME: dict[str, Label] = {label.name: label for label in LABEL_LIST}
BARRIERS: tuple[str, ...] = tuple(l.name for l in LABEL_LIST if l.kind is Kind.BARRIER)
SKILLS: tuple[str, ...] = tuple(l.name for l in LABEL_LIST if l.kind is Kind.SKILL)
