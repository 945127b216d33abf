"""What a Python user may hand the study objects: natural spellings are read as
meant, and anything else is a clear ValueError or TypeError before a run."""

import math

import numpy as np
import pytest

from constellation import Sensor
from sim import Grid, Target
from sim.studies.study import PointList, Study

from conftest import SAMPLE_TLE, TINY_TOML


@pytest.fixture
def tiny():
    return Study.from_scenario(TINY_TOML)


def test_one_target_or_selection_as_text_is_one(tiny):
    assert tiny.with_overrides(targets="30min").targets[-1] == Target("within 30min", 1800.0)
    assert tiny.with_overrides(targets="12").targets[-1].threshold_s == 12.0
    assert dict(tiny.with_overrides(select="g-001").overrides)["select"] == ("g-001",)


@pytest.mark.parametrize("kwargs, expect", [
    (dict(targets=[math.inf]), "positive and finite"),
    (dict(step_s=1e-6), "step_s must be in [0.01, 3600]"),
    (dict(off_nadir_deg=True), "not True"),
    (dict(points=[(10, 20), (30, 40), (50, 60)]), "names are text"),
])
def test_values_that_would_be_misread_are_refused(tiny, kwargs, expect):
    with pytest.raises(ValueError, match=expect.replace("[", r"\[").replace("]", r"\]")):
        tiny.with_overrides(**kwargs)


def test_points_as_rows_of_an_array():
    p = PointList.parse(np.array([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]]))
    assert PointList.parse(([10.0, 30.0, 50.0], [20.0, 40.0, 60.0])) == p


@pytest.mark.parametrize("make, expect", [
    (lambda: Grid.points([1, 2], [3, 4], weight=[1, math.nan]), "weights must be finite"),
    (lambda: Grid.points([1, 2], [3, 4], weight=[1, math.inf]), "weights must be finite"),
    (lambda: Grid.points([1, 2], [3, 4], labels=["a"]), "1 labels for 2 points"),
    (lambda: Target("x", -5), "positive finite"),
    (lambda: Target("x", math.nan), "positive finite"),
    (lambda: Sensor(max_off_nadir_deg=True), "max_off_nadir_deg"),
])
def test_constructors_refuse_what_no_run_can_use(make, expect):
    with pytest.raises(ValueError, match=expect):
        make()


def test_the_engine_asks_for_target_objects(tiny):
    from sim import run

    with pytest.raises(TypeError, match="Target objects"):
        run(tiny.constellation, Grid.regular(30.0), tiny.window(), targets=["30min"])


def test_land_only_can_be_switched_off_again(tiny):
    assert not tiny.with_overrides(land_only=True).with_overrides(land_only=False).grid_spec.land_only


def test_a_later_selection_keeps_an_earlier_start():
    cat = Study.from_catalog(str(SAMPLE_TLE))
    first = cat.constellation.satellites[0].name
    s = cat.with_overrides(start="2025-10-05T12:00:00Z").with_overrides(select=[first])
    assert s.start.isoformat() == "2025-10-05T12:00:00+00:00"


def test_a_naive_epoch_is_utc_whatever_the_computers_zone(monkeypatch):
    import time
    from datetime import datetime, timezone

    from constellation.elements import satrec_epoch
    from constellation.orbits import CircularOrbit, raan_from_local_time_deg

    aware = datetime(2026, 1, 1, 6, tzinfo=timezone.utc)
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        naive = aware.replace(tzinfo=None)
        assert satrec_epoch(CircularOrbit(naive, 535.0, 97.5, 10.0, 0.0).to_satrec(1)) == \
            satrec_epoch(CircularOrbit(aware, 535.0, 97.5, 10.0, 0.0).to_satrec(1))
        assert raan_from_local_time_deg(naive, 10.5) == raan_from_local_time_deg(aware, 10.5)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("change, expect", [
    (dict(raan_deg=math.nan), "raan_deg must be a finite number"),
    (dict(arg_lat_deg=math.inf), "arg_lat_deg must be a finite number"),
    (dict(alt_km=1.0), r"alt_km must be in \[100, 100000\)"),
])
def test_orbits_that_cannot_fly_are_refused(change, expect):
    import dataclasses
    from datetime import datetime, timezone

    from constellation.orbits import CircularOrbit

    good = dict(epoch=datetime(2026, 1, 1, tzinfo=timezone.utc), alt_km=535.0, inclination_deg=97.5, raan_deg=0.0,
                arg_lat_deg=0.0)
    with pytest.raises(ValueError, match=expect):
        CircularOrbit(**dict(good, **change)).to_satrec(1)
    assert dataclasses.asdict(CircularOrbit(**good))  # the good one builds


def test_run_refuses_a_swath_past_the_horizon():
    """A swath wider than the horizon would 'image' points below it: the engine
    refuses it as the scenario files do."""
    from datetime import datetime, timezone

    from constellation import Constellation
    from constellation.errors import InputError
    from constellation.orbits import CircularOrbit
    from sim import Window, run

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    const = Constellation.from_orbits("wide", [CircularOrbit(start, 300.0, 0.0, 0.0, 0.0)],
                                      Sensor(kind="swath", swath_km=5000.0))
    with pytest.raises(InputError, match="reaches past the horizon"):
        run(const, Grid.regular(30.0), Window(start, 3600.0, 60.0))


@pytest.mark.parametrize("make, expect", [
    (lambda W, d: W("2026-01-01T00:00:00Z", 3600.0, 60.0), "start must be a datetime"),
    (lambda W, d: W(d, "3600", 60.0), "duration_s must be a number"),
    (lambda W, d: Sensor(min_elevation_deg="10"), "min_elevation_deg must be a number"),
    (lambda W, d: Sensor(kind="swath", swath_km="100"), "swath_km must be a number"),
])
def test_wrong_types_are_named(make, expect):
    from datetime import datetime, timezone

    from sim import Window

    with pytest.raises(TypeError, match=expect):
        make(Window, datetime(2026, 1, 1, tzinfo=timezone.utc))
