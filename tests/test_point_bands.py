"""Point bands (GridRows.band_*): the kernel finds a step's points by latitude
band and longitude instead of row by row (_step_points), with the same figures
to the bit, and with the brute-force reference's."""

import numpy as np
import pytest
from reference import START, assert_kernel_matches_brute_force, random_constellation

from constellation import Constellation, Sensor
from constellation.orbits import CircularOrbit
from sim import Grid, Window, run
from sim.engine.grid import Grid as GridClass
from sim.engine.run import sensor_array
from sim.kernels import coverage as K


def _figures(monkeypatch, const, grid, window, point_bands, **kw):
    original = GridClass.kernel_rows
    monkeypatch.setattr(GridClass, "kernel_rows", lambda self, n, pb=None: original(self, n, point_bands))
    try:
        return run(const, grid, window, device="cpu", **kw).figures
    finally:
        monkeypatch.setattr(GridClass, "kernel_rows", original)


def _sites(rng, n):
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    # the poles, the antimeridian and shared latitudes (rows of several points)
    lat[:6] = [90, -90, 89.99, -89.99, 0, 0]
    lon[:6] = [0, 0, 180, -180, 179.999, -180]
    lat[6:40] = lat[6]
    return Grid.points(lat, lon)


@pytest.mark.parametrize("seed,kind,lit", [(11, "off_nadir", False), (12, "off_nadir", True),
                                           (13, "elevation", False), (14, "elevation", True),
                                           (15, "swath", False), (16, "swath", True)])
def test_point_bands_equal_rows(monkeypatch, seed, kind, lit):
    rng = np.random.default_rng(seed)
    const = random_constellation(rng, 6, kind, lit)
    grid = _sites(rng, 3000)
    window = Window(START, 6 * 3600, 60.0)
    for prune in (False, True):
        for blocks in (1, 3):
            new = _figures(monkeypatch, const, grid, window, True, prune_overlap=prune, n_blocks=blocks)
            old = _figures(monkeypatch, const, grid, window, False, prune_overlap=prune, n_blocks=blocks)
            for key in old:
                assert np.array_equal(new[key], old[key], equal_nan=True), (key, prune, blocks)
    assert np.nansum(old["n_access"]) > 0


def test_point_bands_default():
    """Bands where rows hold fewer than two points on average."""
    assert Grid.points([1.0, 2.0, 3.0], [0.0, 1.0, 2.0]).kernel_rows(2).band_start.size > 1
    assert Grid.regular(10.0).kernel_rows(2).band_start.size == 1


def test_binding_mode_bounds_elevation_may_bind():
    """The step-wide decision of _step_points against elevation_may_bind at every
    radius and deflection between the grid's extremes: 'nowhere' and 'everywhere'
    must hold for each such point, and all three answers occur."""
    rng = np.random.default_rng(21)
    R_lo, R_hi, max_defl = 6356.75, 6378.14, 3.36e-3
    seen = set()
    for _ in range(3000):
        r = rng.uniform(6700.0, 7500.0)
        eta = np.radians(rng.choice([rng.uniform(10.0, 89.0), 90.0]))
        # an elevation limit near the one at the off-nadir cone's edge, so that either may bind
        x = min(1.0, r * np.sin(eta) / 6370.0)
        eps = np.clip(np.arccos(x) + np.radians(rng.uniform(-1.0, 1.0)), 0.0, 1.5)
        ce, se, cp, sp = np.cos(eta), np.sin(eta), np.cos(eps), np.sin(eps)
        ci, si = K.shifted.py_func(cp, sp, max_defl)
        mode = K.binding_mode.py_func(r, R_lo, R_hi, ce, se, cp, sp, ci, si)
        seen.add(mode)
        if mode == K.BINDS_PER_POINT:
            continue
        for R, defl in zip(rng.uniform(R_lo, R_hi, 20).tolist() + [R_lo, R_hi],
                           rng.uniform(0.0, max_defl, 20).tolist() + [max_defl, 0.0]):
            binds = K.elevation_may_bind.py_func(r, r, R, ce, se, cp, sp, defl)
            assert binds == (mode == K.BINDS_EVERYWHERE), (r, eta, eps, R, defl, mode)
    assert seen == {K.BINDS_NOWHERE, K.BINDS_EVERYWHERE, K.BINDS_PER_POINT}


def crossing_constellation(lit):
    """Four satellites at 600 km whose 60 deg off-nadir cone meets the ground at
    about their elevation limit, so that which limit binds depends on the point's
    radius and vertical (_step_points decides point by point)."""
    r, R = 6378.137 + 600.0, 6367.0
    eps_deg = float(np.degrees(np.arccos(r / R * np.sin(np.radians(60.0)))))
    orbits = [CircularOrbit(START, 600.0, 97.8, 90.0 * j, 40.0 * j) for j in range(4)]
    sensor = Sensor(max_off_nadir_deg=60.0, min_elevation_deg=eps_deg, min_sun_elevation_deg=5.0 if lit else None)
    return Constellation.from_orbits("crossing", orbits, sensor)


@pytest.mark.parametrize("lit", [False, True])
def test_point_bands_equal_rows_where_the_limits_cross(monkeypatch, lit):
    const = crossing_constellation(lit)
    sensor = sensor_array(const)[0]
    ci, si = K.shifted.py_func(sensor[2], sensor[3], K.MAX_VERTICAL_DEFLECTION_RAD)
    assert K.binding_mode.py_func(6978.0, 6356.75, 6378.14, *sensor[:4], ci, si) == K.BINDS_PER_POINT
    grid = _sites(np.random.default_rng(17), 3000)
    window = Window(START, 6 * 3600, 60.0)
    for prune in (False, True):
        new = _figures(monkeypatch, const, grid, window, True, prune_overlap=prune, n_blocks=2)
        old = _figures(monkeypatch, const, grid, window, False, prune_overlap=prune, n_blocks=2)
        for key in old:
            assert np.array_equal(new[key], old[key], equal_nan=True), (key, prune)
    assert np.nansum(old["n_access"]) > 0


def test_point_path_equals_brute_force_where_the_limits_cross():
    const = crossing_constellation(False)
    rng = np.random.default_rng(18)
    grid = Grid.points(rng.uniform(-89, 89, 60), rng.uniform(-180, 180, 60))
    assert grid.kernel_rows(2).band_start.size > 1
    ref = assert_kernel_matches_brute_force(const, grid, Window(START, 3 * 3600, 60.0), ((None, 1), (17, 2)))
    assert sum(r[0] for r in ref) > 0
