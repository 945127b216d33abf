"""Event tables on disk: CSV or JSON lines, times as UTC ISO-8601 with milliseconds.

Generic rows (a header and tuples of plain values); what a row is belongs to the
caller (contact windows, access windows).  Written atomically
(:func:`constellation.files.atomic_write`); ``/dev/stdout`` and other streams in place.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from constellation.files import atomic_write


def iso_utc(start: datetime, offset_s: float) -> str:
    """``start`` + ``offset_s`` seconds as '2025-10-03T01:02:03.456Z' (rounded to the millisecond)."""
    ms = int(round(offset_s * 1000.0))
    t = start.astimezone(timezone.utc) + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _cell(v):
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    return "" if v is None else v


def format_rows(header: list[str], rows, json_lines: bool = False) -> str:
    """Rows as CSV text under ``header``, or as JSON lines (one object per row, keys from
    ``header``; non-finite floats as null)."""
    f = io.StringIO(newline="")
    if json_lines:
        for r in rows:
            obj = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in zip(header, r)}
            f.write(json.dumps(obj) + "\n")
    else:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([_cell(v) for v in r])
    return f.getvalue()


def write_rows(path: str | Path, header: list[str], rows, json_lines: bool = False) -> Path:
    """:func:`format_rows` written to ``path``."""
    text = format_rows(header, rows, json_lines)

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            f.write(text)

    return atomic_write(path, write)


CONTACT_HEADER = ["satellite", "station", "aos_utc", "los_utc", "duration_s", "max_elevation_deg", "aos_s", "los_s"]


def contact_rows(contacts):
    """Contacts (:class:`sim.studies.ground.Contacts`) as rows under :data:`CONTACT_HEADER`:
    AOS/LOS as UTC ISO-8601 with milliseconds, and in seconds from the window start."""
    start = contacts.window.start
    names = contacts.satellite_names
    st = [s.name for s in contacts.network.stations]
    for j, k, a, b, e in zip(contacts.station.tolist(), contacts.satellite.tolist(), contacts.start_s.tolist(),
                             contacts.end_s.tolist(), contacts.max_elevation_deg.tolist()):
        yield (names[k], st[j], iso_utc(start, a), iso_utc(start, b), round(b - a, 3), round(e, 3), round(a, 3),
               round(b, 3))


def write_contacts(contacts, path: str | Path, json_lines: bool = False) -> Path:
    """The contacts as CSV or JSON lines (:func:`contact_rows`)."""
    return write_rows(path, CONTACT_HEADER, list(contact_rows(contacts)), json_lines)


def format_contacts(contacts, json_lines: bool = False) -> str:
    """The contacts as CSV or JSON-lines text (:func:`contact_rows`)."""
    return format_rows(CONTACT_HEADER, list(contact_rows(contacts)), json_lines)


__all__ = ["iso_utc", "format_rows", "write_rows", "contact_rows", "write_contacts", "format_contacts",
           "CONTACT_HEADER"]
