"""Target capacity: access windows, slews and the greedy schedule.

The numba kernels (sim/kernels/windows.py) are checked against slow, obvious Python
references on random cases (exact agreement), against dense sampling of the
geometry, and on cases worked by hand (a known slew time, two targets and one
satellite).
"""

import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor
from constellation.constants import EARTH_ROTATION_RAD_S
from constellation.errors import InputError
from constellation.orbits import CircularOrbit
from sim import Window
from sim.engine.propagate import propagate_ecef
from sim.engine.run import sensor_array
from sim.engine.sun import sun_unit_ecef
from sim.kernels import coverage as K
from sim.kernels import windows as A
from sim.studies.capacity import (
    DAY_S,
    AccessWindows,
    Passes,
    Targets,
    access_windows,
    capacity,
    los_rate_bound,
    n_periods,
    random_land_targets,
    reachable_pairs,
    read_targets_csv,
    schedule,
)

START = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)


def dot3(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


# ---------------------------------------------------------------- access windows
def reference_windows(const, targets, window):
    """Every (satellite, target, step) through the coverage primitives, no pruning;
    consecutive accessed steps joined.  Sorted like AccessWindows."""
    sensor = sensor_array(const)
    n = window.n_samples
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0, n)
    u, du, rad, rdot, _ = K.satellite_frames(pos, vel, sensor)
    sun = sun_unit_ecef(window, 0, n)
    xyz, up = targets.xyz_km()
    out = []
    for s in range(len(const)):
        ce, se, cp, sp, kind, half_swath, sin_sun = sensor[s]
        lit = sin_sun > K.NO_LIGHTING
        for i in range(len(targets)):
            R = math.sqrt(dot3(xyz[i], xyz[i]))
            p = xyz[i] / R
            cur = None
            for k in range(n - 1):
                if not (valid[s, k] and valid[s, k + 1]):
                    continue
                dt = t[k + 1] - t[k]
                q0, q1 = dot3(p, u[s, k]), dot3(p, u[s, k + 1])
                g0, g1 = dot3(p, du[s, k]), dot3(p, du[s, k + 1])
                h0, h1 = dot3(up[i], sun[k]) - sin_sun, dot3(up[i], sun[k + 1]) - sin_sun
                if kind == K.KIND_SWATH:
                    n0, n1 = math.sqrt(dot3(du[s, k], du[s, k])), math.sqrt(dot3(du[s, k + 1], du[s, k + 1]))
                    sx = K.swath_crossing.py_func(g0 / n0, g1 / n1, q0, g0 * dt, q1, g1 * dt,
                                                  math.cos(min(math.pi / 2, half_swath / R)))
                    if sx < 0 or (lit and h0 + sx * (h1 - h0) < 0):
                        continue
                    a = b = t[k] + sx * dt
                else:
                    C0, dC0 = K.cos_reach.py_func(rad[s, k], R, ce, se, cp, sp)
                    C1, dC1 = K.cos_reach.py_func(rad[s, k + 1], R, ce, se, cp, sp)
                    sa, sb = K.interval_access.py_func(q0 - C0, g0 - dC0 * rdot[s, k], q1 - C1,
                                                       g1 - dC1 * rdot[s, k + 1], dt)
                    if sa >= 0 and lit:
                        sa, sb = K.lit_clip.py_func(sa, sb, h0, h1)
                    if sa < 0:
                        continue
                    a = t[k] if sa == 0.0 else t[k] + sa * dt
                    b = t[k + 1] if sb == 1.0 else t[k] + sb * dt
                if cur is not None and a <= cur[3]:
                    cur[3] = max(cur[3], b)
                else:
                    if cur is not None:
                        out.append(tuple(cur))
                    cur = [i, s, a, b]
            if cur is not None:
                out.append(tuple(cur))
    out.sort(key=lambda w: (w[1], w[2], w[0]))
    return out


def random_case(rng, kind, lit, n_sat=2, n_tgt=40):
    orbits = [CircularOrbit(START, rng.uniform(450, 800), rng.uniform(40, 100), rng.uniform(0, 360),
                            rng.uniform(0, 360)) for _ in range(n_sat)]
    sun = float(rng.uniform(-5, 20)) if lit else None
    if kind == "swath":
        sensor = Sensor(kind="swath", swath_km=float(rng.uniform(200, 1500)), min_sun_elevation_deg=sun)
    else:
        sensor = Sensor(max_off_nadir_deg=float(rng.uniform(25, 55)), min_elevation_deg=float(rng.uniform(0, 15)),
                        min_sun_elevation_deg=sun)
    const = Constellation.from_orbits("random", orbits, sensor)
    targets = Targets(rng.uniform(-75, 75, n_tgt), rng.uniform(-180, 180, n_tgt),
                      [f"t{i}" for i in range(n_tgt)], "random")
    return const, targets


@pytest.mark.parametrize("seed,kind,lit", [(1, "off_nadir", False), (2, "off_nadir", True),
                                           (3, "swath", False), (4, "swath", True)])
def test_window_kernel_equals_reference(seed, kind, lit):
    rng = np.random.default_rng(seed)
    const, targets = random_case(rng, kind, lit)
    window = Window(START, 4 * 3600.0, float(rng.choice([30.0, 60.0, 90.0])))
    ref = reference_windows(const, targets, window)
    assert len(ref) > 5
    for chunk in (10_000, 17, 50):  # one stretch, and stretches joined at their shared samples
        win, _ = access_windows(const, targets, window, chunk_samples=chunk)
        got = list(zip(win.target.tolist(), win.satellite.tolist(), win.start_s.tolist(), win.end_s.tolist()))
        assert [(i, s) for i, s, _, _ in got] == [(i, s) for i, s, _, _ in ref], chunk
        for (i, s, a, b), (_, _, ra, rb) in zip(got, ref):
            assert a == pytest.approx(ra, abs=1e-9) and b == pytest.approx(rb, abs=1e-9)


def test_windows_match_densely_sampled_geometry():
    """Edges agree with the off-nadir angle and elevation sampled every second,
    computed from the satellites' positions with numpy (no kernel code)."""
    rng = np.random.default_rng(11)
    orbits = [CircularOrbit(START, 600.0, 97.8, 30.0, 0.0), CircularOrbit(START, 520.0, 60.0, 200.0, 90.0)]
    eta, eps = 40.0, 10.0
    const = Constellation.from_orbits("two", orbits, Sensor(max_off_nadir_deg=eta, min_elevation_deg=eps))
    targets = Targets(rng.uniform(-60, 60, 60), rng.uniform(-180, 180, 60), [str(i) for i in range(60)], "r")
    window = Window(START, 3 * 3600.0, 60.0)
    win, _ = access_windows(const, targets, window)
    dense = Window(START, 3 * 3600.0, 1.0)
    t, pos, _, _ = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), dense, 0, dense.n_samples)
    xyz, up = targets.xyz_km()
    n_checked = 0
    for s in range(2):
        for i in range(len(targets)):
            los = xyz[i][None, :] - pos[s]
            rng_km = np.linalg.norm(los, axis=1)
            nadir = -pos[s] / np.linalg.norm(pos[s], axis=1)[:, None]
            off = np.degrees(np.arccos(np.clip((los * nadir).sum(1) / rng_km, -1, 1)))
            geoc_up = xyz[i] / np.linalg.norm(xyz[i])  # elevation above the geocentric horizon
            elev = np.degrees(np.arcsin(np.clip(-(los @ geoc_up) / rng_km, -1, 1)))
            ok = (off <= eta) & (elev >= eps)
            mine = (win.satellite == s) & (win.target == i)
            inside = np.zeros(t.size, bool)
            for a, b in zip(win.start_s[mine], win.end_s[mine]):
                inside |= (t >= a) & (t <= b)
                n_checked += 1
            # Disagreement only within a second of an edge.
            bad = np.flatnonzero(ok != inside)
            edges = np.flatnonzero(np.diff(ok.astype(int)) != 0)
            for j in bad:
                assert edges.size and np.min(np.abs(edges - j)) <= 1, (s, i, t[j])
    assert n_checked > 10


def test_lighting_only_removes_and_darkness_gives_nothing():
    rng = np.random.default_rng(5)
    const, targets = random_case(rng, "off_nadir", False, n_sat=3, n_tgt=60)
    window = Window(START, 6 * 3600.0, 60.0)
    day_night, _ = access_windows(const, targets, window)
    lit_const = const.with_sensor(Sensor(max_off_nadir_deg=const.groups[0].sensor.max_off_nadir_deg,
                                         min_elevation_deg=const.groups[0].sensor.min_elevation_deg,
                                         min_sun_elevation_deg=10.0))
    lit, _ = access_windows(lit_const, targets, window)
    assert 0 < len(lit) < len(day_night)
    for i, s, a, b in zip(lit.target, lit.satellite, lit.start_s, lit.end_s):
        m = (day_night.target == i) & (day_night.satellite == s)
        assert np.any((day_night.start_s[m] <= a + 1e-9) & (day_night.end_s[m] >= b - 1e-9))
    # At the March equinox the Sun stands below 10 deg at 85 N all day.
    polar = Targets(np.array([85.0]), np.array([0.0]), ["pole"], "p")
    orbit = CircularOrbit(START, 535.0, 97.5, 0.0, 0.0)
    c = Constellation.from_orbits("one", [orbit], Sensor(max_off_nadir_deg=45, min_sun_elevation_deg=10))
    assert len(access_windows(c, polar, Window(START, 86400.0, 60.0))[0]) == 0
    c = Constellation.from_orbits("one", [orbit], Sensor(max_off_nadir_deg=45))
    assert len(access_windows(c, polar, Window(START, 86400.0, 60.0))[0]) > 0


# ---------------------------------------------------------------- slews, by hand
def static_passes(r_km=7000.0, t_end=1000.0):
    """A satellite fixed in the Earth-fixed frame at (r, 0, 0): positions need no interpolation."""
    t = np.array([0.0, t_end])
    pos = np.array([[[r_km, 0.0, 0.0], [r_km, 0.0, 0.0]]])
    return Passes(t, pos, np.zeros_like(pos), np.ones((1, 2), bool))


def test_slew_angle_and_earliest_start_by_hand():
    """Targets A = (6378, d, 0) and B = (6378, -d, 0) seen from (7000, 0, 0): the lines
    of sight are 2 alpha apart, alpha = atan(d / 622).  A direction fixed in the
    Earth turns by omega per second in inertial space, so from A at te to B at ts
    the turn is 2 alpha + omega (ts - te), and the earliest start solves
    rate (ts - te - settle) = 2 alpha + omega (ts - te)."""
    p = static_passes()
    d = 300.0
    tgt = np.array([[6378.0, d, 0.0], [6378.0, -d, 0.0]])
    alpha = math.atan(d / 622.0)
    w = EARTH_ROTATION_RAD_S
    assert A.slew_angle(p.pos, p.vel, p.t, 0, tgt, 0, 10.0, 1, 10.0) == pytest.approx(2 * alpha, rel=1e-12)
    assert A.slew_angle(p.pos, p.vel, p.t, 0, tgt, 0, 10.0, 1, 110.0) == pytest.approx(2 * alpha + 100 * w, rel=1e-9)
    rate, settle, te = math.radians(1.5), 5.0, 10.0
    expected = te + (2 * alpha + rate * settle) / (rate - w)
    lip = rate + 2 * w
    got = A.earliest_start(p.pos, p.vel, p.t, 0, tgt, 0, te, 1, te + settle, 900.0, rate, settle, lip)
    assert got == pytest.approx(expected, abs=1e-5)
    # 2 alpha = 51.5 deg at 1.5 deg/s: about 34 s of slewing, plus the settling.
    assert 38.0 < got - te < 41.0
    # Too late for a window that closes before then; at once when the window opens later.
    assert A.earliest_start(p.pos, p.vel, p.t, 0, tgt, 0, te, 1, te + settle, expected - 1.0, rate, settle, lip) < 0
    assert A.earliest_start(p.pos, p.vel, p.t, 0, tgt, 0, te, 1, 200.0, 900.0, rate, settle, lip) == 200.0


def hermite_positions(p, s, x):
    """Satellite positions at times x (numpy): the cubic Hermite between samples."""
    k = np.clip(np.searchsorted(p.t, x, side="right") - 1, 0, p.t.size - 2)
    dt = p.t[k + 1] - p.t[k]
    tau = ((x - p.t[k]) / dt)[:, None]
    return ((1 + 2 * tau) * (1 - tau) ** 2 * p.pos[s, k] + tau * (1 - tau) ** 2 * dt[:, None] * p.vel[s, k]
            + tau ** 2 * (3 - 2 * tau) * p.pos[s, k + 1] + tau ** 2 * (tau - 1) * dt[:, None] * p.vel[s, k + 1])


def turn_numpy(p, s, xyz, a, te, b, ts):
    """Inertial angle between the lines of sight to a at te and to b at times ts (numpy)."""
    la = xyz[a] - hermite_positions(p, s, np.array([te]))[0]
    la /= np.linalg.norm(la)
    lb = xyz[b][None, :] - hermite_positions(p, s, ts)
    lb /= np.linalg.norm(lb, axis=1)[:, None]
    phi = EARTH_ROTATION_RAD_S * (ts - te)
    rot = np.stack([np.cos(phi) * lb[:, 0] - np.sin(phi) * lb[:, 1],
                    np.sin(phi) * lb[:, 0] + np.cos(phi) * lb[:, 1], lb[:, 2]], axis=1)
    return np.arccos(np.clip(rot @ la, -1.0, 1.0))


def test_earliest_start_is_the_first_feasible_time_on_real_orbits():
    """Against rate (ts - te - settle) - turn scanned every millisecond, the turn
    computed with numpy from interpolated positions."""
    rng = np.random.default_rng(2)
    orbits = [CircularOrbit(START, 535.0, 97.5, 0.0, 0.0), CircularOrbit(START, 700.0, 50.0, 90.0, 0.0)]
    const = Constellation.from_orbits("two", orbits, Sensor(max_off_nadir_deg=45.0))
    targets = Targets(rng.uniform(-60, 60, 1500), rng.uniform(-180, 180, 1500), [""] * 1500, "r")
    window = Window(START, 3 * 3600.0, 60.0)
    win, p = access_windows(const, targets, window)
    xyz, _ = targets.xyz_km()
    lip = los_rate_bound(p)
    checked = 0
    for w1 in range(0, len(win), 5):
        s = win.satellite[w1]
        later = np.flatnonzero((win.satellite == s) & (win.start_s <= win.end_s[w1])
                               & (win.end_s > win.end_s[w1] + 20) & (win.target != win.target[w1]))
        for w2 in later[:2]:
            rate, settle = math.radians(rng.uniform(0.4, 2.0)), float(rng.uniform(0, 5))
            te = win.end_s[w1]
            lo, hi = max(win.start_s[w2], te + settle), min(win.end_s[w2], te + 150.0)
            if lo > hi:
                continue
            got = A.earliest_start(p.pos, p.vel, p.t, s, xyz, win.target[w1], te, win.target[w2], lo, hi, rate,
                                   settle, rate + lip[s])
            grid = np.arange(lo, hi, 1e-3)
            h = rate * (grid - te - settle) - turn_numpy(p, s, xyz, win.target[w1], te, win.target[w2], grid)
            if (h >= 0).any():
                assert got == pytest.approx(grid[np.argmax(h >= 0)], abs=1.1e-3)
                checked += 1
            else:
                assert got < 0 or got > grid[-1] - 1e-3
        if checked >= 12:
            break
    assert checked >= 12


# ---------------------------------------------------------------- the schedule, by hand
def two_target_case(window_end_b=100.0):
    p = static_passes()
    # Two targets on the equator, 2.7 deg east and west of the satellite's nadir.
    lon_a = math.degrees(math.atan2(300.0, 6378.0))
    tg = Targets(np.array([0.0, 0.0]), np.array([lon_a, -lon_a]), ["A", "B"], "hand")
    win = AccessWindows(np.array([0, 1]), np.array([0, 0]), np.array([0.0, 0.0]), np.array([100.0, window_end_b]))
    return p, tg, win


def test_two_targets_one_satellite_known_slew():
    p, tg, win = two_target_case()
    dwell, rate_deg, settle = 10.0, 1.5, 5.0
    sch = schedule(win, p, tg, np.array([True]), dwell, rate_deg, settle, DAY_S, 1000.0)
    assert sch.target.tolist() == [0, 1] and sch.satellite.tolist() == [0, 0]
    assert sch.start_s[0] == 0.0 and sch.end_s[0] == dwell
    xyz, _ = tg.xyz_km()
    la = xyz[0] - p.pos[0, 0]
    lb = xyz[1] - p.pos[0, 0]
    two_alpha = math.acos(np.dot(la, lb) / np.linalg.norm(la) / np.linalg.norm(lb))
    rate, w = math.radians(rate_deg), EARTH_ROTATION_RAD_S
    expected = dwell + (two_alpha + rate * settle) / (rate - w)
    assert sch.start_s[1] == pytest.approx(expected, abs=1e-5)
    assert sch.end_s[1] == pytest.approx(expected + dwell, abs=1e-5)
    # B's window closes before the slew and its image can end: one image only,
    # while the bound (slews ignored) counts both.
    p, tg, win = two_target_case(window_end_b=expected + dwell - 0.5)
    sch = schedule(win, p, tg, np.array([True]), dwell, rate_deg, settle, DAY_S, 1000.0)
    assert sch.target.tolist() == [0]
    codes, _ = reachable_pairs(win, np.array([True]), dwell, DAY_S, 1000.0)
    assert codes.size == 2
    # A push-broom images both, at their windows' instants, never busy.
    inst = AccessWindows(np.array([0, 1]), np.array([0, 0]), np.array([50.0, 50.5]), np.array([50.0, 50.5]))
    sch = schedule(inst, p, tg, np.array([False]), dwell, rate_deg, settle, DAY_S, 1000.0)
    assert sch.target.tolist() == [0, 1] and sch.start_s.tolist() == [50.0, 50.5]


def test_once_a_day_counts_each_day():
    p = static_passes(t_end=3 * DAY_S)
    tg = Targets(np.array([0.0]), np.array([0.0]), ["A"], "hand")
    starts = np.array([100.0, 5000.0, DAY_S + 100.0, 2 * DAY_S - 20.0])
    win = AccessWindows(np.zeros(4, np.int64), np.zeros(4, np.int64), starts, starts + 60.0)
    daily = schedule(win, p, tg, np.array([True]), 10.0, 1.0, 5.0, DAY_S, 3 * DAY_S)
    # Day 0: the image at 100 s (the window at 5000 s has nothing left to do).  Day 1: the
    # window at 1 d + 100 s.  The last window opens on day 1 (already done) but runs into
    # day 2: its image starts at midnight.
    assert daily.start_s.tolist() == [100.0, DAY_S + 100.0, 2 * DAY_S]
    once = schedule(win, p, tg, np.array([True]), 10.0, 1.0, 5.0, 3 * DAY_S + 1, 3 * DAY_S)
    assert once.start_s.tolist() == [100.0]


# ---------------------------------------------------------------- greedy kernel vs reference
def reference_schedule(win, p, targets, agile, dwell, rate_deg, settle, period, duration):
    """The obvious greedy: every iteration evaluates every window of every
    satellite from scratch and commits the image that finishes first."""
    rate = math.radians(rate_deg)
    lip = rate + los_rate_bound(p)
    xyz, _ = targets.xyz_km()
    npd = n_periods(duration, period)
    done, last, images = set(), {}, []

    def per(x):
        return min(max(int(math.floor(x / period)), 0), npd - 1)

    def start_in(w):
        s, j = int(win.satellite[w]), int(win.target[w])
        if agile[s]:
            lo, hi = win.start_s[w], win.end_s[w] - dwell
            if s in last:
                lo = max(lo, last[s][1] + settle)
        else:
            lo = hi = win.start_s[w]
        while lo <= hi:
            q = per(lo)
            if (j, q) in done:
                if q == npd - 1:
                    return None
                lo = max(lo, (q + 1) * period)
                continue
            if agile[s] and s in last:
                ts = A.earliest_start.py_func(p.pos, p.vel, p.t, s, xyz, last[s][0], last[s][1], j, lo, hi, rate,
                                              settle, lip[s])
                if ts < 0:
                    return None
                if per(ts) != q:
                    lo = ts
                    continue
                return ts
            return lo
        return None

    while True:
        best = None
        for w in range(len(win)):
            ts = start_in(w)
            if ts is None:
                continue
            f = ts + (dwell if agile[win.satellite[w]] else 0.0)
            if best is None or f < best[0]:
                best = (f, w, ts)
        if best is None:
            return images
        f, w, ts = best
        s, j = int(win.satellite[w]), int(win.target[w])
        done.add((j, per(ts)))
        images.append((j, s, ts, f))
        if agile[s]:
            last[s] = (j, f)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_greedy_kernel_equals_reference(seed):
    rng = np.random.default_rng(100 + seed)
    const, targets = random_case(rng, "off_nadir", False, n_sat=3, n_tgt=25)
    if seed == 4:  # a push-broom among agile satellites
        const.groups[0].satellites[2:] = []
        extra = Constellation.from_orbits("pb", [CircularOrbit(START, 600, 98, 10, 40)],
                                          Sensor(kind="swath", swath_km=900.0), group="pb", first_satnum=95000)
        const = Constellation("mixed", const.groups + extra.groups)
    duration = 8 * 3600.0
    window = Window(START, duration, 60.0)
    win, p = access_windows(const, targets, window)
    agile = np.array([s.kind == "off_nadir" for s in const.sensors_per_satellite()])
    dwell, rate_deg, settle = float(rng.uniform(5, 60)), float(rng.uniform(0.3, 2.0)), float(rng.uniform(0, 10))
    for period in (3 * 3600.0, duration + 1.0):
        ref = reference_schedule(win, p, targets, agile, dwell, rate_deg, settle, period, duration)
        got = schedule(win, p, targets, agile, dwell, rate_deg, settle, period, duration)
        assert len(ref) > 5
        assert got.target.tolist() == [r[0] for r in ref]
        assert got.satellite.tolist() == [r[1] for r in ref]
        assert np.allclose(got.start_s, [r[2] for r in ref], rtol=0, atol=1e-9)
        assert np.allclose(got.end_s, [r[3] for r in ref], rtol=0, atol=1e-9)
        # Every image lies in a window of its satellite and target; a satellite's
        # images never overlap and leave room for the slew.
        for j, s, a, b in zip(got.target, got.satellite, got.start_s, got.end_s):
            m = (win.target == j) & (win.satellite == s)
            assert np.any((win.start_s[m] <= a) & (win.end_s[m] >= b - 1e-9))
        xyz, _ = targets.xyz_km()
        for s in np.flatnonzero(agile):
            m = np.flatnonzero(got.satellite == s)
            order = m[np.argsort(got.start_s[m])]
            for x, y in zip(order[:-1], order[1:]):
                turn = A.slew_angle(p.pos, p.vel, p.t, s, xyz, got.target[x], got.end_s[x], got.target[y],
                                    got.start_s[y])
                assert got.start_s[y] - got.end_s[x] >= settle + turn / math.radians(rate_deg) - 1e-5


def test_reachable_pairs_by_set():
    rng = np.random.default_rng(9)
    n = 300
    a = np.sort(rng.uniform(0, 3 * DAY_S, n))
    b = a + rng.uniform(0, 400, n)
    tgt = rng.integers(0, 40, n)
    sat = rng.integers(0, 3, n)
    order = np.lexsort((tgt, a, sat))
    win = AccessWindows(tgt[order], sat[order], a[order], b[order])
    agile = np.array([True, True, False])
    dwell = 60.0
    codes, pairs = reachable_pairs(win, agile, dwell, DAY_S, 3 * DAY_S)
    want, want_pairs = set(), set()
    for j, s, x, y in zip(win.target, win.satellite, win.start_s, win.end_s):
        for d in range(3):
            lo, hi = d * DAY_S, (d + 1) * DAY_S
            if agile[s]:
                ok = y - x >= dwell and x < hi and y - dwell >= lo
            else:
                ok = lo <= x < hi
            if ok:
                want.add(j * 3 + d)
                want_pairs.add((j * 3 + d, s))
    assert set(codes.tolist()) == want
    assert set(map(tuple, pairs.tolist())) == want_pairs


# ---------------------------------------------------------------- targets in
def test_targets_csv(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("# my targets\n39.9,116.4,Beijing\n-33.9, 151.2\n\n")
    t = read_targets_csv(f)
    assert t.names == ["Beijing", "T0002"] and t.lat_deg.tolist() == [39.9, -33.9]
    f.write_text("name,longitude,latitude\nA,10,20\nB,-190.5,0\n")
    with pytest.raises(InputError, match=r"t\.csv:3: lon: must be within"):
        read_targets_csv(f)
    f.write_text("name,longitude,latitude\nA,10,20\nB,12,x\n")
    with pytest.raises(InputError, match=r"t\.csv:3: lat: cannot read 'x'"):
        read_targets_csv(f)
    f.write_text("city,x,y\nA,1,2\n")
    with pytest.raises(InputError, match="header"):
        read_targets_csv(f)
    # Outputs list the points by name: one name, one point.
    f.write_text("lat,lon,name\n10,20,A\n11,21,B\n12,22,A\n")
    with pytest.raises(InputError, match=r"t\.csv:4: name: 'A' also names the point on line 2"):
        read_targets_csv(f)
    f.write_text("lat,lon,name\n10,20,T0002\n11,21\n")
    with pytest.raises(InputError, match=r"t\.csv:3: name: unnamed, so 'T0002', which also names the point on line 2"):
        read_targets_csv(f)
    # Without a header a fourth column means nothing: an unquoted name with a comma is refused, a quoted one kept.
    f.write_text("48.86,2.35,Paris, France\n")
    with pytest.raises(InputError, match=r't\.csv:1: name: 4 columns, expected lat,lon\[,name\] .*"Paris, France"'):
        read_targets_csv(f)
    f.write_text('48.86,2.35,"Paris, France"\n11,21,b,extra\n')
    with pytest.raises(InputError, match=r"t\.csv:2: name: 4 columns"):
        read_targets_csv(f)
    f.write_text('48.86,2.35,"Paris, France"\n')
    assert read_targets_csv(f).names == ["Paris, France"]
    f.write_text("lat,lon,name,country\n48.86,2.35,Paris,France\n")  # under a header, other columns are fine
    assert read_targets_csv(f).names == ["Paris"]
    # Lines as an editor counts them: after a quoted name over two lines, after a form feed.
    f.write_text('35,115,"multi\nline"\n36,116,B\n37,abc,C\n')
    with pytest.raises(InputError, match=r"t\.csv:4: lon: cannot read 'abc'"):
        read_targets_csv(f)
    f.write_text("35,115,A\f\n37,abc,C\n")
    with pytest.raises(InputError, match=r"t\.csv:2: lon: cannot read 'abc'"):
        read_targets_csv(f)
    with pytest.raises(InputError, match="file not found"):
        read_targets_csv(tmp_path / "none.csv")


def test_random_land_targets():
    from sim.engine.landmask import is_land

    a = random_land_targets(300, seed=4, lat_min_deg=-60, lat_max_deg=70)
    b = random_land_targets(300, seed=4, lat_min_deg=-60, lat_max_deg=70)
    assert np.array_equal(a.lat_deg, b.lat_deg) and np.array_equal(a.lon_deg, b.lon_deg)
    assert is_land(a.lat_deg, a.lon_deg).all()
    assert a.lat_deg.min() >= -60 and a.lat_deg.max() <= 70
    # Most land is in the northern hemisphere (about two thirds).
    assert 0.55 < np.mean(a.lat_deg > 0) < 0.8


# ---------------------------------------------------------------- the whole thing, and the CLI
SMALL = """
[scenario]
name = "tiny-cap"
[window]
start = 2026-03-20T00:00:00Z
hours = 6
[[group]]
name = "agile"
pattern = "sso_planes"
alt_km = 535
ltdn_hours = [10.5, 13.5]
total = 4
[group.sensor]
max_off_nadir_deg = 45
[capacity]
claim = "50 targets a day"
targets_per_day = 50
random_targets = 60
seed = 3
days = 0.25
dwell_s = 10
slew_deg_s = 2
settle_s = 3
"""


def test_capacity_summary_is_consistent():
    rng = np.random.default_rng(8)
    const, targets = random_case(rng, "off_nadir", False, n_sat=3, n_tgt=50)
    res = capacity(const, targets, Window(START, 12 * 3600.0, 60.0), 10.0, 1.5, 5.0)
    s = res.summary()
    assert s["scheduled_per_day"] <= s["reachable_per_day"]
    assert len(res.once) <= s["targets_reachable"] <= len(targets)
    assert sum(x["scheduled_per_day"] for x in s["per_satellite"]) == pytest.approx(s["scheduled_per_day"])
    if s["time_to_image_all_s"] is not None:
        assert s["time_all_reachable_s"] <= s["time_to_image_all_s"]


def test_figures_a_day_count_whole_days_only():
    """Each target counts once a day: a window of a day and a part must not count the
    part day's images against the whole day's requests (one target imaged on both
    read as 1.9 a day).  Over 1.5 days the figures are the first day's exactly."""
    rng = np.random.default_rng(8)
    const, targets = random_case(rng, "off_nadir", False, n_sat=3, n_tgt=40)
    longer = capacity(const, targets, Window(START, 1.5 * 86400.0, 60.0), 10.0, 1.5, 5.0)
    one_day = capacity(const, targets, Window(START, 86400.0, 60.0), 10.0, 1.5, 5.0)
    s, d = longer.summary(), one_day.summary()
    assert s["days_counted"] == d["days_counted"] == 1
    assert s["scheduled_images"] > d["scheduled_images"]  # the part day did image more
    assert s["reachable_per_day"] == d["reachable_per_day"] <= len(targets)
    assert s["scheduled_per_day"] == d["scheduled_per_day"] <= s["reachable_per_day"]
    assert [x["scheduled_per_day"] for x in s["per_satellite"]] == [x["scheduled_per_day"] for x in d["per_satellite"]]
    from sim.outputs.report import capacity_text

    assert "count the window's 1 whole day(s); its last 12.0 h is left out" in capacity_text(s)


def test_cli_targets(tmp_path):
    from click.testing import CliRunner

    from cli import main

    sc = tmp_path / "tiny.toml"
    sc.write_text(SMALL)
    r = CliRunner().invoke(main, ["targets", str(sc), "--json", "--schedule-out", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["targets"] == 60 and out["dwell_s"] == 10 and out["duration_s"] == 0.25 * 86400
    assert out["verdict"] in ("met", "not met") and out["claimed_per_day"] == 50
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "target,lat,lon,satellite,start_s,end_s,start_utc,end_utc"
    assert len(rows) == out["scheduled_images"] + 1
    assert json.loads((tmp_path / "s.csv.json").read_text())["window"]["start_utc"] == "2026-03-20T00:00:00.000Z"
    f = tmp_path / "t.csv"
    f.write_text("lat,lon,name\n10,20,a\n-5,100,b\n")
    r = CliRunner().invoke(main, ["targets", str(sc), "--targets", str(f), "--dwell-s", "5"])
    assert r.exit_code == 0, r.output
    assert "2 targets" in r.output and "targets a day, scheduled" in r.output
    f.write_text("lat,lon\n10,abc\n")
    r = CliRunner().invoke(main, ["targets", str(sc), "--targets", str(f)])
    assert r.exit_code != 0 and "t.csv:2: lon: cannot read 'abc'" in r.output and "Traceback" not in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("settle_s = 3", "settle_s = 3\nsettle = 4"))
    r = CliRunner().invoke(main, ["targets", str(bad)])
    assert r.exit_code != 0 and "capacity.settle: unknown key" in r.output
