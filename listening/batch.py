"""Batch scoring as the contract says: rows in (JSONL or CSV), one result row out per input row.

Rows stream through in chunks, so memory stays flat whatever the file size.
A bad row becomes an output row with ``error`` set; it never stops the run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

from listening.errors import MAX_DISCLOSURE_CHARS, MAX_REPLY_CHARS, InputError, ListeningError, check_text
from listening.exercises import Exercise
from listening.labels import LABELS

KNOWN = ("id", "reply", "disclosure", "exercise_id")
RESULT_FIELDS = ("labels", "scores", "flags", "skills", "error")
CHUNK = 256
csv.field_size_limit(sys.maxsize)


class UnusableInput(ListeningError):
    """The input as a whole cannot be used (exit code 2)."""


@dataclass
class Row:
    """One input row: where it was, its fields, or why it could not be read."""

    number: int
    fields: dict = field(default_factory=dict)
    problem: str | None = None
    unit: str = "Row"  # how the caller counts: "Line" in JSONL, "Row" (after the header) in CSV

    @property
    def where(self) -> str:
        return f"{self.unit} {self.number}"

    @property
    def id(self):
        value = self.fields.get("id")
        return value if value not in (None, "") else self.number

    def extras(self) -> dict:
        return {k: v for k, v in self.fields.items() if k not in KNOWN}


def input_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if name == "-" or suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise UnusableInput(f"{name}: the input must be a .jsonl or .csv file (or - for JSONL on stdin).")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8")


def read_jsonl(stream: IO[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(stream, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            line = _decode(raw)
        except UnicodeDecodeError:
            yield Row(number, _salvage_id(raw), problem=f"Line {number} is not valid UTF-8 text.", unit="Line")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            yield Row(number, problem=f"Line {number} is not valid JSON.", unit="Line")
            continue
        if not isinstance(value, dict):
            yield Row(number, problem=f"Line {number} is not a JSON object.", unit="Line")
            continue
        yield Row(number, value, unit="Line")


def _salvage_id(raw: bytes) -> dict:
    """The id of a row that cannot be scored, when it can still be read, so the caller can match it."""
    try:
        value = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return {}
    if isinstance(value, dict) and isinstance(value.get("id"), (str, int)):
        return {"id": value["id"]}
    return {}


def read_csv(stream: IO[bytes]) -> Iterator[Row]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        raise UnusableInput(f"The CSV header cannot be read ({err}).") from None
    header = [h.strip() for h in header]
    if "reply" not in header:
        raise UnusableInput("The CSV has no 'reply' column.")
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield Row(number, problem=f"Row {number} is not valid CSV ({err}).")
            continue
        if not cells or all(not c for c in cells) and len(cells) <= 1:
            number -= 1
            continue
        if any(_has_surrogates(c) for c in cells):
            yield Row(number, problem=f"Row {number} is not valid UTF-8 text.")
            continue
        if len(cells) != len(header):
            yield Row(number, {"id": cells[header.index("id")]} if "id" in header and len(cells) > header.index("id") else {},
                      problem=f"Row {number} has {len(cells)} cells where the header has {len(header)}.")
            continue
        yield Row(number, dict(zip(header, cells)))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def read_rows(name: str, stdin: IO[bytes] | None = None) -> Iterator[Row]:
    kind = input_format(name)
    if name == "-":
        stream = stdin or sys.stdin.buffer
        yield from read_jsonl(stream)
        return
    path = Path(name)
    if not path.is_file():
        raise UnusableInput(f"{name}: no such file.")
    with open(path, "rb") as stream:
        yield from (read_jsonl(stream) if kind == "jsonl" else read_csv(stream))


def pair_of(row: Row, library: dict[str, Exercise]) -> tuple[str, str]:
    """The (disclosure, reply) of a row, or InputError with one clear sentence."""
    if row.problem:
        raise InputError(row.problem)
    fields = row.fields
    reply = fields.get("reply")
    if reply is None or reply == "":
        raise InputError(f"{row.where} has no reply." if reply is None else f"{row.where}: the reply is empty.")
    if not isinstance(reply, str):
        raise InputError(f"{row.where}: the reply must be text.")
    disclosure = fields.get("disclosure")
    exercise_id = fields.get("exercise_id")
    if disclosure not in (None, ""):
        if not isinstance(disclosure, str):
            raise InputError(f"{row.where}: the disclosure must be text.")
    elif exercise_id not in (None, ""):
        exercise = library.get(str(exercise_id))
        if exercise is None:
            raise InputError(f"{row.where}: unknown exercise id {exercise_id!r}.")
        disclosure = exercise.disclosure
    else:
        raise InputError(f"{row.where} has neither a disclosure nor an exercise_id.")
    try:  # the coach's own checks, here, so one bad row never fails the batch it would be scored in
        return check_text(disclosure, "disclosure", MAX_DISCLOSURE_CHARS), check_text(reply, "reply", MAX_REPLY_CHARS)
    except InputError as err:
        raise InputError(f"{row.where}: {err}") from None


def result_row(row: Row, feedback=None, error: str | None = None) -> dict:
    out = {"id": row.id, **row.extras()}
    if feedback is not None:
        body = feedback.to_dict()
        out.update({"labels": body["labels"], "scores": body["scores"], "flags": body["flags"],
                    "skills": body["skills"], "error": None})
    else:
        out.update({"labels": [], "scores": {}, "flags": [], "skills": [], "error": error})
    return out


def score_rows(coach, rows: Iterable[Row], library: dict[str, Exercise], chunk: int = CHUNK) -> Iterator[dict]:
    """Score rows in chunks; every row yields exactly one result row, in input order."""
    buffer: list[Row] = []

    def flush() -> Iterator[dict]:
        pairs, good, results = [], [], {}
        for row in buffer:
            try:
                pairs.append(pair_of(row, library))
                good.append(row)
            except InputError as err:
                results[id(row)] = result_row(row, error=str(err))
        if pairs:
            for row, feedback in zip(good, coach.feedback_many(pairs)):
                results[id(row)] = result_row(row, feedback)
        for row in buffer:
            yield results[id(row)]
        buffer.clear()

    for row in rows:
        buffer.append(row)
        if len(buffer) >= chunk:
            yield from flush()
    yield from flush()


def _neutralise(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_cells(result: dict) -> dict:
    cells = {k: v for k, v in result.items() if k not in RESULT_FIELDS}
    cells["labels"] = ";".join(result["labels"])
    for label in LABELS:
        score = result["scores"].get(label)
        cells[f"score_{label}"] = "" if score is None else f"{score:.4f}"
    cells["flags"] = json.dumps(result["flags"], ensure_ascii=False) if result["flags"] else ""
    cells["skills"] = json.dumps(result["skills"], ensure_ascii=False) if result["skills"] else ""
    cells["error"] = result["error"] or ""
    return {k: _neutralise(v) if isinstance(v, str) else ("" if v is None else v) for k, v in cells.items()}


class Writer:
    """JSONL or CSV output; each row is written whole and flushed.

    CSV columns are fixed by the first line: ``id``, the input's extra columns
    (``columns``, known from a CSV header), the results. Extra fields of JSONL
    input, which can differ from row to row, go into one ``extra`` JSON cell.
    """

    def __init__(self, stream: IO[str], kind: str, columns: list[str] | None = None, header_written: bool = False):
        self.stream, self.kind, self.columns = stream, kind, columns
        self._csv: csv.DictWriter | None = None
        self._header_written = header_written

    def write(self, result: dict) -> None:
        if self.kind == "jsonl":
            self.stream.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            cells = csv_cells(result)
            extras = [k for k in cells if k not in ("id", "labels", "flags", "skills", "error")
                      and not k.startswith("score_")]
            if self.columns is None:
                leftover = {k: cells.pop(k) for k in extras}
                cells["extra"] = _neutralise(json.dumps(leftover, ensure_ascii=False)) if leftover else ""
            if self._csv is None:
                head = ["id", *(self.columns if self.columns is not None else ["extra"])]
                names = head + ["labels", *(f"score_{l}" for l in LABELS), "flags", "skills", "error"]
                self._csv = csv.DictWriter(self.stream, fieldnames=names, extrasaction="ignore", restval="")
                if not self._header_written:
                    self._csv.writeheader()
            self._csv.writerow(cells)
        self.stream.flush()


def csv_columns(name: str) -> list[str]:
    """The extra (carried-through) columns named by a CSV file's header."""
    with open(name, encoding="utf-8-sig", errors="replace", newline="") as stream:
        header = next(csv.reader(stream), [])
    return [h.strip() for h in header if h.strip() not in KNOWN]


def output_format(name: str | None) -> str:
    if name is None:
        return "jsonl"
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise UnusableInput(f"{name}: the output must be a .jsonl or .csv file.")


class Checkpoint:
    """How far a run writing to a file has got: rows written and the file's size at that moment.

    Saved (atomically, after the output is flushed to disk) every CHUNK rows in ``OUTPUT.progress``,
    so ``--resume`` can cut a half-written row off the end and carry on with the next input row.
    """

    def __init__(self, output: Path | str):
        self.path = Path(str(output) + ".progress")

    def load(self) -> tuple[int, int] | None:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            return int(record["rows"]), int(record["bytes"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, rows: int, size: int) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"rows": rows, "bytes": size}), encoding="utf-8")
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def resume_point(output: Path, kind: str) -> tuple[int, int]:
    """(rows already written, bytes to keep) for an output file a run left behind."""
    saved = Checkpoint(output).load()
    data = output.read_bytes()
    if saved is not None and saved[1] <= len(data):
        return saved
    if kind == "jsonl":  # every complete line is one whole row
        keep = data.rfind(b"\n") + 1
        return data[:keep].count(b"\n"), keep
    if not data.endswith(b"\n"):
        raise UnusableInput(f"{output}: cannot tell where the last complete row ends; score it again without --resume.")
    records = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return max(records - 1, 0), len(data)  # the header is not a row
