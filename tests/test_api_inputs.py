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
