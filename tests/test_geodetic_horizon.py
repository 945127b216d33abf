"""Elevation limits are measured from the point's geodetic (local) horizon, as
skyfield's altaz, STK and the peers do.

Checked three ways, each independent of the one before:
- the kernel's elevation primitive against skyfield's ``(sat - site).at(t).altaz()``
  on random sites, LEO satellites and a geostationary one near its horizon;
- runs with elevation-limited sensors against a numpy brute force at 1 s that
  computes each site's geodetic elevation from scratch (no kernel code), down to
  the grazing passes a 20 deg limit makes and a GEO satellite that rises and sets
  through a 5 deg limit once a day;
- the limit matters: the geocentric horizon would give different figures there.
"""

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sgp4.api import SatrecArray

from constellation import Constellation, Sensor
from constellation.orbits import CircularOrbit
from sim import Grid, Window, run
from sim.engine.geodesy import geodetic_to_ecef
from sim.engine.propagate import propagate_ecef
from sim.kernels import coverage as K

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
GEO_ALT_KM = 35786.0


def sat_positions(const, window, k0=0, k1=None):
    t, pos, vel, valid = propagate_ecef(SatrecArray([s.satrec for s in const.satellites]), window, k0,
                                        window.n_samples if k1 is None else k1)
    assert valid.all()
    return t, pos, vel


def kernel_sin_elevation(lat, lon, pos, vel):
    """sin(elevation) through the kernel's primitive (margin with eps = 0)."""
    xyz, _ = geodetic_to_ecef(lat, lon)
    R = float(np.linalg.norm(xyz))
    h = xyz / R
    lat_r, lon_r = math.radians(lat), math.radians(lon)
    n = np.array([math.cos(lat_r) * math.cos(lon_r), math.cos(lat_r) * math.sin(lon_r), math.sin(lat_r)])
    r = float(np.linalg.norm(pos))
    u = pos / r
    rd = float(u @ vel)
    du = (vel - u * rd) / r
    m, dm = K.elevation_margin.py_func(*h, *n, R, *u, *du, r, rd, 0.0)
    return m, dm


def brute_sin_elevation(lat_deg, lon_deg, pos, horizon="geodetic"):
    """(sites, samples) sin(elevation) from positions (samples, 3), plain numpy: above
    the geodetic horizon (normal to the ellipsoid), or the geocentric one."""
    xyz, up = geodetic_to_ecef(np.asarray(lat_deg), np.asarray(lon_deg))
    if horizon == "geocentric":
        up = xyz / np.linalg.norm(xyz, axis=-1, keepdims=True)
    los = pos[None, :, :] - xyz[:, None, :]
    return np.einsum("ik,ijk->ij", up, los) / np.linalg.norm(los, axis=-1)


@pytest.mark.parametrize("alt_km", [500.0, 1200.0, GEO_ALT_KM])
def test_elevation_primitive_matches_skyfield_altaz(alt_km):
    from skyfield.api import EarthSatellite, load, wgs84

    rng = np.random.default_rng(int(alt_km))
    ts = load.timescale()
    orbit = CircularOrbit(START, alt_km, 0.05 if alt_km == GEO_ALT_KM else 97.5, 30.0, 10.0)
    const = Constellation.from_orbits("one", [orbit])
    window = Window(START, 6 * 3600.0, 600.0)
    t, pos, vel = sat_positions(const, window)
    sat = EarthSatellite.from_satrec(const.satellites[0].satrec, ts)
    times = ts.from_datetimes([START + timedelta(seconds=float(x)) for x in t])
    checked = 0
    for _ in range(60):
        k = int(rng.integers(t.size))
        # sites near the satellite's horizon and well above it
        sub_lat = math.degrees(math.asin(pos[0, k, 2] / np.linalg.norm(pos[0, k])))
        sub_lon = math.degrees(math.atan2(pos[0, k, 1], pos[0, k, 0]))
        spread = 80.0 if alt_km == GEO_ALT_KM else 25.0
        lat = float(np.clip(sub_lat + rng.uniform(-spread, spread), -89.0, 89.0))
        lon = float((sub_lon + rng.uniform(-spread, spread) + 180.0) % 360.0 - 180.0)
        alt, _, _ = (sat - wgs84.latlon(lat, lon)).at(times[k]).altaz()
        m, _ = kernel_sin_elevation(lat, lon, pos[0, k], vel[0, k])
        assert math.degrees(math.asin(m)) == pytest.approx(alt.degrees, abs=2e-3), (lat, lon, k)
        checked += alt.degrees > -5.0
    assert checked >= 10


def test_elevation_rate_is_the_derivative():
    const = Constellation.from_orbits("one", [CircularOrbit(START, 550.0, 53.0, 0.0, 0.0)])
    window = Window(START, 1200.0, 1.0)
    t, pos, vel = sat_positions(const, window)
    for k in (100, 400, 700):
        m0, dm = kernel_sin_elevation(20.0, 10.0, pos[0, k], vel[0, k])
        mp, _ = kernel_sin_elevation(20.0, 10.0, pos[0, k + 1], vel[0, k + 1])
        mm, _ = kernel_sin_elevation(20.0, 10.0, pos[0, k - 1], vel[0, k - 1])
        assert dm == pytest.approx((mp - mm) / 2.0, rel=1e-3, abs=1e-9)


def brute_force_gaps(const, lat_deg, lon_deg, window, min_elevation_deg, step_s=1.0, horizon="geodetic"):
    """Per site: number of access intervals and the longest interior gap (s), from the
    elevation of every satellite sampled every ``step_s`` seconds (a gap so sampled
    is up to two samples longer than the gap itself)."""
    fine = Window(window.start, window.duration_s, step_s)
    sin_eps = math.sin(math.radians(min_elevation_deg))
    seen = np.zeros((len(lat_deg), fine.n_samples), dtype=bool)
    for k0 in range(0, fine.n_samples, 4000):
        k1 = min(fine.n_samples, k0 + 4000)
        t, pos, _ = sat_positions(const, fine, k0, k1)
        for s in range(pos.shape[0]):
            seen[:, k0:k1] |= brute_sin_elevation(lat_deg, lon_deg, pos[s], horizon) >= sin_eps
    t = fine.sample_times()
    out = []
    for row in seen:
        edges = np.flatnonzero(np.diff(row.astype(np.int8)))
        starts = [0] if row[0] else []
        starts += [e + 1 for e in edges if not row[e]]
        ends = [e for e in edges if row[e]] + ([row.size - 1] if row[-1] else [])
        gaps = [t[a] - t[b] for a, b in zip(starts[1:], ends[:-1])]
        out.append((len(starts), max(gaps) if gaps else 0.0))
    return out


def elevation_sensor(min_elevation_deg):
    # An off-nadir limit of 90 deg is beyond the limb at every altitude: elevation alone limits.
    return Sensor(max_off_nadir_deg=90.0, min_elevation_deg=min_elevation_deg)


def test_leo_twenty_degrees_matches_a_one_second_brute_force():
    """Grazing passes at a 20 deg limit: the 0.19 deg between the geocentric and
    the geodetic horizon decides whether they exist."""
    rng = np.random.default_rng(22)
    orbits = [CircularOrbit(START, 535.0, 97.5, raan, rng.uniform(0, 360)) for raan in (0.0, 60.0, 120.0, 200.0)]
    const = Constellation.from_orbits("leo", orbits, elevation_sensor(20.0))
    grid = Grid.points(rng.uniform(-80, 80, 40), rng.uniform(-180, 180, 40))
    window = Window(START, 8 * 3600.0, 60.0)
    res = run(const, grid, window, device="cpu")
    ref = brute_force_gaps(const, res.grid.lat_deg, res.grid.lon_deg, window, 20.0)
    f = res.figures
    for i, (n_acc, gmax) in enumerate(ref):
        assert f["n_access"][i] == n_acc, (i, res.grid.lat_deg[i], res.grid.lon_deg[i])
        interior = 0.0 if math.isnan(f["max_revisit_interior_s"][i]) else f["max_revisit_interior_s"][i]
        # sampled every second, a gap is seen from its last seen sample to the next
        # first one: up to 2 s longer than the gap, never shorter
        assert -1e-3 <= gmax - interior < 2.0, (i, interior, gmax)
    assert sum(n for n, _ in ref) > 20
    assert_horizon_matters(const, res, window, 20.0, 1.0, 2.0)


def test_geostationary_satellite_near_its_horizon():
    """A slightly inclined geostationary satellite seen from sites where it rises
    and sets through a 5 deg limit once a day (geocentric and geodetic horizons
    disagree by up to 0.19 deg, hours at GEO's slow elevation rate)."""
    orbit = CircularOrbit(START, GEO_ALT_KM, 1.5, 0.0, 0.0)
    const = Constellation.from_orbits("geo", [orbit], elevation_sensor(5.0))
    window = Window(START, 86400.0, 300.0)
    _, pos, _ = sat_positions(const, Window(START, 86400.0, 3600.0))
    mean_pos = pos[0].mean(axis=0)
    sub_lon = math.degrees(math.atan2(mean_pos[1], mean_pos[0]))
    lons = (sub_lon + np.linspace(-70.0, 70.0, 8) + 180.0) % 360.0 - 180.0
    # the latitude at which the satellite's mean elevation is 5 deg, per longitude
    lats = []
    for lon in lons:
        grid_lat = np.linspace(0.0, 89.0, 8901)
        el = np.degrees(np.arcsin(brute_sin_elevation(grid_lat, np.full_like(grid_lat, lon), mean_pos[None])[:, 0]))
        lats.append(float(grid_lat[np.argmin(np.abs(el - 5.0))]))
    grid = Grid.points(lats, lons)
    res = run(const, grid, window, device="cpu")
    ref = brute_force_gaps(const, res.grid.lat_deg, res.grid.lon_deg, window, 5.0, step_s=5.0)
    f = res.figures
    for i, (n_acc, gmax) in enumerate(ref):
        assert f["n_access"][i] == n_acc, i
        interior = 0.0 if math.isnan(f["max_revisit_interior_s"][i]) else f["max_revisit_interior_s"][i]
        assert -1e-3 <= gmax - interior < 10.0, (i, interior, gmax)  # sampled every 5 s
    # the sites see the satellite part of the day only
    assert np.all((f["coverage_fraction"] > 0.05) & (f["coverage_fraction"] < 0.95))
    assert_horizon_matters(const, res, window, 5.0, 5.0, 10.0)


def assert_horizon_matters(const, res, window, min_elevation_deg, step_s, tol_s):
    """A kernel on the geocentric horizon would have failed: the geocentric brute
    force disagrees with the kernel at some site."""
    geoc = brute_force_gaps(const, res.grid.lat_deg, res.grid.lon_deg, window, min_elevation_deg, step_s,
                            horizon="geocentric")
    f = res.figures
    interior = np.nan_to_num(f["max_revisit_interior_s"])
    differs = [i for i, (n, g) in enumerate(geoc) if n != f["n_access"][i] or not -1e-3 <= g - interior[i] < tol_s]
    assert differs


def test_the_horizon_decides_these_cases():
    """The cases above discriminate: a geocentric-horizon brute force gives other
    access counts or gaps, so a kernel on the wrong horizon would fail them."""
    orbit = CircularOrbit(START, GEO_ALT_KM, 1.5, 0.0, 0.0)
    const = Constellation.from_orbits("geo", [orbit], elevation_sensor(5.0))
    window = Window(START, 86400.0, 300.0)
    _, pos, _ = sat_positions(const, window)
    sub_lon = math.degrees(math.atan2(pos[0, :, 1].mean(), pos[0, :, 0].mean()))
    lats, lons = [74.0, 75.0, 76.0, 60.0], [sub_lon, sub_lon + 10.0, sub_lon - 5.0, sub_lon + 55.0]
    geodetic = brute_force_gaps(const, lats, lons, window, 5.0, step_s=30.0)
    geocentric = brute_force_gaps(const, lats, lons, window, 5.0, step_s=30.0, horizon="geocentric")
    assert any(a[0] != b[0] or abs(a[1] - b[1]) > 600 for a, b in zip(geodetic, geocentric)), (geodetic, geocentric)


def hermite_path(pos0, vel0, pos1, vel1, dt, s):
    """Satellite position (km) on the cubic Hermite path of one step at fractions ``s``."""
    s = np.asarray(s, dtype=float)[..., None]
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = (s**3 - 2 * s**2 + s) * dt
    h01 = 3 * s**2 - 2 * s**3
    h11 = (s**3 - s**2) * dt
    return h00 * pos0 + h10 * vel0 + h01 * pos1 + h11 * vel1


@pytest.mark.parametrize("min_elevation_deg", [-2.0, 0.0, 20.0, 60.0])
def test_elevation_margin_sq_has_the_sign_of_the_elevation_margin(min_elevation_deg):
    rng = np.random.default_rng(7)
    sin_eps = math.sin(math.radians(min_elevation_deg))
    checked = 0
    for _ in range(400):
        lat, lon = rng.uniform(-89, 89), rng.uniform(-180, 180)
        xyz, n = geodetic_to_ecef(np.array(lat), np.array(lon))
        R = float(np.linalg.norm(xyz))
        h = xyz / R
        u = rng.normal(size=3)
        u /= np.linalg.norm(u)
        u = h + rng.uniform(0.0, 0.7) * u
        u /= np.linalg.norm(u)
        r = R + rng.uniform(300.0, 2000.0)
        du = rng.normal(size=3) * 1e-3
        du -= u * (u @ du)
        rd = rng.normal() * 0.01
        m, _ = K.elevation_margin.py_func(*h, *n, R, *u, *du, r, rd, sin_eps)
        q, dq = K.elevation_margin_sq.py_func(*h, *n, R, *u, *du, r, rd, sin_eps)
        assert (m >= 0.0) == (q >= 0.0)
        # its rate is its derivative along (u, r) moving at (du, rd): central differences
        e = 1e-3
        ends = []
        for sign in (1.0, -1.0):
            u2 = u + sign * e * du
            u2 /= np.linalg.norm(u2)
            ends.append(K.elevation_margin_sq.py_func(*h, *n, R, *u2, *du, r + sign * e * rd, rd, sin_eps)[0])
        assert dq == pytest.approx((ends[0] - ends[1]) / (2 * e), rel=1e-5, abs=1e-5)
        checked += abs(m) < 0.1
    assert checked > 10


def test_elevation_edge_is_the_zero_on_the_satellites_path():
    """The kernel's one-edge root against bisection of the elevation (plain numpy,
    with the square root) along the same cubic Hermite path: within 1e-6 s."""
    const = Constellation.from_orbits("one", [CircularOrbit(START, 535.0, 97.5, 30.0, 10.0)])
    window = Window(START, 6 * 3600.0, 60.0)
    t, pos, vel = sat_positions(const, window)
    rng = np.random.default_rng(3)
    dt = 60.0
    found = 0
    for _ in range(3000):
        k = int(rng.integers(t.size - 1))
        sub = pos[0, k] / np.linalg.norm(pos[0, k])
        lat = math.degrees(math.asin(sub[2])) + rng.uniform(-12, 12)
        lon = math.degrees(math.atan2(sub[1], sub[0])) + rng.uniform(-12, 12)
        lat = float(np.clip(lat, -89.5, 89.5))
        xyz, n = geodetic_to_ecef(np.array(lat), np.array(((lon + 180) % 360) - 180))
        eps = rng.uniform(0.0, 40.0)
        sin_eps = math.sin(math.radians(eps))

        def margin(s):
            d = hermite_path(pos[0, k], vel[0, k], pos[0, k + 1], vel[0, k + 1], dt, s) - xyz
            return float(d @ n / np.linalg.norm(d)) - sin_eps

        m0, m1 = margin(0.0), margin(1.0)
        if (m0 >= 0.0) == (m1 >= 0.0):
            continue
        lo, hi = 0.0, 1.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if (margin(mid) >= 0.0) == (m0 >= 0.0):
                lo = mid
            else:
                hi = mid
        R = float(np.linalg.norm(xyz))
        h = xyz / R
        q0 = K.elevation_margin_sq.py_func(*h, *n, R, *(pos[0, k] / np.linalg.norm(pos[0, k])), 0, 0, 0,
                                           float(np.linalg.norm(pos[0, k])), 0.0, sin_eps)[0]
        guess = float(rng.uniform(-0.5, 1.5))  # any start, even outside the step
        s = K._elevation_edge(q0, guess, *h, *n, R, *pos[0, k], *vel[0, k], *pos[0, k + 1], *vel[0, k + 1],
                              sin_eps, dt)
        assert abs(s - lo) * dt < 1e-6, (k, lat, lon, eps, s, lo)
        found += 1
    assert found > 100
