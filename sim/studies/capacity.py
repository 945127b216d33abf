"""Target capacity: how many point targets a constellation can image a day.

A target list (a CSV of lat,lon[,name], or random points on land) is turned
into access windows per (target, satellite) by :func:`sim.kernels.windows.target_windows`
(the coverage kernel's geometry: a target is accessible exactly when a grid
point at the same place would be, lighting included), then imaging is
scheduled with a simple agile model (:func:`sim.kernels.windows.greedy_schedule`):

- an image takes ``dwell_s`` seconds, all inside one access window;
- between images the satellite turns its line of sight at ``slew_deg_s`` and
  then settles for ``settle_s`` seconds; the turn is the angle, in inertial
  space, from the line of sight at the end of the last image to the line of
  sight at the start of the next (the satellite may wait, pointed, in between);
  the first image of each satellite needs no turn;
- one target at a time per satellite; a target counts once a day (its request
  renews every 24 h from the window start), or once over the window;
- the schedule is greedy: over all satellites, the feasible image that
  finishes earliest is committed next, until none is left.

A push-broom (swath) satellite images every target it crosses, at that instant,
without turning or being busy.  The upper bound ignores slews and the one-at-a-
time rule: the (target, day) pairs that some satellite can access for a whole
dwell.  Clouds, downlink, storage and power are not modelled.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sgp4.api import SatrecArray

from constellation.constants import EARTH_ROTATION_RAD_S, SECONDS_PER_DAY, WGS84_A_KM
from constellation.core import Constellation
from constellation.errors import InputError
from constellation.files import MIB, read_limited, text_lines
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.memory import check_fits, estimate_access_windows_bytes
from sim.engine.propagate import Window, propagate_ecef
from sim.engine.run import sensor_array
from sim.engine.sampling import sample_window
from sim.engine.sun import sun_unit_ecef
from sim.engine.table import Table, utc_times, window_meta
from sim.kernels import coverage as K
from sim.kernels import num_threads, run_blocks
from sim.kernels import windows as A

DAY_S = SECONDS_PER_DAY
# Samples per stretch of the window-finding kernel (bounds the satellite frames held at once).
CHUNK_SAMPLES = 2048
# A targets file larger than this is refused unread (a million targets take about 40 MB).
MAX_TARGETS_BYTES = 256 * MIB


# --------------------------------------------------------------------- targets
@dataclass
class Targets:
    """Point targets: geodetic latitude/longitude (deg), names, where they came from."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    names: list[str]
    source: str
    # Heights above the WGS-84 ellipsoid (km), e.g. of ground stations; None: on the ellipsoid.
    alt_km: np.ndarray | None = None

    def __post_init__(self):
        self.lat_deg = np.asarray(self.lat_deg, dtype=float)
        self.lon_deg = (np.asarray(self.lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
        if self.lat_deg.shape != self.lon_deg.shape or self.lat_deg.ndim != 1 or self.lat_deg.size == 0:
            raise ValueError("targets need one or more latitude/longitude pairs")
        if len(self.names) != self.lat_deg.size:
            raise ValueError("one name per target")
        if self.alt_km is not None:
            self.alt_km = np.asarray(self.alt_km, dtype=float)
            if self.alt_km.shape != self.lat_deg.shape:
                raise ValueError("one height per target")

    def __len__(self) -> int:
        return self.lat_deg.size

    def xyz_km(self) -> tuple[np.ndarray, np.ndarray]:
        """Earth-fixed positions (km; on the WGS-84 ellipsoid, or ``alt_km`` above it) and geodetic verticals."""
        xyz, up = geodetic_to_ecef(self.lat_deg, self.lon_deg, 0.0 if self.alt_km is None else self.alt_km)
        return np.ascontiguousarray(xyz), np.ascontiguousarray(up)


_LAT_NAMES = ("lat", "latitude", "lat_deg")
_LON_NAMES = ("lon", "lng", "long", "longitude", "lon_deg")


def read_targets_csv(path: str | Path) -> Targets:
    """Targets from a CSV file (:func:`read_points_csv`)."""
    lat, lon, names = read_points_csv(path)
    return Targets(np.array(lat), np.array(lon), names, str(path))


def read_points_csv(path: str | Path) -> tuple[list[float], list[float], list[str]]:
    """(latitudes, longitudes, names) of the points of a CSV file, in its order and
    as written: rows lat,lon[,name] in degrees (no more columns: a name with a
    comma is quoted), or any columns under a header
    naming lat/latitude and lon/lng/longitude (and optionally name); a point
    without a name is T0001, T0002... by its place in the file; names must
    differ.  Blank lines and lines starting with '#' are skipped.  A bad value
    raises InputError naming the file, line and column."""
    spath = str(path)
    data = read_limited(path, MAX_TARGETS_BYTES, InputError, "CSV targets file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", spath)
    # Numbered by the line each row starts on (a quoted name may span lines), as an editor counts them.
    reader = csv.reader(text_lines(text))
    rows, end = [], 0
    for r in reader:
        start, end = end + 1, reader.line_num
        if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#"):
            rows.append((start, r))
    if not rows:
        raise InputError("no targets (expected rows lat,lon[,name])", spath)
    i_lat, i_lon, i_name = 0, 1, 2
    headed = False
    first_line, first = rows[0]
    if not _is_number(first[0]):
        headed = True
        head = [c.strip().lower() for c in first]
        for what, names in (("latitude", _LAT_NAMES), ("longitude", _LON_NAMES), ("name", ("name",))):
            given = [h for h in head if h in names]
            if len(given) > 1:
                raise InputError(f"the header names the {what} twice ({', '.join(given)}): keep one column", spath,
                                 first_line, "header")
        try:
            i_lat = next(head.index(h) for h in _LAT_NAMES if h in head)
            i_lon = next(head.index(h) for h in _LON_NAMES if h in head)
        except StopIteration:
            raise InputError("the header needs a lat (or latitude) and a lon (or lng, longitude) column", spath,
                             first_line, "header")
        i_name = head.index("name") if "name" in head else -1
        rows = rows[1:]
        if not rows:
            raise InputError("no targets below the header", spath)
    lat, lon, names = [], [], []
    name_line: dict[str, int] = {}
    for line, r in rows:
        if not headed and len(r) > 3:
            # Without a header a fourth column has no meaning: most often a name with a comma, unquoted.
            raise InputError(f"{len(r)} columns, expected lat,lon[,name] (quote a name that holds a comma: "
                             f'"{",".join(r[2:]).strip()}")', spath, line, "name")
        vals = []
        for idx, what, lim in ((i_lat, "lat", 90.0), (i_lon, "lon", 180.0)):
            if idx >= len(r):
                raise InputError(f"missing {what} (expected lat,lon[,name])", spath, line, what)
            cell = r[idx].strip()
            try:
                v = float(cell)
            except ValueError:
                raise InputError(f"cannot read {cell!r} as a number", spath, line, what)
            if not math.isfinite(v) or abs(v) > lim:
                raise InputError(f"must be within [-{lim:g}, {lim:g}] deg, got {cell}", spath, line, what)
            vals.append(v)
        lat.append(vals[0])
        lon.append(vals[1])
        given = r[i_name].strip() if 0 <= i_name < len(r) else ""
        name = given or f"T{len(names) + 1:04d}"
        if name in name_line:
            what = f"{name!r} also names" if given else f"unnamed, so {name!r}, which also names"
            raise InputError(f"{what} the point on line {name_line[name]}: give each point its own name (outputs "
                             "list the points by name)", spath, line, "name")
        name_line[name] = line
        names.append(name)
    return lat, lon, names


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def random_land_targets(n: int, seed: int = 0, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0) -> Targets:
    """``n`` points drawn uniformly by area over the land (1 km GLOBE mask of the
    ``global-land-mask`` package, lakes count as land) between two latitudes;
    the same ``seed`` gives the same points."""
    from sim.engine.landmask import is_land

    if n < 1:
        raise ValueError(f"need at least one target, got {n}")
    if not -90.0 <= lat_min_deg < lat_max_deg <= 90.0:
        raise ValueError(f"need -90 <= lat_min < lat_max <= 90, got {lat_min_deg}, {lat_max_deg}")
    rng = np.random.default_rng(seed)
    z0, z1 = math.sin(math.radians(lat_min_deg)), math.sin(math.radians(lat_max_deg))
    lat, lon = [], []
    got = 0
    for _ in range(1000):
        m = max(4 * (n - got), 256)
        la = np.degrees(np.arcsin(rng.uniform(z0, z1, m)))
        lo = rng.uniform(-180.0, 180.0, m)
        keep = is_land(la, lo)
        lat.append(la[keep])
        lon.append(lo[keep])
        got += int(keep.sum())
        if got >= n:
            break
    else:
        raise ValueError(f"too little land between {lat_min_deg:g} and {lat_max_deg:g} deg for {n} targets")
    lat = np.concatenate(lat)[:n]
    lon = np.concatenate(lon)[:n]
    band = "" if (lat_min_deg, lat_max_deg) == (-90.0, 90.0) else f", lat {lat_min_deg:g}..{lat_max_deg:g} deg"
    return Targets(lat, lon, [f"T{i + 1:04d}" for i in range(n)], f"{n} random land points (seed {seed}{band})")


# --------------------------------------------------------------------- access windows
@dataclass
class Passes:
    """Satellite states over a window, kept for scheduling (Earth-fixed km, km/s)."""

    t: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    valid: np.ndarray


@dataclass
class AccessWindows:
    """Access windows, sorted by (satellite, start, target); times in s from the window start."""

    target: np.ndarray
    satellite: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray

    def __len__(self) -> int:
        return self.target.size


def _join_stretches(tgt, sat, a, b):
    """Join windows of one (target, satellite) that touch (stretch boundaries)."""
    if tgt.size == 0:
        return tgt, sat, a, b
    order = np.lexsort((a, tgt, sat))
    tgt, sat, a, b = tgt[order], sat[order], a[order], b[order]
    new = np.ones(tgt.size, bool)
    new[1:] = (tgt[1:] != tgt[:-1]) | (sat[1:] != sat[:-1]) | (a[1:] > b[:-1])
    starts = np.flatnonzero(new)
    return tgt[starts], sat[starts], a[starts], np.maximum.reduceat(b, starts)


def access_windows(constellation: Constellation, targets: Targets, window: Window,
                   chunk_samples: int = CHUNK_SAMPLES, progress=None,
                   memory_limit_bytes: int | None = None) -> tuple[AccessWindows, Passes]:
    """Every satellite's access windows to every target over ``window``, with the
    sensors' geometry and lighting; and the propagated states (for slews).
    ``progress(done_samples, total_samples)`` after each time chunk.  Their
    memory is estimated first and checked against ``memory_limit_bytes``
    (default: half the available memory; ``MemoryLimitError`` when over).
    Sampled as the coverage kernel is (:func:`sim.engine.sampling.sample_window`):
    the step divided until the windows' edges are within 100 m."""
    sats = constellation.satellites
    if not sats:
        raise ValueError("the constellation has no satellites")
    window = sample_window(constellation, window)
    check_fits(estimate_access_windows_bytes(len(sats), len(targets), window.duration_s, window.step_s,
                                             chunk_samples),
               f"the access windows of {len(sats)} satellites to {len(targets):,} targets over "
               f"{window.n_samples:,} samples",
               "use fewer targets (--random, --targets), a shorter window (--days) or a longer step (--step)",
               memory_limit_bytes)
    sensor = sensor_array(constellation)
    lit = bool(np.any(sensor[:, K.S_SIN_SUN] > K.NO_LIGHTING))
    xyz, up = targets.xyz_km()
    radius = np.linalg.norm(xyz, axis=1)
    phat = np.ascontiguousarray(xyz / radius[:, None])
    n = window.n_samples
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in sats]), window, 0, n)
    parts = []
    n_blocks = min(num_threads(), len(sats))  # satellites dealt round-robin to parallel blocks
    k0 = 0
    chunk_samples = max(2, int(chunk_samples))
    while k0 < n - 1:
        k1 = min(n, k0 + chunk_samples)
        p = np.ascontiguousarray(pos[:, k0:k1])
        v = np.ascontiguousarray(vel[:, k0:k1])
        u, du, rad, rdot, reach = K.satellite_frames(p, v, sensor)
        sun = sun_unit_ecef(window, k0, k1) if lit else np.zeros((k1 - k0, 3))
        ok = np.ascontiguousarray(valid[:, k0:k1])
        parts.extend(run_blocks(A.target_windows, n_blocks, n_blocks, u, du, rad, rdot, ok,
                                np.ascontiguousarray(t[k0:k1]), sensor, sun, phat, up, radius,
                                A.step_prune_cos(u, reach, ok)))
        if progress is not None:
            progress(k1 - 1, n - 1)
        k0 = k1 - 1
    tgt, sat, a, b = (np.concatenate([p[j] for p in parts]) for j in range(4))
    tgt, sat, a, b = _join_stretches(tgt, sat, a, b)
    order = np.lexsort((tgt, a, sat))
    return AccessWindows(tgt[order], sat[order], a[order], b[order]), Passes(t, pos, vel, valid)


# --------------------------------------------------------------------- scheduling
@dataclass
class Schedule:
    """Images in commit order (which is also the order of their ends)."""

    target: np.ndarray
    satellite: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    period_s: float

    def __len__(self) -> int:
        return self.target.size


def los_rate_bound(passes: Passes) -> np.ndarray:
    """Per satellite, a bound (rad/s) on how fast its line of sight to a ground
    target can turn in inertial space: its Earth-fixed speed over the shortest
    possible range (radius minus the equatorial radius), plus the Earth's turn."""
    r = np.linalg.norm(passes.pos, axis=2)
    v = np.linalg.norm(passes.vel, axis=2)
    r = np.where(passes.valid, r, np.inf).min(axis=1)
    v = np.where(passes.valid, v, 0.0).max(axis=1)
    rng = np.maximum(r - WGS84_A_KM - 1.0, 1.0)
    return 1.01 * v / rng + EARTH_ROTATION_RAD_S


def n_periods(duration_s: float, period_s: float) -> int:
    return max(1, int(math.ceil(duration_s / period_s - 1e-9)))


def schedule(windows: AccessWindows, passes: Passes, targets: Targets, agile: np.ndarray, dwell_s: float,
             slew_deg_s: float, settle_s: float, period_s: float, duration_s: float) -> Schedule:
    """Greedy schedule (see :func:`sim.kernels.windows.greedy_schedule`); a target counts
    once per ``period_s`` (DAY_S: once a day; >= duration_s: once)."""
    if not (dwell_s >= 0 and settle_s >= 0 and slew_deg_s > 0):
        raise ValueError("dwell and settle times must be >= 0 s and the slew rate > 0 deg/s")
    nsat = passes.pos.shape[0]
    sat = windows.satellite
    sat_lo = np.searchsorted(sat, np.arange(nsat), side="left").astype(np.int64)
    sat_hi = np.searchsorted(sat, np.arange(nsat), side="right").astype(np.int64)
    length = windows.end_s - windows.start_s
    max_len = np.zeros(nsat)
    if len(windows):
        np.maximum.at(max_len, sat, length)
    rate = math.radians(slew_deg_s)
    lip = rate + los_rate_bound(passes)
    xyz, _ = targets.xyz_km()
    period = float(period_s)
    img = A.greedy_schedule(windows.target, windows.start_s, windows.end_s, sat_lo, sat_hi, max_len,
                            np.ascontiguousarray(agile, dtype=np.bool_), lip, passes.pos, passes.vel, passes.t, xyz,
                            float(dwell_s), rate, float(settle_s), period, n_periods(duration_s, period))
    return Schedule(*img, period_s=period)


def reachable_pairs(windows: AccessWindows, agile: np.ndarray, dwell_s: float, period_s: float,
                    duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The (target, period) requests some window could serve ignoring slews and
    other targets (a whole dwell inside the window, started in that period),
    as unique codes target * n_periods + period, and the satellite of each
    (window, period) before deduplication: (codes, (code, satellite) pairs)."""
    npd = n_periods(duration_s, period_s)
    ag = agile[windows.satellite]
    first = windows.start_s
    last = np.where(ag, windows.end_s - dwell_s, first)
    ok = last >= first
    p_lo = np.clip(np.floor(first / period_s).astype(np.int64), 0, npd - 1)
    p_hi = np.clip(np.floor(last / period_s).astype(np.int64), 0, npd - 1)
    codes, sats = [], []
    idx = np.flatnonzero(ok)
    span = p_hi[idx] - p_lo[idx]
    for d in range(int(span.max()) + 1 if idx.size else 0):
        sel = idx[span >= d]
        codes.append(windows.target[sel] * npd + p_lo[sel] + d)
        sats.append(windows.satellite[sel])
    if not codes:
        return np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    c = np.concatenate(codes)
    s = np.concatenate(sats)
    pairs = np.unique(np.stack([c, s], axis=1), axis=0)
    return np.unique(c), pairs


# --------------------------------------------------------------------- the whole question
@dataclass
class CapacityResult:
    name: str
    constellation: Constellation
    targets: Targets
    window: Window
    windows: AccessWindows
    daily: Schedule
    once: Schedule
    agile: np.ndarray
    dwell_s: float
    slew_deg_s: float
    settle_s: float
    sensors: list[str]
    meta: dict = field(default_factory=dict)

    @property
    def days(self) -> int:
        """The whole days of the window, at least 1: the days the figures a day
        count over and divide by.  Each target counts once a day, so a last part
        day would add its images without a day's worth of requests (a day and an
        hour could image a target twice in 1.04 days), and it is left out; a
        window shorter than a day gives its own counts, a lower bound of a day's."""
        return max(1, int(math.floor(self.window.duration_s / DAY_S + 1e-9)))

    def _in_counted_days(self, period: np.ndarray) -> np.ndarray:
        """Which of these day indices (0: the window's first day) :attr:`days` counts."""
        return period < self.days

    def summary(self) -> dict:
        """Targets imaged a day (bound and scheduled), per satellite, time to image all once; JSON-ready."""
        T = self.window.duration_s
        nt = len(self.targets)
        nsat = len(self.constellation)
        codes, pairs = reachable_pairs(self.windows, self.agile, self.dwell_s, DAY_S, T)
        npd = n_periods(T, DAY_S)
        codes = codes[self._in_counted_days(codes % npd)]
        pairs = pairs[self._in_counted_days(pairs[:, 0] % npd)] if pairs.size else pairs
        once_codes, _ = reachable_pairs(self.windows, self.agile, self.dwell_s, T + 1.0, T)
        reach_sat = np.bincount(pairs[:, 1], minlength=nsat) if pairs.size else np.zeros(nsat, np.int64)
        counted = self._in_counted_days(np.floor(self.daily.start_s / DAY_S).astype(np.int64))
        sched_sat = np.bincount(self.daily.satellite[counted], minlength=nsat)
        names = [s.name for s in self.constellation.satellites]
        # Earliest end of an image of each target (ignoring slews): all imaged by the latest of them.
        ag = self.agile[self.windows.satellite]
        long_enough = np.where(ag, self.windows.end_s - self.windows.start_s >= self.dwell_s, True)
        first_end = np.full(nt, np.inf)
        np.minimum.at(first_end, self.windows.target[long_enough],
                      np.where(ag, self.windows.start_s + self.dwell_s, self.windows.start_s)[long_enough])
        once_all = bool(len(self.once) == nt)
        per_sat = [{"satellite": n, "reachable_per_day": float(r) / self.days,
                    "scheduled_per_day": float(c) / self.days} for n, r, c in zip(names, reach_sat, sched_sat)]
        sched_per_day = sched_sat / self.days
        out = {
            "scenario": self.name,
            "satellites": nsat,
            "agile_satellites": int(self.agile.sum()),
            "targets": nt,
            "targets_source": self.targets.source,
            "start": self.window.start.isoformat().replace("+00:00", "Z"),
            "duration_s": T,
            "step_s": self.window.step_s,
            "sensors": self.sensors,
            "dwell_s": self.dwell_s,
            "slew_deg_s": self.slew_deg_s,
            "settle_s": self.settle_s,
            "access_windows": len(self.windows),
            "targets_reachable": int(once_codes.size),
            "days_counted": self.days,
            "reachable_per_day": codes.size / self.days,
            "scheduled_per_day": int(counted.sum()) / self.days,
            "scheduled_images": len(self.daily),
            "per_satellite_scheduled_per_day": {"mean": float(sched_per_day.mean()),
                                                "min": float(sched_per_day.min()),
                                                "max": float(sched_per_day.max())},
            "per_satellite": per_sat,
            "once_imaged": len(self.once),
            "time_to_image_all_s": float(self.once.end_s.max()) if once_all and len(self.once) else None,
            "time_all_reachable_s": float(first_end.max()) if np.isfinite(first_end).all() else None,
            "model": MODEL_TEXT,
        }
        out.update(self.meta)
        return out


MODEL_TEXT = ("greedy schedule, earliest-finishing feasible image first over all satellites; an image takes the "
              "dwell inside one access window; between images the line of sight turns at the slew rate (inertial "
              "angle from the end of the last image to the start of the next) plus the settle time; one target at "
              "a time per satellite; push-broom (swath) satellites image what they cross; a target counts once per "
              "day (24 h from the window start); clouds, downlink and power not modelled")


def capacity(constellation: Constellation, targets: Targets, window: Window, dwell_s: float = 10.0,
             slew_deg_s: float = 1.5, settle_s: float = 5.0, name: str | None = None,
             progress=None) -> CapacityResult:
    """Access windows, the daily greedy schedule and the once-over schedule (for
    the time to image every target once).  ``progress``: see :func:`access_windows`."""
    windows, passes = access_windows(constellation, targets, window, progress=progress)
    agile = np.array([s.kind == "off_nadir" for s in constellation.sensors_per_satellite()], dtype=bool)
    args = (windows, passes, targets, agile, dwell_s, slew_deg_s, settle_s)
    daily = schedule(*args, DAY_S, window.duration_s)
    once = schedule(*args, window.duration_s + 1.0, window.duration_s)
    sensors = sorted({g.describe_sensor() for g in constellation.groups})
    sampled = sample_window(constellation, window)
    meta = {"sample_step_s": sampled.step_s} if sampled is not window else {}
    return CapacityResult(name or constellation.name, constellation, targets, window, windows, daily, once, agile,
                          float(dwell_s), float(slew_deg_s), float(settle_s), sensors, meta)


def capacity_constellation(constellation: Constellation, max_off_nadir_deg: float | None = None,
                           min_sun_elevation_deg: float | None = None, day_and_night: bool = False) -> Constellation:
    """The same satellites with their sensors overridden (a new object; the input is untouched):
    an agile off-nadir limit, a lighting constraint, or none (``day_and_night``)."""
    return constellation.with_sensor_changes(off_nadir_deg=max_off_nadir_deg,
                                             min_sun_elevation_deg=min_sun_elevation_deg,
                                             day_and_night=day_and_night)


def check_capacity_claim(spec, constellation: Constellation, start, step_s: float = 60.0,
                         name: str | None = None) -> dict:
    """Test a scenario's [capacity] claim (``constellation.scenario.CapacitySpec``):
    its random land targets, imaging model and sensors over ``spec.days`` from
    ``start``.  Met when the greedy schedule images at least
    ``spec.targets_per_day`` targets a day.  JSON-ready dict."""
    const = capacity_constellation(constellation, spec.max_off_nadir_deg, spec.min_sun_elevation_deg)
    targets = random_land_targets(spec.random_targets, spec.seed, spec.lat_min_deg, spec.lat_max_deg)
    window = Window(start, spec.days * DAY_S, step_s)
    res = capacity(const, targets, window, spec.dwell_s, spec.slew_deg_s, spec.settle_s, name=name)
    summ = res.summary()
    summ.pop("per_satellite")
    summ.update(capacity_verdict(spec, summ))
    summ.update(list_limited=bool(summ["scheduled_per_day"] >= summ["reachable_per_day"]),
                assumptions=(f"{targets.source}; {'; '.join(res.sensors)}; {spec.dwell_s:g} s per image, slew "
                             f"{spec.slew_deg_s:g} deg/s + {spec.settle_s:g} s settle; {spec.days:g} d from "
                             f"{summ['start'][:10]}"))
    return summ


def capacity_verdict(spec, summary: dict) -> dict:
    """The [capacity] claim's verdict on a capacity summary: met when the daily
    schedule images at least ``spec.targets_per_day`` targets a day."""
    met = summary["scheduled_per_day"] >= spec.targets_per_day
    return {"claim": spec.claim, "claimed_per_day": spec.targets_per_day, "verdict": "met" if met else "not met"}


def capacity_study(study, start=None, days: float | None = None, step_s: float | None = None,
                   off_nadir_deg: float | None = None, min_sun_elevation_deg: float | None = None,
                   day_and_night: bool = False, select=(), max_epoch_age_days: float | None = None):
    """The study a target-capacity run simulates: these values (None: keep),
    else the scenario's [capacity] sensors and days (else its window, at most
    31 days).  -> a new :class:`sim.studies.study.Study`."""
    spec = study.capacity
    if off_nadir_deg is None and spec and spec.max_off_nadir_deg is not None:
        off_nadir_deg = spec.max_off_nadir_deg
    if min_sun_elevation_deg is None and not day_and_night and spec and spec.min_sun_elevation_deg is not None:
        min_sun_elevation_deg = spec.min_sun_elevation_deg
    days = days or (spec.days if spec else min(study.duration_s / DAY_S, 31.0))
    return study.with_overrides(start=start, days=days, step_s=step_s, off_nadir_deg=off_nadir_deg,
                                min_sun_elevation_deg=min_sun_elevation_deg, day_and_night=day_and_night,
                                select=select, max_epoch_age_days=max_epoch_age_days)


def capacity_targets(spec=None, csv_path=None, n_random: int | None = None, seed: int | None = None,
                     lat_min_deg: float | None = None, lat_max_deg: float | None = None) -> Targets:
    """The targets of a capacity run: a CSV file, else ``n_random`` random land
    targets (defaults from the [capacity] ``spec``, else 1000 with seed 0)."""
    if csv_path and n_random:
        raise ValueError("give a targets file or a number of random targets, not both")
    if csv_path:
        return read_targets_csv(csv_path)
    lo = lat_min_deg if lat_min_deg is not None else (spec.lat_min_deg if spec else -90.0)
    hi = lat_max_deg if lat_max_deg is not None else (spec.lat_max_deg if spec else 90.0)
    return random_land_targets(n_random or (spec.random_targets if spec else 1000),
                               seed if seed is not None else (spec.seed if spec else 0), lo, hi)


def run_capacity(study, targets: Targets, dwell_s: float | None = None, slew_deg_s: float | None = None,
                 settle_s: float | None = None, progress=None) -> tuple[CapacityResult, dict]:
    """Access windows and schedules of a (validated) study's satellites over
    ``targets``; the imaging model from these values, else the [capacity]
    spec's, else 10 s dwell, 1.5 deg/s slew and 5 s settle.  -> (result, its
    summary with the [capacity] claim's verdict when the scenario states one).
    ``progress(done_samples, total_samples)`` while the access windows are found."""
    spec = study.capacity
    dwell = dwell_s if dwell_s is not None else (spec.dwell_s if spec else 10.0)
    slew = slew_deg_s if slew_deg_s is not None else (spec.slew_deg_s if spec else 1.5)
    settle = settle_s if settle_s is not None else (spec.settle_s if spec else 5.0)
    res = capacity(study.constellation, targets, study.window(), dwell, slew, settle, name=study.name,
                   progress=progress)
    summary = res.summary()
    if spec:
        summary.update(capacity_verdict(spec, summary))
    return res, summary


def windows_table(result: CapacityResult) -> Table:
    """Every access window: target, lat, lon, satellite, start_s, end_s (s from the
    window start), start_utc, end_utc (UTC); the window in ``meta``."""
    w = result.windows
    return _targets_table("windows", result, w.target, w.satellite, w.start_s, w.end_s)


def schedule_table(result: CapacityResult) -> Table:
    """The daily schedule's images, in commit order: the columns of :func:`windows_table`."""
    d = result.daily
    return _targets_table("schedule", result, d.target, d.satellite, d.start_s, d.end_s)


def _targets_table(name, result, tgt, sat, a, b) -> Table:
    names = [s.name for s in result.constellation.satellites]
    tg = result.targets
    start = result.window.start
    cols = {"target": [tg.names[j] for j in tgt.tolist()], "lat": tg.lat_deg[tgt], "lon": tg.lon_deg[tgt],
            "satellite": [names[s] for s in sat.tolist()], "start_s": np.asarray(a, float),
            "end_s": np.asarray(b, float), "start_utc": utc_times(start, a), "end_utc": utc_times(start, b)}
    meta = {"scenario": result.name, "window": window_meta(result.window), "sensors": result.sensors,
            "targets_source": tg.source}
    return Table(name, cols, formats={"lat": ".6f", "lon": ".6f"}, meta=meta)


__all__ = ["Targets", "read_targets_csv", "random_land_targets", "access_windows", "AccessWindows", "Passes",
           "schedule", "Schedule", "capacity", "CapacityResult", "reachable_pairs", "capacity_constellation",
           "check_capacity_claim", "windows_table", "schedule_table", "DAY_S"]
