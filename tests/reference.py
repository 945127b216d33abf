"""Slow, obvious reference implementations the numba kernels are tested against.

A helper module, not a test module: it holds no tests, and test modules import
it (they never import each other).

:func:`brute_force` prunes nothing: it evaluates the same margin primitives for
every (point, satellite, step) (where the elevation limit can bind, the
geodetic one without the kernel's outer bound), joins a satellite's consecutive accessed steps
into passes, merges all passes of a point in plain Python and computes the
figures.  The kernel must agree exactly: its pruning may only skip what cannot
be seen.
"""

import math
from datetime import datetime, timezone

import numpy as np
import pytest
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor
from constellation.orbits import CircularOrbit
from sim import run
from sim.engine.propagate import propagate_ecef
from sim.engine.run import MIN_GAP_S, sensor_array
from sim.engine.sampling import sample_window
from sim.engine.sun import sun_unit_ecef
from sim.kernels import coverage as K

START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def brute_force(const, grid, window):
    """Per point of ``grid`` (in its own order): (accesses, longest interior gap,
    sum of interior gaps, time covered)."""
    kernel_grid = grid.kernel_grid()
    out = _brute_force_sorted(const, kernel_grid, window)
    if grid.order is None:
        return out
    user = [None] * len(out)
    for j, value in zip(grid.order, out):
        user[j] = value
    return user


def _brute_force_sorted(const, grid, window):
    sensor = sensor_array(const)
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                        window.n_samples)
    assert valid.all()
    u, du, rad, rdot, _ = K.satellite_frames(pos, vel, sensor)
    sun = sun_unit_ecef(window, 0, window.n_samples)
    rows = grid.rows()
    radius = np.repeat(rows["row_radius"], rows["row_count"])
    deflection = np.repeat(grid.kernel_rows(1).row_deflection, rows["row_count"])
    phat = rows["phat"]
    up = rows["nxyz"]
    along = du / np.linalg.norm(du, axis=-1, keepdims=True)
    out = []
    for i in range(len(grid)):
        pieces = []
        for s in range(u.shape[0]):
            ce, se, cp, sp, kind, half_swath, sin_sun = sensor[s]
            h = up[i] @ sun.T - sin_sun  # lighting margin per sample
            lit = sin_sun > K.NO_LIGHTING
            if kind == K.KIND_SWATH:
                x = along[s] @ phat[i]
                q = u[s] @ phat[i]
                dq = du[s] @ phat[i]
                for k in range(t.size - 1):
                    dt = t[k + 1] - t[k]
                    sx = K.swath_crossing.py_func(x[k], x[k + 1], q[k], dq[k] * dt, q[k + 1], dq[k + 1] * dt,
                                                  math.cos(half_swath / radius[i]))
                    if sx < 0:
                        continue
                    if lit and h[k] + sx * (h[k + 1] - h[k]) < 0:
                        continue
                    pieces.append((t[k] + sx * (t[k + 1] - t[k]),) * 2)
                continue
            f = np.empty(t.size)
            g = np.empty(t.size)
            for k in range(t.size):
                C, dC = K.cos_reach.py_func(rad[s, k], radius[i], ce, se, cp, sp)
                f[k] = phat[i] @ u[s, k] - C
                g[k] = phat[i] @ du[s, k] - dC * rdot[s, k]
            open_a = None
            for k in range(t.size - 1):
                dt = t[k + 1] - t[k]
                if (K.cone_near_limb.py_func(rad[s, k], rad[s, k + 1], rdot[s, k], rdot[s, k + 1], dt, radius[i], ce,
                                             se)
                        or K.elevation_may_bind.py_func(rad[s, k], rad[s, k + 1], radius[i], ce, se, cp, sp,
                                                        deflection[i])
                        or (f[k] >= 0 and f[k + 1] >= 0
                            and K.margin_may_dip.py_func(rad[s, k], rad[s, k + 1], radius[i], se, f[k], g[k] * dt,
                                                         f[k + 1], g[k + 1] * dt))):
                    # the margins on the satellite's path, without any outer bound
                    sa, sb, ga, gb = K.geodetic_access.py_func(*phat[i], *up[i], radius[i], *u[s, k], *u[s, k + 1],
                                                               *du[s, k], *du[s, k + 1], rad[s, k], rad[s, k + 1],
                                                               rdot[s, k], rdot[s, k + 1], ce, se, sp, dt)
                    if sa >= 0 and ga >= 0:
                        # the cone dips out over (ga, gb): [sa, ga] is a piece of its own
                        fa, fb = K.lit_clip.py_func(sa, ga, h[k], h[k + 1]) if lit else (sa, ga)
                        if fa >= 0:
                            first = t[k] if fa == 0.0 else t[k] + fa * dt
                            pieces.append((open_a if open_a is not None and fa == 0.0 else first, t[k] + fb * dt))
                        elif open_a is not None:
                            pieces.append((open_a, t[k]))
                        open_a = None
                        sa = gb
                else:
                    sa, sb = K.interval_access.py_func(f[k], g[k], f[k + 1], g[k + 1], dt)
                if sa >= 0 and lit:
                    sa, sb = K.lit_clip.py_func(sa, sb, h[k], h[k + 1])
                if sa < 0:
                    continue
                a = t[k] if sa == 0.0 else t[k] + sa * dt
                b = t[k + 1] if sb == 1.0 else t[k] + sb * dt
                if open_a is not None:
                    a = open_a
                    open_a = None
                if sb == 1.0 and k < t.size - 2:
                    open_a = a
                    continue
                pieces.append((a, b))
        pieces.sort()
        runs = []
        for a, b in pieces:
            if runs and a <= runs[-1][1] + MIN_GAP_S:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        gaps = [runs[j + 1][0] - runs[j][1] for j in range(len(runs) - 1)]
        out.append((len(runs), max(gaps) if gaps else 0.0, sum(gaps), sum(b - a for a, b in runs)))
    return out


def random_constellation(rng, n, kind="off_nadir", lit=False):
    orbits = [CircularOrbit(START, rng.uniform(450, 900), rng.uniform(30, 110), rng.uniform(0, 360),
                            rng.uniform(0, 360)) for _ in range(n)]
    sun = float(rng.uniform(-5, 30)) if lit else None
    if kind == "swath":
        sensor = Sensor(kind="swath", swath_km=float(rng.uniform(100, 1500)), min_sun_elevation_deg=sun)
    elif kind == "elevation":
        # a wide field of regard whose elevation limit binds (or none at all): the geodetic horizon decides
        off_nadir = float(rng.uniform(60, 70)) if rng.uniform() < 0.5 else None
        sensor = Sensor(max_off_nadir_deg=off_nadir, min_elevation_deg=rng.uniform(5, 30),
                        min_sun_elevation_deg=sun)
    else:
        sensor = Sensor(max_off_nadir_deg=rng.uniform(20, 60), min_elevation_deg=rng.uniform(0, 20),
                        min_sun_elevation_deg=sun)
    return Constellation.from_orbits("random", orbits, sensor)


def assert_kernel_matches_brute_force(const, grid, window, chunkings, **run_kw):
    """run() with each (chunk_samples, n_blocks) against :func:`brute_force` on the samples
    run() takes (sim.engine.sampling.sample_window), point by point (accesses, longest
    interior gap, time covered); returns the reference."""
    ref = brute_force(const, grid, sample_window(const, window))
    for chunk, blocks in chunkings:
        st = run(const, grid, window, chunk_samples=chunk, n_blocks=blocks, **run_kw).figures
        for i, (n_acc, gmax, gsum, cov) in enumerate(ref):
            assert st["n_access"][i] == n_acc, (i, chunk, blocks)
            interior = st["max_revisit_interior_s"][i]
            assert (0.0 if math.isnan(interior) else interior) == pytest.approx(gmax, abs=1e-9)
            assert st["coverage_fraction"][i] * window.duration_s == pytest.approx(cov, rel=1e-12, abs=1e-9)
    return ref


def sample_counts(const, grid, window):
    """How many satellites see each point of ``grid`` (kernel order) at each sample
    of ``window``: (n_samples, n_points) ints from the coverage kernel's scalar
    margin primitives, every (sample, point, satellite) visited, nothing pruned;
    and the same from plain geometry (off-nadir angle at the satellite, elevation
    above the point's geodetic horizon, the Sun's elevation), with each decision's
    smallest distance to its limit (rad), so that ties can be told from errors."""
    sensor = sensor_array(const)
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                        window.n_samples)
    assert valid.all()
    u, du, rad, rdot, _ = K.satellite_frames(pos, vel, sensor)
    sun = sun_unit_ecef(window, 0, window.n_samples)
    rows = grid.rows()
    radius = np.repeat(rows["row_radius"], rows["row_count"])
    deflection = np.repeat(grid.kernel_rows(1).row_deflection, rows["row_count"])
    phat = rows["phat"]
    up = rows["nxyz"]
    n_pts = len(grid)
    by_margins = np.zeros((t.size, n_pts), np.int64)
    by_geometry = np.zeros((t.size, n_pts), np.int64)
    closest = np.full((t.size, n_pts), np.inf)
    for s in range(u.shape[0]):
        ce, se, cp, sp, kind, _, sin_sun = sensor[s]
        if kind == K.KIND_SWATH:
            continue  # a line at an instant: zero area
        lit = sin_sun > K.NO_LIGHTING
        eta = math.atan2(se, ce)
        eps = math.atan2(sp, cp)
        for k in range(t.size):
            for i in range(n_pts):
                R = radius[i]
                c = phat[i] @ u[s, k]
                if K.elevation_may_bind.py_func(rad[s, k], rad[s, k], R, ce, se, cp, sp, deflection[i]):
                    cen, _ = K.cos_reach_off_nadir.py_func(rad[s, k], R, ce, se)
                    m, _ = K.elevation_margin.py_func(*phat[i], *up[i], R, *u[s, k], *du[s, k], rad[s, k],
                                                      rdot[s, k], sp)
                    inside = (cen <= -2.0 or c - cen >= 0.0) and m >= 0.0
                else:
                    C, _ = K.cos_reach.py_func(rad[s, k], R, ce, se, cp, sp)
                    inside = c - C >= 0.0
                h = up[i] @ sun[k] - sin_sun
                if lit:
                    inside = inside and h >= 0.0
                by_margins[k, i] += inside
                # Plain geometry.
                sat = rad[s, k] * u[s, k]
                look = R * phat[i] - sat
                dist = np.linalg.norm(look)
                off_nadir = math.acos(min(1.0, max(-1.0, (look @ -sat) / (dist * rad[s, k]))))
                elevation = math.asin(min(1.0, max(-1.0, (up[i] @ -look) / dist)))
                # The near side only: the off-nadir cone reaches past the horizon too.
                near = elevation >= 0.0
                ok = off_nadir <= eta and elevation >= eps and near
                gaps = [abs(off_nadir - eta), abs(elevation - eps), abs(elevation)]
                if lit:
                    sun_el = math.asin(min(1.0, max(-1.0, up[i] @ sun[k])))
                    ok = ok and sun_el >= math.asin(sin_sun)
                    gaps.append(abs(sun_el - math.asin(sin_sun)))
                by_geometry[k, i] += ok
                closest[k, i] = min(closest[k, i], min(gaps))
    return by_margins, by_geometry, closest


# ---------------------------------------------------------------------------- eccentric orbits
LIMB_START = datetime(2024, 3, 20, tzinfo=timezone.utc)


def satrec_from_elements(satnum, ecc, argp_deg, inc_deg, mo_deg, rev_per_day, raan_deg):
    """An sgp4 satellite from mean elements at LIMB_START (no drag)."""
    from sgp4.api import WGS72, Satrec

    s = Satrec()
    epoch = (LIMB_START - datetime(1949, 12, 31, tzinfo=timezone.utc)).total_seconds() / 86400.0
    s.sgp4init(WGS72, "i", satnum, epoch, 0.0, 0.0, 0.0, ecc, math.radians(argp_deg), math.radians(inc_deg),
               math.radians(mo_deg), rev_per_day * 2 * math.pi / 1440.0, math.radians(raan_deg))
    return s


# Orbits whose radius sweeps through where a 45 deg cone meets the limb (r = R / sin 45 deg),
# and a near-GEO one where an 8.6 deg cone does.
MOLNIYA = satrec_from_elements(11, 0.7, 270.0, 63.4, 0.0, 2.00563, 40.0)
HEO_A_KM = (6378.137 * 2 + 500.0 + 20000.0) / 2
HEO = satrec_from_elements(13, 19500.0 / (2 * HEO_A_KM), 90.0, 63.4, 200.0,
                           86400.0 / (2 * math.pi * math.sqrt(HEO_A_KM ** 3 / 398600.4418)), 250.0)
NEAR_GEO = satrec_from_elements(17, 0.02, 90.0, 5.0, 30.0, 1.00273791, 60.0)


def margin_runs(t, margin, min_gap_s: float) -> list[tuple[float, float]]:
    """The runs where a sampled margin is >= 0: (start, end) pairs (s), each edge put
    where the margin crosses zero, linearly between samples; runs closer than
    ``min_gap_s`` joined, as the kernel joins them."""
    inside = margin >= 0.0
    cross = np.flatnonzero(inside[1:] != inside[:-1])
    edges = t[cross] + (t[cross + 1] - t[cross]) * margin[cross] / (margin[cross] - margin[cross + 1])
    starts = list(edges[~inside[cross]])
    ends = list(edges[inside[cross]])
    if inside[0]:
        starts.insert(0, t[0])
    if inside[-1]:
        ends.append(t[-1])
    runs = []
    for a, b in zip(starts, ends):
        if runs and a - runs[-1][1] < min_gap_s:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return runs

