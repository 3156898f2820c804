"""Workshop mode's service: every action on a room, each one checked, over ``RoomStore``.

Facilitator actions take the room's code and facilitator key; a participant's take the code and the token
their device got on joining. Nothing is trusted from the page: each call looks the room up and checks
again, so the checks hold for API clients as much as for the pages in ``listening.ui.workshop``.

A reply is stored first and scored after: ``Scorer`` runs one background thread that takes every reply
waiting at that moment and scores them together with the coach's batched ``feedback_many``, so a room
replying at once costs little more than one reply. Replies stored but never scored (the app stopped) are
scored when the next ``Workshop`` starts on the same database.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from listening import rooms
from listening.errors import MAX_DISCLOSURE_CHARS, MAX_REPLY_CHARS, InputError, check_text
from listening.exercises import Exercise
from listening.room_store import RoomStore, Scored
from listening.rooms import (
    Display,
    Participant,
    Phase,
    Room,
    RoomError,
    RoomExercise,
    Status,
    Submission,
    Tally,
)

log = logging.getLogger(__name__)
COULD_NOT_SCORE = "The coach could not read this reply."
MAX_TITLE_CHARS = 80


def _scored(submission: Submission, feedback) -> Scored:
    return Scored(submission.id, Status.SCORED, feedback.listening_score, tuple(feedback.labels),
                  {k: round(float(v), 4) for k, v in feedback.scores.items()}, feedback.to_dict())


def score_batch(coach, items: Sequence[tuple[Submission, str]]) -> list[Scored]:
    """Score (submission, disclosure) pairs together; if the batch fails, one at a time, so one bad reply
    cannot cost the others their feedback."""
    try:
        feedbacks = coach.feedback_many([(disclosure, s.reply) for s, disclosure in items])
        return [_scored(s, fb) for (s, _), fb in zip(items, feedbacks, strict=True)]
    except Exception:  # noqa: BLE001 - fall back below, reply by reply
        log.exception("scoring a batch of %d replies failed; scoring them one by one", len(items))
    out = []
    for submission, disclosure in items:
        try:
            out.append(_scored(submission, coach.feedback(disclosure, submission.reply)))
        except Exception:  # noqa: BLE001 - stored, marked, never lost
            log.exception("scoring reply %d failed", submission.id)
            out.append(Scored(submission.id, Status.FAILED, error=COULD_NOT_SCORE))
    return out


class Scorer:
    """Scores stored replies on one background thread, in batches of whatever is waiting."""

    def __init__(self, store: RoomStore, coach: Callable[[], Any], max_batch: int = 64):
        self.store = store
        self._coach = coach
        self.max_batch = max_batch
        self._queue: queue.Queue[tuple[Submission, str, Future]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches: list[int] = []   # sizes of the batches scored, for the load test and curiosity

    def score(self, submission: Submission, disclosure: str) -> Future:
        """A future that resolves to the submission as stored after scoring."""
        future: Future = Future()
        self._queue.put((submission, disclosure, future))
        self._start()
        return future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="workshop-scorer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                coach = self._coach()
                results = score_batch(coach, [(s, d) for s, d, _ in batch])
                self.store.record_scores(results)
                self.batches.append(len(batch))
            except Exception as err:  # noqa: BLE001 - the replies stay stored as waiting
                log.exception("could not score or record %d replies", len(batch))
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(err)
                continue
            for submission, _, future in batch:
                if not future.done():  # a waiter that gave up may have cancelled it
                    future.set_result(self.store.submission(submission.id) or submission)


@dataclass(frozen=True)
class ProjectorState:
    """Everything the projector shows for the room's current exercise (never a nickname)."""

    room: Room
    tally: Tally
    wall: tuple[Submission, ...]
    compared: tuple[Submission | None, Submission | None] | None

    def to_dict(self) -> dict:
        ex = self.room.exercise
        return {
            "code": self.room.code, "round": self.room.round, "phase": self.room.phase.value,
            "display": self.room.display.value, "revision": self.room.revision,
            "exercise": None if ex is None else {"exercise_id": ex.exercise_id, "title": ex.title,
                                                 "disclosure": ex.disclosure},
            **self.tally.to_dict(),
            "wall": [{"number": s.number, "reply": s.reply, "labels": list(s.labels)} for s in self.wall],
            "compare": None if self.compared is None else [None if s is None else s.number for s in self.compared],
        }


@dataclass(frozen=True)
class Seat:
    """A participant's view of the room: the room, who they are, their latest reply to this exercise."""

    room: Room
    participant: Participant
    latest: Submission | None
    tries: int


class Workshop:
    """Rooms for live workshops: create, run, join, reply, project, export, delete."""

    def __init__(self, store: RoomStore, coach: Any, library: dict[str, Exercise],
                 order: Sequence[str] | None = None, recover: bool = True):
        """``coach``: a Coach or a function returning one (loaded on the first reply); ``order``: exercise ids
        in the order the facilitator's list shows them (for *next exercise*)."""
        self.store = store
        self.library = library
        self.order = list(order) if order is not None else list(library)
        self._coach = coach
        self.scorer = Scorer(store, self.coach)
        if recover:
            for submission, disclosure in store.waiting():
                self.scorer.score(submission, disclosure)

    def coach(self):
        if hasattr(self._coach, "feedback_many"):
            return self._coach
        self._coach = self._coach()
        return self._coach

    # --- looking rooms up -------------------------------------------------------------------------------

    def find(self, code: object) -> Room:
        """The room with this code, as a person typed it, or RoomError naming the code."""
        normal = rooms.normalise_code(code)
        room = self.store.room(normal) if rooms.is_code(normal) else None
        if room is None:
            raise rooms.no_room(code)
        return room

    def facilitate(self, code: object, key: object) -> Room:
        """The room, if ``key`` is its facilitator key. Every facilitator action starts here."""
        normal = rooms.normalise_code(code)
        room = self.store.room(normal) if rooms.is_code(normal) else None
        return rooms.authorise_facilitator(room, code, key)

    def seat(self, code: object, token: object) -> Seat:
        """The participant this token belongs to, in this room. Every participant action starts here."""
        room = self.find(code)
        participant = None
        if isinstance(token, str) and 0 < len(token) <= 200:
            participant = self.store.participant(room.code, rooms.digest(token))
        if participant is None:
            raise RoomError(f"This device has not joined room {room.code}; join with the code first.")
        latest, tries = (None, 0)
        if room.round:
            latest, tries = self.store.latest_of(room.code, participant.id, room.round)
        return Seat(room, participant, latest, tries)

    # --- the facilitator --------------------------------------------------------------------------------

    def create_room(self) -> tuple[Room, str]:
        """A new, empty room and its facilitator key (shown once; only its hash is kept)."""
        key = rooms.new_secret()
        return self.store.create_room(rooms.digest(key)), key

    def start_exercise(self, code: object, key: object, exercise_id: object) -> Room:
        room = self.facilitate(code, key)
        exercise = self.library.get(exercise_id) if isinstance(exercise_id, str) else None
        if exercise is None:
            raise RoomError("Choose an exercise from the list.")
        return self._start(room, exercise.id, exercise.title, exercise.disclosure, exercise.examples)

    def start_own_exercise(self, code: object, key: object, disclosure: object, title: object = None) -> Room:
        room = self.facilitate(code, key)
        try:
            text = check_text(disclosure if disclosure is not None else "", "exercise", MAX_DISCLOSURE_CHARS)
        except InputError as err:
            raise RoomError(str(err)) from None
        name = " ".join(title.split())[:MAX_TITLE_CHARS] if isinstance(title, str) else ""
        return self._start(room, None, name or rooms.OWN_EXERCISE_TITLE, text.strip(), ())

    def next_exercise(self, code: object, key: object) -> Room:
        room = self.facilitate(code, key)
        used = [r.exercise_id for r in self.store.rounds(room.code)]
        exercise = self.library[rooms.next_exercise_id(self.order, used)]
        return self._start(room, exercise.id, exercise.title, exercise.disclosure, exercise.examples)

    def _start(self, room: Room, exercise_id: str | None, title: str, disclosure: str,
               examples: Sequence[str]) -> Room:
        def change(current: Room) -> Room:
            exercise = RoomExercise(current.round + 1, exercise_id, title, disclosure, tuple(examples))
            return rooms.start_round(current, exercise)

        return self.store.change_room(room.code, change)

    def open_replies(self, code: object, key: object) -> Room:
        room = self.facilitate(code, key)
        return self.store.change_room(room.code, lambda r: rooms.set_phase(r, Phase.OPEN))

    def close_replies(self, code: object, key: object) -> Room:
        room = self.facilitate(code, key)
        return self.store.change_room(room.code, lambda r: rooms.set_phase(r, Phase.CLOSED))

    def show(self, code: object, key: object, display: object) -> Room:
        room = self.facilitate(code, key)
        return self.store.change_room(room.code, lambda r: rooms.show(r, display if isinstance(display, str) else ""))

    def compare(self, code: object, key: object, first: object, second: object) -> Room:
        room = self.facilitate(code, key)
        replies = self.store.submissions(room.code, room.round)
        return self.store.change_room(room.code, lambda r: rooms.compare(r, first, second, replies))

    def hide(self, code: object, key: object, number: object, hidden: bool = True) -> Submission:
        """Take a reply of the current exercise off the wall and the chart (or put it back)."""
        room = self.facilitate(code, key)
        if room.exercise is None:
            raise RoomError("There are no replies yet: choose an exercise first.")
        return self.store.set_hidden(room.code, room.round, rooms.reply_number(number), bool(hidden))

    def replies(self, code: object, key: object) -> tuple[Room, list[Submission]]:
        """The facilitator's list: every reply to the current exercise (hidden ones too), oldest first."""
        room = self.facilitate(code, key)
        return room, (self.store.submissions(room.code, room.round) if room.round else [])

    def projector(self, code: object, key: object) -> ProjectorState:
        room = self.facilitate(code, key)
        return self.projector_state(room)

    def projector_state(self, room: Room) -> ProjectorState:
        replies = self.store.submissions(room.code, room.round) if room.round else []
        compared = None
        if room.compare is not None:
            visible = {s.number: s for s in rooms.wall(replies, room.round)}
            compared = (visible.get(room.compare[0]), visible.get(room.compare[1]))
        return ProjectorState(room, rooms.tally(replies, room.round), tuple(rooms.wall(replies, room.round)),
                              compared)

    def results(self, code: object, key: object) -> tuple[Room, list[RoomExercise], list[Participant],
                                                        list[Submission]]:
        """Everything the room holds, for the facilitator's downloads."""
        room = self.facilitate(code, key)
        return (room, self.store.rounds(room.code), self.store.participants(room.code),
                self.store.submissions(room.code))

    def results_csv(self, code: object, key: object) -> str:
        _, rounds, participants, submissions = self.results(code, key)
        return rooms.export_csv(rounds, participants, submissions)

    def delete(self, code: object, key: object) -> int:
        """Delete the room, its participants and every reply; returns how many replies went."""
        room = self.facilitate(code, key)
        return self.store.delete_room(room.code)

    # --- participants -----------------------------------------------------------------------------------

    def join(self, code: object, nickname: object = None) -> tuple[Seat, str]:
        """Join with the code (no account); returns the seat and the token this device keeps."""
        room = self.find(code)
        name = rooms.check_nickname(nickname)
        token = rooms.new_secret()
        participant = self.store.add_participant(room.code, rooms.digest(token), name)
        return Seat(room, participant, None, 0), token

    def accept(self, code: object, token: object, round: object, reply: object) -> tuple[Submission, str]:
        """Check and store a reply (not scored yet); returns it with the disclosure it answers."""
        seat = self.seat(code, token)
        try:
            text = check_text(reply if reply is not None else "", "reply", MAX_REPLY_CHARS)
        except InputError as err:
            raise RoomError(str(err)) from None
        if isinstance(round, float) and round.is_integer():
            round = int(round)
        if not isinstance(round, int) or isinstance(round, bool):
            round = seat.room.round
        submission = self.store.add_submission(seat.room.code, seat.participant.id, round, text,
                                               lambda room: rooms.check_can_submit(room, round))
        if seat.room.exercise is not None and seat.room.round == round:
            return submission, seat.room.exercise.disclosure
        # the facilitator moved on between the two reads: the stored round is the truth
        return submission, next(r.disclosure for r in self.store.rounds(seat.room.code) if r.round == round)

    def submit(self, code: object, token: object, round: object, reply: object,
               timeout: float = 30.0) -> Submission:
        """Store a reply, then wait for its score; after ``timeout`` the stored, unscored reply comes back
        (its feedback follows when the participant's page next asks)."""
        submission, disclosure = self.accept(code, token, round, reply)
        future = self.scorer.score(submission, disclosure)
        try:
            return future.result(timeout=timeout)
        except Exception:  # noqa: BLE001 - timeout or scoring failure: the reply is stored either way
            return self.store.submission(submission.id) or submission


__all__ = ["COULD_NOT_SCORE", "Display", "ProjectorState", "Scorer", "Seat", "Workshop", "score_batch"]
