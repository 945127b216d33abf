"""Point lists (random sites): time against the number of sites for the kernel's
point-band path and for the row-by-row path it replaces, the 1 deg grid for the
cost per point, and the agreement with a 1 s numpy brute force.

    python benchmarks/points.py            # 100 .. 100,000 sites; prints a table, then one JSON object
    python benchmarks/points.py --quick    # 100 .. 10,000 sites

138 satellites (Walker 138/6/1, 535 km SSO), 1 day, 60 s, a sensor limited by
elevation alone (20 deg above the geodetic horizon).  Both paths run in this
process on the same sites (the row path by ``Grid.kernel_rows(point_bands=False)``),
each warm (compiled on a short window first); times are medians of
``REPEATS`` runs (one run where the row path takes over 20 s, and the row path
is not run at 100,000 sites, ~10 min).  The figures of both paths are compared
with ``np.array_equal``.  The brute force samples every second on
``AGREE_SITES`` sites over ``AGREE_WINDOW_S`` and takes a site's longest gap
between accesses from the samples (edges half-way between samples): it should
agree with the kernel within 1 s.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone

import numpy as np
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from sim import Grid, Window, run
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.propagate import propagate_ecef

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
REPEATS = 3
AGREE_SITES = 100
AGREE_WINDOW_S = 6 * 3600.0
MIN_ELEVATION_DEG = 20.0
FIGURES = ("n_access", "max_revisit_s", "max_revisit_interior_s", "coverage_fraction", "mean_revisit_interior_s")


def random_sites(n: int, seed: int = 0) -> Grid:
    rng = np.random.default_rng(seed)
    return Grid.points(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))), rng.uniform(-180.0, 180.0, n))


def timed(const, grid, window, point_bands, repeats):
    """(median seconds, result) of ``run`` with the point bands on or off."""
    original = Grid.kernel_rows
    Grid.kernel_rows = lambda self, n, _pb=None: original(self, n, point_bands)
    try:
        run(const, grid, Window(START, 600.0, window.step_s), device="cpu")  # compile / load the cache
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = run(const, grid, window, device="cpu")
            times.append(time.perf_counter() - t0)
    finally:
        Grid.kernel_rows = original
    return statistics.median(times), result


def brute_force_max_gap(const, lat, lon, window):
    """Per site: the longest gap between accesses (s; NaN with fewer than two
    accesses) from visibility at every sample of ``window`` (elevation from the
    geodetic horizon >= MIN_ELEVATION_DEG)."""
    sat_array = SatrecArray([s.satrec for s in const.satellites])
    p, up = geodetic_to_ecef(np.asarray(lat), np.asarray(lon))
    sin_min = np.sin(np.radians(MIN_ELEVATION_DEG))
    n = window.n_samples
    seen = np.zeros((lat.size, n), bool)
    chunk = 600
    for k0 in range(0, n, chunk):
        k1 = min(n, k0 + chunk)
        _, pos, _, valid = propagate_ecef(sat_array, window, k0, k1, interpolate=False)
        for s in range(pos.shape[0]):
            d = pos[s][None, :, :] - p[:, None, :]                      # (sites, nk, 3)
            sin_el = np.einsum("pkc,pc->pk", d, up) / np.linalg.norm(d, axis=2)
            seen[:, k0:k1] |= (sin_el >= sin_min) & valid[s][None, :]
    t = window.sample_times(0, n)
    out = np.full(lat.size, np.nan)
    for i in range(lat.size):
        d = np.diff(seen[i].astype(np.int8))
        change = np.flatnonzero(d)
        edges = 0.5 * (t[change] + t[change + 1])
        rise = d[change] > 0
        gap = (~rise[:-1]) & rise[1:]  # an edge down, then the next edge up
        if gap.any():
            out[i] = np.max(edges[1:][gap] - edges[:-1][gap])
    return out


def main(quick=False):
    sensor = Sensor(max_off_nadir_deg=None, min_elevation_deg=MIN_ELEVATION_DEG)
    const = Constellation.from_orbits("walker138", walker_delta(138, 6, 1, 535, sso_inclination_deg(535), START),
                                      sensor)
    window = Window(START, 86400.0, 60.0)
    load = os.getloadavg()[0]
    cases = []
    for n in (100, 1_000, 10_000) + (() if quick else (100_000,)):
        grid = random_sites(n)
        t_new, new = timed(const, grid, window, True, REPEATS if n < 100_000 else 1)
        case = {"sites": n, "points_s": t_new, "points_us_per_site": 1e6 * t_new / n}
        if n < 100_000:
            t_old, old = timed(const, grid, window, False, REPEATS if n < 10_000 else 1)
            case.update(rows_s=t_old, rows_us_per_site=1e6 * t_old / n, speedup=t_old / t_new,
                        identical=all(np.array_equal(new.figures[f], old.figures[f], equal_nan=True)
                                      for f in FIGURES))
        cases.append(case)
        print(f"  {n:,} sites done ({t_new:.2f} s)", file=sys.stderr, flush=True)
    grid = Grid.regular(1.0)
    t_grid, _ = timed(const, grid, window, False, REPEATS)
    grid_case = {"grid": "1 deg regular", "points": len(grid), "run_s": t_grid, "us_per_point": 1e6 * t_grid / len(grid)}

    sites = random_sites(AGREE_SITES, seed=1)
    short = Window(START, AGREE_WINDOW_S, 60.0)
    kernel = run(const, sites, short, device="cpu").figures["max_revisit_interior_s"]
    t0 = time.perf_counter()
    brute = brute_force_max_gap(const, sites.lat_deg, sites.lon_deg, Window(START, AGREE_WINDOW_S, 1.0))
    t_brute = time.perf_counter() - t0
    both = ~np.isnan(kernel) & ~np.isnan(brute)
    diff = np.abs(kernel[both] - brute[both])
    agreement = {"sites": AGREE_SITES, "window_s": AGREE_WINDOW_S, "brute_step_s": 1.0, "brute_s": t_brute,
                 "same_has_gap": int(np.sum(np.isnan(kernel) == np.isnan(brute))),
                 "compared": int(both.sum()), "max_abs_diff_s": float(diff.max()) if diff.size else None,
                 "mean_abs_diff_s": float(diff.mean()) if diff.size else None,
                 "within_1s": int(np.sum(diff <= 1.0))}

    print(f"138 sats, 1 day, 60 s, {MIN_ELEVATION_DEG:g} deg elevation only; load average {load:.1f}")
    print(f"{'sites':>8} {'bands':>8} {'us/site':>8} {'rows':>8} {'us/site':>8} {'speedup':>8} {'same':>5}")
    for c in cases:
        if "rows_s" in c:
            rows = f"{c['rows_s']:>7.2f}s {c['rows_us_per_site']:>8.0f} {c['speedup']:>7.1f}x {str(c['identical']):>5}"
        else:
            rows = f"{'not run':>8} {'':>8} {'':>8} {'':>5}"
        print(f"{c['sites']:>8,} {c['points_s']:>7.2f}s {c['points_us_per_site']:>8.0f} {rows}")
    print(f"1 deg grid ({grid_case['points']:,} points): {t_grid:.2f} s, {grid_case['us_per_point']:.0f} us per point")
    a = agreement
    print(f"vs numpy brute force at 1 s ({a['sites']} sites, {a['window_s'] / 3600:g} h, {a['brute_s']:.1f} s): "
          f"longest interior gap on {a['compared']} sites: max |diff| {a['max_abs_diff_s']:.2f} s, "
          f"mean {a['mean_abs_diff_s']:.2f} s, {a['within_1s']} within 1 s; "
          f"{a['same_has_gap']}/{a['sites']} agree on having a gap")
    print(json.dumps({"benchmark": "points", "load_average": load, "cases": cases, "grid": grid_case,
                      "agreement": agreement}))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
