"""The batch contract, run as a user runs it: a real subprocess on real files."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from listening import LABELS
from listening.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DISCLOSURE = "I'm so stressed about work, I feel like I'm failing."


def score(*args, stdin=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "listening", "score", *map(str, args)], input=stdin,
                          capture_output=True, cwd=ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory, library):
    folder = tmp_path_factory.mktemp("mixed")
    exercise_id = sorted(library)[0]
    lines = [
        json.dumps({"id": "r1", "disclosure": DISCLOSURE, "reply": "You should talk to HR.", "cohort": "spring"}),
        json.dumps({"disclosure": DISCLOSURE, "reply": ""}),
        "not json",
        json.dumps({"id": "r4", "exercise_id": exercise_id, "reply": "That sounds so hard. What happened?"}),
        json.dumps({"id": "r5", "exercise_id": "no-such-exercise", "reply": "Hmm."}),
        json.dumps({"id": "r6", "disclosure": DISCLOSURE}),
        json.dumps({"id": "r7", "disclosure": DISCLOSURE, "reply": "x" * 20000}),
    ]
    raw = ("\n".join(lines) + "\n").encode() + b'{"id": "r8", "disclosure": "ok", "reply": "\xff\xfe"}\n'
    source = folder / "in.jsonl"
    source.write_bytes(raw)
    out = folder / "out.jsonl"
    result = score(source, "--out", out)
    return result, [json.loads(line) for line in out.read_text().splitlines()]


def test_good_rows_score_and_bad_rows_report_without_stopping(mixed_run):
    result, rows = mixed_run
    assert result.returncode == 1
    assert len(rows) == 8
    assert [r["id"] for r in rows] == ["r1", 2, 3, "r4", "r5", "r6", "r7", "r8"]
    good = [r for r in rows if r["error"] is None]
    assert [r["id"] for r in good] == ["r1", "r4"]
    for row in good:
        assert set(row["scores"]) == set(LABELS)
        assert all(0 <= s <= 1 for s in row["scores"].values())
        for flag in row["flags"]:
            assert {"label", "score", "practices", "spans", "why", "try"} <= set(flag)
    assert "premature_advice" in rows[0]["labels"]
    assert rows[0]["cohort"] == "spring"
    for row in rows:
        if row["error"]:
            assert row["labels"] == [] and row["flags"] == [] and row["error"].endswith(".")
            assert "Traceback" not in row["error"]
    assert "exercise" in rows[4]["error"] and "reply" in rows[5]["error"] and "limit" in rows[6]["error"]
    assert "UTF-8" in rows[7]["error"]
    assert "rows read: 8, scored: 2, failed: 6" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_spans_index_into_the_reply(mixed_run):
    _, rows = mixed_run
    reply = "You should talk to HR."
    for flag in rows[0]["flags"]:
        for span in flag["spans"]:
            assert reply[span["start"]:span["end"]] == span["text"]


def test_labels_are_the_scores_over_their_thresholds(mixed_run, coach):
    _, rows = mixed_run
    thresholds = dict(zip(LABELS, coach.model.thresholds))
    for row in rows[:1] + rows[3:4]:
        assert set(row["labels"]) == {l for l, s in row["scores"].items() if s >= thresholds[l] - 1e-4}


def test_all_good_rows_exit_zero_and_stdin_and_stdout_work():
    line = json.dumps({"id": 7, "disclosure": DISCLOSURE, "reply": "That sounds awful."}) + "\n"
    result = score("-", stdin=line.encode())
    assert result.returncode == 0
    rows = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert len(rows) == 1 and rows[0]["id"] == 7 and rows[0]["error"] is None


def test_csv_in_and_out(tmp_path: Path):
    source = tmp_path / "in.csv"
    source.write_text('\ufeffid,reply,disclosure,note\r\na1,"Have you tried meditating?",' + f'"{DISCLOSURE}",=SUM(A1)\r\n'
                      'a2,,"x",plain\r\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = score(source, "--out", out)
    assert result.returncode == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert rows[0]["note"] == "'=SUM(A1)"  # a spreadsheet must not run it
    assert "premature_advice" in rows[0]["labels"].split(";")
    assert float(rows[0]["score_premature_advice"]) > 0.5
    assert rows[1]["error"] and not rows[1]["labels"]


@pytest.mark.parametrize("name, content, words", [
    ("missing.jsonl", None, "no such file"),
    ("in.txt", "hello", ".jsonl, .csv or .parquet"),
    ("in.csv", "id,text\n1,hi\n", "no 'reply' column"),
])
def test_unusable_input_exits_two_with_one_sentence(tmp_path: Path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = score(path)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert words in err and "Traceback" not in err
    assert result.stdout == b""


def test_every_command_has_help_text():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert command.description or sub._name_parser_map[name].format_help()
        assert any(c.dest == name and c.help for c in sub._choices_actions)


def test_the_readme_quick_start_scores_the_bundled_samples():
    result = score(ROOT / "exercises" / "sample-replies.jsonl")
    assert result.returncode == 0, result.stderr.decode()
    rows = {r["id"]: r for r in map(json.loads, result.stdout.decode().splitlines())}
    assert "premature_advice" in rows["s1"]["labels"]
    assert {"validation", "open_question"} <= set(rows["s2"]["labels"]) and not rows["s2"]["flags"]
    assert "defensiveness" in rows["s3"]["labels"]
    assert "minimizing" in rows["s5"]["labels"]
    assert "self_focus" in rows["s6"]["labels"]


def test_a_reader_that_stops_early_gets_no_traceback():
    """`score ... | head -1`: the pipe closes after the first row; the command stops without a traceback."""
    command = f"{sys.executable} -m listening score exercises/sample-replies.jsonl | head -1"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
