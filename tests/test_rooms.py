"""Workshop rooms: codes and keys, rooms kept apart, the flow of a round, moderation, tallies, persistence
across a restart, the CSV download and deletion. The service runs with the real coach."""

import csv
import io
import itertools
import sqlite3
import threading

import pytest

from listening import rooms
from listening.labels import LABELS
from listening.room_store import ROOM_SCHEMA_VERSION, RoomStore
from listening.rooms import Display, Phase, RoomError, Status
from listening.store import SCHEMA_VERSION, Store, schema_version
from listening.workshop import COULD_NOT_SCORE, Workshop

EXERCISE = "work-new-manager-old-team"
ADVICE = "You should just buy them a round on Friday."
GOOD = "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "attempts.db"


@pytest.fixture
def workshop(path, coach, library):
    return Workshop(RoomStore.open(path), coach, library)


@pytest.fixture
def room(workshop):
    """A room with the library exercise up and replies open: (code, key)."""
    room, key = workshop.create_room()
    workshop.start_exercise(room.code, key, EXERCISE)
    return room.code, key


# --- codes and keys --------------------------------------------------------------------------------------


def test_codes_are_short_unambiguous_and_typed_loosely():
    codes = {rooms.new_code() for _ in range(2000)}
    assert len(codes) > 1990
    for code in codes:
        assert len(code) == rooms.CODE_LENGTH and rooms.is_code(code)
        assert not set(code) & set("01OIL")
    assert rooms.normalise_code(" k7q-h3m ") == "K7QH3M"
    assert rooms.normalise_code(None) == ""


def test_a_new_room_never_takes_a_code_in_use(path):
    store = RoomStore.open(path)
    draws = itertools.chain(["AAAAAA", "AAAAAA", "AAAAAA"], ["BBBBBB"])
    first = store.create_room("h1", make_code=lambda: "AAAAAA")
    second = store.create_room("h2", make_code=lambda: next(draws))
    assert (first.code, second.code) == ("AAAAAA", "BBBBBB")
    with pytest.raises(RoomError, match="free room code"):
        store.create_room("h3", make_code=lambda: "AAAAAA")


def test_the_facilitator_key_is_kept_only_as_a_hash_and_checked(workshop, path):
    room, key = workshop.create_room()
    assert len(key) >= 32 and room.key_hash == rooms.digest(key)
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert key not in dump
    assert workshop.facilitate(room.code.lower(), key).code == room.code
    for wrong in (None, "", "   ", key[:-1], key + "x", 42, "k" * 10_000):
        with pytest.raises(RoomError) as err:
            workshop.facilitate(room.code, wrong)
        assert room.code in str(err.value) and "key" in str(err.value)


@pytest.mark.parametrize("code", ["", "NOPE", "ZZZZZZ", None, "<b>x</b>", "0" * 500])
def test_a_wrong_code_gets_one_sentence(workshop, code):
    with pytest.raises(RoomError) as err:
        workshop.join(code, "Sam")
    message = str(err.value)
    assert message.endswith(".") and "\n" not in message and len(message) < 120
    assert "<" not in message
    if code == "ZZZZZZ":
        assert message == "No room with code ZZZZZZ — check the code on the projector."


def test_every_facilitator_action_needs_the_key(workshop, room):
    code, key = room
    actions = [
        lambda k: workshop.start_exercise(code, k, EXERCISE),
        lambda k: workshop.start_own_exercise(code, k, "I lost my job today."),
        lambda k: workshop.next_exercise(code, k),
        lambda k: workshop.open_replies(code, k),
        lambda k: workshop.close_replies(code, k),
        lambda k: workshop.show(code, k, "wall"),
        lambda k: workshop.compare(code, k, 1, 2),
        lambda k: workshop.hide(code, k, 1),
        lambda k: workshop.replies(code, k),
        lambda k: workshop.projector(code, k),
        lambda k: workshop.results_csv(code, k),
        lambda k: workshop.delete(code, k),
    ]
    _, token = workshop.join(code)
    before = workshop.store.room(code)
    for action in actions:
        for wrong in (None, "", token, "not-the-key"):
            with pytest.raises(RoomError, match="key"):
                action(wrong)
    assert workshop.store.room(code) == before  # nothing changed


def test_rooms_are_kept_apart(workshop, room):
    code, key = room
    other, other_key = workshop.create_room()
    workshop.start_exercise(other.code, other_key, EXERCISE)
    _, token = workshop.join(code, "Sam")
    # a participant of one room is no one in another, and one room's key opens no other room
    with pytest.raises(RoomError, match=f"has not joined room {other.code}"):
        workshop.accept(other.code, token, 1, GOOD)
    with pytest.raises(RoomError, match="not the facilitator key"):
        workshop.facilitate(other.code, key)
    with pytest.raises(RoomError, match="not the facilitator key"):
        workshop.facilitate(code, other_key)
    workshop.accept(code, token, 1, GOOD)
    assert len(workshop.store.submissions(code)) == 1 and workshop.store.submissions(other.code) == []
    assert workshop.projector(other.code, other_key).tally.replied == 0


def test_a_participant_token_is_needed_and_kept_only_hashed(workshop, room, path):
    code, _ = room
    _, token = workshop.join(code, "Sam")
    for wrong in (None, "", "x" * 300, token + "x"):
        with pytest.raises(RoomError, match="has not joined"):
            workshop.accept(code, wrong, 1, GOOD)
    with sqlite3.connect(path) as conn:
        assert token not in "\n".join(conn.iterdump())


def test_nicknames_are_optional_and_bounded(workshop, room):
    code, _ = room
    seat, _ = workshop.join(code, "  Sam \n the  listener ")
    assert seat.participant.nickname == "Sam the listener"
    assert workshop.join(code, "")[0].participant.nickname is None
    with pytest.raises(RoomError, match="limit is 40"):
        workshop.join(code, "x" * 41)


# --- the flow of a round --------------------------------------------------------------------------------


def test_replies_only_to_the_open_current_exercise(workshop, coach, library):
    room, key = workshop.create_room()
    _, token = workshop.join(room.code)
    with pytest.raises(RoomError, match="not chosen an exercise"):
        workshop.accept(room.code, token, 0, GOOD)
    workshop.start_exercise(room.code, key, EXERCISE)
    workshop.close_replies(room.code, key)
    with pytest.raises(RoomError, match="Replies are closed"):
        workshop.accept(room.code, token, 1, GOOD)
    workshop.open_replies(room.code, key)
    workshop.accept(room.code, token, 1, GOOD)
    after = workshop.next_exercise(room.code, key)
    assert after.round == 2 and after.phase is Phase.OPEN and after.exercise.exercise_id != EXERCISE
    with pytest.raises(RoomError, match="moved on"):
        workshop.accept(room.code, token, 1, ADVICE)
    own = workshop.start_own_exercise(room.code, key, "  My sister never calls me back.  ")
    assert own.exercise.title == rooms.OWN_EXERCISE_TITLE and own.exercise.disclosure == "My sister never calls me back."
    with pytest.raises(RoomError, match="exercise is empty"):
        workshop.start_own_exercise(room.code, key, "   ")
    with pytest.raises(RoomError, match="reply is empty"):
        workshop.accept(room.code, token, 3, "  ")


def test_next_exercise_follows_the_list_order():
    order = ["a", "b", "c"]
    assert rooms.next_exercise_id(order, []) == "a"
    assert rooms.next_exercise_id(order, ["a", None]) == "b"
    assert rooms.next_exercise_id(order, ["c", "a"]) == "b"
    with pytest.raises(RoomError, match="last exercise"):
        rooms.next_exercise_id(order, ["c"])


def test_submit_stores_then_scores_with_the_coach(workshop, room, coach, library):
    code, key = room
    _, token = workshop.join(code)
    scored = workshop.submit(code, token, 1, ADVICE)
    expected = coach.feedback(library[EXERCISE].disclosure, ADVICE)
    assert scored.status is Status.SCORED and scored.number == 1
    assert list(scored.labels) == expected.labels and scored.listening_score == expected.listening_score
    assert scored.feedback["flags"][0]["label"] == expected.flags[0].label


def test_many_replies_at_once_are_all_stored_and_scored_in_batches(workshop, room):
    code, key = room
    tokens = [workshop.join(code, f"P{i}")[1] for i in range(24)]
    results = [None] * len(tokens)

    def reply(i):
        results[i] = workshop.submit(code, tokens[i], 1, GOOD if i % 2 else ADVICE)

    threads = [threading.Thread(target=reply, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status is Status.SCORED for r in results)
    assert sorted(r.number for r in results) == list(range(1, 25))  # numbered without gaps or repeats
    assert len(workshop.scorer.batches) < 24  # some were scored together
    state = workshop.projector(code, key)
    assert state.tally.replied == state.tally.scored == state.tally.counted == 24
    assert state.tally.counts["premature_advice"] >= 10


def test_a_reply_the_coach_cannot_score_is_still_stored(path, library):
    class Broken:
        def feedback_many(self, pairs):
            raise RuntimeError("boom")

        def feedback(self, disclosure, reply):
            raise RuntimeError("boom")

    workshop = Workshop(RoomStore.open(path), Broken(), library)
    room, key = workshop.create_room()
    workshop.start_exercise(room.code, key, EXERCISE)
    _, token = workshop.join(room.code)
    out = workshop.submit(room.code, token, 1, GOOD)
    assert out.status is Status.FAILED and out.error == COULD_NOT_SCORE
    assert workshop.projector(room.code, key).tally.replied == 1


# --- tallies, moderation, the projector ---------------------------------------------------------------


def _sub(i, participant, labels=(), status=Status.SCORED, hidden=False, round=1):
    return rooms.Submission(i, "AAAAAA", round, i, participant, "t", f"reply {i}", status, hidden, 60, tuple(labels))


def test_tally_counts_each_participants_latest_reply_and_leaves_hidden_ones_off_the_chart():
    subs = [
        _sub(1, 1, ["premature_advice"]),
        _sub(2, 2, ["validation", "open_question"]),
        _sub(3, 1, ["validation"]),          # participant 1 tried again: only this one counts
        _sub(4, 3, ["judgment"], hidden=True),
        _sub(5, 4, status=Status.WAITING),
        _sub(6, 5, ["judgment"], round=2),
    ]
    t = rooms.tally(subs, round=1)
    assert (t.replied, t.scored, t.hidden, t.counted) == (4, 3, 1, 2)
    assert t.counts["validation"] == 2 and t.counts["premature_advice"] == 0 and t.counts["judgment"] == 0
    assert set(t.counts) == set(LABELS)
    assert [s.id for s in rooms.wall(subs, 1)] == [2, 3]


def test_hiding_a_reply_takes_it_off_the_wall_before_or_after_it_is_shown(workshop, room):
    code, key = room
    tokens = [workshop.join(code)[1] for _ in range(3)]
    for token, text in zip(tokens, (GOOD, ADVICE, "<b>rude</b> whatever")):
        workshop.submit(code, token, 1, text)
    workshop.hide(code, key, 3)  # before the wall is shown
    workshop.show(code, key, "wall")
    state = workshop.projector(code, key)
    assert [s.number for s in state.wall] == [1, 2] and state.tally.hidden == 1
    workshop.hide(code, key, "#1")  # after
    assert [s.number for s in workshop.projector(code, key).wall] == [2]
    workshop.hide(code, key, 1, hidden=False)
    assert [s.number for s in workshop.projector(code, key).wall] == [1, 2]
    room_now, replies = workshop.replies(code, key)
    assert [s.hidden for s in replies] == [False, False, True]  # the facilitator still sees every reply
    with pytest.raises(RoomError, match="no reply #9"):
        workshop.hide(code, key, 9)
    with pytest.raises(RoomError, match="reply's number"):
        workshop.hide(code, key, "three")


def test_compare_two_replies_side_by_side(workshop, room):
    code, key = room
    for text in (GOOD, ADVICE):
        workshop.submit(code, workshop.join(code)[1], 1, text)
    with pytest.raises(RoomError, match="two different"):
        workshop.compare(code, key, 1, 1)
    with pytest.raises(RoomError, match="no reply #5"):
        workshop.compare(code, key, 1, 5)
    with pytest.raises(RoomError, match="Pick two replies"):
        workshop.show(code, key, "compare")
    after = workshop.compare(code, key, "2", 1.0)
    assert after.compare == (2, 1) and after.display is Display.COMPARE
    a, b = workshop.projector(code, key).compared
    assert (a.reply, b.reply) == (ADVICE, GOOD)
    workshop.hide(code, key, 2)
    assert workshop.projector(code, key).compared[0] is None  # hidden replies are not compared either
    with pytest.raises(RoomError, match="projector can show"):
        workshop.show(code, key, "everything")


def test_the_projector_state_never_holds_a_nickname(workshop, room):
    code, key = room
    seat, token = workshop.join(code, "Very Secret Name")
    workshop.submit(code, token, 1, GOOD)
    workshop.show(code, key, "wall")
    assert "Very Secret Name" not in repr(workshop.projector(code, key).to_dict())


def test_every_change_moves_the_revision_up(workshop, room):
    code, key = room
    seen = [workshop.store.revision(code)]
    _, token = workshop.join(code)
    workshop.accept(code, token, 1, GOOD)
    seen.append(workshop.store.revision(code))
    workshop.close_replies(code, key)
    seen.append(workshop.store.revision(code))
    workshop.show(code, key, "examples")
    seen.append(workshop.store.revision(code))
    assert seen == sorted(set(seen))


# --- persistence, export, deletion --------------------------------------------------------------------


def test_rooms_survive_a_restart(path, coach, library):
    first = Workshop(RoomStore.open(path), coach, library)
    room, key = first.create_room()
    first.start_exercise(room.code, key, EXERCISE)
    seat, token = first.join(room.code, "Sam")
    first.submit(room.code, token, 1, GOOD)
    second_seat, second_token = first.join(room.code)
    first.submit(room.code, second_token, 1, ADVICE)
    first.hide(room.code, key, 2)
    first.show(room.code, key, "wall")
    # a reply stored just before the app stopped, never scored
    pending, _ = first.accept(room.code, token, 1, "Oh no. What happened next?")

    again = Workshop(RoomStore.open(path), coach, library)  # a new process on the same file
    state = again.projector(room.code, key)
    assert state.room.display is Display.WALL and state.room.exercise.exercise_id == EXERCISE
    assert again.seat(room.code, token).participant.nickname == "Sam"
    replies = again.store.submissions(room.code)
    assert [s.hidden for s in replies] == [False, True, False]
    for _ in range(200):  # the waiting reply is scored by the new process
        if again.store.submission(pending.id).status is Status.SCORED:
            break
        threading.Event().wait(0.05)
    assert again.store.submission(pending.id).status is Status.SCORED


def test_the_rooms_tables_have_their_own_migration_track(path):
    Store.open(path)  # the learners' tables first, as the app does
    store = RoomStore.open(path)
    with sqlite3.connect(path) as conn:
        assert schema_version(conn) == SCHEMA_VERSION
        assert schema_version(conn, "rooms_schema_version") == ROOM_SCHEMA_VERSION
    assert RoomStore.open(path).schema_version() == ROOM_SCHEMA_VERSION  # reopening is a no-op
    assert store.create_room("h").code


def test_csv_export_neutralises_formulas_and_names_no_one_on_the_wall(workshop, room):
    code, key = room
    _, token = workshop.join(code, "=cmd|' /C calc'!A0")
    workshop.submit(code, token, 1, "=HYPERLINK(\"http://x\") that's rough, really rough.")
    _, other = workshop.join(code)
    workshop.submit(code, other, 1, "+1 -- @you that sounds hard")
    workshop.submit(code, other, 1, GOOD)
    workshop.hide(code, key, 1)
    rows = list(csv.DictReader(io.StringIO(workshop.results_csv(code, key))))
    assert list(rows[0]) == list(rooms.CSV_COLUMNS)
    assert [r["reply_number"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["reply"].startswith("'=HYPERLINK") and rows[0]["nickname"].startswith("'=cmd")
    assert rows[1]["reply"].startswith("'+1") and rows[2]["reply"] == GOOD
    assert [r["participant"] for r in rows] == ["P1", "P2", "P2"]
    assert [r["hidden"] for r in rows] == ["yes", "no", "no"] and [r["latest"] for r in rows] == ["yes", "no", "yes"]
    assert rows[0]["exercise_id"] == EXERCISE and rows[0]["status"] == "scored"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))


def test_delete_removes_the_room_and_everything_in_it(workshop, room, path):
    code, key = room
    _, token = workshop.join(code, "Sam")
    workshop.submit(code, token, 1, GOOD)
    other, other_key = workshop.create_room()
    assert workshop.delete(code, key) == 1
    with pytest.raises(RoomError, match=f"No room with code {code}"):
        workshop.projector(code, key)
    with pytest.raises(RoomError, match="No room"):
        workshop.accept(code, token, 1, GOOD)
    with sqlite3.connect(path) as conn:
        for table in ("room_rounds", "room_participants", "room_submissions"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE room_code = ?", (code,)).fetchone()[0] == 0
        assert "Sam" not in "\n".join(conn.iterdump())
    assert workshop.facilitate(other.code, other_key).code == other.code  # other rooms untouched


def test_stored_feedback_comes_back_whole(coach, library):
    """Replies' feedback is kept as JSON; the participant's page and the wall rebuild it from there."""
    import json

    from listening.feedback import Feedback

    fb = coach.feedback(library[EXERCISE].disclosure, "Cheer up! " + GOOD + " You should talk to him.")
    again = Feedback.from_dict(json.loads(json.dumps(fb.to_dict())), fb.disclosure, fb.reply)
    assert again.to_dict() == fb.to_dict() and again.reply == fb.reply
    assert [f.practices for f in again.flags] == [f.practices for f in fb.flags]
