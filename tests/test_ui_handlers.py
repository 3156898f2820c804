"""The app's handlers as plain functions, with the real coach: no server, no browser."""

import csv
import random
import re
from pathlib import Path

import pytest

from listening.labels import BY_NAME, GUIDANCE, LABELS, PRACTICES
from listening.store import Store
from listening.ui import render
from listening.ui.handlers import (
    ANY,
    OWN_TITLE,
    Handlers,
    label_trends,
    new_session,
    practices_needing_work,
    session_for,
)
from listening.ui.render import Mark

EXERCISE = "work-new-manager-old-team"
ADVICE = "You should just buy them a round on Friday."
GOOD = "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?"
MARKUP = "<img src=x onerror=alert(1)> <script>alert(2)</script> You should just quit."
LEARNER = "4b1d2c3e-0000-4000-8000-000000000001"
OTHER = "4b1d2c3e-0000-4000-8000-000000000002"


@pytest.fixture
def store(tmp_path):
    return Store.open(tmp_path / "attempts.db")


@pytest.fixture
def h(coach, library, store):
    return Handlers(coach=coach, store=store, library=library, rng=random.Random(7))


@pytest.fixture
def session(h):
    return h.choose_exercise(EXERCISE).session


def value(update):
    """The value inside a gr.update(...) dict, or the plain value."""
    return update["value"] if isinstance(update, dict) and "value" in update else update


def visible(update):
    return update.get("visible") if isinstance(update, dict) else None


def is_skip(update):
    return update == {"__type__": "update"}


# --- highlight segments from character offsets ------------------------------------------------------


def test_segments_rebuild_the_reply_exactly_with_whitespace():
    text = "  First bit,\n\tthen   the second.  \n"
    marks = [Mark(2, 12, "validation"), Mark(14, 32, "premature_advice")]
    pieces = render.segments(text, marks)
    assert "".join(t for t, _ in pieces) == text
    assert pieces == [
        ("  ", None), ("First bit,", "Validating"), ("\n\t", None),
        ("then   the second.", "Jumping to advice"), ("  \n", None),
    ]


def test_overlapping_spans_are_cut_and_named_together():
    text = "Cheer up, it is not a big deal at all."
    marks = [Mark(0, 30, "minimizing"), Mark(10, 38, "defensiveness", possible=True)]
    pieces = render.segments(text, marks)
    assert pieces == [
        ("Cheer up, ", "Minimizing"),
        ("it is not a big deal", "possibly getting defensive + Minimizing"),
        (" at all.", "possibly getting defensive"),
    ]
    colours = render.colour_map(marks, pieces)
    assert set(colours) == {c for _, c in pieces if c}  # every category gets a colour (and a name)
    assert colours["Minimizing"] == render.BARRIER_COLOUR
    assert colours["possibly getting defensive"] == render.POSSIBLE_COLOUR


def test_identical_spans_merge_and_bad_offsets_are_ignored():
    text = "That sounds hard."
    pieces = render.segments(text, [Mark(0, 17, "validation"), Mark(0, 17, "reflection"), Mark(5, 99, "judgment"),
                                    Mark(9, 3, "judgment")])
    assert pieces == [(text, "Validating + Reflecting")]
    assert render.segments("", []) == [("", None)]


def test_marks_follow_the_engine_offsets(coach, library):
    fb = coach.feedback(library[EXERCISE].disclosure, "Cheer up, it's not a big deal.\n\nWhen I got promoted the "
                                                      "same thing happened to me.")
    marks = render.marks_of(fb)
    assert marks, "the coach found nothing in a reply full of barriers"
    for mark in marks:
        finding = next(f for f in (*fb.flags, *fb.skills) if f.label == mark.label)
        assert fb.reply[mark.start:mark.end] in {s.text for s in finding.spans}
    assert "".join(t for t, _ in render.segments(fb.reply, marks)) == fb.reply


# --- choosing what to practise on -------------------------------------------------------------------


def test_choose_exercise_shows_the_disclosure_as_their_message(h, library):
    view = h.choose_exercise(EXERCISE)
    ex = library[EXERCISE]
    assert view.session["disclosure"] == ex.disclosure and view.session["attempts"] == 0
    assert value(view.exercise) == EXERCISE
    assert f"Your {ex.relationship} says:" in view.partner
    assert render.esc(ex.disclosure) in view.partner
    assert view.reply == ""
    assert visible(view.panel) is False and visible(view.examples) is False


def test_choose_an_unknown_exercise_gives_one_message(h):
    view = h.choose_exercise("no-such-exercise")
    assert "Choose a conversation" in view.message
    assert is_skip(view.session) and is_skip(view.partner)


def test_filters_and_random(h, library):
    hard_grief = h.exercise_choices("grief", "hard")
    assert hard_grief and all(library[i].theme == "grief" and library[i].difficulty == "hard" for _, i in hard_grief)
    assert len(h.exercise_choices(ANY, ANY)) == len(library)
    current = h.choose_exercise(hard_grief[0][1]).session
    for _ in range(10):
        view = h.random_exercise("work", "easy", current)
        picked = library[view.session["exercise_id"]]
        assert (picked.theme, picked.difficulty) == ("work", "easy")
    if len(h.exercise_choices("work", ANY)) > 1:
        for _ in range(10):
            assert h.random_exercise("work", ANY, current).session["exercise_id"] != current["exercise_id"]


def test_filter_keeps_a_matching_exercise_and_replaces_one_that_no_longer_matches(h, library):
    session = h.choose_exercise(EXERCISE).session
    kept = h.filter_exercises("work", ANY, session)
    assert value(kept.exercise) == EXERCISE and is_skip(kept.session)
    moved = h.filter_exercises("grief", ANY, session)
    assert library[moved.session["exercise_id"]].theme == "grief"
    assert value(moved.exercise) == moved.session["exercise_id"]


def test_own_disclosure_is_used_as_text(h):
    view = h.use_own_disclosure("<b>Mum</b> never <img src=x onerror=alert(1)> listens to me.\nIt hurts.", None)
    assert view.session["title"] == OWN_TITLE and view.session["exercise_id"] is None
    assert "<img" not in view.partner and "<b>" not in view.partner
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.partner
    assert view.partner.count("<p>") == 2  # the learner's line break is kept


@pytest.mark.parametrize("text, words", [("", "empty"), ("   \n ", "empty"), ("x" * 20_000, "limit"),
                                         ("a\x00b", "NUL")])
def test_bad_own_disclosure_gives_one_message(h, text, words):
    view = h.use_own_disclosure(text, None)
    assert words in view.message and view.message.count("role=") == 1
    assert is_skip(view.session)


# --- feedback ---------------------------------------------------------------------------------------


def test_review_gives_highlights_flags_practices_why_and_alternative(h, session, store):
    view = h.review(ADVICE, session, LEARNER, True)
    fb = view.data["feedback"]
    assert "premature_advice" in fb["labels"]
    assert visible(view.panel) is True and view.message == ""
    # the highlighted reply: the original text, labelled by name, coloured per name
    pieces = value(view.highlight)
    assert "".join(t for t, _ in pieces) == ADVICE
    assert any(c and "jumping to advice" in c.lower() for _, c in pieces)
    assert set(view.highlight["color_map"]) == {c for _, c in pieces if c}
    # the flag card: practice buttons, why, what to try
    flag = next(f for f in fb["flags"] if f["label"] == "premature_advice")
    for number in flag["practices"]:
        assert f'data-practice="{number}"' in view.flags
        assert render.esc(PRACTICES[number].title) in view.flags
    assert render.esc(flag["why"]) in view.flags and render.esc(flag["try"]) in view.flags
    assert f'Listening score </span><span class="n">{fb["listening_score"]}</span>' in view.score
    assert render.esc(fb["summary"]) in view.score
    assert view.session["attempts"] == 1 and view.data["saved"] is True
    assert visible(view.examples_button) is True
    assert [a.reply for a in store.attempts(LEARNER)] == [ADVICE]


def test_weak_flags_read_as_possibly(coach, library):
    fb = coach.feedback(library[EXERCISE].disclosure, ADVICE)
    flag = fb.flags[0]
    weak = type(flag)(flag.label, 0.5, flag.spans, flag.practices, flag.why, flag.alternative)
    assert weak.confidence == "possible"
    html = render.flags_html(type(fb)(fb.disclosure, fb.reply, fb.scores, (weak,), fb.skills, fb.summary))
    assert f"Possibly {BY_NAME[flag.label].title.lower()}" in html and "not sure" in html
    assert Mark(0, 1, weak.label, possible=True).name == f"possibly {BY_NAME[flag.label].title.lower()}"


def test_retry_shows_what_changed(h, session):
    first = h.review(ADVICE, session, LEARNER, True)
    assert first.changes["visible"] is False
    second = h.review(GOOD, first.session, LEARNER, True)
    changes = second.data["changes"]
    before, after = first.data["feedback"], second.data["feedback"]
    assert changes["score_delta"] == after["listening_score"] - before["listening_score"] > 0
    assert "premature_advice" in changes["flags_gone"]
    assert set(changes["skills_gained"]) == {s["label"] for s in after["skills"]} - \
        {s["label"] for s in before["skills"]}
    html = value(second.changes)
    assert second.changes["visible"] is True
    assert "Gone: Jumping to advice" in html and f"Score +{changes['score_delta']}" in html
    assert second.session["attempts"] == 2


def test_a_new_exercise_starts_a_fresh_comparison(h, session):
    first = h.review(ADVICE, session, LEARNER, True)
    fresh = h.choose_exercise("work-nurse-night-shift-loss", first.session).session
    again = h.review(ADVICE, fresh, LEARNER, True)
    assert again.data["changes"] is None and again.session["attempts"] == 1


@pytest.mark.parametrize("reply, words", [
    ("", "The reply is empty."),
    ("   \n\t", "The reply is empty."),
    ("x" * 20_000, "The reply is 20,000 characters long; the limit is 5,000."),
    ("hi\x00there", "NUL"),
    (None, "The reply is empty."),
])
def test_bad_replies_give_one_clear_message_and_keep_the_session(h, session, store, reply, words):
    view = h.review(reply, session, LEARNER, True)
    assert words in view.message and view.message.count('role="alert"') == 1
    assert visible(view.panel) is False
    assert view.session["attempts"] == 0 and words in view.data["error"]
    assert store.attempts(LEARNER) == []


def test_review_without_a_disclosure_asks_to_choose_one(h):
    view = h.review(ADVICE, new_session(), LEARNER, True)
    assert "Choose a conversation first" in view.message


def test_markup_in_a_reply_never_reaches_html_as_markup(h, session):
    view = h.review(MARKUP, session, LEARNER, True)
    html = "".join([view.score, view.skills, view.flags, value(view.changes) or ""])
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.flags
    # the highlight carries the text as text (the component escapes it; see the browser test)
    assert "".join(t for t, _ in value(view.highlight)) == MARKUP


def test_saving_off_or_no_store_records_nothing(h, coach, library, session, store):
    assert h.review(ADVICE, session, LEARNER, False).data["saved"] is False
    assert store.attempts(LEARNER) == []
    bare = Handlers(coach=coach, store=None, library=library)
    view = bare.review(ADVICE, session, LEARNER, True)
    assert view.data["saved"] is False and "Saved" not in view.score
    assert "turned off" in bare.history(LEARNER).message


def test_a_page_without_a_learner_id_yet_gets_one_with_its_first_attempt(h, session, store):
    view = h.review(ADVICE, session, "not a valid id!", True)
    assert view.learner != "not a valid id!" and re.fullmatch(r"[0-9a-f-]{36}", view.learner)
    assert [a.reply for a in store.attempts(view.learner)] == [ADVICE]
    assert h.review(ADVICE, view.session, view.learner, True).learner == view.learner


def test_examples_open_only_after_an_attempt(h, session):
    shut, message = h.reveal_examples(session)
    assert visible(shut) is False and "first" in message
    tried = h.review(ADVICE, session, LEARNER, True).session
    shown, message = h.reveal_examples(tried)
    assert visible(shown) is True and message == ""
    for example in tried["examples"]:
        assert render.esc(example) in value(shown)
    own = h.review(ADVICE, h.use_own_disclosure("I failed my driving test again.", None).session, LEARNER, True)
    shown, _ = h.reveal_examples(own.session)
    assert "no example replies" in value(shown)


# --- learners, history, export, delete --------------------------------------------------------------


def test_start_gives_each_browser_its_own_id_and_keeps_it(h):
    a, save, _ = h.start(None, None)
    b, _, _ = h.start(None, True)
    assert a != b and re.fullmatch(r"[0-9a-f-]{36}", a) and save is True
    assert h.start(a, False)[:2] == (a, False)
    assert h.start("<script>", True)[0] != "<script>"


def test_history_shows_only_this_learners_attempts_and_what_needs_work(h, session):
    s = h.review(ADVICE, session, LEARNER, True).session
    s = h.review("Have you tried just talking to them at the pub?", s, LEARNER, True).session
    h.review(GOOD, s, LEARNER, True)
    h.review(GOOD, session, OTHER, True)

    view = h.history(LEARNER, True)
    table = view.table
    assert list(table["#"]) == [3, 2, 1]  # newest first
    assert list(table["Your reply"])[-1] == ADVICE
    assert set(table["Conversation"]) == {"My old mates went quiet"}
    assert visible(view.charts) is True
    assert list(view.score_plot["attempt"]) == ["01", "02", "03"]
    assert set(view.barrier_plot["label"]) == {BY_NAME[x].title for x in BY_NAME if BY_NAME[x].kind == "barrier"}
    assert view.barrier_plot["score"].between(0, 1).all()
    assert "Practice 2" in view.needs and "Practice 4" in view.needs and "Jumping to advice ×2" in view.needs
    assert "3</strong> attempts" in view.overview

    other = h.history(OTHER, True)
    assert len(other.table) == 1 and ADVICE not in set(other.table["Your reply"])
    assert visible(other.charts) is False
    assert len(h.history(None, True).table) == 0


def test_export_and_delete(h, session):
    h.review(ADVICE, session, LEARNER, True)
    h.review(GOOD, session, OTHER, True)
    file_update, message = h.export_history(LEARNER)
    path = Path(value(file_update))
    assert visible(file_update) is True and "1 attempt)" in message
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["reply"] for r in rows] == [ADVICE]

    out = h.delete_history(LEARNER, True)
    assert "Deleted 1 attempt" in out[7]
    assert len(out[6]) == 0  # the table is empty
    assert len(h.history(OTHER, True).table) == 1  # someone else's history is untouched
    assert "Deleted 0 attempts" in h.delete_history(LEARNER, True)[7]
    assert "no history" in h.delete_history("bad id", True)[7]


def test_needs_work_ranks_practices_by_recent_flags(h, session):
    for reply in (ADVICE, "Cheer up, it's not a big deal.", ADVICE):
        h.review(reply, session, LEARNER, True)
    attempts = h.store.attempts(LEARNER)
    needs = practices_needing_work(attempts)
    assert needs == sorted(needs, key=lambda n: (-n["count"], n["practice"]))
    flagged = {p for a in attempts for label in a.flags for p in BY_NAME[label].practices}
    assert {n["practice"] for n in needs} == flagged
    assert practices_needing_work([]) == []
    trends = label_trends(attempts)
    assert {t["label"] for t in trends} <= set(LABELS)


# --- the practices view -----------------------------------------------------------------------------


def test_practices_view_covers_every_practice_with_1_2_4_in_depth():
    html = render.practices_html()
    for number, practice in PRACTICES.items():
        assert f'id="practice-{number}"' in html  # every flag's practice button has a target
        assert render.esc(practice.summary) in html
    for number in (1, 2, 4):
        guide = GUIDANCE[number]
        assert render.esc(guide.idea) in html and all(render.esc(t) in html for t in guide.try_this)
    assert html.index('id="practice-4"') < html.index('id="practice-3"')  # core practices come first
    for label in LABELS:
        assert render.esc(BY_NAME[label].title) in html


def test_session_state_is_plain_data(library):
    import copy
    import json

    s = session_for(library[EXERCISE])
    assert json.loads(json.dumps(s)) == s == copy.deepcopy(s)


def test_exported_files_do_not_outlive_their_download(h, session, monkeypatch):
    import time

    from listening.ui import downloads

    monkeypatch.setattr(downloads, "KEEP_SECONDS", 0.2)
    h.review(ADVICE, session, LEARNER, True)
    path = Path(value(h.export_history(LEARNER)[0]))
    assert path.exists()
    deadline = time.time() + 5
    while path.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert not path.exists()
