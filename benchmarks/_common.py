"""What the benchmark scripts share: the test constellations, the brute-force
references (numpy and skyfield), per-point figures from sampled visibility,
and measuring a piece of work in a child process (wall time and peak memory).

Not part of the product: ``benchmarks/*.py`` import it as ``_common`` (the
scripts' folder is first on ``sys.path`` when they run).

The references are *sample-only*: a point is accessed at a sample when it is
inside the sensor's field of regard, and an access starts or ends half-way
between the two samples where visibility changes.  Each edge is then within
half a step of the truth, so a gap is within one step of the refined one,
unless a pass fell entirely between two samples (the reference misses it).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sgp4.api import SatrecArray

from constellation import Constellation, Group, Sensor, sso_inclination_deg, walker_delta
from constellation.tle import format_tle, parse_tle_text
from sim.engine.propagate import Window, propagate_ecef
from sim.kernels import cache_root

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent
OFF_NADIR_DEG = 45.0
MIN_GAP_S = 1e-3  # gaps shorter than this are one access, as in sim.engine.run


# --------------------------------------------------------------------------- constellations
def walker_sso(total: int = 138, planes: int = 6, phasing: int = 1, alt_km: float = 535.0,
               off_nadir_deg: float = OFF_NADIR_DEG, name: str | None = None) -> Constellation:
    """Walker delta on sun-synchronous planes (the core benchmark's 138/6/1 at 535 km)."""
    orbits = walker_delta(total, planes, phasing, alt_km, sso_inclination_deg(alt_km), START)
    return Constellation.from_orbits(name or f"walker{total}-sso{alt_km:g}", orbits,
                                     Sensor(max_off_nadir_deg=off_nadir_deg))


def walker_shell(total: int, planes: int, phasing: int, alt_km: float, inclination_deg: float,
                 off_nadir_deg: float = OFF_NADIR_DEG, name: str | None = None) -> Constellation:
    """Walker delta shell at a given inclination (e.g. a Starlink-like 53 deg shell)."""
    orbits = walker_delta(total, planes, phasing, alt_km, inclination_deg, START)
    return Constellation.from_orbits(name or f"walker{total}-{inclination_deg:g}deg", orbits,
                                     Sensor(max_off_nadir_deg=off_nadir_deg), first_satnum=1)


def tle_roundtrip(constellation: Constellation) -> tuple[Constellation, list[tuple[str, str]]]:
    """The constellation written as TLEs and read back, with the lines.

    Every tool in a comparison flies these same element sets (TAT-C and skyfield
    can only take TLE/OMM), so differences come from the tools, not from the
    elements' rounding.  An international designator is filled in because
    TAT-C's OMM export needs one.
    """
    lines = []
    for i, sat in enumerate(constellation.satellites):
        sat.satrec.intldesg = f"26{1 + i // 26:03d}{chr(65 + i % 26)}"
        lines.append(format_tle(sat.satrec))
    text = "\n".join(f"{s.name}\n{l1}\n{l2}" for s, (l1, l2) in zip(constellation.satellites, lines)) + "\n"
    sats = parse_tle_text(text, "<benchmark TLEs>")
    groups = [Group(g.name, sats[i:i + len(g.satellites)], g.sensor)
              for g, i in zip(constellation.groups, np.cumsum([0] + [len(g.satellites) for g in constellation.groups]))]
    return Constellation(constellation.name, groups), lines


# --------------------------------------------------------------------------- sampled references
def cos_reach(radius_km: np.ndarray, r_sat_km: np.ndarray, off_nadir_rad: float) -> np.ndarray:
    """cos of the largest Earth central angle between a point at ``radius_km`` and a
    satellite at ``r_sat_km`` with the point inside the off-nadir cone and above
    the (geocentric) horizon: arrays broadcast together."""
    x = r_sat_km * math.sin(off_nadir_rad) / radius_km
    cone = np.sqrt(np.clip(1.0 - x * x, 0.0, 1.0)) * math.cos(off_nadir_rad) + x * math.sin(off_nadir_rad)
    return np.where(x < 1.0, cone, radius_km / r_sat_km)


def visible_any(phat: np.ndarray, radius_km: np.ndarray, r_sats_km: np.ndarray, off_nadir_rad: float,
                valid: np.ndarray | None = None) -> np.ndarray:
    """(npoints,) bool: the point is inside some satellite's field of regard.

    ``phat`` (npoints, 3) unit vectors of the points, ``radius_km`` (npoints,),
    ``r_sats_km`` (nsat, 3) Earth-fixed satellite positions: every point against
    every satellite, as a brute force does.  The plain statement of the test;
    the benchmarks time :class:`RowBruteForce`, which the tests hold to it."""
    if valid is not None:
        r_sats_km = r_sats_km[valid]
    if r_sats_km.shape[0] == 0:
        return np.zeros(phat.shape[0], dtype=bool)
    rn = np.linalg.norm(r_sats_km, axis=1)
    cos_lam = cos_reach(radius_km[:, None], rn[None, :], off_nadir_rad)
    return ((phat @ (r_sats_km / rn[:, None]).T) >= cos_lam).any(axis=1)


# Elements of the (points x satellites) comparison made at once: the dot
# products and thresholds of one block stay in the CPU's cache (~2 MB each).
BRUTE_BLOCK_ELEMENTS = 256 * 1024


class RowBruteForce:
    """:func:`visible_any` as a competent numpy user would write it: the same test
    for every point x satellite at every sample, with the reach worked out once
    per (latitude row, satellite) -- a point's geocentric radius depends only on
    its latitude -- and the points taken a few rows at a time, so that the
    temporaries stay in cache instead of streaming ~10 arrays of points x
    satellites through memory at every sample (16x faster at 1 deg, 138
    satellites, measured).  The same test as :func:`visible_any`, whose booleans
    it returns (tests/test_benchmarks.py)."""

    def __init__(self, grid, off_nadir_rad: float):
        rows = grid.rows()
        self.phat = rows["phat"]
        self.row_radius = rows["row_radius"]
        self.row_start = rows["row_start"]
        self.row_count = rows["row_count"]
        self.off_nadir_rad = off_nadir_rad

    def visible(self, r_sats_km: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """(npoints,) bool for Earth-fixed satellite positions (nsat, 3) in km."""
        if valid is not None:
            r_sats_km = r_sats_km[valid]
        out = np.zeros(self.phat.shape[0], dtype=bool)
        nsat = r_sats_km.shape[0]
        if nsat == 0:
            return out
        rn = np.linalg.norm(r_sats_km, axis=1)
        shat_t = np.ascontiguousarray((r_sats_km / rn[:, None]).T)
        cos_lam = cos_reach(self.row_radius[:, None], rn[None, :], self.off_nadir_rad)  # (rows, nsat)
        starts, counts = self.row_start, self.row_count
        a = 0
        while a < starts.size:
            b = a + 1  # at least one row; more while the block stays small
            while b < starts.size and (starts[b] + counts[b] - starts[a]) * nsat <= BRUTE_BLOCK_ELEMENTS:
                b += 1
            p0, p1 = starts[a], starts[b - 1] + counts[b - 1]
            dots = self.phat[p0:p1] @ shat_t
            out[p0:p1] = (dots >= np.repeat(cos_lam[a:b], counts[a:b], axis=0)).any(axis=1)
            a = b
        return out


class SampledAccesses:
    """Per-point access intervals from visibility at samples, one sample at a time
    (memory is per point, not per sample); edges half-way between samples."""

    def __init__(self, n_points: int, duration_s: float):
        self.T = float(duration_s)
        self.prev_t = None
        self.prev_vis = np.zeros(n_points, dtype=bool)
        self.cur_start = np.zeros(n_points)
        self.first_start = np.full(n_points, np.nan)
        self.last_end = np.full(n_points, np.nan)
        self.n_access = np.zeros(n_points, dtype=np.int64)
        self.covered = np.zeros(n_points)
        self.gap_n = np.zeros(n_points, dtype=np.int64)
        self.gap_sum = np.zeros(n_points)
        self.gap_sum2 = np.zeros(n_points)
        self.gap_max = np.zeros(n_points)

    def update(self, t_s: float, vis: np.ndarray) -> None:
        edge = 0.0 if self.prev_t is None else 0.5 * (self.prev_t + t_s)
        rise = vis & ~self.prev_vis
        fall = self.prev_vis & ~vis
        if fall.any():
            self.covered[fall] += edge - self.cur_start[fall]
            self.last_end[fall] = edge
        if rise.any():
            # Sample-only edges are at least one step apart, so every gap here is
            # longer than MIN_GAP_S: no merging is needed.
            again = rise & (self.n_access > 0)
            gap = edge - self.last_end[again]
            self.gap_n[again] += 1
            self.gap_sum[again] += gap
            self.gap_sum2[again] += gap * gap
            self.gap_max[again] = np.maximum(self.gap_max[again], gap)
            first = rise & (self.n_access == 0)
            self.first_start[first] = edge
            self.n_access[rise] += 1
            self.cur_start[rise] = edge
        self.prev_t = float(t_s)
        self.prev_vis = vis.copy()

    def figures(self) -> dict[str, np.ndarray]:
        """Per-point figures with the definitions of :mod:`sim.engine.metrics` (edge gaps
        count in max/mean revisit; the 'interior' variants leave them out)."""
        T = self.T
        covered = self.covered + np.where(self.prev_vis, T - self.cur_start, 0.0)
        last_end = np.where(self.prev_vis, T, self.last_end)
        seen = self.n_access > 0
        lead = np.where(seen, self.first_start, T)
        trail = np.where(seen, T - last_end, 0.0)
        lead = np.where(lead > MIN_GAP_S, lead, 0.0)
        trail = np.where(trail > MIN_GAP_S, trail, 0.0)
        n_edge = (lead > 0).astype(float) + (trail > 0).astype(float)
        n_gaps = self.gap_n + n_edge
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_rev = np.where(n_gaps > 0, (self.gap_sum + lead + trail) / np.maximum(n_gaps, 1), 0.0)
            mean_int = np.where(self.gap_n > 0, self.gap_sum / np.maximum(self.gap_n, 1), np.nan)
        return {
            "max_revisit_s": np.maximum(np.maximum(self.gap_max, lead), trail),
            "mean_revisit_s": mean_rev,
            "mean_revisit_interior_s": mean_int,
            "max_revisit_interior_s": np.where(self.gap_n > 0, self.gap_max, np.nan),
            "mean_response_s": (self.gap_sum2 + lead * lead + trail * trail) / (2.0 * T),
            "coverage_fraction": covered / T,
            "n_access": self.n_access.astype(float),
            "seen": seen,
        }


def grid_geometry(grid) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (npoints, 3) and geocentric radii (km) of the grid's points."""
    rows = grid.rows()
    return rows["phat"], np.linalg.norm(rows["pxyz"], axis=1)


def sampled_figures(grid, window: Window, positions_km: np.ndarray, valid: np.ndarray | None,
                    off_nadir_deg: float = OFF_NADIR_DEG) -> dict[str, np.ndarray]:
    """Figures per point from Earth-fixed positions (nsat, nk, 3) at every sample."""
    test = RowBruteForce(grid, math.radians(off_nadir_deg))
    acc = SampledAccesses(len(grid), window.duration_s)
    t = window.sample_times()
    for k in range(t.size):
        acc.update(t[k], test.visible(positions_km[:, k, :], None if valid is None else valid[:, k]))
    return acc.figures()


def numpy_brute_force(constellation: Constellation, grid, window: Window,
                      off_nadir_deg: float = OFF_NADIR_DEG) -> dict[str, np.ndarray]:
    """sgp4 (``SatrecArray``, the product's own propagation) then, per sample,
    every point x every satellite vectorised in numpy; sample-only figures."""
    sat_array = SatrecArray([s.satrec for s in constellation.satellites])
    _, pos, _, valid = propagate_ecef(sat_array, window, 0, window.n_samples)
    return sampled_figures(grid, window, pos, valid, off_nadir_deg)


def skyfield_positions(tle_lines: list[tuple[str, str]], window: Window) -> np.ndarray:
    """Earth-fixed (ITRS, no polar motion) positions (nsat, nk, 3) in km from
    skyfield: ``EarthSatellite(...).at(times).frame_xyz(itrs)``, vectorised over
    the times, one satellite at a time (skyfield's own TEME -> GCRS -> ITRS chain,
    independent of the product's GMST-82 rotation)."""
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    ts = load.timescale()  # built-in tables: offline
    s = window.start
    t = ts.utc(s.year, s.month, s.day, s.hour, s.minute,
               s.second + s.microsecond * 1e-6 + window.sample_times())
    out = np.empty((len(tle_lines), t.shape[0], 3))
    for i, (l1, l2) in enumerate(tle_lines):
        out[i] = EarthSatellite(l1, l2, ts=ts).at(t).frame_xyz(itrs).km.T
    return out


def skyfield_reference(tle_lines, grid, window: Window, off_nadir_deg: float = OFF_NADIR_DEG) -> dict:
    pos = skyfield_positions(tle_lines, window)
    valid = np.all(np.isfinite(pos), axis=-1)
    return sampled_figures(grid, window, pos, valid, off_nadir_deg)


# --------------------------------------------------------------------------- agreement
COMPARED = ("max_revisit_s", "mean_revisit_s", "mean_revisit_interior_s", "n_access")


def agreement(ours: dict, theirs: dict, step_s: float, figures=COMPARED) -> dict:
    """Per figure: points compared (finite in both), max |difference|, share
    within one step (counts: share equal) and the share of points where only
    one side has a value (e.g. one side saw fewer than two accesses)."""
    out = {}
    for name in figures:
        a = np.asarray(ours[name], dtype=float)
        b = np.asarray(theirs[name], dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        one = np.isfinite(a) ^ np.isfinite(b)
        d = np.abs(a[both] - b[both])
        tol = 0.5 if name == "n_access" else step_s
        out[name] = {
            "points": int(both.sum()),
            "max_abs_diff": float(d.max()) if d.size else 0.0,
            "mean_abs_diff": float(d.mean()) if d.size else 0.0,
            "share_within_step": float(np.mean(d <= tol)) if d.size else 1.0,
            "share_defined_on_one_side_only": float(one.mean()),
        }
    return out


# --------------------------------------------------------------------------- measuring
def rss_now_mb() -> float:
    """Resident set size of this process now (MB), from /proc (Linux)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def reset_peak_rss() -> bool:
    """Reset this process's high-water RSS (Linux >= 4.0: ``5 > /proc/self/clear_refs``),
    so that the next :func:`peak_rss_mb` measures only the work after it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """High-water resident set size of this process (MB): VmHWM from /proc (reset by
    :func:`reset_peak_rss`), else ru_maxrss (KiB on Linux, since the process began)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(script: str, payload: dict, timeout_s: float | None = None) -> dict:
    """Run ``python script --child JSON`` in a fresh interpreter and return the
    JSON object it prints on its last stdout line (its own time and memory)."""
    cmd = [sys.executable, script, "--child", json.dumps(payload)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {proc.returncode}: {tail[0]}"}
    return json.loads(lines[-1])


def timed(fn):
    """(result, wall seconds, peak RSS MB during the call, working MB = that peak
    minus the RSS before the call: what the call itself needed)."""
    reset_peak_rss()
    before = rss_now_mb()
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    peak = peak_rss_mb()
    return out, wall, peak, peak - before


def median_time(fn, repeats=3):
    fn()  # warm-up (numba compile / cache load)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# --------------------------------------------------------------------------- an earlier kernel
def load_baseline(ref: str):
    """``sim/kernels/coverage.py`` as it was at git commit ``ref``, imported as a
    module of its own (its numba cache beside it, so it compiles once)."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    source = subprocess.run(["git", "show", f"{sha}:sim/kernels/coverage.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    folder = cache_root().parent / "baselines"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"coverage_{sha[:12]}"
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return sha, module


# --------------------------------------------------------------------------- kernel inputs
def kernel_chunks(constellation, window, chunk_samples: int) -> list:
    """The window's satellite states as the coverage kernel takes them: one
    :class:`sim.kernels.coverage.SatSteps` per chunk of ``chunk_samples`` samples
    (chunks share their boundary sample), with the Sun where a sensor needs it."""
    from sim.engine.run import sensor_array
    from sim.engine.sun import sun_unit_ecef
    from sim.kernels import coverage as K

    sensor = sensor_array(constellation)
    lit = bool(np.any(sensor[:, K.S_SIN_SUN] > K.NO_LIGHTING))
    sat_array = SatrecArray([s.satrec for s in constellation.satellites])
    chunks = []
    k0 = 0
    while k0 < window.n_samples - 1:
        k1 = min(window.n_samples, k0 + chunk_samples)
        t, pos, vel, valid = propagate_ecef(sat_array, window, k0, k1)
        u, du, rad, rdot, reach = K.satellite_frames(pos, vel, sensor)
        sun = sun_unit_ecef(window, k0, k1) if lit else np.zeros((k1 - k0, 3))
        chunks.append(K.SatSteps(u, du, rad, rdot, reach, valid, t, sensor, sun))
        k0 = k1 - 1
    return chunks
