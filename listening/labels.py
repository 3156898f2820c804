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
# Labels that exist only when the disclosure implicates the listener (a complaint or hurt about them).
NEEDS_IMPLICATED: tuple[str, ...] = ("defensiveness",)
# Premature only when advice was not asked for, or was asked for but no acknowledgment came first.
UNLESS_ASKED: str = "premature_advice"
# The skills that count as acknowledging the feeling before a suggestion.
ACKNOWLEDGING: tuple[str, ...] = ("validation", "reflection")
BY_NAME: dict[str, Label] = {label.name: label for label in LABEL_LIST}
BARRIERS: tuple[str, ...] = tuple(l.name for l in LABEL_LIST if l.kind is Kind.BARRIER)
SKILLS: tuple[str, ...] = tuple(l.name for l in LABEL_LIST if l.kind is Kind.SKILL)


@dataclass(frozen=True)
class Guidance:
    """Longer guidance on a core practice, for the app's practices view (the project's own words)."""

    practice: int
    idea: str
    try_this: tuple[str, ...]
    sounds_like: tuple[str, ...]


GUIDANCE: dict[int, Guidance] = {
    g.practice: g
    for g in (
        Guidance(
            1,
            "Before someone tells you something hard, they are quietly asking what it will cost them. If "
            "earlier conversations ended in a verdict, a lecture or a sigh, the next thing they share will be "
            "smaller and safer, or nothing at all. Safety is built one reply at a time: each time you hear "
            "something awkward without scoring it, the next conversation gets easier to start.",
            (
                "Let them reach the end of what they want to say before you decide anything about it.",
                "Answer the feeling before the facts: \"that sounds embarrassing\" helps more than "
                "\"well, what did you expect?\"",
                "Keep \"always\", \"never\", \"overreacting\" and \"you should feel\" out of your first reply.",
                "Thank them for telling you, above all when it was hard to say or was about you.",
            ),
            ("I'm glad you told me.", "That makes sense to me.", "Take your time, I'm listening."),
        ),
        Guidance(
            2,
            "Most of us listen with half our mind on our answer: the fix we will offer, the fact we will "
            "correct, the reason it was not our fault. While that answer is being drafted, their words are "
            "only half heard, and they can tell. Listening openly means letting what they say land first, even "
            "when it is about you, and using your reply to check you understood rather than to win or to wrap "
            "things up.",
            (
                "When you catch yourself building an answer, go back to their last sentence and say it back in "
                "your own words.",
                "If the complaint is about you, find the part that is true before you explain the rest; the "
                "explanation can wait.",
                "Hold advice until they ask for it, or ask whether they want ideas or just an ear.",
                "Keep your own story for later: one \"that happened to me too\" can take the conversation "
                "away from them.",
            ),
            (
                "So what got to you most was…",
                "You're right that I did that, and I can see why it hurt.",
                "Do you want ideas, or mostly to get it off your chest?",
            ),
        ),
        Guidance(
            4,
            "Empathy is less about agreeing and more about imagining what it is like to be them, right now, with "
            "this. You might have handled it differently, or think the worry is out of proportion; that does not "
            "matter yet. The feeling is real for them, and saying so out loud, in words that fit their situation, "
            "is what tells them they are not alone with it. Cheering up, comparing and looking on the bright "
            "side all skip this step.",
            (
                "Guess the feeling and offer it lightly: \"you sound really let down\", \"that must have been "
                "frightening\".",
                "Say why it makes sense, with their details: \"after three weeks of that, of course you're "
                "exhausted\".",
                "Leave out \"at least\" and \"it could be worse\", even when they are true.",
                "Ask one open question about their experience, then let the answer run.",
            ),
            (
                "No wonder you're worn out.",
                "That sounds really lonely.",
                "What has been the hardest part?",
            ),
        ),
    )
}
