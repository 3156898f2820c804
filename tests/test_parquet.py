"""Parquet in and out: the same row rules as JSONL and CSV, row groups, damaged groups, --resume through part files."""

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from listening import LABELS, batch, parquet
from listening.cli import main

DISCLOSURE = "I'm so stressed about work, I feel like I'm failing."


def mixed_table(exercise_id: str) -> pa.Table:
    return pa.table({
        "id": ["p1", "p2", None, "p4", "p5", "p6", "p7"],
        "reply": ["You should talk to HR.", None, "That sounds so hard. What happened?", "", "Hmm.",
                  "x" * 6000, "At least you have a job!"],
        "disclosure": [DISCLOSURE, DISCLOSURE, DISCLOSURE, DISCLOSURE, None, DISCLOSURE, None],
        "exercise_id": [None, None, None, None, "no-such-exercise", None, exercise_id],
        "cohort": ["spring", "spring", None, "autumn", "autumn", "autumn", "=cmd"],
        "n": [1, 2, 3, 4, 5, 6, 7],
        "when": pa.array([dt.datetime(2026, 1, i + 1, 9) for i in range(7)], pa.timestamp("ms")),
        "tags": [["a"], [], None, ["b", "c"], ["d"], [], ["e"]],
    })


@pytest.fixture(scope="module")
def runs(tmp_path_factory, library):
    """The same Parquet input scored to JSONL, Parquet and CSV (row groups of 3 rows in the input)."""
    folder = tmp_path_factory.mktemp("parquet")
    source = folder / "in.parquet"
    pq.write_table(mixed_table(sorted(library)[0]), source, row_group_size=3)
    codes = {suffix: main(["score", str(source), "--out", str(folder / f"out{suffix}")])
             for suffix in (".jsonl", ".parquet", ".csv")}
    return folder, codes


def test_good_rows_score_and_bad_rows_report_with_their_row_number(runs):
    folder, codes = runs
    assert codes == {".jsonl": 1, ".parquet": 1, ".csv": 1}
    rows = [json.loads(line) for line in (folder / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["p1", "p2", 3, "p4", "p5", "p6", "p7"]
    assert [r["error"] is None for r in rows] == [True, False, True, False, False, False, True]
    assert rows[1]["error"] == "Row 2 has no reply."
    assert rows[3]["error"] == "Row 4: the reply is empty."
    assert rows[4]["error"] == "Row 5: unknown exercise id 'no-such-exercise'."
    assert rows[5]["error"].startswith("Row 6: The reply is 6,000 characters long")
    assert "premature_advice" in rows[0]["labels"] and "minimizing" in rows[6]["labels"]
    assert set(rows[0]["scores"]) == set(LABELS)
    # carried through, as JSON-ready values: times as ISO 8601 text, lists as lists
    assert (rows[0]["cohort"], rows[0]["n"], rows[0]["when"], rows[0]["tags"]) == ("spring", 1, "2026-01-01T09:00:00", ["a"])


def test_parquet_output_holds_what_jsonl_output_holds(runs):
    folder, _ = runs
    expected = [json.loads(line) for line in (folder / "out.jsonl").read_text().splitlines()]
    table = pq.read_table(folder / "out.parquet")
    assert table.schema.field("n").type == pa.int64()  # plain carried types are kept
    assert table.schema.field("when").type == pa.string()  # others become text
    assert table.schema.names[-5:] == ["labels", "scores", "flags", "skills", "error"]
    got = table.to_pylist()
    for want, have in zip(expected, got, strict=True):
        assert have["id"] == str(want["id"])
        assert (have["labels"], have["flags"], have["skills"], have["error"]) == \
            (want["labels"], want["flags"], want["skills"], want["error"])
        assert (have["scores"] or {}) == want["scores"]
        assert (have["cohort"], have["n"], have["when"]) == (want["cohort"], want["n"], want["when"])
    assert not (folder / "out.parquet.parts").exists()


def test_parquet_to_csv_neutralises_formulas_and_writes_nested_values_as_json(runs):
    import csv

    folder, _ = runs
    rows = list(csv.DictReader((folder / "out.csv").open(encoding="utf-8")))
    assert rows[6]["cohort"] == "'=cmd"
    assert json.loads(rows[3]["tags"]) == ["b", "c"]
    assert rows[1]["error"] == "Row 2 has no reply."


def test_a_reply_column_of_the_wrong_type_fails_each_row_with_its_number(tmp_path, capsys):
    source = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "reply": [1, 2], "disclosure": [DISCLOSURE, DISCLOSURE]}), source)
    out = tmp_path / "out.jsonl"
    assert main(["score", str(source), "--out", str(out)]) == 1
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["error"] for r in rows] == ["Row 1: the reply must be text.", "Row 2: the reply must be text."]
    assert "rows read: 2, scored: 0, failed: 2" in capsys.readouterr().err


def test_a_damaged_row_group_costs_only_its_own_rows(tmp_path):
    source = tmp_path / "damaged.parquet"
    n = 12
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(n)], "reply": [f"That sounds hard ({i})." for i in range(n)],
                             "disclosure": [DISCLOSURE] * n}), source, row_group_size=4)
    column = pq.ParquetFile(source).metadata.row_group(1).column(1)  # the second group's replies
    start = column.dictionary_page_offset or column.data_page_offset
    data = bytearray(source.read_bytes())
    data[start:start + column.total_compressed_size] = b"\xab" * column.total_compressed_size
    source.write_bytes(bytes(data))

    rows = list(batch.read_rows(str(source)))
    assert [r.number for r in rows] == list(range(1, n + 1))
    assert [r.problem is None for r in rows] == [True] * 4 + [False] * 4 + [True] * 4
    assert rows[4].problem.startswith("Row 5 cannot be read: its part of the Parquet file is damaged")


@pytest.mark.parametrize("content, words", [
    (b"PAR1 this is not parquet at all", "not a readable Parquet file"),
    (None, "no 'reply' column"),
])
def test_unusable_parquet_input_exits_two_with_one_sentence(tmp_path, capsys, content, words):
    source = tmp_path / "in.parquet"
    if content is None:
        pq.write_table(pa.table({"id": ["a"], "text": ["hi"]}), source)
    else:
        source.write_bytes(content)
    assert main(["score", str(source)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1


def fake_result(i: int) -> dict:
    """A result row as batch scoring writes it (for the writer alone; no scoring involved)."""
    return {"id": f"r{i}", "cohort": "c", "labels": ["validation"], "scores": dict.fromkeys(LABELS, 0.5),
            "flags": [], "skills": [{"label": "validation", "score": 0.5, "practices": [4, 1],
                                     "spans": [{"start": 0, "end": 3, "text": "Oof"}], "note": "n"}], "error": None}


def test_output_goes_through_synced_parts_into_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "PART_ROWS", 4)
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 10)
    out = tmp_path / "out.parquet"
    schema = parquet.result_schema({"cohort": pa.string()})
    writer = parquet.ParquetOutput(out, schema)
    for i in range(9):
        writer.write(fake_result(i))
    assert len(list((tmp_path / "out.parquet.parts").glob("part-*.parquet"))) == 2  # 8 rows on disk, 1 buffered
    assert not out.exists()
    writer.close()  # interrupted: the buffered row is kept as a part too

    resumed = parquet.ParquetOutput(out, schema, resume=True)
    assert resumed.done == 9
    for i in range(9, 25):
        resumed.write(fake_result(i))
    resumed.finish()
    handle = pq.ParquetFile(out)
    assert [handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups)] == [10, 10, 5]
    assert [r["id"] for r in handle.read().to_pylist()] == [f"r{i}" for i in range(25)]
    assert not (tmp_path / "out.parquet.parts").exists()


def test_resume_continues_a_parquet_run_interrupted_mid_way(tmp_path, monkeypatch, coach, library):
    monkeypatch.setattr(parquet, "PART_ROWS", 8)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"r{i}", "disclosure": DISCLOSURE,
                                          "reply": ["You should talk to HR.", "What happened?", ""][i % 3]}) + "\n"
                              for i in range(30)))
    whole = tmp_path / "whole.parquet"
    assert main(["score", str(source), "--out", str(whole)]) == 1

    out = tmp_path / "broken.parquet"

    def stop_after_20(summary):
        if summary.read == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(batch.inspect_input(str(source)), str(out), batch.LocalEngine(coach), library, on_row=stop_after_20)
    (tmp_path / "broken.parquet.parts" / "part-000099.tmp").write_bytes(b"half a part")  # as if killed mid-write
    assert main(["score", str(source), "--out", str(out), "--resume"]) == 1
    got, want = pq.read_table(out).to_pylist(), pq.read_table(whole).to_pylist()
    assert [(r["id"], r["labels"], r["error"]) for r in got] == [(r["id"], r["labels"], r["error"]) for r in want]
    for a, b in zip(got, want, strict=True):  # bf16 arithmetic: a batch scored apart can differ in the 4th decimal
        assert (a["scores"] is None) == (b["scores"] is None)
        assert all(abs(a["scores"][k] - b["scores"][k]) < 2e-3 for k in LABELS) if a["scores"] else True
    assert not (tmp_path / "broken.parquet.parts").exists()
