"""The attempts store: schema and migrations, learners kept apart, CSV export, deletion."""

import csv
import io
import sqlite3
import threading

import pytest

from listening import store as st
from listening.labels import LABELS
from listening.store import SCHEMA_VERSION, Store, StoreError

ALICE = "alice-0000000001"
BOB = "bob-00000000002"


@pytest.fixture(scope="module")
def feedbacks(coach, library):
    """Real feedback from the real coach: one barrier-heavy reply, one good one, one with markup."""
    disclosure = library["work-new-manager-old-team"].disclosure
    return {
        "advice": coach.feedback(disclosure, "You should just buy them a round on Friday."),
        "good": coach.feedback(disclosure, "That kitchen going quiet must have stung. What was the hardest part?"),
        "formula": coach.feedback(disclosure, "=HYPERLINK(\"http://x\") that's rough,\nreally rough."),
    }


@pytest.fixture
def db(tmp_path):
    return Store.open(tmp_path / "nested" / "attempts.db")


def tables(conn):
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_open_creates_the_file_its_folder_and_the_latest_schema(db):
    assert db.path.exists()
    with db.connection() as conn:
        assert st.schema_version(conn) == SCHEMA_VERSION == len(st.MIGRATIONS)
        assert {"schema_version", "learners", "attempts", "attempt_labels", "settings"} <= tables(conn)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrate_from_version_one_keeps_the_data(tmp_path, feedbacks):
    path = tmp_path / "old.db"
    with st.connect(path) as conn:
        assert st.migrate(conn, target=1) == 1
        assert "settings" not in tables(conn)
        st.record_attempt(conn, ALICE, feedbacks["advice"], exercise_id="work-new-manager-old-team")
    store = Store.open(path)  # brings it to the latest version
    with store.connection() as conn:
        assert st.schema_version(conn) == SCHEMA_VERSION
        assert "settings" in tables(conn)
    [attempt] = store.attempts(ALICE)
    assert attempt.reply == feedbacks["advice"].reply
    assert store.secret() == store.secret()  # made once, then stable


def test_migrate_twice_is_a_no_op(db):
    with db.connection() as conn:
        assert st.migrate(conn) == SCHEMA_VERSION
        assert st.migrate(conn) == SCHEMA_VERSION
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "bad.db"
    monkeypatch.setattr(st, "MIGRATIONS", st.MIGRATIONS + ("CREATE TABLE extra (x INTEGER); SELECT nonsense(;",))
    with st.connect(path) as conn:
        with pytest.raises(sqlite3.Error):
            st.migrate(conn, target=len(st.MIGRATIONS))
        assert st.schema_version(conn) == SCHEMA_VERSION  # the good steps stayed, the bad one rolled back
        assert "extra" not in tables(conn)


def test_a_database_from_a_newer_app_is_refused(db):
    with db.connection() as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 5,))
        conn.commit()
        with pytest.raises(StoreError, match="newer"):
            st.migrate(conn)


def test_attempts_round_trip_with_scores_and_labels(db, feedbacks):
    fb = feedbacks["advice"]
    attempt_id = db.record(ALICE, fb, exercise_id="work-new-manager-old-team")
    [attempt] = db.attempts(ALICE)
    assert attempt.id == attempt_id
    assert attempt.exercise_id == "work-new-manager-old-team"
    assert attempt.disclosure == fb.disclosure and attempt.reply == fb.reply
    assert attempt.listening_score == fb.listening_score
    assert attempt.labels == tuple(fb.labels)
    assert set(attempt.scores) == set(LABELS)
    assert attempt.scores["premature_advice"] == pytest.approx(fb.scores["premature_advice"])
    assert "premature_advice" in attempt.flags
    assert attempt.created_at.endswith("+00:00")


def test_learners_are_kept_apart(db, feedbacks):
    db.record(ALICE, feedbacks["advice"])
    db.record(ALICE, feedbacks["good"])
    db.record(BOB, feedbacks["good"])
    assert [a.reply for a in db.attempts(ALICE)] == [feedbacks["advice"].reply, feedbacks["good"].reply]
    assert [a.reply for a in db.attempts(BOB)] == [feedbacks["good"].reply]
    assert db.attempts("carol-000000003") == []


def test_delete_removes_one_learner_and_nothing_else(db, feedbacks):
    db.record(ALICE, feedbacks["advice"])
    db.record(ALICE, feedbacks["good"])
    db.record(BOB, feedbacks["good"])
    assert db.delete(ALICE) == 2
    assert db.attempts(ALICE) == []
    assert len(db.attempts(BOB)) == 1
    with db.connection() as conn:
        # label rows of the deleted attempts went with them (foreign keys cascade)
        assert conn.execute("SELECT COUNT(*) FROM attempt_labels").fetchone()[0] == len(LABELS)
        assert conn.execute("SELECT COUNT(*) FROM learners WHERE id = ?", (ALICE,)).fetchone()[0] == 0
    assert db.delete(ALICE) == 0


def test_export_csv_has_a_row_per_attempt_and_neutralises_formulas(db, feedbacks):
    db.record(ALICE, feedbacks["advice"], exercise_id="work-new-manager-old-team")
    db.record(ALICE, feedbacks["formula"])
    db.record(BOB, feedbacks["good"])
    rows = list(csv.DictReader(io.StringIO(db.export_csv(ALICE))))
    assert [r["attempt"] for r in rows] == ["1", "2"]
    assert list(rows[0]) == list(st.CSV_COLUMNS)
    assert rows[0]["reply"] == feedbacks["advice"].reply
    assert rows[0]["exercise_id"] == "work-new-manager-old-team"
    assert "premature_advice" in rows[0]["labels"].split()
    assert float(rows[0]["score_premature_advice"]) == pytest.approx(feedbacks["advice"].scores["premature_advice"],
                                                                     abs=1e-4)
    # a cell starting with "=" would run as a formula in a spreadsheet; the newline survives quoting
    assert rows[1]["reply"] == "'" + feedbacks["formula"].reply
    assert "\n" in rows[1]["reply"]
    assert all(feedbacks["good"].reply not in r["reply"] for r in rows)


def test_export_of_an_empty_history_is_just_the_header(db):
    assert db.export_csv(ALICE).strip() == ",".join(st.CSV_COLUMNS)


@pytest.mark.parametrize("bad", ["", "short", "x" * 65, "../../etc", "robert'); DROP TABLE attempts;--", None, 7])
def test_invalid_learner_ids_are_refused(db, feedbacks, bad):
    with pytest.raises(StoreError):
        db.record(bad, feedbacks["good"])
    with pytest.raises(StoreError):
        db.attempts(bad)
    with pytest.raises(StoreError):
        db.delete(bad)


def test_writes_from_several_threads(db, feedbacks):
    errors = []

    def work(n):
        try:
            for _ in range(5):
                db.record(f"learner-{n:010d}", feedbacks["good"])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [len(db.attempts(f"learner-{n:010d}")) for n in range(4)] == [5, 5, 5, 5]


def test_default_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LISTENING_DB", str(tmp_path / "x.db"))
    assert st.default_path() == tmp_path / "x.db"
    monkeypatch.delenv("LISTENING_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert st.default_path() == tmp_path / "listening" / "attempts.db"
