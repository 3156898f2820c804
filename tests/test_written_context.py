"""An exercise's author wrote down whether it implicates the listener and asks for advice; the coach
uses those flags for that disclosure instead of reading them, in the engine and in batch scoring."""

import json
from dataclasses import replace

import pytest

from listening import Coach, load_library
from listening.cli import main

# A disclosure that reads as a stranger's trouble: the context head alone does not see the listener in it.
QUIET = "The deadline moved again and my manager only told half the team. I found out at four o'clock."
DEFENSIVE = "Don't look at me, I had no idea either and I've been flat out all week."


def exercise(implicates: bool, asks: bool = False):
    base = next(iter(load_library().values()))
    return replace(base, id="written-context", disclosure=QUIET, implicates_listener=implicates, asks_advice=asks,
                   examples=())


@pytest.fixture(scope="module")
def told():
    """A coach told that QUIET implicates the listener (and knowing nothing else)."""
    return Coach.load(exercises=[exercise(implicates=True)])


def test_the_written_flag_turns_defensiveness_on_for_that_disclosure(coach, told):
    read = coach.feedback(QUIET, DEFENSIVE)
    written = told.feedback(QUIET, DEFENSIVE)
    assert "defensiveness" not in read.labels  # the text alone does not implicate the listener
    assert "defensiveness" in written.labels
    assert written.scores["defensiveness"] > read.scores["defensiveness"] + 0.3


def test_the_flag_belongs_to_the_disclosure_not_the_coach(told):
    other = "Work was a nightmare today, the printer jammed through the whole board pack."
    assert "defensiveness" not in told.feedback(other, DEFENSIVE).labels


def test_spacing_does_not_hide_a_known_disclosure(told):
    spaced = "  " + QUIET.replace(" ", "  ") + "\n"
    assert told.feedback(spaced, DEFENSIVE).scores == pytest.approx(told.feedback(QUIET, DEFENSIVE).scores)


def test_a_flag_written_false_switches_defensiveness_off(coach):
    complaint = "You said you'd pick me up at six and I waited outside the station for an hour in the rain."
    assert "defensiveness" in coach.feedback(complaint, DEFENSIVE).labels
    untold = Coach.load(exercises=[replace(exercise(False), disclosure=complaint)])
    assert "defensiveness" not in untold.feedback(complaint, DEFENSIVE).labels


def test_batch_scoring_uses_the_flags_of_the_exercises_folder(tmp_path, capsys):
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "set.toml").write_text(
        '[[exercise]]\nid = "quiet-deadline"\ntitle = "The moved deadline"\ntheme = "work"\n'
        'difficulty = "easy"\nrelationship = "colleague"\nasks_advice = false\nimplicates_listener = true\n'
        f'disclosure = "{QUIET}"\nexamples = ["That sounds maddening.", "Four o\'clock? What did you do?"]\n',
        encoding="utf-8")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "exercise_id": "quiet-deadline", "reply": DEFENSIVE}) + "\n",
                    encoding="utf-8")
    assert main(["score", str(rows), "--exercises", str(folder)]) == 0
    [result] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "defensiveness" in result["labels"]
