"""Off-nadir cones that reach the Earth's limb, on orbits whose radius moves: Molniya,
a 500 x 20,000 km HEO, a slightly eccentric near-GEO orbit with a narrow cone.

The kernel takes the off-nadir limit as a central angle of the satellite's radius,
which turns steeply where the cone nears the limb (r sin(eta) = R) and stops binding
past it; between samples those steps are solved on the satellite's path instead
(sim.kernels.coverage.cone_near_limb).  The reference here knows nothing of central
angles: every second it measures each point's off-nadir angle and geodetic elevation
from the vectors, and puts each edge where the worse of the two margins crosses zero,
linearly between seconds."""

import math

import numpy as np
import pytest
from reference import HEO, LIMB_START, MOLNIYA, NEAR_GEO, margin_runs, satrec_from_elements
from sgp4.api import Satrec, SatrecArray

from constellation.core import Constellation, Group, Satellite
from constellation.sensor import Sensor
from sim import Grid, Window, run
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.metrics import MIN_GAP_S
from sim.engine.propagate import propagate_ecef

START = LIMB_START


def one_satellite(sat: Satrec, sensor: Sensor) -> Constellation:
    return Constellation("one", [Group("g", [Satellite("s", sat, "g")], sensor)])


def brute_force(const: Constellation, grid: Grid, duration_s: float, off_nadir_deg: float,
                min_elevation_deg: float, step_s: float = 1.0) -> list[list]:
    """Each point's access intervals at ``step_s``, from the off-nadir angle and the
    geodetic elevation measured on the vectors; runs closer than MIN_GAP_S joined."""
    window = Window(START, duration_s, step_s)
    t, pos, _, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, 0,
                                      window.n_samples)
    assert valid.all()
    p, up = geodetic_to_ecef(grid.lat_deg, grid.lon_deg)
    out = []
    for i in range(len(grid)):
        margin = np.full(t.size, -np.inf)
        for s in range(pos.shape[0]):
            los = pos[s] - p[i]  # point -> satellite
            dist = np.linalg.norm(los, axis=1)
            cos_off = np.einsum("tk,tk->t", los, pos[s]) / (dist * np.linalg.norm(pos[s], axis=1))
            sin_el = los @ up[i] / dist
            m = np.minimum(cos_off - math.cos(math.radians(off_nadir_deg)),
                           sin_el - math.sin(math.radians(min_elevation_deg)))
            margin = np.maximum(margin, m)
        out.append(margin_runs(t, margin, MIN_GAP_S))
    return out


@pytest.mark.parametrize("sat,off_nadir_deg,min_elevation_deg,step_s,lat,lon", [
    # The points where a 60 s step put edges tens of seconds off, or added a pass.
    (MOLNIYA, 45.0, 0.0, 60.0, [-61.0806, -8.8209, -50.1987], [81.1058, -78.5240, -115.7141]),
    (HEO, 45.0, 0.0, 60.0, [35.2298, 44.8510], [-27.8219, -24.7584]),
    (MOLNIYA, 45.0, 5.0, 60.0, [], []),
    (NEAR_GEO, 8.6, 0.0, 60.0, [-39.449, 19.7972, -68.5203], [-76.695, -79.4853, 69.6701]),
    (NEAR_GEO, 8.6, 0.0, 300.0, [-39.449, 19.7972, -68.5203], [-76.695, -79.4853, 69.6701]),
])
def test_cones_at_the_limb_match_the_vectors(sat, off_nadir_deg, min_elevation_deg, step_s, lat, lon):
    rng = np.random.default_rng(int(off_nadir_deg * 10 + min_elevation_deg))
    n = 40
    grid = Grid.points(np.concatenate([lat, np.degrees(np.arcsin(rng.uniform(-1, 1, n)))]),
                       np.concatenate([lon, rng.uniform(-180, 180, n)]))
    const = one_satellite(sat, Sensor(max_off_nadir_deg=off_nadir_deg, min_elevation_deg=min_elevation_deg))
    duration = 86400.0
    ref = brute_force(const, grid, duration, off_nadir_deg, min_elevation_deg)
    f = run(const, grid, Window(START, duration, step_s), device="cpu").figures
    n_ref = np.array([len(r) for r in ref])
    assert n_ref.sum() > 0
    assert np.array_equal(f["n_access"], n_ref)
    first = np.array([r[0][0] if r else np.nan for r in ref])
    seen = n_ref > 0
    assert np.allclose(f["first_access_s"][seen], first[seen], atol=0.5, rtol=0)
    covered = np.array([sum(b - a for a, b in r) for r in ref]) / duration
    assert np.allclose(f["coverage_fraction"], covered, atol=2.0 / duration, rtol=0)
    longest = np.array([max([r[0][0]] + [b[0] - a[1] for a, b in zip(r, r[1:])] + [duration - r[-1][1]])
                        if r else duration for r in ref])
    assert np.allclose(f["max_revisit_s"], longest, atol=0.5, rtol=0)


@pytest.mark.parametrize("sat,off_nadir_deg,step_s", [(HEO, 45.0, 60.0), (NEAR_GEO, 8.6, 300.0)])
def test_access_windows_at_the_limb_match_the_vectors(sat, off_nadir_deg, step_s):
    """The access windows (`revisit access`, capacity) solve the same steps the same way."""
    from sim.studies.capacity import Targets, access_windows

    rng = np.random.default_rng(3)
    lat = np.concatenate([[35.2298, 44.8510, -39.449], np.degrees(np.arcsin(rng.uniform(-1, 1, 30)))])
    lon = np.concatenate([[-27.8219, -24.7584, -76.695], rng.uniform(-180, 180, 30)])
    const = one_satellite(sat, Sensor(max_off_nadir_deg=off_nadir_deg))
    duration = 86400.0
    ref = brute_force(const, Grid.points(lat, lon), duration, off_nadir_deg, 0.0)
    win, _ = access_windows(const, Targets(lat, lon, [f"p{i}" for i in range(lat.size)], "test"),
                            Window(START, duration, step_s))
    assert sum(len(r) for r in ref) > 0
    for i, r in enumerate(ref):
        mine = sorted(zip(win.start_s[win.target == i], win.end_s[win.target == i]))
        assert len(mine) == len(r), (i, mine, r)
        assert np.allclose(np.array(mine).reshape(-1, 2), np.array(r).reshape(-1, 2), atol=0.5, rtol=0), (i, mine, r)


def _orbit(satnum, a_km, ecc, inc_deg, raan_deg, argp_deg):
    return satrec_from_elements(satnum, ecc, argp_deg, inc_deg, 0.0,
                                86400.0 / (2 * math.pi * math.sqrt(a_km ** 3 / 398600.4418)), raan_deg)


@pytest.mark.parametrize("sat", [_orbit(21, 7300.0, 0.01, 98.0, 100.0, 10.0), _orbit(23, 10000.0, 0.3, 50.0, 10.0, 30.0)],
                         ids=["e0.01", "e0.3"])
def test_a_cone_at_the_limb_that_dips_out_between_samples(sat, monkeypatch):
    """Near the limb a point inside a 60 deg cone at two samples can leave it and come back
    between them: its off-nadir angle peaks past the cone near the horizon, or the footprint
    shrinks as the radius falls.  Every access, counted and timed, as the vectors every
    half second say (the grid path, the point path and the access windows)."""
    from sim.studies.capacity import Targets, access_windows

    rng = np.random.default_rng(5)
    n = 120
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    const = one_satellite(sat, Sensor(max_off_nadir_deg=60.0))
    duration = 86400.0
    grid = Grid.points(lat, lon)
    ref = brute_force(const, grid, duration, 60.0, 0.0, step_s=0.5)
    n_ref = np.array([len(r) for r in ref])
    longest = np.array([max([r[0][0]] + [b[0] - a[1] for a, b in zip(r, r[1:])] + [duration - r[-1][1]])
                        if r else duration for r in ref])
    window = Window(START, duration, 60.0)
    for path in ("points", "rows"):
        if path == "rows":  # the grid's row by row path, on the same points
            original = Grid.kernel_rows
            monkeypatch.setattr(Grid, "kernel_rows", lambda self, n, _pb=None: original(self, n, False))
        f = run(const, grid, window, device="cpu").figures
        assert np.array_equal(f["n_access"], n_ref), (path, np.flatnonzero(f["n_access"] != n_ref))
        assert np.allclose(f["max_revisit_s"], longest, atol=0.5, rtol=0), path
    win, _ = access_windows(const, Targets(lat, lon, [f"p{i}" for i in range(n)], "test"), window)
    for i, r in enumerate(ref):
        mine = sorted(zip(win.start_s[win.target == i], win.end_s[win.target == i]))
        assert len(mine) == len(r), (i, mine, r)
        assert np.allclose(np.array(mine).reshape(-1, 2), np.array(r).reshape(-1, 2), atol=0.5, rtol=0), (i, mine, r)


def test_only_steps_whose_cone_limit_is_not_cubic_take_the_path():
    """Circular and slightly eccentric LEO orbits with wide cones keep the cubic model
    (and its speed) at every step; Molniya's steps near the limb do not."""
    from constellation.orbits import CircularOrbit
    from sim.kernels.coverage import cone_near_limb

    def flagged(sat, off_nadir_deg, step_s=60.0):
        window = Window(START, 86400.0, step_s)
        t, pos, vel, valid = propagate_ecef(SatrecArray([sat]), window, 0, window.n_samples)
        r = np.linalg.norm(pos[0], axis=1)
        rd = np.einsum("tk,tk->t", pos[0], vel[0]) / r
        eta = math.radians(off_nadir_deg)
        return sum(cone_near_limb(r[k], r[k + 1], rd[k], rd[k + 1], step_s, R, math.cos(eta), math.sin(eta))
                   for k in range(t.size - 1) for R in (6356.75, 6378.14))

    circular = CircularOrbit(START, 800.0, 98.6, 10.0, 0.0).to_satrec(90001)
    eccentric_leo = satrec_from_elements(90002, 0.005, 0.0, 98.6, 0.0, 14.3, 10.0)
    assert flagged(circular, 60.0) == 0 and flagged(eccentric_leo, 60.0) == 0
    assert flagged(MOLNIYA, 45.0) > 10


def test_the_point_path_asks_for_every_radius_of_its_points():
    """A step where the cone crosses the limb only for points at the largest radius
    (past it at both ends for the smallest) is still solved on the path."""
    from sim.kernels.coverage import cone_near_limb, cone_near_limb_between

    eta = math.radians(45.0)
    c, s = math.cos(eta), math.sin(eta)
    R_lo, R_hi = 6356.75, 6378.14
    r0, r1 = (R_hi - 5.0) / s, (R_hi + 5.0) / s  # crosses R_hi's limb, past R_lo's throughout
    rd = (r1 - r0) / 60.0
    assert not cone_near_limb(r0, r1, rd, rd, 60.0, R_lo, c, s)
    assert cone_near_limb(r0, r1, rd, rd, 60.0, R_hi, c, s)
    assert cone_near_limb_between(r0, r1, rd, rd, 60.0, R_lo, R_hi, c, s)
    # A radius that does not move crosses nowhere, whatever the points' radii.
    r = (R_lo + R_hi) / 2 / s
    assert not cone_near_limb_between(r, r, 0.0, 0.0, 60.0, R_lo, R_hi, c, s)
