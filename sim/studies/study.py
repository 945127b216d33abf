"""What is simulated: one immutable ``Study`` that every entry point builds.

A study is a constellation, a time window, a grid, the sensors (the file's,
or overridden), the revisit targets, and the scenario's claims beyond revisit
(target capacity, area survey).  ``Study.from_scenario`` and
``Study.from_catalog`` make one; ``with_overrides`` returns a changed copy
(the original is never modified); ``run`` simulates it and returns the
:class:`sim.engine.result.Result`.

    >>> from sim import Study
    >>> r = Study.from_scenario("jilin1-2019").with_overrides(grid_res_deg=5).run()
    >>> r.summary()["satellites"]
    13
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import time
import warnings as _warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from constellation.catalog import DEFAULT_MAX_EPOCH_AGE_DAYS, default_start, read_catalog, select_satellites
from constellation.constants import SECONDS_PER_DAY
from constellation.core import Constellation
from constellation.errors import InputError
from constellation.ground import GroundNetwork, load_network
from constellation.scenario import GRID_KINDS, CapacitySpec, Scenario, SurveySpec, load_scenario, resolve_scenario
from constellation.sensor import off_nadir_limit
from constellation.validate import check_sensor_reach, check_window_near_epochs, unused_limit_warnings
from sim.engine.grid import Grid, count_points
from sim.engine.memory import plan_chunk_samples
from sim.engine.metrics import Target, untestable_reason
from sim.engine.propagate import Window
from sim.engine.provenance import build_provenance, utc_now
from sim.engine.result import Result
from sim.engine.run import run as run_engine
from sim.studies.catalog_check import check_constellation

# What a catalog study simulates unless told otherwise.
CATALOG_DAYS = 1.0
CATALOG_STEP_S = 60.0
CATALOG_GRID_RES_DEG = 1.0

DURATION_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
                  "d": SECONDS_PER_DAY, "day": SECONDS_PER_DAY, "days": SECONDS_PER_DAY}


class StudyWarning(UserWarning):
    """Something about a study's inputs worth knowing (old element sets, satellites dropped)."""


# A scenario's satellites have their elements at the file's start: a window moved further than
# this from it flies them as sgp4 carries them there (the pattern is not rebuilt), and says so.
SCENARIO_EPOCH_NOTE_DAYS = 30.0

# The step's range, as the command line and the scenario files take it.
MIN_STEP_S = 0.01
MAX_STEP_S = 3600.0


def parse_duration_s(text) -> float:
    """'30min', '10 m', '1day', '2h', '600' (seconds) or a number of seconds -> seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*", str(text).lower())
        if not m or (m.group(2) and m.group(2) not in DURATION_UNITS):
            raise ValueError(f"{text!r} is not a duration like 30min, 1day, 2h or 600s")
        seconds = float(m.group(1)) * DURATION_UNITS.get(m.group(2) or "s", 1)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{text!r}: a duration must be positive and finite")
    return seconds


def parse_start(value) -> datetime:
    """An ISO UTC date-time ('2026-01-01T00:00:00Z') or a datetime -> an aware UTC datetime."""
    if isinstance(value, datetime):
        start = value
    else:
        try:
            start = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO date-time such as 2026-01-01T00:00:00Z")
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.astimezone(timezone.utc)


@dataclass(frozen=True)
class PointList:
    """Ground points a study runs on instead of a grid, in the user's order and
    with the user's coordinates (deg); ``path``: the CSV file they came from."""

    lat_deg: tuple[float, ...]
    lon_deg: tuple[float, ...]
    names: tuple[str, ...]
    path: str | None = None

    @classmethod
    def parse(cls, points) -> "PointList":
        """A CSV file's path (rows lat,lon[,name], as `revisit targets --targets`
        reads them) or a (lat, lon) or (lat, lon, names) triple of sequences;
        points without names are T0001, T0002... by their place in the list."""
        if isinstance(points, PointList):
            return points
        if isinstance(points, (str, Path)):
            from sim.studies.capacity import read_points_csv

            lat, lon, names = read_points_csv(points)
            return cls(tuple(lat), tuple(lon), tuple(names), str(points))
        if isinstance(points, np.ndarray) and points.ndim == 2 and points.shape[0] != 2 and points.shape[1] == 2:
            points = points.T  # one (lat, lon) row per point
        try:
            lat, lon, *rest = points
            lat = [float(v) for v in lat]
            lon = [float(v) for v in lon]
        except (TypeError, ValueError):
            raise ValueError("points: give a CSV file's path or (lat, lon[, names]) sequences of degrees "
                             "(or an array of (lat, lon) rows)")
        if rest and rest[0] is not None and not all(isinstance(n, str) for n in rest[0]):
            raise ValueError("points: names are text; give (lats, lons, names), three sequences of one length, "
                             "not (lat, lon) pairs")
        names = [str(n) for n in rest[0]] if rest and rest[0] is not None else \
            [f"T{i + 1:04d}" for i in range(len(lat))]
        if len(rest) > 1 or not (len(lat) == len(lon) == len(names)):
            raise ValueError("points: give (lat, lon[, names]) of one length")
        if not lat:
            raise ValueError("points: the list is empty")
        for what, vals, lim in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
            bad = [v for v in vals if not abs(v) <= lim]
            if bad:
                raise ValueError(f"points: {what} {bad[0]!r} is not within [-{lim:g}, {lim:g}] deg")
        return cls(tuple(lat), tuple(lon), tuple(names))

    def __len__(self) -> int:
        return len(self.lat_deg)

    def describe(self) -> str:
        """What the overrides record: the file, or how many points."""
        return self.path or f"{len(self)} points"


@dataclass(frozen=True)
class GridSpec:
    """The grid a study runs on (built by :meth:`Study.grid`): a grid, or a
    point list when ``points`` is given."""

    res_deg: float = 1.0
    lat_min_deg: float = -90.0
    lat_max_deg: float = 90.0
    kind: str = "regular"
    land_only: bool = False
    points: PointList | None = None

    def build(self) -> Grid:
        if self.points is not None:
            p = self.points
            return Grid.points(p.lat_deg, p.lon_deg, labels=p.names,
                               name=Path(p.path).name if p.path else "points")
        return Grid.build(self.res_deg, self.lat_min_deg, self.lat_max_deg, self.kind, land_only=self.land_only)

    def n_points(self) -> int:
        """Points of the grid :meth:`build` makes, counted without building it: a
        point list's length; for a land-only grid, those of the full grid it is
        cut from (an upper bound, and what building it holds before the cut).
        ValueError for a band with no grid row."""
        if self.points is not None:
            return len(self.points.lat_deg)
        return count_points(self.res_deg, self.lat_min_deg, self.lat_max_deg, self.kind)


# Study.with_overrides keywords that change the grid (a point list takes its place).
GRID_KEYWORDS = ("grid_res_deg", "grid_kind", "lat_min_deg", "lat_max_deg", "land_only")
# Study.with_overrides keywords that change the sensors, and the Sensor field each sets.
SENSOR_KEYWORDS = ("off_nadir_deg", "min_elevation_deg", "swath_km", "min_sun_elevation_deg", "day_and_night")


@dataclass(frozen=True)
class Study:
    """What is simulated.  Immutable: :meth:`with_overrides` returns a new study.

    ``constellation``: the satellites as simulated (selection and sensor
    overrides applied); ``base``: the scenario's or catalog's own, which its
    claims beyond revisit are tested with; ``source``: the scenario file or
    catalog path; ``is_catalog``: a real catalog (its epochs are checked) or
    a scenario; ``overrides``: what was changed, for the provenance;
    ``warnings``: what :meth:`validated` found.
    """

    name: str
    constellation: Constellation
    start: datetime
    duration_s: float
    step_s: float
    grid_spec: GridSpec = GridSpec()
    targets: tuple[Target, ...] = ()
    claim: str = ""
    capacity: CapacitySpec | None = None
    survey: SurveySpec | None = None
    source: str | None = None
    is_catalog: bool = False
    base: Constellation | None = None
    max_epoch_age_days: float | None = None
    overrides: tuple[tuple[str, object], ...] = ()
    warnings: tuple[str, ...] = ()
    is_validated: bool = False
    title: str = ""
    scenario_path: str | None = field(default=None, repr=False)
    # The scenario's own start and step, which its claims beyond revisit are tested at.
    claims_start: datetime | None = field(default=None, repr=False)
    claims_step_s: float | None = field(default=None, repr=False)
    # The ground stations images come down at (None: no latency figures, at no cost),
    # and the "images on the ground within X" claims judged with them.
    ground: GroundNetwork | None = None
    delivery_targets: tuple[Target, ...] = ()

    # ------------------------------------------------------------ construction
    @classmethod
    def from_scenario(cls, name_or_path: str | Path) -> "Study":
        """A scenario file, or a built-in scenario by name (``revisit scenarios``)."""
        path = resolve_scenario(name_or_path)
        return cls.from_scenario_object(load_scenario(path), source=str(path))

    @classmethod
    def from_scenario_object(cls, sc: Scenario, source: str | None = None, name: str | None = None) -> "Study":
        """A study of an already parsed :class:`constellation.scenario.Scenario`."""
        targets = tuple(Target(t.name, t.threshold_s, t.claim) for t in sc.targets)
        grid = GridSpec(sc.grid_res_deg, sc.lat_min_deg, sc.lat_max_deg, sc.grid_kind)
        src = source or sc.path
        return cls(name or sc.name, sc.constellation, sc.start, sc.duration_s, sc.step_s, grid, targets, sc.claim,
                   sc.capacity, sc.survey, src, False, sc.constellation, None, title=sc.title, scenario_path=src,
                   claims_start=sc.start, claims_step_s=sc.step_s, ground=sc.ground,
                   delivery_targets=tuple(Target(t.name, t.threshold_s, t.claim) for t in sc.delivery_targets))

    @classmethod
    def from_catalog(cls, path: str | Path, select=None,
                     max_epoch_age_days: float | None = DEFAULT_MAX_EPOCH_AGE_DAYS) -> "Study":
        """A TLE/3LE or OMM catalog (CSV, JSON, XML, KVN): one day at a 60 s step
        on a 1 deg grid from the newest epoch, unless overridden.  ``select``:
        names (globs) or NORAD ids/ranges to keep."""
        const = read_catalog(path)
        study = cls(Path(path).stem, const, default_start(const), CATALOG_DAYS * SECONDS_PER_DAY, CATALOG_STEP_S,
                    GridSpec(CATALOG_GRID_RES_DEG), source=str(path), is_catalog=True, base=const,
                    max_epoch_age_days=max_epoch_age_days)
        return study.with_overrides(select=select) if select else study

    # ------------------------------------------------------------ changes
    def with_overrides(self, *, start=None, days: float | None = None, duration_s: float | None = None,
                       step_s: float | None = None, grid_res_deg: float | None = None, grid_kind: str | None = None,
                       lat_min_deg: float | None = None, lat_max_deg: float | None = None,
                       land_only: bool | None = None, off_nadir_deg: float | str | None = None,
                       min_elevation_deg: float | None = None, swath_km: float | None = None,
                       min_sun_elevation_deg: float | None = None, day_and_night: bool = False,
                       targets=(), select=None, max_epoch_age_days: float | None = None,
                       points=None, name: str | None = None, stations=None) -> "Study":
        """A new study with these values replaced (None / empty: keep).

        ``start``: ISO UTC text or a datetime; ``days`` or ``duration_s``: the
        window; ``step_s``: the step (sampled finer where the sensors need
        it: sim.engine.sampling); the grid (``grid_res_deg``,
        ``grid_kind`` "regular"/"equal-area", ``lat_min_deg``, ``lat_max_deg``,
        ``land_only``); every group's sensor: ``off_nadir_deg`` (an agile
        imager; ``"none"``: no off-nadir limit, the minimum elevation alone),
        ``swath_km`` (a nadir push-broom), ``min_elevation_deg``,
        ``min_sun_elevation_deg`` or ``day_and_night`` (no lighting
        constraint); ``off_nadir_deg`` or ``min_elevation_deg`` given alone
        while the sensor's other limit binds instead at every altitude of a
        group adds a warning saying so (``warnings``); ``targets``: revisit claims to add ("30min", seconds or
        :class:`Target`); ``select``: satellites to keep (names or globs,
        NORAD ids or ranges); ``points``: run on these ground points instead
        of the grid (a CSV file's path, rows lat,lon[,name], or (lat, lon[,
        names]) sequences; see :class:`PointList`): per-point figures come back
        in the list's order, with its coordinates and names.
        """
        # One target or one selection pattern as a bare string is one, not its characters.
        targets = [targets] if isinstance(targets, (str, int, float, Target)) else targets
        select = [select] if isinstance(select, (str, int)) else select
        given = {k: v for k, v in dict(start=start, days=days, duration_s=duration_s, step_s=step_s,
                                       grid_res_deg=grid_res_deg, grid_kind=grid_kind, lat_min_deg=lat_min_deg,
                                       lat_max_deg=lat_max_deg, land_only=land_only, off_nadir_deg=off_nadir_deg,
                                       min_elevation_deg=min_elevation_deg, swath_km=swath_km,
                                       min_sun_elevation_deg=min_sun_elevation_deg, day_and_night=day_and_night,
                                       targets=tuple(targets or ()), select=tuple(select or ()),
                                       max_epoch_age_days=max_epoch_age_days, points=points,
                                       name=name, stations=stations).items()
                 if v is not None and (v is not False or k == "land_only") and v != ()}
        if not given:
            return self
        if off_nadir_deg is not None and swath_km is not None:
            raise ValueError("give off_nadir_deg (an agile sensor) or swath_km (a push-broom), not both")
        if off_nadir_deg is not None:
            off_nadir_limit(off_nadir_deg)  # degrees or "none"; anything else is refused here
        if min_sun_elevation_deg is not None and day_and_night:
            raise ValueError("give min_sun_elevation_deg or day_and_night, not both")
        if days is not None and duration_s is not None:
            raise ValueError("give days or duration_s, not both")
        if grid_kind is not None and grid_kind not in GRID_KINDS:
            raise ValueError(f"unknown grid kind {grid_kind!r} (known: {', '.join(GRID_KINDS)})")
        grid_keys = [k for k in GRID_KEYWORDS if k in given]
        if grid_keys and points is not None:
            raise ValueError(f"give points or a grid ({', '.join(grid_keys)}), not both")
        if grid_keys and self.grid_spec.points is not None:
            raise ValueError(f"the study runs on a point list ({self.grid_spec.points.describe()}), not a grid: "
                             f"{', '.join(grid_keys)} does not apply")
        changes: dict = {}
        const = self.constellation
        if select:
            const = select_satellites(const, select, self.source)
            # A catalog's default start (its latest epoch) follows the selection, unless a start was given.
            if self.is_catalog and start is None and not any(k == "start" for k, _ in self.overrides):
                changes["start"] = default_start(const)
        sensor = {k: given[k] for k in SENSOR_KEYWORDS if k in given}
        if sensor:
            const = const.with_sensor_changes(**sensor)
            if off_nadir_deg is not None:
                check_sensor_reach(const, "off_nadir_deg")
            if swath_km is not None:
                check_sensor_reach(const, "swath_km")
            if swath_km is None and (off_nadir_deg is None) != (min_elevation_deg is None):
                alone = "off_nadir" if off_nadir_deg is not None else "min_elevation"
                changes["warnings"] = self.warnings + tuple(unused_limit_warnings(const, alone))
        changes["constellation"] = const
        if start is not None:
            changes["start"] = parse_start(start)
        if days is not None:
            changes["duration_s"] = float(days) * SECONDS_PER_DAY
        if duration_s is not None:
            changes["duration_s"] = float(duration_s)
        if step_s is not None:
            if not (MIN_STEP_S <= float(step_s) <= MAX_STEP_S):
                raise ValueError(f"step_s must be in [{MIN_STEP_S:g}, {MAX_STEP_S:g}] s, got {step_s}")
            changes["step_s"] = float(step_s)
        grid = {k2: given[k1] for k1, k2 in (("grid_res_deg", "res_deg"), ("grid_kind", "kind"),
                                              ("lat_min_deg", "lat_min_deg"), ("lat_max_deg", "lat_max_deg"),
                                              ("land_only", "land_only")) if k1 in given}
        if grid:
            changes["grid_spec"] = dataclasses.replace(self.grid_spec, **grid)
        if points is not None:
            given["points"] = PointList.parse(points)
            changes["grid_spec"] = dataclasses.replace(self.grid_spec, points=given["points"])
        if targets:
            changes["targets"] = self.targets + tuple(t if isinstance(t, Target)
                                                      else Target(f"within {t}", parse_duration_s(t))
                                                      for t in targets)
        if max_epoch_age_days is not None:
            changes["max_epoch_age_days"] = float(max_epoch_age_days)
        if name is not None:
            changes["name"] = name
        if stations is not None:
            changes["ground"] = stations if isinstance(stations, GroundNetwork) else load_network(stations)
            given["stations"] = changes["ground"].name
        changes["overrides"] = self.overrides + tuple((k, v.describe() if k == "points" else v)
                                                      for k, v in given.items() if k != "name")
        changes["is_validated"] = False
        return dataclasses.replace(self, **changes)

    def with_constellation(self, constellation: Constellation) -> "Study":
        """A new study flying ``constellation`` instead (same window, grid, targets)."""
        return dataclasses.replace(self, constellation=constellation, is_validated=False)

    # ------------------------------------------------------------ what it runs on
    def window(self) -> Window:
        """The analysis window (start, duration, step)."""
        return Window(self.start, self.duration_s, self.step_s)

    def grid(self) -> Grid:
        """The grid of ground points (built anew at each call)."""
        return self.grid_spec.build()

    def check_memory(self, memory_limit_bytes: int | None = None) -> int | None:
        """Check the run's peak memory against ``memory_limit_bytes`` (default: half
        the available memory) from the sizes alone, before the grid is built:
        :func:`sim.engine.memory.plan_chunk_samples` with the grid's point count
        (:meth:`GridSpec.n_points`).  Returns the samples per chunk that fit (None:
        the run's own choice); raises ``MemoryLimitError`` (an InputError saying
        how big the run is and what to shrink) when even the smallest chunks do
        not fit."""
        return plan_chunk_samples(len(self.constellation), self.grid_spec.n_points(), self.duration_s,
                                  self.step_s, memory_limit_bytes)

    def validated(self, judge_targets: bool = True) -> "Study":
        """The study with the satellites sgp4 cannot propagate over the window
        dropped, and one-line ``warnings`` (old element sets of a catalog,
        satellites dropped, and, unless ``judge_targets`` is False for a use
        that judges no target, the targets this window cannot judge).  Raises
        :class:`InputError` for a window far from a catalog's epochs or a
        constellation with nothing left to fly."""
        if self.is_validated:
            return self
        window = self.window()
        if self.is_catalog:
            check_window_near_epochs(self.constellation, window.start, window.duration_s, option="start")
        age = (self.max_epoch_age_days if self.max_epoch_age_days is not None else DEFAULT_MAX_EPOCH_AGE_DAYS) \
            if self.is_catalog else None
        const, found = check_constellation(self.constellation, window, age)
        if judge_targets and self.delivery_targets and self.ground is None:
            found = [*found, f"{len(self.delivery_targets)} delivery-time target(s) ("
                     f"{', '.join(t.name for t in self.delivery_targets)}) not judged: no ground network "
                     f"(a [ground] table, or --stations)"]
        if not self.is_catalog and self.claims_start is not None:
            days_away = abs((window.start - self.claims_start).total_seconds()) / SECONDS_PER_DAY
            if days_away > SCENARIO_EPOCH_NOTE_DAYS:
                found = [*found, f"the window starts {days_away:,.0f} days from the scenario's start "
                         f"({self.claims_start:%Y-%m-%d}), where its satellites' elements are given: sgp4 "
                         "carries them there; to lay the pattern out at another date, change the file's "
                         "[window] start"]
        found = [*found, *(f"target {t.name!r} can fail only where a point is never seen: "
                           f"{untestable_reason(t.threshold_s, window.duration_s)}"
                            for t in self.targets if judge_targets and window.duration_s <= t.threshold_s)]
        return dataclasses.replace(self, constellation=const, warnings=self.warnings + tuple(found),
                                   is_validated=True)

    # ------------------------------------------------------------ running
    def run(self, device: str = "cpu", progress: Callable[[int, int], None] | bool | None = None,
            memory_limit_bytes: int | None = None, per_group: bool = False, command_line: str | None = None,
            grid: Grid | None = None, client=None, ground_progress: Callable[[int, int], None] | None = None,
            **engine_options) -> Result:
        """Simulate the study: -> :class:`Result` with its provenance.

        ``progress``: True, a ``tqdm.auto`` progress bar (a widget in a notebook,
        text on standard error elsewhere), after a line saying so when the
        kernels must be compiled first (:func:`kernels_cold`); False, nothing;
        None (the default), a bar when someone is watching (:func:`interactive`);
        a callable, ``progress(done_samples, total_samples)`` after each time
        chunk, and nothing else.
        ``device`` "cpu" (the default), "gpu" or "auto" (:func:`sim.engine.run.run`);
        ``memory_limit_bytes`` (default half the available memory: a bigger run
        streams in smaller chunks or is refused); ``per_group``: also fly each group alone; ``grid``: the
        study's grid when the caller has built it already; ``client``: a
        ``distributed.Client`` to run on that Dask cluster, the grid in bands of
        latitude rows, one task each (:mod:`sim.studies.distributed`: the same
        figures, to the bit; the provenance adds the scheduler and the band
        count).  ``engine_options`` go to :func:`sim.engine.run.run`, e.g.
        ``timeseries=True, n_assets=2`` for the coverage over time
        (``Result.series``, :mod:`sim.engine.timeseries`).  With a ground network
        (``ground``), the data latency and system response time are added (figures
        ``mean_system_response_s``..., ``summary()["ground"]``;
        :func:`sim.studies.ground.ground_latency`), ``ground_progress(done, total)``
        after each of their time chunks.  Warnings from
        :meth:`validated` are issued as :class:`StudyWarning` unless the study
        was validated by the caller (who then reports them itself).  The memory
        is checked (:meth:`check_memory`) before the grid is built."""
        study = self
        if not study.is_validated:
            study = study.validated()
            for text in study.warnings:
                _warnings.warn(f"{study.name}: {text}", StudyWarning, stacklevel=2)
        if grid is None:
            study.check_memory(memory_limit_bytes)
            grid = study.grid()
        window = study.window()
        started, t0 = utc_now(), time.perf_counter()
        bar = None
        if progress is None:
            progress = interactive()
        if progress is True:
            if kernels_cold(grid.uses_point_bands()):
                print(COMPILING, file=sys.stderr, flush=True)
            from tqdm.auto import tqdm

            bar = tqdm(total=window.n_samples - 1, desc=f"{study.describe()}, {len(grid):,} points",
                       unit="step", file=sys.stderr)

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)
        elif progress is False:
            progress = None
        try:
            if client is not None:
                from sim.studies.distributed import run_on_cluster

                result = run_on_cluster(client, study.constellation, grid, window, list(study.targets),
                                        name=study.name, progress=progress, memory_limit_bytes=memory_limit_bytes,
                                        per_group=per_group, device=device, **engine_options)
            else:
                result = run_engine(study.constellation, grid, window, list(study.targets), name=study.name,
                                    progress=progress, memory_limit_bytes=memory_limit_bytes, per_group=per_group,
                                    device=device, **engine_options)
        finally:
            if bar is not None:
                bar.close()
        result.meta["claim"] = study.claim
        if study.ground is not None:
            from sim.studies.ground import delivery_verdicts, ground_latency

            lat = ground_latency(study.constellation, grid, window, study.ground, progress=ground_progress,
                                 memory_limit_bytes=memory_limit_bytes)
            result.figures.update(lat.figures)
            lat.summary["targets"] = delivery_verdicts(study.delivery_targets, lat.figures, grid.weight)
            result.meta["ground"] = lat.summary
        options = dict(study.overrides)
        options.update(device=device, per_group=per_group or None, memory_limit=memory_limit_bytes)
        if client is not None:
            options.update(scheduler=result.meta.get("scheduler"), bands=result.meta.get("bands"))
        result.provenance = build_provenance(
            result, study.constellation, scenario_path=None if study.is_catalog else study.scenario_path,
            catalog_paths=[study.source] if study.is_catalog and study.source else [],
            points_path=study.grid_spec.points.path if study.grid_spec.points is not None else None,
            command_line=command_line, started_utc=started, wall_s=time.perf_counter() - t0, options=options)
        return result

    def check_claims(self, log: Callable[[str], None] | None = None) -> dict:
        """The scenario's claims beyond revisit, tested with the assumptions its
        file states (the scenario's own sensors and start; overrides of the
        revisit run do not apply): ``{"capacity": {...}, "survey": {...}}``, or
        ``{}`` when it states none.  ``log``: one line as each test starts."""
        from sim.studies.capacity import check_capacity_claim
        from sim.studies.survey import check_survey_claim

        out = {}
        base = self.base or self.constellation
        start = self.claims_start or self.start
        if self.capacity:
            from sim.studies import warmup

            warmup.wait()  # for a child compiling the capacity kernels, if one was started
            if log:
                log(f"{self.name}: testing '{self.capacity.claim}' ({self.capacity.random_targets} targets)")
            out["capacity"] = check_capacity_claim(self.capacity, base, start, self.claims_step_s or self.step_s,
                                                   self.name)
        if self.survey:
            if log:
                log(f"{self.name}: testing '{self.survey.claim}' ({self.survey.days:g} days over "
                    f"{self.survey.region})")
            out["survey"] = check_survey_claim(self.survey, base, start, self.name)
        return out

    def describe(self) -> str:
        """'NAME (N sats, grid)' for progress labels."""
        return f"{self.name} ({len(self.constellation)} sats)"


COMPILING = "compiling kernels (first run only)"


def interactive() -> bool:
    """Whether someone is watching: a Jupyter kernel, or standard error is a terminal."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def kernels_cold(point_bands: bool = False) -> bool:
    """Whether the next run compiles the CPU coverage kernels first (a minute or two on 2 cores):
    numba has not compiled or loaded them in this process and its on-disk cache has
    none for them (see :mod:`sim.kernels`).  ``point_bands``: for a point list's kernel,
    a specialisation of its own (``Grid.uses_point_bands``)."""
    from sim.kernels import coverage as K

    def wanted(sig) -> bool:  # the coverage kernel's last argument: the point bands, or None for a grid
        return kernel is not K._block_pass or (str(sig[-1]) != "none") == point_bands

    from sim.studies.warmup import compiled_or_cached

    for kernel in (K.satellite_frames, K._block_pass):
        found = compiled_or_cached(kernel, wanted)
        if found is None:  # a numba whose cache cannot be read here: say nothing
            return False
        if not found:
            return True
    return False


def option_error(exc: InputError, names: dict[str, str]) -> InputError:
    """``exc`` with its field renamed through ``names`` (a study keyword -> how
    the caller spells it, e.g. 'off_nadir_deg' -> '--off-nadir'); an error that
    names a file is about that file's field, and stays as it is."""
    if exc.field in names and exc.path is None:
        return type(exc)(exc.reason, exc.path, exc.line, names[exc.field])
    return exc


__all__ = ["Study", "GridSpec", "PointList", "StudyWarning", "parse_duration_s", "parse_start", "option_error",
           "interactive", "kernels_cold"]
