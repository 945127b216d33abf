"""The footprint kernel against a slow brute force over every point x satellite x step.

The reference (tests/reference.py) prunes nothing: it evaluates the same margin
primitives for every (point, satellite, step), joins a satellite's consecutive
accessed steps into passes, merges all passes of a point in plain Python and
computes the figures.  The kernel must agree exactly: its pruning may only skip
what cannot be seen.
"""

import numpy as np
import pytest
from reference import START, assert_kernel_matches_brute_force, random_constellation

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
