"""Workshop rooms in SQLite: a thin persistence layer under ``listening.rooms``.

The tables live in the same file as learners' history, with their own append-only migration track
(``ROOM_MIGRATIONS``, versioned in ``rooms_schema_version``), applied by ``listening.store.migrate``.
Each call opens a short-lived connection, so one ``RoomStore`` serves all the app's threads; a change that
reads the room first runs in one ``BEGIN IMMEDIATE`` transaction, so concurrent replies and the
facilitator's actions never interleave. Every write moves the room's ``revision`` up, which is how the
projector knows, cheaply, that it has something new to show.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

from listening import rooms
from listening.rooms import (
    Display,
    Participant,
    Phase,
    Room,
    RoomError,
    RoomExercise,
    Status,
    Submission,
)
from listening.store import connect, migrate, schema_version

# Never edit a step that has shipped: append a new one.
ROOM_MIGRATIONS: tuple[str, ...] = (
    # 1: rooms, the exercise of each round, participants and their replies.
    """
    CREATE TABLE rooms (
        code TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        round INTEGER NOT NULL DEFAULT 0,
        phase TEXT NOT NULL,
        display TEXT NOT NULL,
        compare_a INTEGER,
        compare_b INTEGER,
        revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE room_rounds (
        room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        exercise_id TEXT,
        title TEXT NOT NULL,
        disclosure TEXT NOT NULL,
        examples TEXT NOT NULL,
        started_at TEXT NOT NULL,
        PRIMARY KEY (room_code, round)
    );
    CREATE TABLE room_participants (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        nickname TEXT,
        joined_at TEXT NOT NULL
    );
    CREATE INDEX room_participants_by_room ON room_participants(room_code, id);
    CREATE TABLE room_submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        number INTEGER NOT NULL,
        participant_id INTEGER NOT NULL REFERENCES room_participants(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        reply TEXT NOT NULL,
        status TEXT NOT NULL,
        hidden INTEGER NOT NULL DEFAULT 0,
        listening_score INTEGER,
        labels TEXT NOT NULL DEFAULT '',
        scores TEXT,
        feedback TEXT,
        error TEXT,
        scored_at TEXT,
        UNIQUE (room_code, round, number)
    );
    CREATE INDEX room_submissions_by_participant ON room_submissions(participant_id, round, id);
    CREATE INDEX room_submissions_by_status ON room_submissions(status);
    """,
)
VERSION_TABLE = "rooms_schema_version"
ROOM_SCHEMA_VERSION = len(ROOM_MIGRATIONS)
CODE_TRIES = 50  # a new room draws another code while the one drawn is taken


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Scored:
    """What the coach made of one stored submission, to write back."""

    submission_id: int
    status: Status
    listening_score: int | None = None
    labels: tuple[str, ...] = ()
    scores: dict[str, float] | None = None
    feedback: dict | None = None
    error: str | None = None


_ROOM_SELECT = (
    "SELECT r.code, r.key_hash, r.created_at, r.round, r.phase, r.display, r.compare_a, r.compare_b, r.revision,"
    " x.exercise_id, x.title, x.disclosure, x.examples"
    " FROM rooms r LEFT JOIN room_rounds x ON x.room_code = r.code AND x.round = r.round"
)
_SUBMISSION_SELECT = (
    "SELECT id, room_code, round, number, participant_id, created_at, reply, status, hidden, listening_score,"
    " labels, scores, feedback, error FROM room_submissions"
)


def _room(row: sqlite3.Row | None) -> Room | None:
    if row is None:
        return None
    exercise = None
    if row["title"] is not None:
        exercise = RoomExercise(row["round"], row["exercise_id"], row["title"], row["disclosure"],
                                tuple(json.loads(row["examples"])))
    pair = (row["compare_a"], row["compare_b"]) if row["compare_a"] is not None else None
    return Room(code=row["code"], key_hash=row["key_hash"], created_at=row["created_at"], round=row["round"],
                phase=Phase(row["phase"]), display=Display(row["display"]), compare=pair,
                revision=row["revision"], exercise=exercise)


def _submission(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"], room_code=row["room_code"], round=row["round"], number=row["number"],
        participant_id=row["participant_id"], created_at=row["created_at"], reply=row["reply"],
        status=Status(row["status"]), hidden=bool(row["hidden"]), listening_score=row["listening_score"],
        labels=tuple(row["labels"].split()), scores=json.loads(row["scores"]) if row["scores"] else None,
        feedback=json.loads(row["feedback"]) if row["feedback"] else None, error=row["error"],
    )


def _participant(row: sqlite3.Row | None) -> Participant | None:
    if row is None:
        return None
    return Participant(row["id"], row["room_code"], row["nickname"], row["joined_at"])


class RoomStore:
    """A database path; every method opens and closes its own connection."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @classmethod
    def open(cls, path: Path | str) -> "RoomStore":
        """Create the file and its folder if needed, and bring the rooms' tables up to date."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path)
        with store._read() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, steps=ROOM_MIGRATIONS, table=VERSION_TABLE)
        return store

    def schema_version(self) -> int:
        with self._read() as conn:
            return schema_version(conn, VERSION_TABLE)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with closing(connect(self.path)) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that holds the write lock from its first read, so read-check-write is atomic."""
        with closing(connect(self.path)) as conn:
            conn.isolation_level = None
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- rooms ------------------------------------------------------------------------------------------

    def create_room(self, key_hash: str, make_code: Callable[[], str] = rooms.new_code) -> Room:
        """A new room under a code no other room has."""
        with self._write() as conn:
            for _ in range(CODE_TRIES):
                code = make_code()
                try:
                    conn.execute(
                        "INSERT INTO rooms (code, key_hash, created_at, phase, display) VALUES (?, ?, ?, ?, ?)",
                        (code, key_hash, now(), Phase.WAITING.value, Display.CHART.value))
                except sqlite3.IntegrityError:
                    continue
                return _room(conn.execute(f"{_ROOM_SELECT} WHERE r.code = ?", (code,)).fetchone())
        raise RoomError("Could not find a free room code; try again.")

    def room(self, code: str) -> Room | None:
        with self._read() as conn:
            return _room(conn.execute(f"{_ROOM_SELECT} WHERE r.code = ?", (code,)).fetchone())

    def revision(self, code: str) -> int | None:
        with self._read() as conn:
            row = conn.execute("SELECT revision FROM rooms WHERE code = ?", (code,)).fetchone()
        return None if row is None else int(row[0])

    def change_room(self, code: str, change: Callable[[Room], Room]) -> Room:
        """Apply a pure transition (``listening.rooms``) to the stored room, atomically."""
        with self._write() as conn:
            before = _room(conn.execute(f"{_ROOM_SELECT} WHERE r.code = ?", (code,)).fetchone())
            if before is None:
                raise rooms.no_room(code)
            after = change(before)
            if after.round != before.round and after.exercise is not None:
                x = after.exercise
                conn.execute(
                    "INSERT INTO room_rounds (room_code, round, exercise_id, title, disclosure, examples, started_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (code, x.round, x.exercise_id, x.title, x.disclosure, json.dumps(list(x.examples)), now()))
            a, b = after.compare if after.compare else (None, None)
            conn.execute(
                "UPDATE rooms SET round = ?, phase = ?, display = ?, compare_a = ?, compare_b = ?,"
                " revision = revision + 1 WHERE code = ?",
                (after.round, after.phase.value, after.display.value, a, b, code))
            return _room(conn.execute(f"{_ROOM_SELECT} WHERE r.code = ?", (code,)).fetchone())

    def rounds(self, code: str) -> list[RoomExercise]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM room_rounds WHERE room_code = ? ORDER BY round", (code,)).fetchall()
        return [RoomExercise(r["round"], r["exercise_id"], r["title"], r["disclosure"], tuple(json.loads(r["examples"])))
                for r in rows]

    def delete_room(self, code: str) -> int:
        """Delete the room and everything in it; returns how many replies went."""
        with self._write() as conn:
            count = conn.execute("SELECT COUNT(*) FROM room_submissions WHERE room_code = ?", (code,)).fetchone()[0]
            conn.execute("DELETE FROM rooms WHERE code = ?", (code,))
        return int(count)

    # --- participants -----------------------------------------------------------------------------------

    def add_participant(self, code: str, token_hash: str, nickname: str | None) -> Participant:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                raise rooms.no_room(code)
            cursor = conn.execute(
                "INSERT INTO room_participants (room_code, token_hash, nickname, joined_at) VALUES (?, ?, ?, ?)",
                (code, token_hash, nickname, now()))
            row = conn.execute("SELECT * FROM room_participants WHERE id = ?", (cursor.lastrowid,)).fetchone()
            return _participant(row)

    def participant(self, code: str, token_hash: str) -> Participant | None:
        """The participant holding this token in this room (a token from another room finds no one)."""
        with self._read() as conn:
            return _participant(conn.execute(
                "SELECT * FROM room_participants WHERE token_hash = ? AND room_code = ?", (token_hash, code)
            ).fetchone())

    def participants(self, code: str) -> list[Participant]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM room_participants WHERE room_code = ? ORDER BY id", (code,)).fetchall()
        return [_participant(r) for r in rows]

    # --- replies ----------------------------------------------------------------------------------------

    def add_submission(self, code: str, participant_id: int, round: int, reply: str,
                       check: Callable[[Room], None]) -> Submission:
        """Store a reply (not scored yet) if ``check(room)`` passes, numbered within its round."""
        with self._write() as conn:
            room = _room(conn.execute(f"{_ROOM_SELECT} WHERE r.code = ?", (code,)).fetchone())
            if room is None:
                raise rooms.no_room(code)
            check(room)
            tries = conn.execute(
                "SELECT COUNT(*) FROM room_submissions WHERE participant_id = ? AND round = ? AND room_code = ?",
                (participant_id, round, code)).fetchone()[0]
            if tries >= rooms.MAX_TRIES:
                raise RoomError(f"You have sent {rooms.MAX_TRIES} replies to this exercise, the most a room keeps.")
            number = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM room_submissions WHERE room_code = ? AND round = ?",
                (code, round)).fetchone()[0]
            cursor = conn.execute(
                "INSERT INTO room_submissions (room_code, round, number, participant_id, created_at, reply, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, round, number, participant_id, now(), reply, Status.WAITING.value))
            conn.execute("UPDATE rooms SET revision = revision + 1 WHERE code = ?", (code,))
            return _submission(conn.execute(f"{_SUBMISSION_SELECT} WHERE id = ?", (cursor.lastrowid,)).fetchone())

    def record_scores(self, results: Sequence[Scored]) -> None:
        """Write the coach's findings for many submissions in one transaction (rooms deleted meanwhile: skipped)."""
        if not results:
            return
        with self._write() as conn:
            stamp = now()
            conn.executemany(
                "UPDATE room_submissions SET status = ?, listening_score = ?, labels = ?, scores = ?, feedback = ?,"
                " error = ?, scored_at = ? WHERE id = ?",
                [(r.status.value, r.listening_score, " ".join(r.labels),
                  None if r.scores is None else json.dumps(r.scores),
                  None if r.feedback is None else json.dumps(r.feedback, ensure_ascii=False),
                  r.error, stamp, r.submission_id) for r in results])
            ids = [r.submission_id for r in results]
            marks = ",".join("?" * len(ids))
            conn.execute(
                f"UPDATE rooms SET revision = revision + 1 WHERE code IN "
                f"(SELECT DISTINCT room_code FROM room_submissions WHERE id IN ({marks}))", ids)

    def set_hidden(self, code: str, round: int, number: int, hidden: bool) -> Submission:
        with self._write() as conn:
            row = conn.execute(f"{_SUBMISSION_SELECT} WHERE room_code = ? AND round = ? AND number = ?",
                               (code, round, number)).fetchone()
            if row is None:
                raise RoomError(f"There is no reply #{number} to this exercise.")
            conn.execute("UPDATE room_submissions SET hidden = ? WHERE id = ?", (int(hidden), row["id"]))
            conn.execute("UPDATE rooms SET revision = revision + 1 WHERE code = ?", (code,))
            return _submission(conn.execute(f"{_SUBMISSION_SELECT} WHERE id = ?", (row["id"],)).fetchone())

    def submissions(self, code: str, round: int | None = None) -> list[Submission]:
        with self._read() as conn:
            if round is None:
                rows = conn.execute(f"{_SUBMISSION_SELECT} WHERE room_code = ? ORDER BY id", (code,)).fetchall()
            else:
                rows = conn.execute(f"{_SUBMISSION_SELECT} WHERE room_code = ? AND round = ? ORDER BY id",
                                    (code, round)).fetchall()
        return [_submission(r) for r in rows]

    def submission(self, submission_id: int) -> Submission | None:
        with self._read() as conn:
            row = conn.execute(f"{_SUBMISSION_SELECT} WHERE id = ?", (submission_id,)).fetchone()
        return None if row is None else _submission(row)

    def latest_of(self, code: str, participant_id: int, round: int) -> tuple[Submission | None, int]:
        """A participant's latest reply in a round, and how many they sent."""
        with self._read() as conn:
            rows = conn.execute(
                f"{_SUBMISSION_SELECT} WHERE room_code = ? AND participant_id = ? AND round = ? ORDER BY id",
                (code, participant_id, round)).fetchall()
        return (_submission(rows[-1]) if rows else None), len(rows)

    def waiting(self) -> list[tuple[Submission, str]]:
        """Replies stored but not scored (e.g. the app stopped meanwhile), each with its disclosure."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT s.id, s.room_code, s.round, s.number, s.participant_id, s.created_at, s.reply, s.status,"
                " s.hidden, s.listening_score, s.labels, s.scores, s.feedback, s.error, x.disclosure"
                " FROM room_submissions s JOIN room_rounds x ON x.room_code = s.room_code AND x.round = s.round"
                " WHERE s.status = ? ORDER BY s.id", (Status.WAITING.value,)).fetchall()
        return [(_submission(r), r["disclosure"]) for r in rows]
