"""Access reports: when each satellite can see each site, in UTC, as STK's Access
report lists them.

The access windows are those of :func:`sim.studies.capacity.access_windows`,
the coverage kernel's geometry with its refined edges (geodetic horizon,
off-nadir limit, swath, lighting): an access here is exactly an access of
``revisit run`` on a point at the site.  Sites are on the WGS-84 ellipsoid
(height 0).  For each window the report adds, from sgp4 at the instants
themselves:

- the time of the greatest elevation and that elevation, above the site's
  geodetic horizon (the plane normal to the ellipsoid, as skyfield's ``altaz``);
- the smallest off-nadir angle: at the satellite, between geocentric nadir
  (towards the Earth's centre, as the sensor model measures it) and the line of
  sight to the site;
- the Sun's elevation at the site at the time of greatest elevation.

Both extrema are found by sampling the window every :data:`SCAN_STEP_S` and a
golden-section search around the best sample (:data:`SEARCH_ITERATIONS`
narrowings: well under a millisecond).  A push-broom's accesses are instants
(start == end).

With gaps, each site's accesses are also joined over the satellites (the union
``revisit run`` measures revisit on: two accesses less than
:data:`sim.engine.metrics.MIN_GAP_S` apart are one) and the gaps between them
listed, with those before the first and after the last access (edge gaps; a
site never seen has one, the whole window).
"""

from __future__ import annotations

import math
import re
import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np

from constellation.core import Constellation
from sim.engine.metrics import MIN_GAP_S
from sim.engine.propagate import Window, ecef_at
from sim.engine.sun import sun_unit_ecef_at
from sim.engine.table import Table, utc_times, window_meta
from sim.studies.capacity import AccessWindows, Targets, access_windows, read_points_csv

# The window is sampled this often (s) to find where each extremum lies...
SCAN_STEP_S = 10.0
# ...with at most this many samples per window (a geostationary satellite's day-long window).
MAX_SCAN_SAMPLES = 20_000
# Golden-section narrowings of the bracket around the best sample: 2 * SCAN_STEP_S * 0.618^30 ~ 1e-5 s.
SEARCH_ITERATIONS = 30
# Scan samples evaluated at once (bounds the memory of many sites and long windows: ~100 bytes each).
BATCH_SAMPLES = 500_000
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
# A --site's text: LAT,LON or LAT,LON,NAME.
SITE_RE = re.compile(r"\s*([^,]+?)\s*,\s*([^,]+?)\s*(?:,\s*(.*?)\s*)?")


def parse_site(text: str) -> tuple[float, float, str | None]:
    """'LAT,LON[,NAME]' (degrees) -> (lat, lon, name or None); ValueError saying what is wrong."""
    m = SITE_RE.fullmatch(text or "")
    if not m:
        raise ValueError(f"{text!r}: give LAT,LON or LAT,LON,NAME in degrees (e.g. 43.88,125.32,Changchun)")
    vals = []
    for cell, what, lim in ((m.group(1), "latitude", 90.0), (m.group(2), "longitude", 180.0)):
        try:
            v = float(cell)
        except ValueError:
            raise ValueError(f"{text!r}: {what} {cell!r} is not a number of degrees")
        if not (math.isfinite(v) and abs(v) <= lim):
            raise ValueError(f"{text!r}: {what} {cell} is not within [-{lim:g}, {lim:g}] deg")
        vals.append(v)
    name = m.group(3)
    if name is not None and not name:
        raise ValueError(f"{text!r}: the name after the second comma is empty")
    return vals[0], vals[1], name


def access_sites(sites=(), points_path=None) -> Targets:
    """The sites of a report: ``sites`` (texts 'LAT,LON[,NAME]' or (lat, lon[, name])
    tuples; unnamed ones are S1, S2... by their place), then the rows of a points
    CSV file (:func:`sim.studies.capacity.read_points_csv`).  Names must differ."""
    lat, lon, names = [], [], []
    for i, s in enumerate(sites, start=1):
        la, lo, name = parse_site(s) if isinstance(s, str) else (float(s[0]), float(s[1]),
                                                                 s[2] if len(s) > 2 else None)
        lat.append(la)
        lon.append(lo)
        names.append(name or f"S{i}")
    source = [f"{len(lat)} sites"] if lat else []
    if points_path:
        la, lo, nm = read_points_csv(points_path)
        lat += la
        lon += lo
        names += nm
        source.append(str(points_path))
    if not lat:
        raise ValueError("no sites: give --site LAT,LON[,NAME] or --points FILE.csv")
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"site name {n!r} is given twice: give each site its own name")
        seen.add(n)
    return Targets(np.array(lat), np.array(lon), names, " and ".join(source))


# --------------------------------------------------------------------- geometry at instants
def look_angles(pos_km: np.ndarray, site_xyz_km: np.ndarray, site_up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elevation above the site's geodetic horizon and off-nadir angle at the
    satellite (from geocentric nadir), deg, for Earth-fixed satellite positions
    ``pos_km`` and site positions and geodetic verticals (all (..., 3))."""
    los = pos_km - site_xyz_km
    rng = np.linalg.norm(los, axis=-1)
    r = np.linalg.norm(pos_km, axis=-1)
    sin_el = np.sum(los * site_up, axis=-1) / rng
    cos_off = np.sum(los * pos_km, axis=-1) / (rng * r)  # (S - P) . S = (P - S) . (-S)
    return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0))), np.degrees(np.arccos(np.clip(cos_off, -1.0, 1.0)))


def _best_in_windows(f, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per window [a_j, b_j], the time that maximises ``f(t, j)`` (vectorised over
    windows: f takes times and window indices, returns values): the best of
    samples every SCAN_STEP_S, then a golden-section search between its
    neighbours (a local maximum; the global one when f is unimodal on that scale)."""
    m = a.size
    length = b - a
    n = np.clip(np.ceil(length / SCAN_STEP_S).astype(np.int64) + 1, 1, MAX_SCAN_SAMPLES)
    n[length <= 0.0] = 1
    owner = np.repeat(np.arange(m), n)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    k = np.arange(owner.size) - first[owner]
    span = np.where(n > 1, length / np.maximum(n - 1, 1), 0.0)
    t = np.minimum(a[owner] + k * span[owner], b[owner])
    v = f(t, owner)
    order = np.lexsort((-v, owner))
    best = order[np.searchsorted(owner[order], np.arange(m))]
    kb = k[best]
    lo = np.maximum(a, a + (kb - 1) * span)
    hi = np.minimum(b, a + (kb + 1) * span)
    idx = np.arange(m)
    c = hi - GOLDEN * (hi - lo)
    d = lo + GOLDEN * (hi - lo)
    fc = f(c, idx)
    fd = f(d, idx)
    for _ in range(SEARCH_ITERATIONS):
        left = fc >= fd  # the maximum lies in [lo, d]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        nc = np.where(left, hi - GOLDEN * (hi - lo), d)
        nd = np.where(left, c, lo + GOLDEN * (hi - lo))
        new = np.where(left, nc, nd)
        fnew = f(new, idx)
        c, d = nc, nd
        fc, fd = np.where(left, fnew, fd), np.where(left, fc, fnew)
    t_best = 0.5 * (lo + hi)
    # The search cannot beat the best sample (a window's edges are samples): keep that if it is better.
    keep = f(t_best, idx) < v[best]
    return np.where(keep, t[best], t_best)


def pass_extrema(constellation: Constellation, window: Window, targets: Targets, windows: AccessWindows):
    """Per access window: (time of greatest elevation (s), that elevation (deg), time of
    the smallest off-nadir angle (s), that angle (deg)), from sgp4 at the instants."""
    nw = len(windows)
    out = [np.full(nw, np.nan) for _ in range(4)]
    xyz, up = targets.xyz_km()
    sats = constellation.satellites
    scan = np.clip((windows.end_s - windows.start_s) / SCAN_STEP_S + 2.0, 1.0, MAX_SCAN_SAMPLES)
    for s in np.unique(windows.satellite):
        mine = np.flatnonzero(windows.satellite == s)
        batch = np.floor(np.cumsum(scan[mine]) / BATCH_SAMPLES).astype(np.int64)
        for sel in np.split(mine, np.flatnonzero(np.diff(batch)) + 1):
            tgt = windows.target[sel]
            satrec = [sats[s].satrec]

            def angles(t, j, satrec=satrec, tgt=tgt):
                pos = ecef_at(satrec, window, t)[0][0]
                return look_angles(pos, xyz[tgt[j]], up[tgt[j]])

            a, b = windows.start_s[sel], windows.end_s[sel]
            t_el = _best_in_windows(lambda t, j, angles=angles: angles(t, j)[0], a, b)
            t_off = _best_in_windows(lambda t, j, angles=angles: -angles(t, j)[1], a, b)
            idx = np.arange(sel.size)
            out[0][sel] = t_el
            out[1][sel] = angles(t_el, idx)[0]
            out[2][sel] = t_off
            out[3][sel] = angles(t_off, idx)[1]
    return tuple(out)


def site_gaps(windows: AccessWindows, n_sites: int, duration_s: float, min_gap_s: float = MIN_GAP_S):
    """Per site, the union over satellites of its accesses, and the gaps between
    them, as ``revisit run`` counts them (:func:`sim.kernels.coverage.open_access`:
    an access starting within ``min_gap_s`` of the last one's end continues it;
    edge gaps longer than ``min_gap_s`` count).  -> (accesses, gaps): each a tuple
    of arrays (site, start_s, end_s), gaps also ``edge`` (before the first or after
    the last access), ordered by site and time."""
    acc, gaps = [], []
    order = np.lexsort((windows.start_s, windows.target))
    tg, a, b = windows.target[order], windows.start_s[order], windows.end_s[order]
    lo = np.searchsorted(tg, np.arange(n_sites), side="left")
    hi = np.searchsorted(tg, np.arange(n_sites), side="right")
    for i in range(n_sites):
        runs = []
        for x, y in zip(a[lo[i]:hi[i]].tolist(), b[lo[i]:hi[i]].tolist()):
            if runs and x <= runs[-1][1] + min_gap_s:
                runs[-1][1] = max(runs[-1][1], y)
            else:
                runs.append([x, y])
        acc += [(i, x, y) for x, y in runs]
        if not runs:
            gaps.append((i, 0.0, duration_s, True))
            continue
        if runs[0][0] > min_gap_s:
            gaps.append((i, 0.0, runs[0][0], True))
        gaps += [(i, p[1], q[0], False) for p, q in zip(runs[:-1], runs[1:])]
        if duration_s - runs[-1][1] > min_gap_s:
            gaps.append((i, runs[-1][1], duration_s, True))

    def arrays(rows, n):
        cols = list(zip(*rows)) if rows else [()] * n
        kinds = (np.int64, np.float64, np.float64, bool)
        return tuple(np.array(c, dtype=kinds[j]) for j, c in enumerate(cols))

    return arrays(acc, 3), arrays(gaps, 4)


# --------------------------------------------------------------------- the report
@dataclass
class AccessReport:
    """Every access of every satellite to every site over a window, with the
    pass geometry; times in s from the window start (``table()`` gives UTC)."""

    name: str
    constellation: Constellation
    sites: Targets
    window: Window
    windows: AccessWindows
    t_max_elevation_s: np.ndarray
    max_elevation_deg: np.ndarray
    t_min_off_nadir_s: np.ndarray
    min_off_nadir_deg: np.ndarray
    sun_elevation_deg_at_max: np.ndarray
    sensors: list[str]
    gaps: tuple | None = None  # (site, start_s, end_s, edge) when asked for
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.windows)

    def union(self):
        """Each site's accesses joined over the satellites: (site, start_s, end_s)."""
        return site_gaps(self.windows, len(self.sites), self.window.duration_s)[0]

    def order(self) -> np.ndarray:
        """The rows' order: by site (as given), start, satellite."""
        w = self.windows
        return np.lexsort((w.satellite, w.start_s, w.target))

    def table(self) -> Table:
        """The report as a :class:`Table`: one row per access (site, satellite, norad_id,
        start_utc, end_utc, duration_s, time_of_max_elevation_utc, max_elevation_deg,
        min_off_nadir_deg, sun_elevation_deg_at_max), by site, start and satellite;
        with gaps, a first column ``kind`` (access, gap, edge_gap) and a row per gap
        (site, start_utc, end_utc, duration_s; the rest empty), in time order."""
        w = self.windows
        sats = self.constellation.satellites
        start = self.window.start
        site_names = self.sites.names
        o = self.order()
        site = w.target[o]
        sat = w.satellite[o]
        a, b = w.start_s[o], w.end_s[o]
        cols = {
            "site": [site_names[i] for i in site.tolist()],
            "satellite": [sats[s].name for s in sat.tolist()],
            "norad_id": [int(sats[s].satrec.satnum) for s in sat.tolist()],
            "start_utc": a,
            "end_utc": b,
            "duration_s": b - a,
            "time_of_max_elevation_utc": self.t_max_elevation_s[o],
            "max_elevation_deg": self.max_elevation_deg[o],
            "min_off_nadir_deg": self.min_off_nadir_deg[o],
            "sun_elevation_deg_at_max": self.sun_elevation_deg_at_max[o],
        }
        if self.gaps is not None:
            g_site, g_a, g_b, g_edge = self.gaps
            n_acc, n_gap = len(o), g_site.size
            key_site = np.concatenate([site, g_site])
            key_t = np.concatenate([a, g_a])
            key_kind = np.concatenate([np.ones(n_acc, np.int64), np.zeros(n_gap, np.int64)])
            order = np.lexsort((key_kind, key_t, key_site))  # a gap before the access it ends at
            kinds = ["access"] * n_acc + ["edge_gap" if e else "gap" for e in g_edge.tolist()]
            blank = [None] * n_gap
            nan = np.full(n_gap, np.nan)
            merged = {"kind": [kinds[j] for j in order.tolist()],
                      "site": _take(cols["site"] + [site_names[i] for i in g_site.tolist()], order)}
            for k in ("satellite", "norad_id"):
                merged[k] = _take(cols[k] + blank, order)
            merged["start_utc"] = key_t[order]
            merged["end_utc"] = np.concatenate([b, g_b])[order]
            merged["duration_s"] = merged["end_utc"] - merged["start_utc"]
            for k in ("time_of_max_elevation_utc", "max_elevation_deg", "min_off_nadir_deg",
                      "sun_elevation_deg_at_max"):
                merged[k] = np.concatenate([cols[k], nan])[order]
            cols = merged
        for k in ("start_utc", "end_utc", "time_of_max_elevation_utc"):
            cols[k] = utc_times(start, cols[k])
        formats = {"duration_s": ".3f", "max_elevation_deg": ".4f", "min_off_nadir_deg": ".4f",
                   "sun_elevation_deg_at_max": ".4f"}
        return Table("access", cols, formats=formats, meta=self.describe())

    def describe(self) -> dict:
        """What the report is, JSON-ready (the sidecar of a written report)."""
        s = self.sites
        return {
            "scenario": self.name,
            "window": window_meta(self.window),
            "satellites": len(self.constellation),
            "sensors": self.sensors,
            "sites": [{"name": n, "lat": float(la), "lon": float(lo), "height_km": 0.0}
                      for n, la, lo in zip(s.names, s.lat_deg.tolist(), s.lon_deg.tolist())],
            "accesses": len(self),
            "gaps": None if self.gaps is None else int(self.gaps[0].size),
            "min_gap_s": MIN_GAP_S,
            "geometry": ("elevation above the site's geodetic (WGS-84) horizon; off-nadir angle at the satellite "
                         "from geocentric nadir; Sun elevation at the site at the time of greatest elevation; "
                         "sites at height 0 on the WGS-84 ellipsoid"),
            **self.meta,
        }


def _take(values: list, order: np.ndarray) -> list:
    return [values[j] for j in order.tolist()]


def access_report(study, sites: Targets, gaps: bool = False, progress=None,
                  memory_limit_bytes: int | None = None) -> AccessReport:
    """Every access of the (validated) ``study``'s satellites to ``sites`` over its
    window, with the sensors' geometry and lighting (:func:`access_windows`: its
    memory is checked first), the pass geometry of each, and with ``gaps`` the
    gaps of each site's union of accesses.  ``progress(done, total)`` over the
    window's samples while the windows are found."""
    if not study.is_validated:
        from sim.studies.study import StudyWarning

        study = study.validated()
        for text in study.warnings:
            _warnings.warn(f"{study.name}: {text}", StudyWarning, stacklevel=2)
    const = study.constellation
    window = study.window()
    windows, _ = access_windows(const, sites, window, progress=progress, memory_limit_bytes=memory_limit_bytes)
    t_el, el, t_off, off = pass_extrema(const, window, sites, windows)
    sun_el = np.full(len(windows), np.nan)
    if len(windows):
        _, up = sites.xyz_km()
        sun = sun_unit_ecef_at(window, t_el)
        sun_el = np.degrees(np.arcsin(np.clip(np.sum(up[windows.target] * sun, axis=1), -1.0, 1.0)))
    sensors = sorted({g.describe_sensor() for g in const.groups})
    report = AccessReport(study.name, const, sites, window, windows, t_el, el, t_off, off, sun_el, sensors)
    if gaps:
        report.gaps = site_gaps(windows, len(sites), window.duration_s)[1]
    if study.source:
        report.meta["source"] = study.source
    return report


__all__ = ["AccessReport", "access_report", "access_sites", "parse_site", "look_angles", "pass_extrema",
           "site_gaps"]
