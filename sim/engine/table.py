"""Tables of rows (access reports, access windows, imaging schedules) and UTC times.

A :class:`Table` is named columns of one length, in order.  Columns of
``datetime64`` values are instants in UTC: the writers
(:mod:`sim.outputs.tables`) give them as ISO 8601 text with milliseconds and a
trailing ``Z``, so a file says when things happen without a separate epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

# Instants are kept (and written) to the millisecond: the access edges the kernels
# refine are good to about that (100 m of ground track is ~14 ms).
UTC_UNIT = "ms"


def utc_times(start: datetime, seconds) -> np.ndarray:
    """Instants ``seconds`` (array, s) after ``start`` (an aware or UTC datetime) as
    ``datetime64[ms]`` UTC, rounded to the nearest millisecond; NaN gives NaT."""
    s = np.asarray(seconds, dtype=np.float64)
    start = start.astimezone(timezone.utc) if start.tzinfo is not None else start
    base_us = np.datetime64(start.replace(tzinfo=None), "us").astype(np.int64)
    ok = np.isfinite(s)
    off_us = np.rint(np.where(ok, s, 0.0) * 1e6).astype(np.int64)
    ms = (base_us + off_us + 500) // 1000  # nearest millisecond (floor division: also before 1970)
    out = ms.astype("datetime64[ms]")
    out[~ok] = np.datetime64("NaT")
    return out


def utc_text(times) -> list[str]:
    """``datetime64`` instants (UTC) as 'YYYY-MM-DDTHH:MM:SS.mmmZ'; '' for NaT."""
    t = np.asarray(times).astype("datetime64[ms]")
    text = np.datetime_as_string(t, unit=UTC_UNIT)
    return ["" if np.isnat(x) else f"{s}Z" for x, s in zip(t, text.tolist())]


def iso_utc(t: datetime) -> str:
    """An aware datetime as ISO 8601 UTC text with milliseconds: '2025-10-03T15:08:44.000Z'."""
    return utc_text(utc_times(t, [0.0]))[0]


def window_meta(window) -> dict:
    """A window (:class:`sim.engine.propagate.Window`) as files describe it: start and
    end in UTC, duration and step (s); times in seconds count from its start."""
    return {"start_utc": iso_utc(window.start),
            "end_utc": utc_text(utc_times(window.start, [window.duration_s]))[0],
            "duration_s": window.duration_s, "step_s": window.step_s}


@dataclass
class Table:
    """Rows as named columns of one length, in order.

    ``name``: what a row is ("access", "windows", "schedule"); ``columns``:
    name -> values (numpy arrays or lists; ``datetime64`` columns are UTC
    instants; NaN and None are empty cells); ``formats``: a column's text
    format for files (a format spec such as ".3f": fixed decimals; default the
    shortest text that reads back the same float); ``meta``: JSON-ready facts
    about the whole table (the window, what was simulated) for the sidecar."""

    name: str
    columns: dict
    formats: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        lengths = {k: len(v) for k, v in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"table {self.name}: columns of different lengths {lengths}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def cells(self, name: str) -> list:
        """A column as Python values for a file: UTC text for instants, None where
        empty, floats rounded to their format's decimals."""
        col = self.columns[name]
        arr = np.asarray(col) if not isinstance(col, list) else None
        if arr is not None and np.issubdtype(arr.dtype, np.datetime64):
            return [v or None for v in utc_text(arr)]
        if arr is not None and arr.dtype.kind == "f":
            decimals = _decimals(self.formats.get(name))
            vals = arr.tolist()
            return [None if not math.isfinite(v) else (round(v, decimals) if decimals is not None else v)
                    for v in vals]
        if arr is not None and arr.dtype.kind in "iub":
            return arr.tolist()
        return [None if (v is None or (isinstance(v, float) and not math.isfinite(v))) else v for v in col]

    def text_cells(self, name: str) -> list[str]:
        """A column as CSV text: '' where empty."""
        spec = self.formats.get(name)
        out = []
        for v in self.cells(name):
            if v is None:
                out.append("")
            elif isinstance(v, float):
                out.append(format(v, spec) if spec else repr(v))
            else:
                out.append(str(v))
        return out

    def rows(self) -> list[dict]:
        """One dict per row (:meth:`cells` values), JSON-ready."""
        cols = {k: self.cells(k) for k in self.columns}
        return [{k: c[i] for k, c in cols.items()} for i in range(len(self))]

    def to_dataframe(self):
        """A ``pandas.DataFrame`` of the columns (instants as UTC timestamps)."""
        import pandas as pd

        df = pd.DataFrame({k: (pd.to_datetime(v).tz_localize("UTC")
                               if np.issubdtype(np.asarray(v).dtype, np.datetime64) else v)
                           for k, v in self.columns.items()})
        return df


def _decimals(spec: str | None) -> int | None:
    if spec and spec.startswith(".") and spec.endswith("f"):
        return int(spec[1:-1])
    return None


__all__ = ["Table", "utc_times", "utc_text", "iso_utc", "window_meta"]
