"""Trade studies: many configurations through :func:`sim.engine.run`, one table; sizing searches.

A sweep (:class:`constellation.sweepspec.SweepSpec`) expands into
configurations; each runs as one task, in this process (:class:`SequentialExecutor`)
or on a Dask cluster (:class:`DaskExecutor`: a ``LocalCluster`` of one
single-threaded worker process per core by default, or any running scheduler
at ``tcp://host:port``).  Numba's kernels are compiled once per worker (the
JIT cache on disk is shared); numba holds the GIL here, so workers are
processes, each running its kernel on one thread (``numba_threads``).

Every finished configuration is appended to a JSON-lines journal beside the
table (one line, flushed and fsynced, per task), so an interrupted sweep
resumes without redoing what finished: configurations are known by a stable
hash of their parameters (:func:`constellation.sweepspec.configuration_key`).
A configuration that fails (an impossible orbit, an error in the run) is
recorded with its error and the others go on.  The table (CSV always;
NetCDF or Parquet as well) is rewritten from the journal in the spec's order,
so a sweep run sequentially and on a cluster gives the same bytes.

Sizing (:func:`size_search`): the smallest constellation of a family (planes x
satellites per plane) that meets a revisit target, searched for each plane
count by galloping then k-section on satellites per plane.  It assumes that,
for a given number of planes, meeting the target is monotone in satellites
per plane (if n per plane meet it, n + 1 do); violations met on the way are
reported.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from constellation.errors import InputError
from constellation.files import atomic_write, check_writable, output_errors
from constellation.sweepspec import Configuration, SweepSpec, slug
from sim.engine.result import jsonable

PERCENTILE_KEYS = {50: "p50", 90: "p90", 95: "p95", 99: "p99", 100: "max"}
FIGURE_COLUMNS = ("satellites", "points", "max_revisit_p50_s", "max_revisit_p90_s", "max_revisit_p95_s",
                  "max_revisit_p99_s", "max_revisit_max_s", "mean_revisit_s", "mean_response_s",
                  "coverage_fraction", "accesses_per_day", "unseen_share")
TABLE_FORMATS = {".csv": "csv", ".nc": "netcdf", ".parquet": "parquet"}
# A sweep of more configurations is refused before they are listed (each is a whole run).
MAX_CONFIGURATIONS = 100_000


# ---------------------------------------------------------------- one configuration
def _error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _record(conf: dict, result: dict | None, error: str | None, wall_s: float = 0.0) -> dict:
    return {"key": conf["key"], "label": conf["label"], "params": conf["params"],
            "status": "error" if error else "ok", "error": error, "result": result or {},
            "wall_s": wall_s, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def load_sweep_spec(name_or_path, days: float | None = None, step_s: float | None = None,
                    grid_res_deg: float | None = None, lat_min_deg: float | None = None,
                    lat_max_deg: float | None = None, grid_kind: str | None = None, targets=()) -> SweepSpec:
    """A sweep file (or a built-in sweep by name) with window and grid values
    replaced (None: keep) and revisit ``targets`` ("30min", seconds) added."""
    from constellation.sweepspec import load_sweep, resolve_sweep
    from sim.studies.study import parse_duration_s

    spec = load_sweep(resolve_sweep(name_or_path))
    window = {k: v for k, v in (("days", days), ("step_s", step_s)) if v is not None}
    grid = {k: v for k, v in (("res_deg", grid_res_deg), ("lat_min_deg", lat_min_deg),
                              ("lat_max_deg", lat_max_deg), ("kind", grid_kind)) if v is not None}
    extra = [{"name": f"within {t}", "max_revisit_s": parse_duration_s(t)} for t in targets]
    spec = spec.with_overrides(window, grid, extra)
    check_sweep_size(spec)
    return spec


def count_configurations(spec: SweepSpec) -> int:
    """Configurations of ``spec`` before duplicates are dropped: points x the
    product of the [vary] lists (computed, not listed)."""
    return max(1, len(spec.points)) * math.prod(len(v) for v in spec.vary.values())


def check_sweep_size(spec: SweepSpec) -> None:
    """Refuse (InputError naming the file) a sweep of more than :data:`MAX_CONFIGURATIONS`."""
    n = count_configurations(spec)
    if n > MAX_CONFIGURATIONS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in spec.vary.items())
        raise InputError(f"{n:,} configurations ({max(1, len(spec.points))} points x {sizes or '1'}), more than "
                         f"the {MAX_CONFIGURATIONS:,} a sweep runs: vary fewer values", spec.path)


def run_configuration(conf: dict, numba_threads: int | None = None) -> dict:
    """Run one configuration (``Configuration.to_dict()``) -> its journal record.

    Never raises: a failure is the record's ``error`` (one line).  With
    ``numba_threads`` the kernel uses that many threads (1 in Dask workers,
    which run one task per core)."""
    from constellation.sweepspec import build_configuration
    from sim.kernels import set_num_threads
    from sim.studies.study import Study

    t0 = time.perf_counter()
    result = {}
    try:
        if numba_threads:
            set_num_threads(numba_threads)
        sc = build_configuration(conf)
        result["satellites"] = len(sc.constellation)
        s = Study.from_scenario_object(sc, name=conf["label"]).run(progress=False).summary()  # the sweep's bar
    except Exception as exc:  # recorded, never stops the sweep
        return _record(conf, result, _error_text(exc), time.perf_counter() - t0)
    mrt = s["max_revisit_s"]
    result.update({"satellites": s["satellites"], "points": s["points"],
                   **{f"max_revisit_{k}_s": mrt[k] for k in ("p50", "p90", "p95", "p99", "max")},
                   "mean_revisit_s": s["mean_revisit_s"], "mean_response_s": s["mean_response_s"],
                   "coverage_fraction": s["coverage_fraction"], "accesses_per_day": s["accesses_per_day"],
                   "unseen_share": s["unseen_share"],
                   "targets": [{k: t.get(k) for k in ("name", "threshold_s", "share_met", "verdict",
                                                       "share_mean_response_met")} for t in s["targets"]]})
    return _record(conf, result, None, time.perf_counter() - t0)


# ---------------------------------------------------------------- journal
class Journal:
    """Append-only JSON lines, one record per finished configuration (flushed and
    fsynced line by line); a torn last line (an interrupted write) is ignored.
    A line that is not UTF-8 text ahead of the last is damage, not a torn
    write: InputError naming the file and line.  Failures to write are
    :class:`constellation.files.OutputError` (one line naming the file)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.torn = 0

    def exists(self) -> bool:
        with output_errors(self.path):
            return self.path.exists() and self.path.stat().st_size > 0

    def records(self) -> dict[str, dict]:
        """key -> the latest record of each configuration in the journal."""
        out = {}
        self.torn = 0
        if not self.path.exists():
            return out
        if self.path.is_dir():
            raise InputError("is a folder, not a sweep journal", str(self.path))
        try:
            f = open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"cannot read the journal ({exc.strerror or exc})", str(self.path))
        with f:
            for number, data, is_last in self._lines(f):
                try:
                    line = data.decode("utf-8").strip()
                except UnicodeDecodeError as exc:
                    if is_last:  # where a torn write ends
                        self.torn += 1
                        continue
                    raise InputError(f"not UTF-8 text (byte {data[exc.start]:#04x} at column {exc.start + 1}): "
                                     "a damaged journal; move it away, or pass --overwrite to start again",
                                     str(self.path), number)
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                    out[rec["key"]] = rec
                except (ValueError, KeyError, TypeError):
                    self.torn += 1
        return out

    @staticmethod
    def _lines(f):
        """(line number, bytes, whether it is the last line) of a binary file."""
        previous = None
        for number, data in enumerate(f, start=1):
            if previous is not None:
                yield (*previous, False)
            previous = (number, data)
        if previous is not None:
            yield (*previous, True)

    def start(self, fresh: bool = False) -> None:
        """Begin writing: truncate (``fresh``) or make sure the file ends with a newline."""
        with output_errors(self.path):
            if fresh or not self.path.exists():
                with open(self.path, "w", encoding="utf-8"):
                    pass
                return
            with open(self.path, "rb+") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        f.write(b"\n")

    def append(self, record: dict) -> None:
        line = json.dumps(jsonable(record), allow_nan=False, separators=(",", ":")) + "\n"
        with output_errors(self.path):
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())


# ---------------------------------------------------------------- executors
class SequentialExecutor:
    """Runs configurations one after the other in this process (no Dask)."""

    slots = 1
    description = "sequential (this process)"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map_unordered(self, confs: list[dict]) -> Iterator[dict]:
        for c in confs:
            yield run_configuration(c)


# Seconds a scheduler has to answer before a sweep gives up on it.
CONNECT_TIMEOUT_S = 10.0


def probe_scheduler(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise InputError (one line) unless a Dask scheduler answers at ``address``
    within ``timeout_s`` seconds.

    ``distributed.Client`` waits without end on a server that accepts the
    connection and stays silent, and allocates whatever size a server that is
    not Dask announces; here the connection and one 'identity' request run
    under a deadline on their own event loop (in a thread, so that a caller's
    loop is never needed), and anything but a scheduler's answer is refused."""
    import asyncio
    import threading

    async def identity():
        from distributed.comm import connect

        comm = await asyncio.wait_for(connect(address, timeout=timeout_s), timeout_s)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout_s)
            return await asyncio.wait_for(comm.read(), timeout_s)
        finally:
            comm.abort()

    outcome: dict = {}

    def target():
        try:
            outcome["reply"] = asyncio.run(identity())
        except BaseException as exc:  # noqa: BLE001  (reported below, in the caller's thread)
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="revisit-probe-scheduler", daemon=True)
    thread.start()
    thread.join(3 * timeout_s + 5)  # the connection, the request and the reply, each under timeout_s
    exc, reply = outcome.get("error"), outcome.get("reply")
    where = f"--connect-timeout {timeout_s:g} s"
    if thread.is_alive() or isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        raise InputError(f"no Dask scheduler answered at {address} within {timeout_s:g} s ({where}): is it "
                         "running, and is this its address?", field="--scheduler")
    if isinstance(exc, (OSError, ConnectionError)):
        raise InputError(f"cannot reach the Dask scheduler at {address}: {' '.join(str(exc).split())}",
                         field="--scheduler")
    if exc is not None or not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        why = (f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}" if exc is not None
               else f"it answered {str(reply)[:80]!r}")
        raise InputError(f"{address} is not a Dask scheduler (its reply could not be read as one: {why})",
                         field="--scheduler")


@contextlib.contextmanager
def _workers_ignore_interrupts():
    """Start local worker processes with SIGINT ignored (an ignored signal stays ignored
    across the exec that starts them): a terminal's Ctrl-C reaches the whole process
    group, and each worker would print its own KeyboardInterrupt traceback while this
    process stops the run and closes the cluster.  This process ignores it meanwhile,
    for the seconds the cluster takes to start (signals can be set in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class DaskExecutor:
    """Runs configurations as Dask tasks: on ``scheduler`` ('tcp://host:port', an
    existing cluster whose workers have revisit installed, which must answer
    within ``connect_timeout_s``), on ``client`` (a ``distributed.Client``), or
    by default (``scheduler`` None or "local") on a ``LocalCluster`` of
    ``n_workers`` single-threaded processes (default: this machine's cores).
    Results stream back as they complete.  As a context manager it opens (and
    then closes) the client and cluster it owns; ``client`` is the one to run on."""

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None, client=None,
                 numba_threads: int | None = 1, task: Callable | None = None,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S):
        self.task = task or run_configuration  # task(conf_dict, numba_threads) -> record
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.client = client
        self.numba_threads = numba_threads
        self.connect_timeout_s = connect_timeout_s
        self._own = []

    def __enter__(self):
        import logging

        from dask.distributed import Client, LocalCluster

        if self.client is None:
            if self.scheduler and self.scheduler != LOCAL_SCHEDULER:
                probe_scheduler(self.scheduler, self.connect_timeout_s)
                try:
                    self.client = Client(self.scheduler, timeout=f"{self.connect_timeout_s}s")
                except (OSError, TimeoutError) as exc:
                    raise InputError(f"cannot reach the Dask scheduler: {exc}", field="--scheduler")
                self._own.append(self.client)
            else:
                n = self.n_workers or default_workers()
                with _workers_ignore_interrupts():
                    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(cluster)
                self._own += [self.client, cluster]
        return self

    def __exit__(self, *exc):
        for obj in self._own:
            with contextlib.suppress(Exception):
                obj.close()
        self._own = []
        return False

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    @property
    def description(self) -> str:
        n = self.client.nthreads()
        return f"Dask at {self.client.scheduler.address} ({len(n)} workers, {sum(n.values())} threads)"

    def map_unordered(self, confs: list[dict]) -> Iterator[dict]:
        from dask.distributed import as_completed

        futures = {self.client.submit(self.task, c, self.numba_threads, pure=False): c for c in confs}
        try:
            for fut in as_completed(list(futures)):
                try:
                    rec = fut.result()
                except Exception as exc:  # a worker died, a task could not run
                    rec = _record(futures[fut], None, _error_text(exc))
                yield rec
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                with contextlib.suppress(Exception):
                    self.client.cancel(pending)


# The --scheduler value that starts a local cluster.
LOCAL_SCHEDULER = "local"


def default_workers() -> int:
    """This machine's cores (those this process may run on)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def make_executor(sequential: bool = False, scheduler: str | None = None, n_workers: int | None = None,
                  connect_timeout_s: float = CONNECT_TIMEOUT_S):
    if sequential:
        if scheduler:
            raise InputError("give --sequential or --scheduler, not both", field="--scheduler")
        return SequentialExecutor()
    return DaskExecutor(scheduler=scheduler, n_workers=n_workers, connect_timeout_s=connect_timeout_s)


# ---------------------------------------------------------------- running many
@dataclass
class RunStats:
    ran: int = 0
    reused: int = 0
    failed: int = 0


def run_configurations(confs: list[Configuration], executor, journal: Journal | None = None,
                       known: dict | None = None, retry_failed: bool = False,
                       progress: Callable[[int, int], None] | None = None) -> tuple[list[dict], RunStats]:
    """Records of ``confs`` (in their order): those in ``known`` (key -> record, e.g. a
    journal's) are reused (failed ones rerun if ``retry_failed``), the rest run on
    ``executor``; each new record is appended to ``journal`` as it arrives and added
    to ``known``.  ``progress(done, total)`` counts the tasks run."""
    known = {} if known is None else known
    stats = RunStats()
    todo, queued = [], set()
    for c in confs:
        rec = known.get(c.key)
        if rec is not None and not (retry_failed and rec.get("status") == "error"):
            continue
        if c.key not in queued:
            queued.add(c.key)
            todo.append(c.to_dict())
    stats.reused = len({c.key for c in confs}) - len(todo)
    if progress is not None:
        progress(0, len(todo))
    if todo:
        with contextlib.closing(executor.map_unordered(todo)) as results:
            for rec in results:
                if journal is not None:
                    journal.append(rec)
                known[rec["key"]] = rec
                stats.ran += 1
                if progress is not None:
                    progress(stats.ran, len(todo))
    records = [known[c.key] for c in confs]
    stats.failed = sum(r.get("status") == "error" for r in records)
    return records, stats


# ---------------------------------------------------------------- the table
def table_rows(confs: list[Configuration], records: list[dict], extra: list[dict] | None = None) -> list[dict]:
    """One flat row per configuration: index, key, label, its parameters, the figures,
    per target (by its name's slug) share met / verdict / share whose mean response
    meets it, and the error (empty when it ran)."""
    param_cols = list(dict.fromkeys(k for c in confs for k in c.params))
    target_names = list(dict.fromkeys(t["name"] for r in records for t in r.get("result", {}).get("targets", [])))
    rows = []
    for i, (c, rec) in enumerate(zip(confs, records)):
        res = rec.get("result") or {}
        row = {"index": c.index, "key": c.key, "label": c.label}
        for k in param_cols:
            row[k] = c.params.get(k)
        row["status"] = rec.get("status", "error")
        for k in FIGURE_COLUMNS:
            row[k] = res.get(k)
        by_name = {t["name"]: t for t in res.get("targets", [])}
        for name in target_names:
            t = by_name.get(name, {})
            s = slug(name)
            row[f"{s}_threshold_s"] = t.get("threshold_s")
            row[f"{s}_share_met"] = t.get("share_met")
            row[f"{s}_verdict"] = t.get("verdict")
            row[f"{s}_share_mean_response_met"] = t.get("share_mean_response_met")
        if extra is not None:
            row.update(extra[i])
        row["error"] = rec.get("error") or ""
        rows.append(row)
    return rows


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def table_csv(rows: list[dict]) -> str:
    """The table as CSV text (floats written exactly, empty cells for missing values)."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(k)) for k in cols])
    return buf.getvalue()


def table_format(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in TABLE_FORMATS:
        raise InputError(f"unknown table format {ext or '(no extension)'!r}: use .csv, .nc or .parquet", str(path))
    return TABLE_FORMATS[ext]


def table_paths(path: str | Path) -> list[Path]:
    """The files a sweep or sizing table at ``path`` writes: the table, the CSV
    beside a .nc or .parquet one, and the journal."""
    path = Path(path)
    table_format(path)
    return list(dict.fromkeys([path, path.with_suffix(".csv"), journal_path(path)]))


def check_table_path(path: str | Path) -> None:
    """Fail early on a table path that cannot be written, with its CSV and journal
    (:func:`constellation.files.check_writable`), or Parquet without pyarrow."""
    path = Path(path)
    fmt = table_format(path)
    for p in table_paths(path):
        check_writable(p)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError("Parquet needs pyarrow (pip install pyarrow); .csv and .nc work as they are", str(path))


def _columns(rows: list[dict]) -> dict[str, list]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    out = {}
    for k in cols:
        vals = [r.get(k) for r in rows]
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in vals) \
                and any(v is not None for v in vals):
            if all(v is None or isinstance(v, int) for v in vals) and all(v is not None for v in vals):
                out[k] = vals
            else:
                out[k] = [float("nan") if v is None else float(v) for v in vals]
        else:
            out[k] = [_cell(v) for v in vals]
    return out


# Units and long names of the table's columns (NetCDF attributes).
TABLE_ATTRS = {
    "index": {"long_name": "configuration's place in the sweep"},
    "key": {"long_name": "configuration key (hash of its scenario and sensor)"},
    "label": {"long_name": "configuration (the parameters that vary)"},
    "status": {"long_name": "ok, or error when the configuration failed"},
    "error": {"long_name": "why the configuration failed (empty when it ran)"},
    "satellites": {"long_name": "number of satellites", "units": "1"},
    "points": {"long_name": "number of grid points", "units": "1"},
    "max_revisit_max_s": {"long_name": "largest max revisit over the points", "units": "s"},
    "mean_revisit_s": {"long_name": "area-weighted mean of the mean revisit", "units": "s"},
    "mean_response_s": {"long_name": "area-weighted mean of the mean response time", "units": "s"},
    "coverage_fraction": {"long_name": "area-weighted share of the window with access", "units": "1"},
    "accesses_per_day": {"long_name": "area-weighted accesses per day", "units": "d-1"},
    "unseen_share": {"long_name": "share of the area never accessed", "units": "1"},
    "meets_target": {"long_name": "whether the configuration meets the sizing target"},
    "planes": {"long_name": "number of orbital planes", "units": "1"},
    "sats_per_plane": {"long_name": "satellites per plane", "units": "1"},
    "total": {"long_name": "number of satellites", "units": "1"},
}
# A parameter's unit, by the end of its name.
_PARAM_UNITS = (("_km", "km"), ("_deg", "degree"), ("_hours", "h"), ("_h", "h"), ("_s", "s"), ("days", "d"),
                ("hours", "h"))


def column_attrs(name: str, targets=()) -> dict:
    """Units and long name of a table column; ``targets``: the slugs of the targets'
    names, which start their columns (see :func:`table_rows`)."""
    if name in TABLE_ATTRS:
        return dict(TABLE_ATTRS[name])
    m = re.fullmatch(r"max_revisit_p(\d+)_s", name)
    if m:
        return {"long_name": f"area-weighted {m.group(1)}th percentile of the points' max revisit", "units": "s"}
    for target in targets:
        for suffix, long_name, units in (
                ("_threshold_s", "threshold", "s"),
                ("_share_met", "share of the area whose max revisit is within the threshold", "1"),
                ("_verdict", "met where every point's max revisit is within the threshold, else not met", None),
                ("_share_mean_response_met", "share of the area whose mean response is within the threshold", "1")):
            if name == target + suffix:
                return {"long_name": f"{target}: {long_name}", **({"units": units} if units else {})}
    leaf = name.rsplit(".", 1)[-1]
    units = next((u for end, u in _PARAM_UNITS if leaf.endswith(end)), None)
    return {"long_name": f"sweep parameter {name}", **({"units": units} if units else {})}


def write_table(rows: list[dict], path: str | Path, meta: dict | None = None) -> list[Path]:
    """Write the table atomically: CSV always (``path`` with .csv), and NetCDF (dimension
    ``config``) or Parquet when ``path`` ends in .nc or .parquet."""
    import numpy as np

    path = Path(path)
    fmt = table_format(path)
    csv_path = path.with_suffix(".csv")
    text = table_csv(rows)

    def write_csv(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    written = [atomic_write(csv_path, write_csv)]
    if fmt == "netcdf":
        import xarray as xr

        cols = _columns(rows)
        ds = xr.Dataset({k: ("config", np.asarray(v, dtype=object if isinstance(v[0], str) else None)
                             if v else np.zeros(0)) for k, v in cols.items()})
        targets = _target_names(rows)
        for k in ds.data_vars:
            attrs = column_attrs(k, targets)
            if ds[k].dtype.kind in "OSU":
                attrs.pop("units", None)  # text
            ds[k].attrs.update(attrs)
        ds.attrs["Conventions"] = "CF-1.10"
        ds.attrs["revisit_sweep"] = json.dumps(jsonable(meta or {}))
        written.append(atomic_write(path, lambda tmp: ds.to_netcdf(tmp)))
    elif fmt == "parquet":
        import pandas as pd

        df = pd.DataFrame(_columns(rows))
        written.append(atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False)))
    return written


def _target_names(rows: list[dict]) -> list[str]:
    """The target slugs the table's columns name (``X_threshold_s`` -> ``X``)."""
    return list(dict.fromkeys(k[:-len("_threshold_s")] for r in rows for k in r if k.endswith("_threshold_s")))


def journal_path(table_path: str | Path) -> Path:
    """The journal beside a table: ``sweep.csv`` -> ``sweep.jsonl``."""
    return Path(table_path).with_suffix(".jsonl")


def load_journal(table_path: str | Path, resume: bool, overwrite: bool) -> tuple[Journal, dict]:
    """The journal of ``table_path`` and the records to reuse (``resume``), without
    writing anything; refuses an existing journal unless ``resume`` or ``overwrite``,
    and a damaged one (InputError naming the file and line)."""
    journal = Journal(journal_path(table_path))
    known = {}
    if journal.exists():
        if resume:
            known = journal.records()
        elif not overwrite:
            raise InputError("a journal of an earlier sweep is here: pass --resume to continue it, or --overwrite "
                             "to start again", str(journal.path))
    return journal, known


def open_journal(table_path: str | Path, resume: bool, overwrite: bool) -> tuple[Journal, dict]:
    """:func:`load_journal`, then the journal started for writing (emptied unless ``resume``)."""
    journal, known = load_journal(table_path, resume, overwrite)
    journal.start(fresh=not resume)
    return journal, known


@dataclass
class SweepOutcome:
    rows: list[dict]
    stats: RunStats
    written: list[Path] = field(default_factory=list)
    journal: Path | None = None


def sweep(spec: SweepSpec, table_path: str | Path, executor, resume: bool = False, overwrite: bool = False,
          retry_failed: bool = False, progress: Callable[[int, int], None] | None = None,
          confs: list[Configuration] | None = None) -> SweepOutcome:
    """Run every configuration of ``spec`` (those already in the journal skipped when
    ``resume``) and write the table.  Interrupted (Ctrl-C), the table of what
    finished is written before the interruption propagates."""
    check_table_path(table_path)
    confs = spec.configurations() if confs is None else confs
    journal, known = open_journal(table_path, resume, overwrite)
    meta = {"sweep": spec.name, "spec": spec.path, "configurations": len(confs)}
    try:
        records, stats = run_configurations(confs, executor, journal, known, retry_failed, progress)
    except BaseException:
        # What ran is in the journal (--resume); a table of it is written only where it replaces
        # none: an interrupted sweep never replaces a complete table with a partial one.
        if not Path(table_path).exists():
            done = [c for c in confs if c.key in known]
            write_table(table_rows(done, [known[c.key] for c in done]), table_path, meta)
        raise
    rows = table_rows(confs, records)
    return SweepOutcome(rows, stats, write_table(rows, table_path, meta), journal.path)


def pareto_front(rows: list[dict], y: str = "max_revisit_p95_s") -> list[dict]:
    """Rows not beaten by another (no more satellites and a lower ``y``, or fewer
    satellites and no higher ``y``), by satellites."""
    ok = sorted((r for r in rows if r.get("status") == "ok" and r.get(y) is not None),
                key=lambda r: (r["satellites"], r[y]))
    front, best = [], math.inf
    for r in ok:
        if r[y] < best:
            front.append(r)
            best = r[y]
    return front
