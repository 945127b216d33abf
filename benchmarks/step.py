"""Coarse steps: accesses a day and revisit against the step, with and without
the sample step, against a 1 s truth.

    python benchmarks/step.py               # Sentinel-2, Landsat 8+9, Walker 45 deg cases (~5 min)
    python benchmarks/step.py --mechanism   # and which test loses each access (~10 min)
    python benchmarks/step.py --quick       # shorter windows

The truth samples every second with exact geometry and no model between samples:
for a push-broom, the instant the point passes abeam (p . n changes sign, n the
unit ground-track direction) and its cross-track angle there (asin of p . w, w =
s x n, linear over 1 s); for an off-nadir sensor, the off-nadir angle and
elevation at each second (an access is a run of seconds).  The kernel then runs
at each step twice: as shipped (sampling at the step divided to no more than the
safe step, ``after``) and with the sample step forced to the step (``before``).
"lost" counts the truth's accesses the kernel does not report.  A second table measures the Hermite model's
error on the swath's cross-track value against its bound (w dt)^4 / 384
(sim/engine/sampling.py), from exact crossings (sgp4 and Newton on p . n).
Prints the tables, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import datetime, timezone

import numpy as np
from numba import njit
from sgp4.api import SatrecArray

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sim.engine.run as engine_run  # noqa: E402
from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta  # noqa: E402
from constellation.constants import EARTH_ROTATION_RAD_S  # noqa: E402
from constellation.orbits import CircularOrbit, raan_from_local_time_deg, repeat_ground_track_alt_km  # noqa: E402
from sim import Grid, Window, run  # noqa: E402
from sim.engine.grid import geodetic_to_ecef  # noqa: E402
from sim.engine.propagate import _ecef_at, propagate_ecef  # noqa: E402
from sim.engine.sampling import safe_step_s  # noqa: E402
from sim.engine.sun import sun_unit_ecef  # noqa: E402
from sim.kernels import coverage as K  # noqa: E402

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY_S = 86400.0
STEPS = (30.0, 60.0, 120.0, 300.0, 500.0, 600.0, 1200.0, 3600.0)


def in_plane(orbits: int, days: int, ltdn_hours: float, n_sats: int) -> list[CircularOrbit]:
    alt_km, inc_deg = repeat_ground_track_alt_km(orbits, days, epoch=START)
    raan = raan_from_local_time_deg(START, ltdn_hours, "descending")
    return [CircularOrbit(START, alt_km, inc_deg, raan, 360.0 * j / n_sats) for j in range(n_sats)]


def cases(quick: bool):
    lon = np.arange(-180.0, 180.0, 1.0)
    equator = Grid.points(np.zeros_like(lon), lon, name="equator, 1 deg")
    return [
        ("Sentinel-2A+2B, 290 km swath, Sun >= 10 deg",
         Constellation.from_orbits("s2", in_plane(143, 10, 10.5, 2),
                                   Sensor(kind="swath", swath_km=290.0, min_sun_elevation_deg=10.0)),
         equator, 10.0 if quick else 20.0),
        ("Landsat 8+9, 185 km swath, Sun >= 10 deg",
         Constellation.from_orbits("l8", in_plane(233, 16, 10.0, 2),
                                   Sensor(kind="swath", swath_km=185.0, min_sun_elevation_deg=10.0)),
         equator, 10.0 if quick else 20.0),
        ("Walker 12/3/1 SSO 535 km, 45 deg off nadir",
         Constellation.from_orbits("w12", walker_delta(12, 3, 1, 535.0, sso_inclination_deg(535.0), START),
                                   Sensor(max_off_nadir_deg=45.0)),
         equator, 1.0 if quick else 2.0),
        ("Walker 12/3/1 SSO 535 km, 45 deg off nadir, Sun >= 10 deg",
         Constellation.from_orbits("w12", walker_delta(12, 3, 1, 535.0, sso_inclination_deg(535.0), START),
                                   Sensor(max_off_nadir_deg=45.0, min_sun_elevation_deg=10.0)),
         Grid.regular(10.0), 1.0),
    ]


# --------------------------------------------------------------------------- the 1 s truth
@njit(cache=True)
def _swath_crossings(p, up, sin_half, pos, vel, sun, t, sin_sun, lit, out_i, out_t):
    n = 0
    nsat, nk, _ = pos.shape
    for s in range(nsat):
        for k in range(nk - 1):
            u0 = pos[s, k] / np.sqrt(np.sum(pos[s, k] ** 2))
            u1 = pos[s, k + 1] / np.sqrt(np.sum(pos[s, k + 1] ** 2))
            v0 = vel[s, k] - u0 * np.sum(u0 * vel[s, k])
            v1 = vel[s, k + 1] - u1 * np.sum(u1 * vel[s, k + 1])
            n0 = v0 / np.sqrt(np.sum(v0 ** 2))
            n1 = v1 / np.sqrt(np.sum(v1 ** 2))
            w0 = np.cross(u0, n0)
            w1 = np.cross(u1, n1)
            for i in range(p.shape[0]):
                x0 = np.sum(p[i] * n0)
                x1 = np.sum(p[i] * n1)
                if not (x0 > 0.0 and x1 <= 0.0) or np.sum(p[i] * u0) < 0.0:
                    continue
                f = x0 / (x0 - x1)
                c = (1.0 - f) * np.sum(p[i] * w0) + f * np.sum(p[i] * w1)
                if abs(c) > sin_half[i]:
                    continue
                if lit:
                    h0 = np.sum(up[i] * sun[k]) - sin_sun
                    h1 = np.sum(up[i] * sun[k + 1]) - sin_sun
                    if h0 + f * (h1 - h0) < 0.0:
                        continue
                if n < out_i.shape[0]:
                    out_i[n] = i
                    out_t[n] = t[k] + f * (t[k + 1] - t[k])
                n += 1
    return n


@njit(cache=True)
def _framing_seen(pxyz, up, pos, sun, cos_eta, sin_eps, sin_sun, lit, seen):
    nsat, nk, _ = pos.shape
    for k in range(nk):
        for i in range(pxyz.shape[0]):
            if lit and np.sum(up[i] * sun[k]) < sin_sun:
                continue
            pn = np.sqrt(np.sum(pxyz[i] ** 2))
            for s in range(nsat):
                q = pxyz[i] - pos[s, k]
                qn = np.sqrt(np.sum(q * q))
                rn = np.sqrt(np.sum(pos[s, k] ** 2))
                if -np.sum(q * pos[s, k]) / (qn * rn) >= cos_eta and -np.sum(q * pxyz[i]) / (qn * pn) >= sin_eps:
                    seen[i, k] = True
                    break


def truth_events(const: Constellation, grid: Grid, days: float, chunk: int = 21600) -> list[tuple]:
    """Every access from 1 s samples, per satellite: (point, satellite, start, end); a
    push-broom's accesses are instants (start == end).  Off-nadir sensors take each
    satellite's window in one piece (a run of seconds is one access)."""
    window = Window(START, days * DAY_S, 1.0)
    sensor = const.sensors_per_satellite()[0]
    pxyz, up = geodetic_to_ecef(grid.lat_deg, grid.lon_deg)
    radius = np.linalg.norm(pxyz, axis=1)
    phat = pxyz / radius[:, None]
    up = np.ascontiguousarray(up)
    lit = sensor.lit_only
    sin_sun = math.sin(math.radians(sensor.min_sun_elevation_deg)) if lit else -2.0
    swath = sensor.kind == "swath"
    n = window.n_samples
    if not swath:
        chunk = n
    events = []
    for s, sat in enumerate(const.satellites):
        one = SatrecArray([sat.satrec])
        for k0 in range(0, n - 1, chunk):
            k1 = min(n, k0 + chunk + 1)
            t, pos, vel, valid = propagate_ecef(one, window, k0, k1)
            assert valid.all()
            sun = sun_unit_ecef(window, k0, k1) if lit else np.zeros((k1 - k0, 3))
            if swath:
                out_i, out_t = np.empty(200000, np.int64), np.empty(200000)
                m = _swath_crossings(phat, up, np.sin(np.minimum(0.5 * np.pi, 0.5 * sensor.swath_km / radius)),
                                     pos, vel, sun, t, sin_sun, lit, out_i, out_t)
                assert m <= out_i.size
                events += [(int(i), s, x, x) for i, x in zip(out_i[:m], out_t[:m])]
                continue
            seen = np.zeros((len(grid), k1 - k0), bool)
            _framing_seen(pxyz, up, pos, sun, math.cos(math.radians(sensor.max_off_nadir_deg)),
                          math.sin(math.radians(sensor.min_elevation_deg)), sin_sun, lit, seen)
            for i in range(len(grid)):
                idx = np.flatnonzero(seen[i])
                if idx.size:
                    starts = idx[np.r_[True, np.diff(idx) > 1]]
                    ends = idx[np.r_[np.diff(idx) > 1, True]]
                    events += [(i, s, t[a], t[b]) for a, b in zip(starts, ends)]
    return events


def figures_of(events: list[tuple], n_points: int, duration_s: float, join_s: float = 1.0) -> np.ndarray:
    """Per point (accesses, max revisit with the window's edges) of the union of the events,
    joining accesses less than ``join_s`` apart (1 s: the truth's consecutive seconds)."""
    pieces = [[] for _ in range(n_points)]
    for i, _, a, b in events:
        pieces[i].append((a, b))
    out = np.empty((n_points, 2))
    for i, iv in enumerate(pieces):
        runs = []
        for a, b in sorted(iv):
            if runs and a <= runs[-1][1] + join_s + 1e-6:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        gaps = ([runs[0][0]] + [runs[j + 1][0] - runs[j][1] for j in range(len(runs) - 1)]
                + [duration_s - runs[-1][1]] if runs else [duration_s])
        out[i] = len(runs), max(gaps)
    return out


# --------------------------------------------------------------------------- the kernel
def kernel(const, grid, days, step, forced):
    """run() at ``step``; ``forced``: with sim.engine.run's sample window replaced by the
    window itself, so that the kernel samples at the step (as it did before the sample step)."""
    keep = engine_run.__dict__.get("sample_window")
    if forced:
        engine_run.sample_window = lambda constellation, window: window
    try:
        t0 = time.perf_counter()
        res = run(const, grid, Window(START, days * DAY_S, step), device="cpu")
        return res, time.perf_counter() - t0
    finally:
        if keep is None:
            engine_run.__dict__.pop("sample_window", None)
        else:
            engine_run.sample_window = keep


def breakdown(quick: bool) -> list[dict]:
    rows = []
    for label, const, grid, days in cases(quick):
        t0 = time.perf_counter()
        events = truth_events(const, grid, days)
        ref = figures_of(events, len(grid), days * DAY_S)
        wall_truth = time.perf_counter() - t0
        safe = safe_step_s(const)
        print(f"\n{label}: {len(grid)} points ({grid.name}), {days:g} days; safe step {safe:.1f} s; "
              f"1 s truth {ref[:, 0].mean() / days:.4f} accesses a day, MRT p50 {np.median(ref[:, 1]) / DAY_S:.3f} d "
              f"({wall_truth:.0f} s)")
        print(f"{'step s':>7} {'':>6} {'sample s':>9} {'acc/day':>8} {'lost':>5} {'MRT p50 d':>10} {'MRT p90 s':>10} "
              f"{'max |dMRT| s':>13} {'wall s':>7}")
        for step in STEPS:
            for forced in (True, False):
                res, wall = kernel(const, grid, days, step, forced)
                f = res.figures
                lost = int(np.maximum(ref[:, 0] - f["n_access"], 0).sum())
                row = dict(case=label, step_s=step, sample_step_s=res.meta.get("sample_step_s", step),
                           before=forced, safe_step_s=safe, accesses_per_day=float(f["n_access"].mean() / days),
                           truth_accesses_per_day=float(ref[:, 0].mean() / days), lost=lost,
                           extra=int(np.maximum(f["n_access"] - ref[:, 0], 0).sum()),
                           mrt_p50_d=float(np.median(f["max_revisit_s"]) / DAY_S),
                           mrt_p90_s=float(np.quantile(f["max_revisit_s"], 0.9)),
                           max_dmrt_s=float(np.abs(f["max_revisit_s"] - ref[:, 1]).max()), wall_s=wall)
                rows.append(row)
                if forced and row["sample_step_s"] != step:
                    continue
                print(f"{step:7.0f} {'before' if forced else 'after':>6} {row['sample_step_s']:9.1f} "
                      f"{row['accesses_per_day']:8.4f} {lost:5d} {row['mrt_p50_d']:10.3f} {row['mrt_p90_s']:10.0f} "
                      f"{row['max_dmrt_s']:13.1f} {wall:7.2f}", flush=True)
    return rows


# --------------------------------------------------------------------------- which test loses them
@njit(cache=True)
def _unpruned(phat, up, radius, u, du, rad, rdot, sensor, sun, t, out_i, out_a, out_b):
    """The kernel's primitives on every (point, satellite, step), nothing pruned:
    (point, start, end) of each access (a satellite's accessed steps joined)."""
    n = 0
    nsat, nk, _ = u.shape
    lit = sensor[0, K.S_SIN_SUN] > K.NO_LIGHTING
    sin_sun = sensor[0, K.S_SIN_SUN]
    for i in range(phat.shape[0]):
        p = phat[i]
        cos_half = math.cos(min(0.5 * math.pi, sensor[0, K.S_HALF_SWATH_KM] / radius[i]))
        for s in range(nsat):
            open_a = -1.0
            for k in range(nk - 1):
                dt = t[k + 1] - t[k]
                h0 = np.sum(up[i] * sun[k]) - sin_sun
                h1 = np.sum(up[i] * sun[k + 1]) - sin_sun
                if sensor[s, K.S_KIND] == K.KIND_SWATH:
                    n0 = du[s, k] / np.sqrt(np.sum(du[s, k] ** 2))
                    n1 = du[s, k + 1] / np.sqrt(np.sum(du[s, k + 1] ** 2))
                    sx = K.swath_crossing(np.sum(p * n0), np.sum(p * n1), np.sum(p * u[s, k]),
                                          np.sum(p * du[s, k]) * dt, np.sum(p * u[s, k + 1]),
                                          np.sum(p * du[s, k + 1]) * dt, cos_half)
                    if sx >= 0.0 and (not lit or h0 + sx * (h1 - h0) >= 0.0):
                        out_i[n] = i
                        out_a[n] = t[k] + sx * dt
                        out_b[n] = t[k] + sx * dt
                        n += 1
                    continue
                C0, dC0 = K.cos_reach(rad[s, k], radius[i], sensor[s, 0], sensor[s, 1], sensor[s, 2], sensor[s, 3])
                C1, dC1 = K.cos_reach(rad[s, k + 1], radius[i], sensor[s, 0], sensor[s, 1], sensor[s, 2],
                                      sensor[s, 3])
                sa, sb = K.interval_access(np.sum(p * u[s, k]) - C0, np.sum(p * du[s, k]) - dC0 * rdot[s, k],
                                           np.sum(p * u[s, k + 1]) - C1,
                                           np.sum(p * du[s, k + 1]) - dC1 * rdot[s, k + 1], dt)
                if sa >= 0.0 and lit:
                    sa, sb = K.lit_clip(sa, sb, h0, h1)
                if sa < 0.0:
                    continue
                a = t[k] + sa * dt if not (sa == 0.0 and open_a >= 0.0) else open_a
                if sb == 1.0 and k < nk - 2:
                    open_a = a
                    continue
                open_a = -1.0
                out_i[n] = i
                out_a[n] = a
                out_b[n] = t[k] + sb * dt
                n += 1
    return n


def _why(sensor, phat, up, radius, u, du, rad, rdot, sun, t, i, s, a, b):
    """Which test of the kernel's primitives rejects the true access (i, s, [a, b]) at these samples."""
    step = t[1] - t[0]
    why = None
    for k in range(max(0, int(a // step)), min(t.size - 2, int(b // step)) + 1):
        dt = t[k + 1] - t[k]
        p = phat[i]
        h0, h1 = up[i] @ sun[k] - sensor[s, K.S_SIN_SUN], up[i] @ sun[k + 1] - sensor[s, K.S_SIN_SUN]
        lit = sensor[s, K.S_SIN_SUN] > K.NO_LIGHTING
        if sensor[s, K.S_KIND] == K.KIND_SWATH:
            n0, n1 = du[s, k] / np.linalg.norm(du[s, k]), du[s, k + 1] / np.linalg.norm(du[s, k + 1])
            if not (p @ n0 > 0.0 and p @ n1 <= 0.0):
                why = why or "along-track sign test"
                continue
            cos_half = math.cos(sensor[s, K.S_HALF_SWATH_KM] / radius[i])
            sx = K.swath_crossing(p @ n0, p @ n1, p @ u[s, k], (p @ du[s, k]) * dt, p @ u[s, k + 1],
                                  (p @ du[s, k + 1]) * dt, cos_half)
            if sx < 0.0:
                why = why or "Hermite cross-track value"
            elif lit and h0 + sx * (h1 - h0) < 0.0:
                why = why or "lighting chord"
            else:
                return "found"
            continue
        C0, dC0 = K.cos_reach(rad[s, k], radius[i], *sensor[s, :4])
        C1, dC1 = K.cos_reach(rad[s, k + 1], radius[i], *sensor[s, :4])
        f0, f1 = p @ u[s, k] - C0, p @ u[s, k + 1] - C1
        g0, g1 = p @ du[s, k] - dC0 * rdot[s, k], p @ du[s, k + 1] - dC1 * rdot[s, k + 1]
        sa, sb = K.interval_access(f0, g0, f1, g1, dt)
        if sa >= 0.0 and lit:
            sa, sb = K.lit_clip(sa, sb, h0, h1)
            if sa < 0.0:
                why = why or "lighting chord"
                continue
        if sa >= 0.0:
            return "found"
        if not (g0 * dt > 0.0 and g1 * dt < 0.0):
            why = why or "rising-then-falling gate"
        elif max(f0, f1) + 4.0 / 27.0 * (g0 - g1) * dt < 0.0:
            why = why or "4/27 Hermite bound"
        else:
            why = why or "Hermite peak below 0"
    return why or "no step"


def mechanism(quick: bool) -> list[dict]:
    """Per case and step, why the 1 s truth's accesses are lost when the kernel samples at the
    step itself: the test of its primitives that rejects each, and whether the pruned kernel
    differs anywhere from its primitives evaluated everywhere."""
    rows = []
    for label, const, grid, days in cases(quick):
        events = truth_events(const, grid, days)
        sensor = engine_run.sensor_array(const)
        pxyz, up = geodetic_to_ecef(grid.lat_deg, grid.lon_deg)
        radius = np.linalg.norm(pxyz, axis=1)
        phat = pxyz / radius[:, None]
        sats = SatrecArray([s.satrec for s in const.satellites])
        print(f"\n{label}: which test loses the {len(events)} true accesses (kernel at the step itself)")
        for step in STEPS[2:]:
            window = Window(START, days * DAY_S, step)
            t, pos, vel, _ = propagate_ecef(sats, window, 0, window.n_samples)
            u, du, rad, rdot, _ = K.satellite_frames(pos, vel, sensor)
            sun = sun_unit_ecef(window, 0, window.n_samples)
            why = {}
            for i, s, a, b in events:
                w = _why(sensor, phat, up, radius, u, du, rad, rdot, sun, t, i, s, a, b)
                why[w] = why.get(w, 0) + 1
            cap = 4 * len(events) + 1000
            out = (np.empty(cap, np.int64), np.empty(cap), np.empty(cap))
            m = _unpruned(phat, np.ascontiguousarray(up), radius, u, du, rad, rdot, sensor, sun, t, *out)
            unpruned = figures_of([(i, 0, a, b) for i, a, b in zip(out[0][:m], out[1][:m], out[2][:m])], len(grid),
                                  days * DAY_S, engine_run.MIN_GAP_S)
            res, _ = kernel(const, grid, days, step, forced=True)
            differ = int(np.sum(res.figures["n_access"] != unpruned[:, 0]))
            arc = math.degrees(math.acos(min(1.0, float(u[0, 0] @ u[0, 1]))))
            lost = {k: v for k, v in sorted(why.items()) if k != "found"}
            print(f"  {step:6.0f} s (arc {arc:5.1f} deg): lost {sum(lost.values()):5d} {lost}; pruned kernel vs "
                  f"unpruned primitives: {differ} points differ", flush=True)
            rows.append(dict(case=label, step_s=step, arc_deg=arc, lost_by=lost, kernel_vs_unpruned_points=differ))
    return rows


def hermite_error(steps=(60.0, 120.0, 300.0, 600.0)) -> list[dict]:
    """Largest (exact q - the kernel's q) at a swath crossing, Sentinel-2A, 1 day, points at 0/45/75 deg."""
    const = Constellation.from_orbits("s2a", in_plane(143, 10, 10.5, 1), Sensor(kind="swath", swath_km=290.0))
    sat = const.satellites[0].satrec
    lon = np.arange(-180.0, 180.0, 0.25)
    lat = np.concatenate([np.full_like(lon, x) for x in (0.0, 45.0, 75.0)])
    pxyz, _ = geodetic_to_ecef(lat, np.tile(lon, 3))
    phat = pxyz / np.linalg.norm(pxyz, axis=1)[:, None]
    w = sat.no_kozai / 60.0 + EARTH_ROTATION_RAD_S
    arr = SatrecArray([sat])
    out = []
    print("\nHermite model of the swath's cross-track value, Sentinel-2A: exact q = p.s at the exact crossing "
          "minus the kernel's q")
    print(f"{'step s':>7} {'max error':>11} {'bound':>11} {'ratio':>6}")
    for step in steps:
        window = Window(START, DAY_S, step)
        t, pos, vel, _ = propagate_ecef(arr, window, 0, window.n_samples)
        u = pos[0] / np.linalg.norm(pos[0], axis=1)[:, None]
        du = (vel[0] - u * np.sum(u * vel[0], axis=1)[:, None]) / np.linalg.norm(pos[0], axis=1)[:, None]
        n = du / np.linalg.norm(du, axis=1)[:, None]
        x, q, dq = phat @ n.T, phat @ u.T, phat @ du.T
        ii, kk = np.nonzero((x[:, :-1] > 0) & (x[:, 1:] <= 0) & (np.maximum(q[:, :-1], q[:, 1:]) > math.cos(0.5)))
        sx = x[ii, kk] / (x[ii, kk] - x[ii, kk + 1])
        q0, q1, g0, g1 = q[ii, kk], q[ii, kk + 1], dq[ii, kk] * step, dq[ii, kk + 1] * step
        a2 = -3 * q0 - 2 * g0 + 3 * q1 - g1
        a3 = 2 * q0 + g0 - 2 * q1 + g1
        q_kernel = ((a3 * sx + a2) * sx + g0) * sx + q0
        tc = t[kk] + sx * step
        p = phat[ii]
        for _ in range(6):  # Newton on p . n(t) = 0
            pp, vv, _ = _ecef_at(arr, window, tc)
            uu = pp[0] / np.linalg.norm(pp[0], axis=1)[:, None]
            vt = vv[0] - uu * np.sum(uu * vv[0], axis=1)[:, None]
            rate = np.linalg.norm(vt, axis=1) / np.linalg.norm(pp[0], axis=1)
            tc = tc + np.sum(p * vt / np.linalg.norm(vt, axis=1)[:, None], axis=1) / (rate * np.sum(p * uu, axis=1))
        q_exact = np.sum(p * uu, axis=1)
        near = q_exact > math.cos(0.05)
        err = float(np.max(q_exact[near] - q_kernel[near]))
        bound = (w * step) ** 4 / 384.0
        out.append(dict(step_s=step, max_error=err, bound=bound, ratio=err / bound))
        print(f"{step:7.0f} {err:11.3e} {bound:11.3e} {err / bound:6.3f}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter windows")
    ap.add_argument("--mechanism", action="store_true", help="also: which test loses each access (~3 min more)")
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}")
    rows = breakdown(args.quick)
    why = mechanism(args.quick) if args.mechanism else []
    bound = hermite_error()
    print(json.dumps({"load_average": os.getloadavg()[0], "breakdown": rows, "mechanism": why,
                      "hermite_error": bound}))


if __name__ == "__main__":
    main()
