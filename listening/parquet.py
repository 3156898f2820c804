"""Parquet in and out for batch scoring (pyarrow), with the same row rules as JSONL and CSV.

Reading streams one row group at a time in batches of ``CHUNK`` rows, so memory follows the file's
row-group size, not its length. A row group that cannot be decoded costs only its own rows: each is
reported with its row number, and the rows of the other groups are read as usual.

Writing goes through part files: every ``PART_ROWS`` results are written, closed and synced as one
small Parquet file in ``OUTPUT.parts/``; at the end the parts are streamed into ``OUTPUT`` (row
groups of ``ROW_GROUP_ROWS``) and removed. A run that is interrupted leaves complete parts behind,
and ``--resume`` continues after them: the parts directory is the Parquet output's checkpoint.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from listening.batch import KNOWN, RESULT_FIELDS
from listening.labels import LABELS

PART_ROWS = 512  # rows per part file: the most work an interruption can cost (a few seconds)
ROW_GROUP_ROWS = 8192  # rows per row group in the finished file
# Carried-through columns keep their Parquet type when it is one of these; other types are written as text.
PLAIN = (pa.types.is_boolean, pa.types.is_integer, pa.types.is_floating, pa.types.is_string,
         pa.types.is_large_string)


class ParquetProblem(ValueError):
    """The file is not Parquet, or has no 'reply' column (the input cannot be used at all)."""


def open_file(path: Path | str) -> pq.ParquetFile:
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise ParquetProblem(f"{path}: not a readable Parquet file ({_first_line(err)}).") from None
    if "reply" not in handle.schema_arrow.names:
        raise ParquetProblem("The Parquet file has no 'reply' column.")
    return handle


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(".")


def carried_types(handle: pq.ParquetFile) -> dict[str, pa.DataType]:
    """The carried-through columns and the type each gets in Parquet output."""
    return {f.name: (f.type if any(test(f.type) for test in PLAIN) else pa.string())
            for f in handle.schema_arrow if f.name not in KNOWN}


def plain(value):
    """A Parquet value as JSON-ready Python: times as ISO 8601 text, decimals as text, bytes as text."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def record_fields(record: dict) -> tuple[dict, str | None]:
    """(fields, None) or (fields, why not) for one Parquet record: undecodable text fields are a problem."""
    fields = {}
    for name, value in record.items():
        if name in KNOWN and isinstance(value, bytes):  # a binary column holding text, as some writers do
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                return {"id": fields.get("id")} if name != "id" else {}, "is not valid UTF-8 text."
        fields[name] = plain(value)
    return fields, None


def records(handle: pq.ParquetFile, batch_rows: int) -> Iterator[tuple[int, dict | None, str | None]]:
    """(row number, fields, problem) for every row of the file, one row group at a time."""
    number = 0
    for group in range(handle.num_row_groups):
        size = handle.metadata.row_group(group).num_rows
        given = 0
        try:
            for batch in handle.iter_batches(batch_size=batch_rows, row_groups=[group], use_threads=False):
                for record in batch.to_pylist():
                    given += 1
                    fields, problem = record_fields(record)
                    yield number + given, fields, problem
        except (pa.ArrowException, OSError, ValueError) as err:
            reason = _first_line(err)
            for lost in range(given + 1, size + 1):
                yield number + lost, None, f"cannot be read: its part of the Parquet file is damaged ({reason})."
        number += size


# --- output ------------------------------------------------------------------------------------------

_SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])
FLAG = pa.struct([
    ("label", pa.string()), ("score", pa.float64()), ("confidence", pa.string()),
    ("practices", pa.list_(pa.int64())), ("practice_titles", pa.list_(pa.string())),
    ("spans", pa.list_(_SPAN)), ("why", pa.string()), ("try", pa.string()),
])
SKILL = pa.struct([
    ("label", pa.string()), ("score", pa.float64()), ("practices", pa.list_(pa.int64())),
    ("spans", pa.list_(_SPAN)), ("note", pa.string()),
])
RESULT_TYPES = {
    "labels": pa.list_(pa.string()),
    "scores": pa.struct([(label, pa.float64()) for label in LABELS]),
    "flags": pa.list_(FLAG),
    "skills": pa.list_(SKILL),
    "error": pa.string(),
}
RESULTS = [(name, RESULT_TYPES[name]) for name in RESULT_FIELDS]


def result_schema(carried: dict[str, pa.DataType] | None) -> pa.Schema:
    """``id`` (text), the carried-through columns (or one ``extra`` JSON column), then the results.

    ``carried`` is None when the input's columns vary from row to row (JSONL); then the extra fields go
    into ``extra`` as JSON, as CSV output does.
    """
    names = {*RESULT_FIELDS, "id", "extra"}
    middle = [("extra", pa.string())] if carried is None else \
        [(name, kind) for name, kind in carried.items() if name not in names]
    return pa.schema([("id", pa.string()), *middle, *RESULTS])


def arrow_row(result: dict, schema: pa.Schema) -> dict:
    """One result row as the schema's columns."""
    row = {"id": None if result.get("id") is None else str(result["id"])}
    results = set(RESULT_FIELDS)
    extras = {k: v for k, v in result.items() if k != "id" and k not in results}
    for field in schema:
        if field.name in row or field.name in results:
            continue
        if field.name == "extra" and "extra" not in extras:
            row["extra"] = json.dumps(extras, ensure_ascii=False) if extras else None
        else:
            value = extras.get(field.name)
            if pa.types.is_string(field.type) and value is not None and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            row[field.name] = value
    row.update({"labels": result["labels"], "scores": result["scores"] or None, "flags": result["flags"],
                "skills": result["skills"], "error": result["error"]})
    return row


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ParquetOutput:
    """Result rows into one Parquet file, by way of synced part files that make the run resumable."""

    def __init__(self, path: Path, schema: pa.Schema, resume: bool = False):
        self.path, self.schema = Path(path), schema
        self.parts = Path(str(path) + ".parts")
        self.buffer: list[dict] = []
        self.done = 0
        if resume:
            self.done = self._recover()
        else:
            shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True, exist_ok=True)
        self.count = len(self._part_files())

    def _part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet")) if self.parts.is_dir() else []

    def _recover(self) -> int:
        """Rows already written by an earlier run: its complete parts, or its finished file."""
        if self.parts.is_dir():
            for stray in self.parts.glob("*.tmp"):
                stray.unlink()
        elif self.path.exists():  # a finished file: it becomes the first part, and the run carries on after it
            self.parts.mkdir(parents=True)
            os.replace(self.path, self.parts / "part-000000.parquet")
        total = 0
        for part in self._part_files():
            try:
                total += pq.ParquetFile(part).metadata.num_rows
            except (pa.ArrowException, OSError) as err:
                raise ParquetProblem(f"{part}: a part of the earlier run cannot be read ({_first_line(err)}); "
                                     "score the file again without --resume.") from None
        return total

    def write(self, result: dict) -> None:
        self.buffer.append(arrow_row(result, self.schema))
        if len(self.buffer) >= PART_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        self.count += 1
        final = self.parts / f"part-{self.count:06d}.parquet"
        temporary = final.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist(self.buffer, schema=self.schema), temporary)
        _sync(temporary)
        os.replace(temporary, final)
        _sync(self.parts)
        self.buffer.clear()

    def finish(self) -> None:
        """Stream the parts into the output file (row groups of ROW_GROUP_ROWS), then remove them."""
        self._flush()
        temporary = self.path.with_name(self.path.name + ".tmp")
        with pq.ParquetWriter(temporary, self.schema) as writer:
            pending: list[pa.Table] = []
            rows = 0
            for part in self._part_files():
                table = pq.read_table(part, schema=self.schema)
                pending.append(table)
                rows += table.num_rows
                while rows >= ROW_GROUP_ROWS:
                    joined = pa.concat_tables(pending)
                    writer.write_table(joined.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                    pending, rows = [joined.slice(ROW_GROUP_ROWS)], joined.num_rows - ROW_GROUP_ROWS
            if rows:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
        _sync(temporary)
        os.replace(temporary, self.path)
        shutil.rmtree(self.parts, ignore_errors=True)

    def close(self) -> None:
        """Stopped early: keep what is complete as a part, so --resume carries on after it."""
        self._flush()


def read_results(path: Path) -> Iterator[dict]:
    """Result rows already in a Parquet output (its parts, during a resumed run), as dicts."""
    parts = Path(str(path) + ".parts")
    files = sorted(parts.glob("part-*.parquet")) if parts.is_dir() else [Path(path)]
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=PART_ROWS):
            for row in batch.to_pylist():
                row["scores"] = row["scores"] or {}
                yield row
