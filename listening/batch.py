"""Batch scoring as the contract says: rows in (JSONL, CSV or Parquet), one result row out per input row.

Rows stream through in chunks, so memory stays flat whatever the file size.
A bad row becomes an output row with ``error`` set; it never stops the run.
``run`` ties it together for the command line and the app: read, score (on an engine), write, checkpoint,
tally for the report. Engines: ``LocalEngine`` here, the Ray engine in ``listening.ray_engine``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, NamedTuple

from listening.errors import MAX_DISCLOSURE_CHARS, MAX_REPLY_CHARS, InputError, ListeningError, check_text
from listening.exercises import Exercise
from listening.labels import LABELS
from listening.report import SOURCE_FIELDS
from listening.spreadsheet import spreadsheet_safe

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


FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def input_format(name: str) -> str:
    if name == "-":
        return "jsonl"
    kind = FORMATS.get(Path(name).suffix.lower())
    if kind is None:
        raise UnusableInput(f"{name}: the input must be a .jsonl, .csv or .parquet file (or - for JSONL on stdin).")
    return kind


@dataclass(frozen=True)
class InputInfo:
    """What is known about an input before its rows are read."""

    name: str
    kind: str  # "jsonl", "csv" or "parquet"
    columns: list[str] | None = None  # carried-through columns fixed by a CSV header or a Parquet schema
    types: dict | None = None  # Parquet input: the arrow type each carried-through column keeps in Parquet output
    rows: int | None = None  # known without reading them (Parquet metadata)


def inspect_input(name: str) -> InputInfo:
    """Check that the input can be used at all (file, format, header or schema); UnusableInput if not."""
    kind = input_format(name)
    if name == "-":
        return InputInfo(name, kind)
    if not Path(name).is_file():
        raise UnusableInput(f"{name}: no such file.")
    if kind == "csv":
        with open(name, "rb") as stream:
            header = _csv_header(csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace",
                                                             newline="")))
        return InputInfo(name, kind, [h for h in header or [] if h not in KNOWN])
    if kind == "parquet":
        from listening import parquet

        try:
            handle = parquet.open_file(name)
        except parquet.ParquetProblem as err:
            raise UnusableInput(str(err)) from None
        types = parquet.carried_types(handle)
        return InputInfo(name, kind, list(types), types, handle.metadata.num_rows)
    return InputInfo(name, kind)


def count_rows(info: InputInfo) -> int:
    """How many rows the input holds (a quick pass over JSONL or CSV; Parquet says so in its footer)."""
    if info.rows is not None:
        return info.rows
    if info.kind == "jsonl":
        with open(info.name, "rb") as stream:
            return sum(1 for line in stream if line.strip())
    with open(info.name, encoding="utf-8-sig", errors="replace", newline="") as stream:
        return max(sum(1 for cells in csv.reader(stream) if any(cells)) - 1, 0)


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
    header = _csv_header(reader)
    if header is None:
        return
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


def _csv_header(reader) -> list[str] | None:
    """The header's column names (None for an empty file); UnusableInput without a 'reply' column."""
    try:
        header = next(reader)
    except StopIteration:
        return None
    except csv.Error as err:
        raise UnusableInput(f"The CSV header cannot be read ({err}).") from None
    header = [h.strip() for h in header]
    if "reply" not in header:
        raise UnusableInput("The CSV has no 'reply' column.")
    return header


def read_parquet(name: str) -> Iterator[Row]:
    from listening import parquet

    try:
        handle = parquet.open_file(name)
    except parquet.ParquetProblem as err:
        raise UnusableInput(str(err)) from None
    for number, fields, problem in parquet.records(handle, CHUNK):
        if problem is not None:
            yield Row(number, fields or {}, problem=f"Row {number} {problem}")
        else:
            yield Row(number, fields)


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
    if kind == "parquet":
        yield from read_parquet(name)
        return
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


def results_of(feedback) -> dict:
    """The result fields of a scored row, from the coach's feedback."""
    body = feedback.to_dict()
    return {"labels": body["labels"], "scores": body["scores"], "flags": body["flags"], "skills": body["skills"],
            "error": None}


def failure(error: str) -> dict:
    """The result fields of a row that could not be scored."""
    return {"labels": [], "scores": {}, "flags": [], "skills": [], "error": error}


def head_of(row: Row) -> dict:
    """What an output row carries from its input row: the id and the extra columns."""
    return {"id": row.id, **row.extras()}


def source_of(row: Row) -> dict:
    """The input fields the report reads (the reply, the exercise, the learner and when), and the id."""
    return {"id": row.id, **{name: row.fields.get(name) for name in SOURCE_FIELDS}}


def result_row(row: Row, feedback=None, error: str | None = None) -> dict:
    return {**head_of(row), **(results_of(feedback) if feedback is not None else failure(error or ""))}


class Scored(NamedTuple):
    """One output row, and the input fields the report reads."""

    result: dict
    source: dict


def score_rows(coach, rows: Iterable[Row], library: dict[str, Exercise], chunk: int = CHUNK) -> Iterator[Scored]:
    """Score rows in chunks; every row yields exactly one result row, in input order."""
    buffer: list[Row] = []

    def flush() -> Iterator[Scored]:
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
            yield Scored(results[id(row)], source_of(row))
        buffer.clear()

    for row in rows:
        buffer.append(row)
        if len(buffer) >= chunk:
            yield from flush()
    yield from flush()


class LocalEngine:
    """Scores in this process with one Coach (loaded once)."""

    name = "local"

    def __init__(self, coach):
        self.coach = coach

    def score(self, info: InputInfo, rows: Iterator[Row], skip: int, library: dict[str, Exercise]) -> Iterator[Scored]:
        """Score ``rows`` (the input's rows after the first ``skip``, already read past them)."""
        self.coach.know(library.values())  # an exercise's written context, for --exercises libraries too
        return score_rows(self.coach, rows, library)


def csv_cells(result: dict) -> dict:
    cells = {k: v for k, v in result.items() if k not in RESULT_FIELDS}
    cells["labels"] = ";".join(result["labels"])
    for label in LABELS:
        score = result["scores"].get(label)
        cells[f"score_{label}"] = "" if score is None else f"{score:.4f}"
    cells["flags"] = json.dumps(result["flags"], ensure_ascii=False) if result["flags"] else ""
    cells["skills"] = json.dumps(result["skills"], ensure_ascii=False) if result["skills"] else ""
    cells["error"] = result["error"] or ""
    return {k: spreadsheet_safe(v) if isinstance(v, str) else ("" if v is None else v) for k, v in cells.items()}


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
                cells["extra"] = spreadsheet_safe(json.dumps(leftover, ensure_ascii=False)) if leftover else ""
            else:  # nested values carried from Parquet input, as JSON text
                cells.update({k: spreadsheet_safe(json.dumps(cells[k], ensure_ascii=False)) for k in extras
                              if isinstance(cells[k], (list, dict))})
            if self._csv is None:
                head = ["id", *(self.columns if self.columns is not None else ["extra"])]
                names = head + ["labels", *(f"score_{l}" for l in LABELS), "flags", "skills", "error"]
                self._csv = csv.DictWriter(self.stream, fieldnames=names, extrasaction="ignore", restval="")
                if not self._header_written:
                    self._csv.writeheader()
            self._csv.writerow(cells)
        self.stream.flush()


def output_format(name: str | None) -> str:
    if name is None:
        return "jsonl"
    kind = FORMATS.get(Path(name).suffix.lower())
    if kind is None:
        raise UnusableInput(f"{name}: the output must be a .jsonl, .csv or .parquet file.")
    return kind


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


# --- outputs -----------------------------------------------------------------------------------------


class TextOutput:
    """JSONL or CSV to a file (with a progress record every CHUNK rows, for --resume) or to a stream."""

    def __init__(self, path: Path | None, kind: str, columns: list[str] | None, resume: bool = False,
                 stream: IO[str] | None = None):
        self.path, self.done, keep = path, 0, 0
        if path is not None and resume and path.exists():
            try:
                self.done, keep = resume_point(path, kind)
            except (UnicodeDecodeError, OSError) as err:
                raise UnusableInput(f"{path}: cannot continue it ({err}); score it again without --resume.") from None
            os.truncate(path, keep)
        try:
            self.stream = open(path, "a" if self.done or keep else "w", encoding="utf-8", newline="") \
                if path is not None else (stream or sys.stdout)
        except OSError as err:
            raise UnusableInput(f"cannot write {path}: {err.strerror}.") from None
        self.writer = Writer(self.stream, kind, columns, header_written=keep > 0)
        self.checkpoint = Checkpoint(path) if path is not None else None
        self.written = 0

    def write(self, result: dict) -> None:
        self.writer.write(result)
        self.written += 1
        if self.checkpoint is not None and self.written % CHUNK == 0:
            os.fsync(self.stream.fileno())  # what the checkpoint counts is on disk, power loss included
            self.checkpoint.save(self.done + self.written, os.fstat(self.stream.fileno()).st_size)

    def finish(self) -> None:
        self.close()
        if self.checkpoint is not None:
            self.checkpoint.clear()

    def close(self) -> None:
        if self.path is not None and not self.stream.closed:
            self.stream.close()


def open_output(out: str | None, info: InputInfo, resume: bool = False, stream: IO[str] | None = None):
    """The output named by ``out`` (JSONL on ``stream`` when None); ``.done`` rows are already in it."""
    kind = output_format(out)
    if kind == "parquet":
        from listening import parquet

        carried = info.types if info.kind == "parquet" else \
            ({name: parquet.pa.string() for name in info.columns} if info.columns is not None else None)
        try:
            return parquet.ParquetOutput(Path(out), parquet.result_schema(carried), resume)  # type: ignore[arg-type]
        except parquet.ParquetProblem as err:
            raise UnusableInput(str(err)) from None
        except OSError as err:
            raise UnusableInput(f"cannot write {out}: {err.strerror}.") from None
    return TextOutput(Path(out) if out else None, kind, info.columns, resume, stream)


def read_results(out: str) -> Iterator[dict]:
    """The result rows already in an output file (JSONL, CSV or Parquet), as the contract's dicts."""
    kind = output_format(out)
    if kind == "parquet":
        from listening import parquet

        yield from parquet.read_results(Path(out))
        return
    with open(out, encoding="utf-8", newline="") as stream:
        if kind == "jsonl":
            for line in stream:
                if line.strip():
                    yield json.loads(line)
            return
        for cells in csv.DictReader(stream):
            yield {
                "labels": cells["labels"].split(";") if cells.get("labels") else [],
                "scores": {label: float(cells[f"score_{label}"]) for label in LABELS if cells.get(f"score_{label}")},
                "flags": json.loads(cells["flags"]) if cells.get("flags") else [],
                "skills": json.loads(cells["skills"]) if cells.get("skills") else [],
                "error": cells.get("error") or None,
            }


# --- a whole run -------------------------------------------------------------------------------------

PROBLEMS_KEPT = 200  # bad rows listed in the summary (all of them are in the output's error column)


@dataclass
class Summary:
    """What a run did: rows read, scored and failed, ids used twice, the first bad rows."""

    read: int = 0
    scored: int = 0
    failed: int = 0
    resumed_after: int = 0
    duplicates: int = 0
    first_duplicate: Any = None
    problems: list[tuple[Any, str]] = field(default_factory=list)

    def line(self) -> str:
        return f"rows read: {self.read}, scored: {self.scored}, failed: {self.failed}"


def run(info: InputInfo, out: str | None, engine, library: dict[str, Exercise], *, resume: bool = False,
        tally=None, on_row: Callable[[Summary], None] | None = None, on_resume: Callable[[int], None] | None = None,
        stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> Summary:
    """Score the input into ``out`` on ``engine``; feed ``tally`` (a report.Tally) with every row.

    With ``resume``, rows already in ``out`` are kept (and tallied) and scoring continues after them.
    Raises UnusableInput when the input or output cannot be used; KeyboardInterrupt leaves the output
    complete up to its last checkpoint.
    """
    output = open_output(out, info, resume, stdout)
    summary = Summary(resumed_after=output.done)
    seen: set[str] = set()
    try:
        rows = read_rows(info.name, stdin)
        if output.done:
            if on_resume is not None:
                on_resume(output.done)
            before = itertools.islice(rows, output.done)
            if tally is not None:
                for row, result in zip(before, read_results(out)):  # type: ignore[arg-type]
                    tally.add(result, source_of(row))
            else:
                for _ in before:
                    pass
        for result, source in engine.score(info, rows, output.done, library):
            output.write(result)
            summary.read += 1
            if result["error"]:
                summary.failed += 1
                if len(summary.problems) < PROBLEMS_KEPT:
                    summary.problems.append((result["id"], result["error"]))
            else:
                summary.scored += 1
            key = json.dumps(result["id"])
            if key in seen:
                summary.duplicates += 1
                if summary.first_duplicate is None:
                    summary.first_duplicate = result["id"]
            seen.add(key)
            if tally is not None:
                tally.add(result, source)
            if on_row is not None:
                on_row(summary)
        output.finish()
    finally:
        output.close()
    return summary
