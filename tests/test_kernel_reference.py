"""The footprint kernel against a slow brute force over every point x satellite x step.

The reference (tests/reference.py) prunes nothing: it evaluates the same margin
primitives for every (point, satellite, step), joins a satellite's consecutive
accessed steps into passes, merges all passes of a point in plain Python and
computes the figures.  The kernel must agree exactly: its pruning may only skip
what cannot be seen.
"""

import numpy as np
import pytest
from reference import (HEO, LIMB_START, MOLNIYA, START, assert_kernel_matches_brute_force,
                       random_constellation)

from constellation.core import Constellation, Group, Satellite
from constellation.sensor import Sensor
from sim import Grid, Window


@pytest.mark.parametrize("seed,kind,lit", [(1, "off_nadir", False), (2, "off_nadir", False),
                                           (3, "off_nadir", False), (4, "off_nadir", True),
                                           (5, "swath", False), (6, "swath", True),
                                           (7, "elevation", False), (8, "elevation", True)])
def test_kernel_equals_brute_force(seed, kind, lit):
    rng = np.random.default_rng(seed)
    const = random_constellation(rng, int(rng.integers(2, 5)), kind, lit)
    if seed in (1, 4, 5):
        grid = Grid.regular(15.0)
    elif seed in (2, 6):
        grid = Grid.regular(10.0, -40, 75)
    else:
        grid = Grid.points(rng.uniform(-89, 89, 60), rng.uniform(-180, 180, 60))
    window = Window(START, 3 * 3600, float(rng.choice([30.0, 60.0, 120.0])))
    ref = assert_kernel_matches_brute_force(const, grid, window, ((None, 1), (17, 2), (40, 3)))
    assert sum(r[0] for r in ref) > 0  # something was seen


def test_pieces_sort_by_start_as_numpy_does():
    """The merge's sort (Shell's, in place) against numpy's on random pieces,
    with ties, of every size a point's pieces in a block may have."""
    from sim.kernels.coverage import _sort_by_start

    rng = np.random.default_rng(7)
    for m in [0, 1, 2, 5, 6, 13, 14, 40, 41, 121, 122, 365, 1000]:
        a = rng.integers(0, max(1, m // 2), m).astype(float) + rng.choice([0.0, 0.5], m)
        b = a + rng.uniform(0.0, 100.0, m)
        sa, sb = np.concatenate([a, [-1.0]]), np.concatenate([b, [-2.0]])  # a slot beyond m stays put
        _sort_by_start(sa, sb, m)
        assert np.array_equal(sa[:m], np.sort(a)) and sa[m] == -1.0 and sb[m] == -2.0
        assert sorted(zip(sa[:m], sb[:m])) == sorted(zip(a, b))  # each end moved with its start


def test_binary_searches_agree_with_numpy():
    """The kernels' binary searches against np.searchsorted, both sides, on sorted
    arrays with repeats, infinities and NaN (sorted last, as numpy sorts), for keys
    between, on and beyond the values."""
    from numba import njit

    from sim.kernels.coverage import search_left, search_right

    @njit
    def both(a, x):
        return search_left(a, x), search_right(a, x)

    rng = np.random.default_rng(11)
    for n in [0, 1, 2, 3, 7, 8, 64, 257]:
        a = np.sort(np.concatenate([rng.integers(-5, 5, n).astype(float), [-np.inf, np.inf, np.nan][:n % 4]]))
        keys = np.concatenate([a, a + 0.5, a - 0.5, [-np.inf, np.inf, np.nan, -99.0, 99.0]])
        for x in keys:
            assert both(a, x) == (np.searchsorted(a, x, side="left"), np.searchsorted(a, x, side="right")), (a, x)


def test_band_half_width_bounds_the_disc_in_the_band():
    """A point band's longitude half-width of a step's disc against the disc itself:
    points of a fine (lat, lon) mesh inside the disc (great-circle distance <= rho)
    and the band; none lies beyond the half-width, and some lie within a mesh cell
    of it (the bound is the disc's, not a wider one).  Discs of every size away
    from the poles, bands across, beside and beyond the disc's widest latitude."""
    import math

    from sim.kernels.coverage import _band_half_width

    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(300):
        rho = rng.uniform(0.005, 0.6)
        lat_m = rng.uniform(-0.5 * math.pi + rho + 0.01, 0.5 * math.pi - rho - 0.01)
        half = math.asin(min(1.0, math.sin(rho) / math.cos(lat_m)))
        lat_a = rng.uniform(lat_m - 1.2 * rho, lat_m + rho)
        lat_b = lat_a + rng.uniform(0.001, 0.5)
        got = _band_half_width(lat_a, lat_b, lat_m, rho, math.sin(lat_m), math.cos(lat_m), math.cos(rho), half)
        assert 0.0 <= got <= half
        lat = np.linspace(max(lat_a, lat_m - rho), min(lat_b, lat_m + rho), 801)
        dlon = np.linspace(-1.05 * half, 1.05 * half, 1601)
        la, lo = np.meshgrid(lat, dlon, indexing="ij")
        cos_d = np.sin(la) * math.sin(lat_m) + np.cos(la) * math.cos(lat_m) * np.cos(lo)
        inside = cos_d >= math.cos(rho)
        if not inside.any():
            continue
        widest = np.abs(lo[inside]).max()
        assert widest <= got + 1e-12, (lat_a, lat_b, lat_m, rho)
        cell = max(lat[1] - lat[0], dlon[1] - dlon[0]) if lat.size > 1 else dlon[1] - dlon[0]
        assert got <= widest + 4.0 * cell / max(1e-3, math.cos(lat_m)), (lat_a, lat_b, lat_m, rho)
        checked += 1
    assert checked > 200
    # A disc holding a pole spans every longitude.
    assert _band_half_width(1.2, 1.4, 1.3, 0.4, math.sin(1.3), math.cos(1.3), math.cos(0.4), math.pi) == math.pi


def test_kernel_equals_brute_force_where_cones_reach_the_limb():
    """Molniya and a 500 x 20,000 km HEO with the default 45 deg cone, whose steps
    near the limb are solved on the satellite's path (coverage.cone_near_limb):
    grid rows and point bands, in several chunkings, against the reference."""
    const = Constellation("limb", [Group("g", [Satellite("molniya", MOLNIYA, "g"), Satellite("heo", HEO, "g")],
                                         Sensor())])
    rng = np.random.default_rng(5)
    for grid in (Grid.regular(15.0), Grid.points(rng.uniform(-89, 89, 80), rng.uniform(-180, 180, 80))):
        ref = assert_kernel_matches_brute_force(const, grid, Window(LIMB_START, 6 * 3600, 60.0),
                                                ((None, 1), (17, 2)))
        assert sum(r[0] for r in ref) > 0
