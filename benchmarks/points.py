"""Point lists (random sites): time against the number of sites for the kernel's
point path, beside the row-by-row path that grids take (the same sites run as
rows) and, with ``--baseline REF``, the point path of an earlier commit; the
1 deg grid for the cost per point; the agreement with a brute force on skyfield at 1 s.

    python benchmarks/points.py                 # 100 .. 100,000 sites
    python benchmarks/points.py --quick         # 100 .. 10,000 sites
    python benchmarks/points.py --baseline REF  # also the kernel of git commit REF, in the same run
    python benchmarks/points.py --peers         # also brahe and lox-space (pip install -e '.[bench]'), 100 sites

138 satellites (Walker 138/6/1, 535 km SSO), 1 day, 60 s, a sensor limited by
elevation alone (20 deg above the geodetic horizon).  Every path runs in this
process on the same sites (the row path by ``Grid.kernel_rows(point_bands=False)``;
the baseline by ``sim/kernels/coverage.py`` as it was at REF, read with ``git show``
and compiled once into ``~/.cache/revisit/baselines``), each warm (compiled on a
short window first), the paths alternating within each repeat; times are
medians of ``REPEATS`` runs (one run where the row path takes over 20 s; the
row path is not run at 100,000 sites, ~10 min).  Every path's figures are
compared with the point path's: the same to the bit, or the largest difference.
The brute force (skyfield's positions, elevation from the geodetic horizon)
samples every second on ``AGREE_SITES`` sites over ``AGREE_WINDOW_S`` and takes a site's longest gap between accesses from the
samples (edges half-way between samples): it should agree with the kernel
within 1 s.

With ``--peers``, brahe and lox-space (Rust libraries with Python bindings:
brahe's ``location_accesses``, Earth orientation taken as zero, and
lox-space's ``VisibilityAnalysis``, sites in IAU_EARTH; both on the same
satellites as TLEs with their sgp4, a 20 deg elevation mask, their own 60 s
search step) run once on the first ``PEER_SITES`` sites, timed beside
revisit's point path on the same sites, and each site's longest interior gap
is compared with revisit's.

Prints a JSON line per number of sites as it finishes, then a table and one
JSON object with everything.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone

import numpy as np

import sim.engine.run as engine_run
from _common import load_baseline
from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from sim import Grid, Window, run

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
REPEATS = 3
AGREE_SITES = 100
PEER_SITES = 100
AGREE_WINDOW_S = 6 * 3600.0
MIN_ELEVATION_DEG = 20.0
FIGURES = ("n_access", "max_revisit_s", "max_revisit_interior_s", "coverage_fraction", "mean_revisit_interior_s")
TIME_FIGURES = ("max_revisit_s", "max_revisit_interior_s", "mean_revisit_interior_s", "access_min_s",
                "access_max_s", "first_access_s")


def random_sites(n: int, seed: int = 0) -> Grid:
    rng = np.random.default_rng(seed)
    return Grid.points(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))), rng.uniform(-180.0, 180.0, n))


def longest_interior_gaps(n_sites: int, windows) -> np.ndarray:
    """Per site: the longest gap (s) between the union of ``windows`` ((site, start_s,
    end_s) triples), NaN with fewer than two separate accesses."""
    by_site = [[] for _ in range(n_sites)]
    for i, a, b in windows:
        by_site[i].append((a, b))
    out = np.full(n_sites, np.nan)
    for i, spans in enumerate(by_site):
        spans.sort()
        gap, end = None, None
        for a, b in spans:
            if end is not None and a > end:
                gap = max(gap or 0.0, a - end)
            end = b if end is None else max(end, b)
        if gap is not None:
            out[i] = gap
    return out


def gap_agreement(ours: np.ndarray, other: np.ndarray) -> dict:
    """How two per-site longest gaps (s, NaN: none) agree: sites agreeing on having one,
    sites compared, largest and mean difference, how many within 1 s, and at how many the
    other's is longer by over 1 s (beside a brute force or a coarser search: passes it missed)."""
    both = ~np.isnan(ours) & ~np.isnan(other)
    diff = np.abs(ours[both] - other[both])
    return {"same_has_gap": int(np.sum(np.isnan(ours) == np.isnan(other))), "compared": int(both.sum()),
            "max_abs_diff_s": float(diff.max()) if diff.size else None,
            "mean_abs_diff_s": float(diff.mean()) if diff.size else None,
            "within_1s": int(np.sum(diff <= 1.0)), "other_longer": int(np.sum(other[both] > ours[both] + 1.0))}


def brahe_peer(const, grid, window) -> dict | None:
    """brahe's access windows for ``grid``'s sites (timed), as longest interior gaps; None when
    brahe is not installed."""
    try:
        import brahe as bh
    except ImportError:
        return None
    from sgp4.exporter import export_tle

    bh.set_global_eop_provider_from_static_provider(bh.StaticEOPProvider.from_zero())
    t0 = time.perf_counter()
    props = [bh.SGPPropagator.from_tle(*export_tle(s.satrec), window.step_s) for s in const.satellites]
    locations = [bh.PointLocation(float(lon), float(lat), 0.0).with_name(str(i))
                 for i, (lat, lon) in enumerate(zip(grid.lat_deg, grid.lon_deg))]
    start = window.start
    e0 = bh.Epoch.from_datetime(start.year, start.month, start.day, start.hour, start.minute,
                                start.second + start.microsecond * 1e-6, 0.0, bh.TimeSystem.UTC)
    found = bh.location_accesses(locations, props, e0, e0 + window.duration_s,
                                 bh.ElevationConstraint(min_elevation_deg=MIN_ELEVATION_DEG))
    t = time.perf_counter() - t0
    windows = [(int(w.location_name), w.t_start - e0, w.t_end - e0) for w in found]
    return {"peer": f"brahe {bh.__version__}", "sites": len(grid), "run_s": t, "windows": len(windows),
            "gaps": longest_interior_gaps(len(grid), windows)}


def lox_peer(const, grid, window) -> dict | None:
    """lox-space's visibility intervals for ``grid``'s sites (timed), as longest interior gaps;
    None when lox-space is not installed.  Its sites are in the IAU_EARTH frame, which needs
    no Earth orientation data."""
    try:
        import lox_space as lox
    except ImportError:
        return None
    from importlib.metadata import version

    from sgp4.exporter import export_tle

    t0 = time.perf_counter()
    sats = [lox.Spacecraft(str(k), lox.SGP4("\n".join(export_tle(s.satrec)))) for k, s in enumerate(const.satellites)]
    sites = [lox.GroundStation(f"g{i}", lox.EllipsoidLocation("IAU_EARTH", longitude=float(lon) * lox.deg,
                                                             latitude=float(lat) * lox.deg, altitude=0.0 * lox.km),
                               min_elevation=MIN_ELEVATION_DEG * lox.deg)
             for i, (lat, lon) in enumerate(zip(grid.lat_deg, grid.lon_deg))]
    w0 = window.start
    start = lox.UTC(w0.year, w0.month, w0.day, w0.hour, w0.minute,
                    w0.second + w0.microsecond * 1e-6).to_scale("TAI")
    scenario = lox.Scenario(start, start + lox.TimeDelta(window.duration_s), spacecraft=sats, ground_stations=sites)
    found = lox.VisibilityAnalysis(scenario, step=lox.TimeDelta(window.step_s)).compute()
    windows = [(i, (iv.start() - start).to_decimal_seconds(), (iv.end() - start).to_decimal_seconds())
               for i in range(len(sites)) for k in range(len(sats)) for iv in found.intervals(f"g{i}", str(k))]
    t = time.perf_counter() - t0
    return {"peer": f"lox-space {version('lox-space')}", "sites": len(grid), "run_s": t, "windows": len(windows),
            "gaps": longest_interior_gaps(len(grid), windows)}


@contextlib.contextmanager
def kernel_path(name: str, baseline=None):
    """Run ``run()`` on the point path ("points"), the row path ("rows") or the
    baseline's kernel ("baseline"), whose GridRows takes the fields it knows."""
    original = Grid.kernel_rows
    kernels = engine_run.K
    if name == "rows":
        Grid.kernel_rows = lambda self, n, _pb=None: original(self, n, False)
    elif name == "baseline":
        engine_run.K = baseline
        def baseline_rows(self, n, _pb=None):
            rows = original(self, n, _pb)  # once: the rows are built anew for each sorted copy of a point list
            return baseline.GridRows(*(getattr(rows, f) for f in baseline.GridRows._fields))

        Grid.kernel_rows = baseline_rows
    try:
        yield
    finally:
        Grid.kernel_rows = original
        engine_run.K = kernels


def measure(const, grid, window, paths, repeats, baseline=None):
    """{path: (median seconds, times, result)}: each path warmed on a short
    window, then ``repeats`` rounds in which every path runs once, in turn."""
    for name in paths:
        with kernel_path(name, baseline):
            run(const, grid, Window(START, 600.0, window.step_s), device="cpu")  # compile / load the cache
    times = {name: [] for name in paths}
    results = {}
    for _ in range(repeats):
        for name in paths:
            with kernel_path(name, baseline):
                t0 = time.perf_counter()
                results[name] = run(const, grid, window, device="cpu")
                times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(times[name]), times[name], results[name]) for name in paths}


def compare(a, b) -> dict:
    """Whether two results' figures are the same to the bit; else the largest
    difference of a time figure (s) and whether the access counts agree."""
    same = all(np.array_equal(a.figures[f], b.figures[f], equal_nan=True) for f in FIGURES + TIME_FIGURES)
    diff = 0.0
    for f in TIME_FIGURES:
        x, y = a.figures[f], b.figures[f]
        both = np.isfinite(x) & np.isfinite(y)
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            diff = float("inf")
        elif both.any():
            diff = max(diff, float(np.max(np.abs(x[both] - y[both]))))
    return {"identical": bool(same), "max_abs_diff_s": diff,
            "same_n_access": bool(np.array_equal(a.figures["n_access"], b.figures["n_access"]))}


def brute_force_max_gap(const, lat, lon, window):
    """Per site: the longest gap between accesses (s; NaN with fewer than two
    accesses) from visibility at every sample of ``window``: elevation from the
    geodetic horizon >= MIN_ELEVATION_DEG, with nothing of revisit's but the
    satellites' sgp4 records.  skyfield flies them (``EarthSatellite.from_satrec``,
    its own TEME -> ITRS chain) and places the sites (``wgs84.latlon``); the
    horizon's normal is the ellipsoid's at the geodetic latitude."""
    from skyfield.api import EarthSatellite, load, wgs84
    from skyfield.framelib import itrs

    ts = load.timescale()  # built-in tables: offline
    s0 = window.start
    t = window.sample_times(0, window.n_samples)
    times = ts.utc(s0.year, s0.month, s0.day, s0.hour, s0.minute, s0.second + s0.microsecond * 1e-6 + t)
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    p = wgs84.latlon(lat, lon).itrs_xyz.km.T                                  # (sites, 3)
    phi, lam = np.radians(lat), np.radians(lon)
    up = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)
    sin_min = np.sin(np.radians(MIN_ELEVATION_DEG))
    seen = np.zeros((lat.size, t.size), bool)
    for sat in const.satellites:
        pos = EarthSatellite.from_satrec(sat.satrec, ts).at(times).frame_xyz(itrs).km.T  # (nk, 3)
        ok = np.all(np.isfinite(pos), axis=1)
        for k0 in range(0, t.size, 3600):
            d = pos[None, k0:k0 + 3600, :] - p[:, None, :]                   # (sites, nk, 3)
            sin_el = np.einsum("pkc,pc->pk", d, up) / np.linalg.norm(d, axis=2)
            seen[:, k0:k0 + 3600] |= (sin_el >= sin_min) & ok[None, k0:k0 + 3600]
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


def main(quick=False, baseline_ref=None, peers=False):
    sensor = Sensor(max_off_nadir_deg=None, min_elevation_deg=MIN_ELEVATION_DEG)
    const = Constellation.from_orbits("walker138", walker_delta(138, 6, 1, 535, sso_inclination_deg(535), START),
                                      sensor)
    window = Window(START, 86400.0, 60.0)
    baseline_sha, baseline = load_baseline(baseline_ref) if baseline_ref else (None, None)
    load = os.getloadavg()[0]
    cases = []
    for n in (100, 1_000, 10_000) + (() if quick else (100_000,)):
        grid = random_sites(n)
        paths = ("points",) + (("baseline",) if baseline else ()) + (("rows",) if n < 100_000 else ())
        out = measure(const, grid, window, paths, REPEATS if n < 10_000 else 1, baseline)
        t_new, times, new = out["points"]
        case = {"sites": n, "points_s": t_new, "points_times_s": times, "points_us_per_site": 1e6 * t_new / n,
                "load_average": os.getloadavg()[0]}
        for name in paths[1:]:
            t_old, times_old, old = out[name]
            case.update({f"{name}_s": t_old, f"{name}_times_s": times_old, f"{name}_us_per_site": 1e6 * t_old / n,
                         f"{name}_ratio": t_old / t_new, f"{name}_vs_points": compare(old, new)})
        cases.append(case)
        print(json.dumps({"benchmark": "points", **case}), flush=True)
    grid = Grid.regular(1.0)
    t_grid, _, _ = measure(const, grid, window, ("rows",), REPEATS)["rows"]
    grid_case = {"grid": "1 deg regular", "points": len(grid), "run_s": t_grid, "us_per_point": 1e6 * t_grid / len(grid)}

    sites = random_sites(AGREE_SITES, seed=1)
    short = Window(START, AGREE_WINDOW_S, 60.0)
    kernel = run(const, sites, short, device="cpu").figures["max_revisit_interior_s"]
    t0 = time.perf_counter()
    brute = brute_force_max_gap(const, sites.lat_deg, sites.lon_deg, Window(START, AGREE_WINDOW_S, 1.0))
    t_brute = time.perf_counter() - t0
    agreement = {"sites": AGREE_SITES, "window_s": AGREE_WINDOW_S, "brute_step_s": 1.0, "brute_s": t_brute,
                 **gap_agreement(kernel, brute)}

    peer_rows = []
    if peers:
        grid = random_sites(PEER_SITES)
        t0 = time.perf_counter()
        ours = run(const, grid, window, device="cpu").figures["max_revisit_interior_s"]
        t_ours = time.perf_counter() - t0
        for name, peer_fn in (("brahe", brahe_peer), ("lox-space", lox_peer)):
            found = peer_fn(const, grid, window)
            if found is None:
                peer_rows.append({"peer": name, "installed": False})
                continue
            theirs = found.pop("gaps")
            peer_rows.append({**found, "installed": True, "revisit_s": t_ours, "ratio": found["run_s"] / t_ours,
                              **gap_agreement(ours, theirs)})

    print(f"138 sats, 1 day, 60 s, {MIN_ELEVATION_DEG:g} deg elevation only; load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}" + (f"; baseline {baseline_sha[:12]}" if baseline else ""))
    head = f"{'sites':>8} {'points':>8} {'us/site':>8}"
    if baseline:
        head += f" {'baseline':>9} {'ratio':>7} {'same':>5}"
    print(head + f" {'rows':>8} {'ratio':>7} {'same':>5}")
    for c in cases:
        line = f"{c['sites']:>8,} {c['points_s']:>7.2f}s {c['points_us_per_site']:>8.0f}"
        for name, width in (("baseline", 9), ("rows", 8)):
            if name == "baseline" and not baseline:
                continue
            if f"{name}_s" in c:
                same = c[f"{name}_vs_points"]
                mark = "yes" if same["identical"] else f"{same['max_abs_diff_s']:.1e}"
                line += f" {c[f'{name}_s']:>{width - 1}.2f}s {c[f'{name}_ratio']:>6.1f}x {mark:>5}"
            else:
                line += f" {'not run':>{width}} {'':>7} {'':>5}"
        print(line)
    print(f"1 deg grid ({grid_case['points']:,} points): {t_grid:.2f} s, {grid_case['us_per_point']:.0f} us per point")
    a = agreement
    print(f"vs a skyfield brute force at 1 s ({a['sites']} sites, {a['window_s'] / 3600:g} h, {a['brute_s']:.1f} s): "
          f"longest interior gap on {a['compared']} sites: max |diff| {a['max_abs_diff_s']:.2f} s, "
          f"mean {a['mean_abs_diff_s']:.2f} s, {a['within_1s']} within 1 s; "
          f"{a['same_has_gap']}/{a['sites']} agree on having a gap")
    for peer in peer_rows:
        if not peer["installed"]:
            print(f"{peer['peer']}: not installed (pip install -e '.[bench]')")
            continue
        print(f"{peer['peer']} on {peer['sites']} sites (its 60 s search, then its own refinement): "
              f"{peer['run_s']:.2f} s against revisit's {peer['revisit_s']:.2f} s ({peer['ratio']:.0f}x); "
              f"longest interior gap on {peer['compared']} sites: max |diff| {peer['max_abs_diff_s']:.2f} s, "
              f"mean {peer['mean_abs_diff_s']:.2f} s, {peer['within_1s']} within 1 s ({peer['other_longer']} longer "
              f"in {peer['peer'].split()[0]}); {peer['same_has_gap']}/{peer['sites']} agree on having a gap")
    print(json.dumps({"benchmark": "points", "load_average": load, "baseline": baseline_sha, "cases": cases,
                      "grid": grid_case, "agreement": agreement, "peers": peer_rows}))


if __name__ == "__main__":
    args = sys.argv[1:]
    ref = args[args.index("--baseline") + 1] if "--baseline" in args else None
    main(quick="--quick" in args, baseline_ref=ref, peers="--peers" in args)
