"""A small simulated result and how to compare two results, for the tests of
result files and interchange (a helper module: no tests here)."""

import json
from datetime import datetime, timezone

import numpy as np

from constellation.core import Constellation
from constellation.orbits import sso_inclination_deg
from constellation.patterns import walker
from constellation.sensor import Sensor
from sim import Grid, Target, Window, run
from sim.engine.result import jsonable

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def tiny_constellation():
    orbits = walker(6, 3, 1, 535.0, sso_inclination_deg(535.0), START)
    return Constellation.from_orbits("tiny", orbits, Sensor(max_off_nadir_deg=45.0))


def tiny_run(grid=None, **kw):
    res = run(tiny_constellation(), grid or Grid.regular(10.0), Window(START, 6 * 3600.0, 60.0),
              [Target("within 3 h", 3 * 3600.0, "anywhere within 3 hours"), Target("within 12 h", 43200.0)],
              name="tiny", **kw)
    res.meta["claim"] = "anywhere within 3 hours"
    return res


def canonical(summary):
    """Summary as the CLI prints it (NaN -> null): equal text means equal numbers."""
    return json.dumps(jsonable(summary))


def assert_same_result(a, b):
    assert list(a.figures) == list(b.figures)
    for k in a.figures:
        assert a.figures[k].dtype == b.figures[k].dtype, k
        assert np.array_equal(a.figures[k], b.figures[k], equal_nan=True), k
    for attr in ("lat_deg", "lon_deg", "weight"):
        assert np.array_equal(getattr(a.grid, attr), getattr(b.grid, attr)), attr
    assert (a.grid.name, a.grid.shape, a.grid.res_deg, a.grid.labels) == \
        (b.grid.name, b.grid.shape, b.grid.res_deg, b.grid.labels)
    assert a.window == b.window
    assert a.targets == b.targets
    assert (a.name, a.n_satellites, a.sensors, a.meta) == (b.name, b.n_satellites, b.sensors, b.meta)
    assert canonical(a.summary()) == canonical(b.summary())
