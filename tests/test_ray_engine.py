"""--engine ray: Ray Data in local mode gives the local engine's rows, labels and scores (one Ray start for the module).

The local runs compared against start from an empty disclosure cache, as each Ray worker does: the engine's
bf16 arithmetic can move a score in the 4th decimal when a disclosure was first encoded in another batch.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from listening import LABELS, batch
from listening.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def ray_engine():
    """A local Ray, started the way a run without RAY_ADDRESS starts it; the CLI runs below join it."""
    from listening.ray_engine import RayEngine

    saved = os.environ.pop("RAY_ADDRESS", None)
    engine = RayEngine(workers=2)
    engine.start()
    try:
        yield engine
    finally:
        engine.close()
        if saved is not None:
            os.environ["RAY_ADDRESS"] = saved


def local(coach, library, source: Path, out: Path, resume: bool = False) -> batch.Summary:
    coach.featurizer.forget_disclosures()
    return batch.run(batch.inspect_input(str(source)), str(out), batch.LocalEngine(coach), library, resume=resume)


def test_ray_gives_the_local_engines_rows_labels_and_scores(ray_engine, coach, library, tmp_path):
    """300 rows: two blocks, so both workers score; the blocks use different disclosures."""
    ids = sorted(library)
    first, second = ids[:5], ids[5:9]
    replies = ["You should talk to HR.", "That sounds exhausting. What's the worst part?", "At least you have a job!",
               f"Ugh my week was worse. {SCRIPT}", "", "So it's the feeling of failing more than the work itself?"]
    lines = [json.dumps({"id": f"r{i}", "exercise_id": (first if i < 256 else second)[i % 4],
                         "reply": replies[i % len(replies)], "cohort": i % 3}) for i in range(300)]
    lines[17] = "not json"
    lines[140] = json.dumps({"id": "r140", "exercise_id": "no-such-exercise", "reply": "Hmm."})
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")

    assert main(["score", str(source), "--out", str(tmp_path / "ray.parquet"), "--engine", "ray", "--workers", "2"]) == 1
    summary = local(coach, library, source, tmp_path / "local.parquet")
    assert (summary.read, summary.failed) == (300, 52)

    got, want = pq.read_table(tmp_path / "ray.parquet").to_pylist(), pq.read_table(tmp_path / "local.parquet").to_pylist()
    assert [r["id"] for r in got] == [r["id"] for r in want] == [f"r{i}" if i != 17 else "18" for i in range(300)]
    assert [r["error"] for r in got] == [r["error"] for r in want]
    assert got[17]["error"] == "Line 18 is not valid JSON." and "unknown exercise id" in got[140]["error"]
    assert [r["labels"] for r in got] == [r["labels"] for r in want]
    for a, b in zip(got, want, strict=True):
        if b["scores"]:
            assert all(abs(a["scores"][k] - b["scores"][k]) <= 1e-6 for k in LABELS)  # the same rounding
    assert got == want


def test_a_run_joins_the_cluster_at_ray_address_and_resumes_a_csv_file_like_the_local_engine(
        ray_engine, coach, library, tmp_path):
    """A separate process, as on a cluster: it joins the running Ray, ships the code and the model to it."""
    import ray

    source = tmp_path / "in.csv"
    rows = [f'c{i},"{["Have you tried meditating?", "That sounds really hard.", "Oof.", ""][i % 4]}",'
            f'"I\'m worn out, week {i % 5}.",=note {i}' for i in range(40)]
    rows[9] = "c9,too,many,cells,here"
    source.write_bytes(("\ufeffid,reply,disclosure,note\r\n" + "\r\n".join(rows) + "\r\n").encode())
    whole = tmp_path / "whole.csv"
    local(coach, library, source, whole)
    head = whole.read_bytes().split(b"\r\n")
    partial = b"\r\n".join(head[:13]) + b"\r\n"  # the header and 12 complete rows, as an interrupted run leaves them

    by_ray, by_local = tmp_path / "ray.csv", tmp_path / "local.csv"
    by_ray.write_bytes(partial)
    by_local.write_bytes(partial)
    env = {**os.environ, "RAY_ADDRESS": ray.get_runtime_context().gcs_address, "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "listening", "score", str(source), "--out", str(by_ray), "--resume",
                           "--engine", "ray", "--workers", "1"], capture_output=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stdout == b"" and "Traceback" not in done.stderr.decode()
    assert "resuming after 12 rows" in done.stderr.decode()
    local(coach, library, source, by_local, resume=True)
    assert by_ray.read_bytes() == by_local.read_bytes()
    text = by_ray.read_bytes().decode("utf-8")
    assert text.count("\r\n") == 41 and "Row 10 has 5 cells where the header has 4." in text
    assert "'=note 39" in text


@pytest.mark.parametrize("args, words", [
    (["-", "--engine", "ray"], "cannot read stdin"),
    (["IN", "--workers", "2"], "--workers needs --engine ray"),
    (["IN", "--engine", "ray", "--workers", "0"], "at least 1"),
    (["IN", "--engine", "ray", "--workers", "64"], "--workers 64 needs a CPU each"),
])
def test_ray_options_that_cannot_work_exit_two_with_one_sentence(ray_engine, tmp_path, capsys, args, words):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"disclosure": "I'm tired.", "reply": "Oof."}) + "\n")
    assert main(["score", *[str(source) if a == "IN" else a for a in args]]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_the_engine_never_imports_ray():
    code = ("import sys; import listening.coach, listening.cli, listening.batch, listening.report, listening.parquet; "
            "print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert done.stdout.decode().strip() == "False", done.stderr.decode()
