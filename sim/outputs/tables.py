"""Tables of rows on disk: CSV or JSON lines, with a JSON sidecar.

Any :class:`sim.engine.table.Table` (the access report, target access windows,
the imaging schedule) is written as

- CSV: one header row, then one row per table row; UTC instants as ISO 8601
  text with milliseconds and ``Z``; empty cells where a value is undefined;
- JSON lines: one JSON object per row, the same keys and values (null where
  undefined).

A file (not a stream) gets a sidecar beside it, ``FILE.json`` after
:func:`sim.outputs.io.csv_sidecar` (``report.csv`` -> ``report.csv.json``), as
``revisit run -o x.csv`` writes: what the rows are, the window (its start in
UTC), what was simulated, the columns, row count and sha256 of the file, and the
versions.  The table file holds rows only, so ``pandas.read_csv`` and any CSV
reader take it as it is.  Every file is written atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from constellation.files import atomic_write, atomic_write_pair, is_stream
from sim.engine.provenance import package_versions
from sim.engine.result import jsonable
from sim.engine.table import Table
from sim.outputs.io import _dump_json, csv_sidecar
from sim.studies.capacity import schedule_table, windows_table

TABLE_FORMAT = "revisit-table"
TABLE_FORMAT_VERSION = 1
JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson", ".json")


def table_format(path, as_json: bool = False) -> str:
    """'jsonl' for ``as_json`` or a path ending .jsonl, .ndjson or .json; else 'csv'."""
    if as_json or (path and Path(str(path)).suffix.lower() in JSON_LINES_EXTENSIONS):
        return "jsonl"
    return "csv"


def table_lines(table: Table, fmt: str = "csv"):
    """The table's text, a line at a time (no line ends): CSV rows or JSON objects."""
    if fmt == "jsonl":
        for row in table.rows():
            yield json.dumps(jsonable(row))
        return
    cols = [table.text_cells(k) for k in table.columns]
    for row in [table.column_names, *zip(*cols)]:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(row)
        yield buf.getvalue()


def table_files(path, fmt: str = "csv") -> list[Path]:
    """The files :func:`write_table` writes for ``path``: the table and its sidecar
    (a stream, such as /dev/stdout, gets no sidecar)."""
    return [Path(path)] if is_stream(path) else [Path(path), csv_sidecar(path)]


def write_table(table: Table, path, fmt: str = "csv", meta: dict | None = None) -> list[Path]:
    """Write ``table`` to ``path`` (CSV or JSON lines), then, unless ``path`` is a
    stream, its JSON sidecar (``table.meta``, then ``meta``).  -> the files written."""
    made = {}

    def write(tmp):
        digest = hashlib.sha256()
        with open(tmp, "wb") as f:
            for line in table_lines(table, fmt):
                data = (line + "\n").encode("utf-8")
                digest.update(data)
                f.write(data)
        made["sha256"] = digest.hexdigest()

    if is_stream(path):
        return [atomic_write(path, write)]

    def write_sidecar(tmp):
        doc = {"format": TABLE_FORMAT, "version": TABLE_FORMAT_VERSION, "table": table.name,
               "file": Path(path).name, "file_format": "JSON lines" if fmt == "jsonl" else "CSV",
               "rows": len(table), "columns": table.column_names, "sha256": made["sha256"],
               "times": "UTC, ISO 8601 with milliseconds and Z"}
        doc.update(jsonable(table.meta))
        doc.update(jsonable(meta or {}))
        doc["versions"] = package_versions()
        _dump_json(doc, tmp)

    # Replaced together: a failure or an interruption leaves the earlier pair as it was.
    return [atomic_write_pair(path, write, csv_sidecar(path), write_sidecar), csv_sidecar(path)]


# ---------------------------------------------------------------- revisit targets' files
def write_windows_csv(result, path) -> list[Path]:
    """`revisit targets --windows-out`: every access window (:func:`sim.studies.capacity.windows_table`)."""
    return write_table(windows_table(result), path)


def write_schedule_csv(result, path) -> list[Path]:
    """`revisit targets --schedule-out`: the daily schedule's images (:func:`sim.studies.capacity.schedule_table`)."""
    return write_table(schedule_table(result), path)


__all__ = ["write_table", "table_lines", "table_format", "table_files", "write_windows_csv", "write_schedule_csv",
           "TABLE_FORMAT"]
