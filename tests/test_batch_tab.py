"""The app's Batch tab: the handler as a plain function (the real coach), then through gradio_client."""

import csv
import html
import json

import pyarrow.parquet as pq
import pytest
from gradio_client import Client, handle_file

from listening.ui import batch_tab
from listening.ui.batch_tab import BatchScorer

DISCLOSURE = "I'm so stressed about work, I feel like I'm failing."
IMG = '"><img src=x onerror=alert(1)>'


def value(update):
    return update["value"] if isinstance(update, dict) and "value" in update else update


@pytest.fixture
def upload(tmp_path):
    path = tmp_path / "cohort.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "reply", "disclosure", "learner"])
        writer.writerow(["a1", "You should talk to HR.", DISCLOSURE, "ana"])
        writer.writerow(["a2", "", DISCLOSURE, "ana"])
        writer.writerow([IMG, f"That sounds so hard. {IMG} What happened?", DISCLOSURE, "ben"])
    return path


def test_scoring_an_upload_keeps_good_rows_lists_bad_ones_and_offers_both_files(coach, library, upload):
    view = BatchScorer(lambda: coach, library).score_file(str(upload), "Parquet")
    assert "Scored 2 of 3 rows." in view.message and "1 row could not be scored" in view.message
    problems = value(view.problems)
    assert problems.values.tolist() == [["a2", "Row 2: the reply is empty."]]
    assert view.problems["visible"] is True

    scored = pq.read_table(value(view.scored)).to_pylist()
    assert value(view.scored).endswith("cohort-scored.parquet")
    assert [r["id"] for r in scored] == ["a1", "a2", IMG]
    assert "premature_advice" in scored[0]["labels"] and scored[1]["error"]
    page = open(value(view.report), encoding="utf-8").read()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert ">Learners over time</h2>" in page


@pytest.mark.parametrize("name, content, words", [
    (None, None, "Choose a file to score first"),
    ("notes.txt", "hello", "notes.txt: the input must be a .jsonl, .csv or .parquet file"),
    ("empty.csv", "id,text\n1,hi\n", "The CSV has no 'reply' column."),
    ("blank.jsonl", "\n", "blank.jsonl has no rows to score."),
])
def test_a_file_that_cannot_be_used_is_one_sentence_and_nothing_to_download(coach, library, tmp_path,
                                                                           name, content, words):
    path = None
    if name is not None:
        path = tmp_path / name
        path.write_text(content)
    view = BatchScorer(lambda: coach, library).score_file(str(path) if path else None, "CSV")
    assert html.escape(words) in view.message and 'role="alert"' in view.message
    assert str(tmp_path) not in view.message  # the server's folder stays out of the message
    assert view.scored["visible"] is False and view.report["visible"] is False


def test_files_over_the_apps_limit_point_to_the_command_line(coach, library, upload, monkeypatch):
    monkeypatch.setattr(batch_tab, "MAX_ROWS", 2)
    view = BatchScorer(lambda: coach, library).score_file(str(upload), "CSV")
    assert "has 3 rows and the app scores up to 2 at a time" in view.message
    assert "python -m listening score" in view.message


def test_the_batch_tab_over_the_api(launched_app, upload):
    client = Client(launched_app[0], verbose=False)
    api = client.view_api(print_info=False, return_format="dict")
    params = [p["parameter_name"] for p in api["named_endpoints"]["/score_file"]["parameters"]]
    assert params == ["upload", "out_format"]
    message, problems, scored, page = client.predict(handle_file(str(upload)), "JSONL", api_name="/score_file")
    assert "Scored 2 of 3 rows." in message
    assert value(problems)["data"] == [["a2", "Row 2: the reply is empty."]]
    rows = [json.loads(line) for line in open(value(scored), encoding="utf-8")]
    assert [r["id"] for r in rows] == ["a1", "a2", IMG] and rows[2]["error"] is None
    assert open(value(page), encoding="utf-8").read().startswith("<!DOCTYPE html>")
