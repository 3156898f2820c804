"""An interrupted run (SIGKILL) continues with --resume to exactly the output of an uninterrupted one."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
REPLIES = ["You should talk to HR.", "That sounds exhausting. What's the worst part?",
           "At least you have a job!", "Ugh my week was worse, let me tell you.", ""]


def write_input(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            out.write(json.dumps({"id": f"r{i}", "disclosure": f"I'm so stressed about work, day {i % 7}.",
                                  "reply": REPLIES[i % len(REPLIES)]}) + "\n")


def score(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "listening", "score", *map(str, args)], capture_output=True,
                          cwd=ROOT, env=ENV, timeout=600)


def rows_on_disk(out: Path) -> int:
    """Complete rows an unfinished run has written: lines of JSONL or CSV, or rows in Parquet part files."""
    parts = Path(str(out) + ".parts")
    if parts.is_dir():
        return sum(pq.ParquetFile(p).metadata.num_rows for p in parts.glob("part-*.parquet"))
    return out.read_bytes().count(b"\n") if out.exists() else 0


def kill_midway(source: Path, out: Path, at_least: int) -> None:
    process = subprocess.Popen([sys.executable, "-m", "listening", "score", str(source), "--out", str(out)],
                               cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if rows_on_disk(out) >= at_least:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_resume_after_sigkill_completes_the_output_exactly(tmp_path, suffix):
    source = tmp_path / "in.jsonl"
    write_input(source, 1500)
    whole = tmp_path / f"whole{suffix}"
    assert score(source, "--out", whole).returncode == 1  # one reply in five is empty

    broken = tmp_path / f"broken{suffix}"
    kill_midway(source, broken, at_least=400)
    if suffix == ".parquet":  # as if the kill had landed in the middle of writing a part
        (Path(str(broken) + ".parts") / "part-009999.tmp").write_bytes(b"PAR1 half a part")
    else:  # as if the kill had landed in the middle of a row
        with broken.open("ab") as tail:
            tail.write(b'{"id": "r9999", "lab')
    resumed = score(source, "--out", broken, "--resume")
    assert resumed.returncode == 1, resumed.stderr.decode()
    assert "resuming after" in resumed.stderr.decode()

    if suffix == ".jsonl":
        expected = [json.loads(line) for line in whole.read_text().splitlines()]
        got = [json.loads(line) for line in broken.read_text().splitlines()]
    elif suffix == ".csv":
        expected = list(csv.DictReader(whole.open(encoding="utf-8")))
        got = list(csv.DictReader(broken.open(encoding="utf-8")))
    else:
        expected, got = pq.read_table(whole).to_pylist(), pq.read_table(broken).to_pylist()
    key = ("id", "labels", "error")  # scores of rows scored in another batch can differ in the 4th decimal (bf16)
    assert [r["id"] for r in got] == [f"r{i}" for i in range(1500)]  # none twice, none skipped
    assert [[r[k] for k in key] for r in got] == [[r[k] for k in key] for r in expected]
    assert not Path(str(broken) + ".progress").exists() and not Path(str(broken) + ".parts").exists()


def test_resume_needs_an_output_file_and_duplicate_ids_are_reported(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"id": "same", "disclosure": "I'm tired.", "reply": r})
                                for r in ("Oof, long day?", "What happened?")) + "\n")
    refused = score(source, "--resume")
    assert refused.returncode == 2 and "--resume needs --out" in refused.stderr.decode()
    result = score(source, "--out", tmp_path / "out.jsonl")
    assert result.returncode == 0
    assert "duplicate ids: 1" in result.stderr.decode()
