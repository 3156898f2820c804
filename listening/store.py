"""Learners' attempts in SQLite: the schema and its migrations, recording, history, CSV export, deletion.

Functions take an open ``sqlite3.Connection``; ``Store`` wraps a database path and opens a short-lived
connection per call, so it can be shared by the app's worker threads. The engine never imports this.

    store = Store.open("attempts.db")
    store.record("learner-id", feedback, exercise_id="work-nurse-night-shift-loss")
    store.attempts("learner-id")
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from listening.feedback import Feedback
from listening.labels import BARRIERS, LABELS, SKILLS
from listening.spreadsheet import spreadsheet_safe

# Each step moves the schema one version up; a database is brought to len(MIGRATIONS) on open.
# Never edit a step that has shipped: append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: learners and their attempts, with one row per label score for trends.
    """
    CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        exercise_id TEXT,
        disclosure TEXT NOT NULL,
        reply TEXT NOT NULL,
        listening_score INTEGER NOT NULL,
        summary TEXT NOT NULL,
        feedback TEXT NOT NULL
    );
    CREATE INDEX attempts_by_learner ON attempts(learner_id, id);
    CREATE TABLE attempt_labels (
        attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        score REAL NOT NULL,
        found INTEGER NOT NULL,
        PRIMARY KEY (attempt_id, label)
    );
    """,
    # 2: app settings (the key that encrypts the learner id kept in the browser).
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")
# Cells a spreadsheet would run as a formula (CSV injection); such cells get a leading apostrophe.


def default_path() -> Path:
    """``$LISTENING_DB``, else ``$XDG_DATA_HOME/listening/attempts.db`` (``~/.local/share/...``)."""
    if os.environ.get("LISTENING_DB"):
        return Path(os.environ["LISTENING_DB"]).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "listening" / "attempts.db"


class StoreError(ValueError):
    """A request the store refuses; str(error) is one sentence fit to show a user."""


def valid_learner_id(learner_id: object) -> bool:
    return isinstance(learner_id, str) and bool(LEARNER_ID.match(learner_id))


def _check_learner(learner_id: object) -> str:
    if not valid_learner_id(learner_id):
        raise StoreError("That learner id is not valid: it should be 8 to 64 letters, digits, '-' or '_'.")
    return learner_id  # type: ignore[return-value]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: Path | str) -> sqlite3.Connection:
    """Open a connection with foreign keys on and rows addressable by name."""
    conn = sqlite3.connect(str(path), timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def schema_version(conn: sqlite3.Connection, table: str = "schema_version") -> int:
    """The version the database is at; 0 for a new, empty database. ``table``: the track's version table."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute(f"SELECT version FROM {table}").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int | None = None, *, steps: tuple[str, ...] | None = None,
            table: str = "schema_version") -> int:
    """Apply the missing migrations, each in its own transaction; returns the version reached.

    By default the learners' tables (``MIGRATIONS``, versioned in ``schema_version``). Another set of tables
    kept in the same file passes its own append-only ``steps`` and version ``table`` (see ``room_store``).
    """
    steps = MIGRATIONS if steps is None else steps
    target = len(steps) if target is None else target
    current = schema_version(conn, table)
    if current > len(steps):
        raise StoreError(
            f"The database is at schema version {current}, newer than this app knows ({len(steps)}); "
            "update the app."
        )
    for version in range(current + 1, target + 1):
        # executescript commits first; BEGIN/COMMIT inside it keeps each step all-or-nothing.
        try:
            conn.executescript(
                "BEGIN;\n"
                f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL);\n"
                f"{steps[version - 1]}\n"
                f"DELETE FROM {table};\n"
                f"INSERT INTO {table} (version) VALUES ({version});\n"
                "COMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return schema_version(conn, table)


@dataclass(frozen=True)
class Attempt:
    """One stored reply to a disclosure, with what the coach said about it."""

    id: int
    learner_id: str
    created_at: str
    exercise_id: str | None
    disclosure: str
    reply: str
    listening_score: int
    summary: str
    scores: dict[str, float]
    labels: tuple[str, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label in BARRIERS)

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label in SKILLS)


def record_attempt(conn: sqlite3.Connection, learner_id: str, feedback: Feedback,
                   exercise_id: str | None = None, created_at: str | None = None) -> int:
    """Store one attempt and its label scores; returns the attempt's id."""
    _check_learner(learner_id)
    created_at = created_at or _now()
    found = set(feedback.labels)
    with conn:
        conn.execute("INSERT OR IGNORE INTO learners (id, created_at) VALUES (?, ?)", (learner_id, created_at))
        cursor = conn.execute(
            "INSERT INTO attempts (learner_id, created_at, exercise_id, disclosure, reply, listening_score,"
            " summary, feedback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (learner_id, created_at, exercise_id, feedback.disclosure, feedback.reply, feedback.listening_score,
             feedback.summary, json.dumps(feedback.to_dict(), ensure_ascii=False)),
        )
        attempt_id = int(cursor.lastrowid)
        conn.executemany(
            "INSERT INTO attempt_labels (attempt_id, label, score, found) VALUES (?, ?, ?, ?)",
            [(attempt_id, label, float(feedback.scores.get(label, 0.0)), int(label in found)) for label in LABELS],
        )
    return attempt_id


def list_attempts(conn: sqlite3.Connection, learner_id: str) -> list[Attempt]:
    """A learner's attempts, oldest first."""
    _check_learner(learner_id)
    rows = conn.execute(
        "SELECT id, learner_id, created_at, exercise_id, disclosure, reply, listening_score, summary"
        " FROM attempts WHERE learner_id = ? ORDER BY id",
        (learner_id,),
    ).fetchall()
    if not rows:
        return []
    scores: dict[int, dict[str, float]] = {row["id"]: {} for row in rows}
    found: dict[int, set[str]] = {row["id"]: set() for row in rows}
    for row in conn.execute(
        "SELECT l.attempt_id, l.label, l.score, l.found FROM attempt_labels l"
        " JOIN attempts a ON a.id = l.attempt_id WHERE a.learner_id = ?",
        (learner_id,),
    ):
        scores[row["attempt_id"]][row["label"]] = float(row["score"])
        if row["found"]:
            found[row["attempt_id"]].add(row["label"])
    return [
        Attempt(
            id=row["id"], learner_id=row["learner_id"], created_at=row["created_at"],
            exercise_id=row["exercise_id"], disclosure=row["disclosure"], reply=row["reply"],
            listening_score=int(row["listening_score"]), summary=row["summary"],
            scores=scores[row["id"]],
            labels=tuple(label for label in LABELS if label in found[row["id"]]),
        )
        for row in rows
    ]


def delete_learner(conn: sqlite3.Connection, learner_id: str) -> int:
    """Delete everything stored for a learner; returns how many attempts went."""
    _check_learner(learner_id)
    with conn:
        count = conn.execute("SELECT COUNT(*) FROM attempts WHERE learner_id = ?", (learner_id,)).fetchone()[0]
        conn.execute("DELETE FROM attempts WHERE learner_id = ?", (learner_id,))
        conn.execute("DELETE FROM learners WHERE id = ?", (learner_id,))
    return int(count)


CSV_COLUMNS: tuple[str, ...] = (
    "attempt", "created_at", "exercise_id", "disclosure", "reply", "listening_score", "labels", "summary",
    *(f"score_{label}" for label in LABELS),
)



def export_csv(conn: sqlite3.Connection, learner_id: str) -> str:
    """A learner's attempts as CSV text (one row per attempt, a column per label score)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, attempt in enumerate(list_attempts(conn, learner_id), start=1):
        writer.writerow([
            number, attempt.created_at, spreadsheet_safe(attempt.exercise_id or ""), spreadsheet_safe(attempt.disclosure),
            spreadsheet_safe(attempt.reply), attempt.listening_score, " ".join(attempt.labels), spreadsheet_safe(attempt.summary),
            *(f"{attempt.scores.get(label, 0.0):.4f}" for label in LABELS),
        ])
    return out.getvalue()


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def ensure_setting(conn: sqlite3.Connection, key: str, make) -> str:
    """The stored value of a setting, creating it with ``make()`` the first time."""
    with conn:
        conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, make()))
    return get_setting(conn, key)  # type: ignore[return-value]


class Store:
    """A database path; each call opens and closes its own connection (safe across threads)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @classmethod
    def open(cls, path: Path | str | None = None) -> "Store":
        """Create the file and its folder if needed, and bring the schema up to date."""
        path = Path(path) if path is not None else default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path)
        with store.connection() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
        return store

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with closing(connect(self.path)) as conn:
            yield conn

    def record(self, learner_id: str, feedback: Feedback, exercise_id: str | None = None) -> int:
        with self.connection() as conn:
            return record_attempt(conn, learner_id, feedback, exercise_id)

    def attempts(self, learner_id: str) -> list[Attempt]:
        with self.connection() as conn:
            return list_attempts(conn, learner_id)

    def delete(self, learner_id: str) -> int:
        with self.connection() as conn:
            return delete_learner(conn, learner_id)

    def export_csv(self, learner_id: str) -> str:
        with self.connection() as conn:
            return export_csv(conn, learner_id)

    def secret(self) -> str:
        """A random key made once per database, so learners' browser ids survive restarts."""
        with self.connection() as conn:
            return ensure_setting(conn, "browser_state_secret", lambda: secrets.token_urlsafe(24))
