"""Workshop rooms, as plain data and pure functions: a facilitator runs a room, participants join it with a
short code and reply to one exercise at a time, and a projector shows the room's replies as a whole.

No I/O here. ``listening.room_store`` keeps rooms in SQLite and applies the transitions below atomically;
``listening.workshop`` checks the code and the facilitator key (or a participant's token) on every action;
``listening.ui.workshop`` lays out the pages.

    room = start_round(room, RoomExercise(1, "work-new-manager-old-team", title, disclosure, examples))
    check_can_submit(room, round=1)
    tally(submissions).counts["validation"]
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Callable, Iterable, Sequence

from listening.labels import BARRIERS, LABELS, SKILLS
from listening.spreadsheet import spreadsheet_safe

# Easy to read aloud and to type on a phone: no 0/O, no 1/I/L. 31**6 (about 887 million) codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_NICKNAME_CHARS = 40
OWN_EXERCISE_TITLE = "An exercise typed live"
# A participant's reply is checked by the coach's own limits (listening.errors); this is the room's cap on
# replies kept per participant and exercise, so one device cannot flood a room.
MAX_TRIES = 20


class RoomError(ValueError):
    """An action the room refuses; str(error) is one sentence fit to show the person who tried it."""


class Phase(StrEnum):
    WAITING = "waiting"    # no exercise chosen yet
    OPEN = "open"          # replies are accepted
    CLOSED = "closed"      # the exercise stays up, replies are refused


class Display(StrEnum):
    """What the projector shows under the exercise, besides the count and the chart."""

    CHART = "chart"
    WALL = "wall"
    COMPARE = "compare"
    EXAMPLES = "examples"


DISPLAY_NAMES: dict[Display, str] = {
    Display.CHART: "The chart only",
    Display.WALL: "The wall of replies",
    Display.COMPARE: "Two replies side by side",
    Display.EXAMPLES: "The example replies",
}


class Status(StrEnum):
    WAITING = "waiting"    # stored, not scored yet
    SCORED = "scored"
    FAILED = "failed"      # stored, but the coach could not score it


@dataclass(frozen=True)
class RoomExercise:
    """What the room replies to in one round: a library exercise or one typed live."""

    round: int
    exercise_id: str | None
    title: str
    disclosure: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Room:
    code: str
    key_hash: str             # sha256 of the facilitator key; the key itself is never stored
    created_at: str
    round: int = 0            # 0 until the first exercise
    phase: Phase = Phase.WAITING
    display: Display = Display.CHART
    compare: tuple[int, int] | None = None   # reply numbers in the current round
    revision: int = 0         # goes up with every change the projector may need to show
    exercise: RoomExercise | None = None     # the current round's


@dataclass(frozen=True)
class Participant:
    """Someone who joined with the code. The nickname is optional and never shown on the projector."""

    id: int
    room_code: str
    nickname: str | None
    joined_at: str


@dataclass(frozen=True)
class Submission:
    """One reply from one participant to one round's exercise; ``number`` counts replies within the round."""

    id: int
    room_code: str
    round: int
    number: int
    participant_id: int
    created_at: str
    reply: str
    status: Status = Status.WAITING
    hidden: bool = False
    listening_score: int | None = None
    labels: tuple[str, ...] = ()
    scores: dict[str, float] | None = None
    feedback: dict | None = None     # Feedback.to_dict() once scored
    error: str | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label in BARRIERS)

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label in SKILLS)


# --- codes and keys -----------------------------------------------------------------------------------


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: object) -> str:
    """What a person typed, as a code: upper case, spaces and dashes dropped."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"[\s\-]", "", text).upper()[:40]


def is_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def no_room(code: object) -> RoomError:
    shown = normalise_code(code)
    if not shown:
        return RoomError("Type the room's code: it is shown on the projector.")
    shown = re.sub(r"[^A-Z0-9]", "", shown)[:12] or "?"
    return RoomError(f"No room with code {shown} — check the code on the projector.")


def new_secret() -> str:
    """A facilitator key or a participant token: unguessable, URL-safe."""
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: object, stored_digest: str) -> bool:
    """Does ``secret`` hash to ``stored_digest``? Compared in constant time."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return False
    return secrets.compare_digest(digest(secret), stored_digest)


def authorise_facilitator(room: Room | None, code: object, key: object) -> Room:
    """The room, if ``key`` is its facilitator key; otherwise RoomError with one sentence."""
    if room is None:
        raise no_room(code)
    if not isinstance(key, str) or not key.strip():
        raise RoomError(f"This needs room {room.code}'s facilitator key; participants cannot do it.")
    if not secret_matches(key.strip(), room.key_hash):
        raise RoomError(f"That is not the facilitator key of room {room.code}.")
    return room


def check_nickname(text: object) -> str | None:
    """A nickname kept for the facilitator's download, or None; one line, at most 40 characters."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise RoomError("The nickname must be text.")
    name = " ".join(text.replace("\x00", "").split())
    if len(name) > MAX_NICKNAME_CHARS:
        raise RoomError(f"The nickname is {len(name)} characters long; the limit is {MAX_NICKNAME_CHARS}.")
    return name or None


# --- the room's flow ----------------------------------------------------------------------------------


def start_round(room: Room, exercise: RoomExercise) -> Room:
    """A new exercise on the projector: the next round, replies open, the chart alone under it."""
    if exercise.round != room.round + 1:
        raise ValueError(f"round {exercise.round} does not follow round {room.round}")
    return replace(room, round=exercise.round, exercise=exercise, phase=Phase.OPEN, display=Display.CHART,
                   compare=None)


def set_phase(room: Room, phase: Phase) -> Room:
    if room.exercise is None:
        raise RoomError("Choose an exercise first; then replies can open.")
    if phase is Phase.WAITING:
        raise ValueError("a room cannot go back to waiting")
    return replace(room, phase=phase)


def check_can_submit(room: Room, round: int) -> None:
    """Refuses a reply to anything but the open, current exercise."""
    if room.exercise is None:
        raise RoomError("The facilitator has not chosen an exercise yet; wait for it to appear here.")
    if round != room.round:
        raise RoomError("The facilitator has moved on to another exercise; read it above and reply to that one.")
    if room.phase is not Phase.OPEN:
        raise RoomError("Replies are closed for this exercise; wait for the facilitator to open the next one.")


def show(room: Room, display: Display | str) -> Room:
    try:
        display = Display(display)
    except ValueError:
        raise RoomError(f"The projector can show: {', '.join(d.value for d in Display)}.") from None
    if room.exercise is None:
        raise RoomError("Choose an exercise first; then the projector can show replies.")
    if display is Display.COMPARE and room.compare is None:
        raise RoomError("Pick two replies to compare first.")
    return replace(room, display=display)


def compare(room: Room, first: object, second: object, submissions: Sequence[Submission]) -> Room:
    """Two replies of the current round side by side on the projector."""
    a, b = reply_number(first), reply_number(second)
    if a == b:
        raise RoomError("Pick two different replies to compare.")
    numbers = {s.number for s in submissions if s.round == room.round}
    for n in (a, b):
        if n not in numbers:
            raise RoomError(f"There is no reply #{n} to this exercise yet.")
    return replace(room, compare=(a, b), display=Display.COMPARE)


def reply_number(value: object) -> int:
    """A reply number as typed or sent (``3``, ``"#3"``, ``3.0``)."""
    if isinstance(value, bool):
        raise RoomError("Give the reply's number, as shown in the list (e.g. 3).")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*#?\s*\d{1,6}\s*", value):
        value = int(value.strip().lstrip("#"))
    if not isinstance(value, int) or value < 1:
        raise RoomError("Give the reply's number, as shown in the list (e.g. 3).")
    return value


def next_exercise_id(order: Sequence[str], used: Sequence[str | None]) -> str:
    """The exercise after the last library exercise this room used, in the facilitator's list order."""
    if not order:
        raise RoomError("The exercise library is empty.")
    last = next((e for e in reversed(used) if e in order), None)
    if last is None:
        return order[0]
    index = order.index(last) + 1
    if index >= len(order):
        raise RoomError("That was the last exercise in the list; choose one, or type one live.")
    return order[index]


# --- what the room says as a whole --------------------------------------------------------------------


def latest_replies(submissions: Iterable[Submission]) -> list[Submission]:
    """Each participant's latest reply per round, in the order replies first came in."""
    latest: dict[tuple[int, int], Submission] = {}
    for s in sorted(submissions, key=lambda s: s.id):
        latest[(s.round, s.participant_id)] = s
    return sorted(latest.values(), key=lambda s: s.id)


@dataclass(frozen=True)
class Tally:
    """The room's replies to one exercise, counted the way the projector shows them.

    A participant who tries again counts once, with their latest reply. Hidden replies stay in the count
    of who replied, but leave the chart and the wall.
    """

    replied: int            # participants with a reply
    scored: int             # of their latest replies, those the coach has scored
    hidden: int             # of their latest replies, those the facilitator hid
    counted: int            # scored and not hidden: what the chart is out of
    counts: dict[str, int]  # label -> counted replies in which the coach found it
    average_score: float | None = None   # mean listening score of the counted replies

    def to_dict(self) -> dict:
        return {"replied": self.replied, "scored": self.scored, "hidden": self.hidden, "counted": self.counted,
                "counts": dict(self.counts), "average_score": self.average_score}


def tally(submissions: Iterable[Submission], round: int | None = None) -> Tally:
    replies = [s for s in latest_replies(submissions) if round is None or s.round == round]
    counted = [s for s in replies if s.status is Status.SCORED and not s.hidden]
    return Tally(
        replied=len(replies),
        scored=sum(s.status is Status.SCORED for s in replies),
        hidden=sum(s.hidden for s in replies),
        counted=len(counted),
        counts={label: sum(label in s.labels for s in counted) for label in LABELS},
        average_score=_average([s.listening_score or 0 for s in counted]),
    )


def _average(scores: Sequence[int]) -> float | None:
    return round(sum(scores) / len(scores), 1) if scores else None


def wall(submissions: Iterable[Submission], round: int) -> list[Submission]:
    """The replies the projector may show: latest per participant, scored, not hidden, oldest first."""
    return [s for s in latest_replies(submissions)
            if s.round == round and s.status is Status.SCORED and not s.hidden]


def by_number(submissions: Iterable[Submission], round: int, number: int) -> Submission | None:
    return next((s for s in submissions if s.round == round and s.number == number), None)


# --- the facilitator's download ------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "round", "exercise_id", "exercise_title", "reply_number", "participant", "nickname", "submitted_at",
    "reply", "status", "hidden", "latest", "listening_score", "labels", *(f"score_{label}" for label in LABELS),
)


def export_csv(rounds: Sequence[RoomExercise], participants: Sequence[Participant],
               submissions: Sequence[Submission]) -> str:
    """Every reply of the room, one row each; participants as P1, P2… in the order they joined.

    Cells a spreadsheet would run as a formula get a leading apostrophe.
    """
    exercises = {r.round: r for r in rounds}
    seat = {p.id: i for i, p in enumerate(sorted(participants, key=lambda p: p.id), start=1)}
    nickname = {p.id: p.nickname or "" for p in participants}
    latest = {s.id for s in latest_replies(submissions)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in sorted(submissions, key=lambda s: (s.round, s.number)):
        exercise = exercises.get(s.round)
        scores = s.scores or {}
        writer.writerow([spreadsheet_safe(v) for v in (
            s.round, (exercise.exercise_id or "") if exercise else "", exercise.title if exercise else "",
            s.number, f"P{seat.get(s.participant_id, 0)}", nickname.get(s.participant_id, ""), s.created_at,
            s.reply, s.status.value, "yes" if s.hidden else "no", "yes" if s.id in latest else "no",
            "" if s.listening_score is None else s.listening_score, " ".join(s.labels),
            *("" if label not in scores else f"{scores[label]:.4f}" for label in LABELS),
        )])
    return out.getvalue()
