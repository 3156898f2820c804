"""The batch report: the tally as a pure fold over result rows, and a self-contained page where input is only text."""

import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listening import LABELS, batch
from listening.cli import main
from listening.feedback import listening_score
from listening.report import Tally, moment, order_key, render, tally_rows

DISCLOSURE = "I'm so stressed about work, I feel like I'm failing."
SCRIPT = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def result(labels=(), flags=(), skills=(), error=None, id_="x"):
    """A result row as batch scoring writes it: flags and skills as (label, score) pairs."""
    return {"id": id_, "labels": list(labels), "scores": {} if error else dict.fromkeys(LABELS, 0.1),
            "flags": [{"label": l, "score": s, "confidence": "likely" if s >= 0.7 else "possible", "spans": []}
                      for l, s in flags],
            "skills": [{"label": l, "score": s, "spans": []} for l, s in skills], "error": error}


def test_counts_by_label_exercise_and_score():
    rows = [
        (result(["premature_advice"], flags=[("premature_advice", 0.9)]), {"exercise_id": "a", "reply": "Quit."}),
        (result(["validation", "open_question"], skills=[("validation", 0.9), ("open_question", 0.8)]),
         {"exercise_id": "a", "reply": "Oof. What happened?"}),
        (result(["validation"], skills=[("validation", 0.95)]), {"exercise_id": None, "reply": "Makes sense."}),
        (result(error="Line 4 has no reply."), {"id": 4}),
    ]
    tally = tally_rows(rows)
    assert (tally.rows, tally.scored, tally.failed) == (4, 3, 1)
    assert tally.labels == {"premature_advice": 1, "validation": 2, "open_question": 1}
    assert tally.exercises["a"].replies == 2 and tally.exercises["a"].labels["validation"] == 1
    assert tally.exercises[""].replies == 1  # rows with their own disclosure
    scores = [listening_score([0.9], []), listening_score([], [0.9, 0.8]), listening_score([], [0.95])]
    assert tally.mean_score == pytest.approx(sum(scores) / 3)
    assert sum(tally.histogram) == 3
    assert tally.errors == [(4, "Line 4 has no reply.")]


def test_learners_first_and_latest_follow_timestamps_not_file_order():
    advice = result(["premature_advice"], flags=[("premature_advice", 0.9)])
    good = result(["validation"], skills=[("validation", 0.9)])
    rows = [  # written newest first
        (good, {"learner": "ana", "timestamp": "2026-03-01T10:00:00Z"}),
        (advice, {"learner": "ana", "timestamp": "2026-01-01T10:00:00+00:00"}),
        (good, {"learner": "ana", "timestamp": "2026-02-01"}),
        (advice, {"learner": "ben", "attempt": "2"}),
        (good, {"learner": "ben", "attempt": 1}),
        (good, {"learner": "cy"}),
    ]
    tally = tally_rows(rows)
    ana, ben, cy = tally.learners["ana"], tally.learners["ben"], tally.learners["cy"]
    assert ana.attempts == 3 and ana.first.labels == {"premature_advice"} and ana.latest.labels == {"validation"}
    assert ben.first.labels == {"validation"} and ben.latest.labels == {"premature_advice"}
    assert cy.attempts == 1 and cy.first is cy.latest
    assert moment("2026-01-01T10:00:00Z") == moment(1767261600) and moment("soon") is None
    assert order_key({"timestamp": "2026-01-01"}, 9) < order_key({}, 0)  # rows with a time come first


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.5, 1.0), min_size=0, max_size=40), st.integers(1, 6))
def test_only_the_highest_and_lowest_replies_are_kept_and_they_are_the_right_ones(flag_scores, keep):
    rows = [(result(["judgment"], flags=[("judgment", s)]), {"id": i, "reply": f"reply {i}"})
            for i, s in enumerate(flag_scores)]
    tally = tally_rows(rows, keep=keep)
    scores = [listening_score([s], []) for s in flag_scores]
    by_high = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:keep]
    by_low = sorted(range(len(scores)), key=lambda i: (scores[i], i))[:keep]
    assert [e.id for e in tally.highest] == by_high
    assert [e.id for e in tally.lowest] == by_low
    assert len(tally._top) <= keep and len(tally._bottom) <= keep


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


@pytest.fixture(scope="module")
def scored_with_payloads(tmp_path_factory, library):
    folder = tmp_path_factory.mktemp("report")
    exercise = sorted(library)[0]
    lines = [
        {"id": f"a{i}", "exercise_id": exercise, "learner": IMG, "attempt": i,
         "reply": reply}
        for i, reply in enumerate([f"You should just quit. {SCRIPT}", f"That sounds so hard. {IMG} What happened?",
                                   "So it's the feeling of failing more than the work itself?"])
    ] + [
        {"id": SCRIPT, "disclosure": DISCLOSURE, "learner": "bo", "reply": "At least you have a job!"},
        {"id": "bad", "exercise_id": IMG, "reply": "Hmm."},
    ]
    source = folder / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out, page = folder / "out.csv", folder / "report.html"
    code = main(["score", str(source), "--out", str(out), "--report", str(page)])
    return code, page.read_text(encoding="utf-8"), library[exercise]


def test_report_shows_input_as_text_and_runs_nothing(scored_with_payloads):
    code, page, _ = scored_with_payloads
    assert code == 1
    parsed = Tags()
    parsed.feed(page)
    assert not parsed.tags & {"script", "img", "iframe", "object", "embed", "link", "a"}
    assert not {a for a in parsed.attrs if a.startswith("on")} and not parsed.attrs & {"src", "href"}
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert not re.search(r"https?://", page)  # nothing to fetch: inline CSS, inline SVG


def test_report_has_every_section_with_charts_and_highlighted_evidence(scored_with_payloads):
    _, page, exercise = scored_with_payloads
    for heading in ("How often each barrier and skill occurs", "By exercise", "Learners over time",
                    "Highest-scoring replies", "Lowest-scoring replies", "Rows that could not be scored"):
        assert f">{heading}</h2>" in page
    assert page.count("<svg") >= 5  # barriers, skills, scores, learners' barriers and skills, learners' scores
    assert "Jumping to advice" in page and "Validating" in page  # titles from listening.labels
    assert exercise.title in page
    lowest = page[page.index('id="lowest"'):]
    assert '<mark class="barrier">You should just quit.' in lowest
    assert "Line 5: unknown exercise id" in page


def test_report_after_resume_covers_every_row(tmp_path, coach, library):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"r{i}", "disclosure": DISCLOSURE, "learner": f"l{i % 3}",
                                          "reply": ["You should talk to HR.", "What happened?"][i % 2]}) + "\n"
                              for i in range(300)))
    out, page = tmp_path / "out.jsonl", tmp_path / "report.html"

    def stop(summary):
        if summary.read == 260:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(batch.inspect_input(str(source)), str(out), batch.LocalEngine(coach), library, on_row=stop)
    assert main(["score", str(source), "--out", str(out), "--resume", "--report", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<strong>300</strong>rows read" in text and "<strong>300</strong>replies scored" in text
    assert "<strong>3</strong>learners with two or more attempts" in text


def test_a_report_into_a_missing_folder_is_refused_before_scoring(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"disclosure": DISCLOSURE, "reply": "Oof."}) + "\n")
    assert main(["score", str(source), "--report", str(tmp_path / "nowhere" / "r.html")]) == 2
    assert "its folder does not exist" in capsys.readouterr().err


def test_an_empty_tally_renders_a_page():
    page = render(Tally(), {}, "empty.csv")
    assert page.startswith("<!DOCTYPE html>") and "<strong>0</strong>rows read" in page
