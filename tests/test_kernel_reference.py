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
