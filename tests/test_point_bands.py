"""Point bands (GridRows.band_*): the kernel finds a step's points by latitude
band and longitude instead of row by row, with the same figures to the bit."""

import numpy as np
import pytest
from reference import START, random_constellation

from sim import Grid, Window, run
from sim.engine.grid import Grid as GridClass


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
