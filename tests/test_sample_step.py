"""The sample step: accesses do not depend on the step the user asks for.

Known answers at the finest step worth asking for (30 s) and at the largest the
command line accepts (3600 s) must agree: the kernel samples at the step
divided until its model of a step keeps every edge within
sim.engine.sampling.GROUND_TOLERANCE_KM / SAFETY (benchmarks/step.py measures
what was lost without it).
"""

import math
from datetime import datetime, timezone

import numpy as np
import pytest

import sim.engine.run as engine_run
from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from constellation.orbits import CircularOrbit, raan_from_local_time_deg, repeat_ground_track_alt_km
from sim import Grid, Study, Window, run
from sim.engine import sampling

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY_S = 86400.0
MU_KM3_S2 = 398600.8          # WGS-72, as sgp4 flies
EARTH_RATE = 7.292115e-5      # rad/s
R_EQUATOR_KM = 6378.137       # WGS-84
FINE_S, COARSE_S = 30.0, 3600.0


def sentinel2_pair():
    alt_km, inc_deg = repeat_ground_track_alt_km(143, 10, epoch=START)
    raan = raan_from_local_time_deg(START, 10.5, "descending")
    orbits = [CircularOrbit(START, alt_km, inc_deg, raan, 180.0 * j) for j in range(2)]
    return Constellation.from_orbits("s2", orbits, Sensor(kind="swath", swath_km=290.0, min_sun_elevation_deg=10.0))


def walker45():
    return Constellation.from_orbits("w12", walker_delta(12, 3, 1, 535.0, sso_inclination_deg(535.0), START),
                                     Sensor(max_off_nadir_deg=45.0))


def by_hand(alt_km, reach_rad, sun_deg=None):
    """The rule of sim.engine.sampling, written out from its docstring."""
    tol = sampling.GROUND_TOLERANCE_KM / R_EQUATOR_KM / sampling.SAFETY
    w = math.sqrt(MU_KM3_S2 / (6378.135 + alt_km) ** 3) + EARTH_RATE
    step = (384.0 * math.sin(reach_rad) * tol) ** 0.25 / w
    if sun_deg is not None:
        step = min(step, math.sqrt(8.0 * math.cos(math.radians(sun_deg)) * tol) / EARTH_RATE)
    return step


def test_safe_step_of_known_geometries():
    # Sentinel-2: 786 km, half swath 145 km -> ~97 s.
    s2 = sampling.safe_step_s(sentinel2_pair())
    assert s2 == pytest.approx(by_hand(786.1, 145.0 / R_EQUATOR_KM, 10.0), rel=0.01)
    assert s2 == pytest.approx(97.0, abs=1.0)
    # 45 deg off nadir at 535 km: the footprint's central angle asin(r sin 45 / R) - 45 deg.
    r = 6378.135 + 535.0
    reach = math.asin(r * math.sin(math.radians(45.0)) / R_EQUATOR_KM) - math.radians(45.0)
    assert sampling.safe_step_s(walker45()) == pytest.approx(by_hand(535.0, reach), rel=0.01)
    # A wide lit sensor: the Sun's chord, not the footprint, sets the step (~152 s).
    wide = Constellation.from_orbits("wide", [CircularOrbit(START, 1200.0, 60.0, 0.0, 0.0)],
                                     Sensor(max_off_nadir_deg=60.0, min_sun_elevation_deg=10.0))
    assert sampling.safe_step_s(wide) == pytest.approx(by_hand(1200.0, 1.0, 10.0), rel=1e-3)
    # A narrow swath needs a finer step: the step goes as the square root of the swath.
    narrow = Constellation.from_orbits("n", [CircularOrbit(START, 535.0, 97.5, 0.0, 0.0)],
                                       Sensor(kind="swath", swath_km=11.0))
    assert sampling.safe_step_s(narrow) == pytest.approx(by_hand(535.0, 5.5 / R_EQUATOR_KM), rel=0.01)
    assert sampling.safe_step_s(narrow) < 60.0


def test_the_step_is_divided_evenly():
    assert sampling.sample_step_s(60.0, 97.0) == 60.0
    assert sampling.sample_step_s(3600.0, 97.0) == pytest.approx(3600.0 / 38)
    assert sampling.sample_step_s(60.0, 34.3) == 30.0
    assert sampling.sample_step_s(97.0, 97.0) == 97.0
    w = sampling.sample_window(sentinel2_pair(), Window(START, DAY_S, COARSE_S))
    assert w.step_s == pytest.approx(3600.0 / 38) and w.duration_s == DAY_S
    # Every sample of the user's step is still a sample.
    assert np.allclose(w.sample_times()[::38], Window(START, DAY_S, COARSE_S).sample_times())


def differences(fine, coarse, step_tol_s):
    """What differs between two runs' figures: access counts anywhere, max revisit by more than ``step_tol_s``."""
    a, b = fine.figures, coarse.figures
    out = [f"point {i}: {int(a['n_access'][i])} accesses at {fine.window.step_s:g} s, {int(b['n_access'][i])} at "
           f"{coarse.window.step_s:g} s" for i in np.flatnonzero(a["n_access"] != b["n_access"])]
    far = np.abs(a["max_revisit_s"] - b["max_revisit_s"]) > step_tol_s
    out += [f"point {i}: max revisit {a['max_revisit_s'][i]:.1f} s vs {b['max_revisit_s'][i]:.1f} s"
            for i in np.flatnonzero(far)]
    return out


@pytest.fixture(scope="module")
def sentinel2_runs():
    const = sentinel2_pair()
    lon = np.arange(-180.0, 180.0, 1.0)
    grid = Grid.points(np.zeros_like(lon), lon)
    return const, grid, {step: run(const, grid, Window(START, 12 * DAY_S, step), device="cpu")
                         for step in (FINE_S, COARSE_S)}


def test_sentinel2_is_the_same_at_30_s_and_3600_s(sentinel2_runs):
    const, grid, runs = sentinel2_runs
    fine, coarse = runs[FINE_S], runs[COARSE_S]
    assert not differences(fine, coarse, sampling.safe_step_s(const))
    # The published 5 days at the equator, at either step.
    assert fine.figures["max_revisit_interior_s"].max() / DAY_S == pytest.approx(5.0, rel=0.01)
    assert fine.figures["n_access"].sum() > 800
    summary = coarse.summary()
    assert summary["step_s"] == COARSE_S and summary["sample_step_s"] == pytest.approx(3600.0 / 38)
    assert "sampled every 94.7368 s" in summary["refinement"]
    assert "sample_step_s" not in fine.summary() and fine.summary()["refinement"] == engine_run.REFINEMENT


def test_walker_off_nadir_is_the_same_at_30_s_and_3600_s():
    """Everything but passes that graze the footprint no deeper than the tolerance: such a pass
    lasts at most 2 sqrt(2 Lambda tol) / (n - w_earth), ~3.2 s here, and may be lost at either step."""
    const = walker45()
    grid = Grid.regular(5.0)
    fine, coarse = (run(const, grid, Window(START, DAY_S, step), device="cpu") for step in (FINE_S, COARSE_S))
    reach = sampling.footprint_angle_rad(const.sensors_per_satellite()[0], 6378.135 + 535.0)
    tol = sampling.GROUND_TOLERANCE_KM / R_EQUATOR_KM / sampling.SAFETY
    grazing_s = 2.0 * math.sqrt(2.0 * reach * tol) / (math.sqrt(MU_KM3_S2 / 6913.135 ** 3) - EARTH_RATE)
    assert 2.5 < grazing_s < 4.0
    grazes = fine.figures["access_min_s"] < grazing_s
    assert grazes.sum() < 0.02 * len(grid)
    keep = ~grazes
    a, b = fine.figures, coarse.figures
    assert np.array_equal(a["n_access"][keep], b["n_access"][keep])
    assert np.abs(a["max_revisit_s"] - b["max_revisit_s"])[keep].max() < sampling.safe_step_s(const)
    assert a["n_access"].sum() > 50000
    assert np.abs(a["n_access"] - b["n_access"]).sum() <= grazes.sum()
    assert coarse.meta["sample_step_s"] == pytest.approx(3600.0 / 28)


def test_the_known_answers_fail_when_the_safe_step_is_ignored(sentinel2_runs, monkeypatch):
    """The mutation check: with the kernel sampling at the user's step, 3600 s loses Sentinel-2."""
    const, grid, runs = sentinel2_runs
    monkeypatch.setattr(engine_run, "sample_window", lambda constellation, window: window)
    coarse = run(const, grid, Window(START, 12 * DAY_S, COARSE_S), device="cpu")
    assert "sample_step_s" not in coarse.meta
    lost = differences(runs[FINE_S], coarse, sampling.safe_step_s(const))
    assert len(lost) > 100
    assert coarse.figures["n_access"].sum() < 0.1 * runs[FINE_S].figures["n_access"].sum()


def test_a_study_reports_both_steps():
    study = Study.from_scenario("jilin1-2030-plan").with_overrides(grid_res_deg=10.0, days=0.25, step_s=3600)
    summary = study.run(device="cpu").summary()
    assert summary["step_s"] == 3600.0
    assert summary["sample_step_s"] == pytest.approx(3600.0 / 28)
    assert "divided" in summary["refinement"]
    at_60 = study.with_overrides(step_s=60).run(device="cpu").summary()
    assert "sample_step_s" not in at_60 and at_60["step_s"] == 60.0


def test_the_elevation_margin_sets_the_step_where_the_elevation_limit_binds():
    """Where the elevation limit binds, the safe step is the largest at which the
    cubic of the kernel's elevation margin loses no pass deeper than the
    tolerance (on the exact margin of a pass peaking at the limit)."""
    def one(sensor, alt_km=535.0):
        return Constellation.from_orbits("one", [CircularOrbit(START, alt_km, 97.5, 0.0, 0.0)], sensor)

    tol_km = sampling.GROUND_TOLERANCE_KM / sampling.SAFETY
    r = 6378.135 + 535.0
    w = math.sqrt(MU_KM3_S2 / r ** 3) + EARTH_RATE
    for eps_deg, expect in ((10.0, 67.2), (5.0, 59.3)):
        step = sampling.safe_step_s(one(Sensor(max_off_nadir_deg="none", min_elevation_deg=eps_deg)))
        assert step == pytest.approx(expect, abs=0.3)
        eps = math.radians(eps_deg)
        # The loss grows as step^4: at the safe step it is the tolerance, twice the step 16 times it.
        assert sampling.grazing_loss_km(r, eps, w, step) == pytest.approx(tol_km, rel=0.05)
        assert sampling.grazing_loss_km(r, eps, w, 2 * step) == pytest.approx(16 * tol_km, rel=0.25)
    # An off-nadir cone inside the horizon: the elevation limit never binds, the rule above stands.
    assert sampling.safe_step_s(one(Sensor(max_off_nadir_deg=45.0))) == pytest.approx(129.5, abs=0.1)
