"""The safe sample step (sim.engine.sampling): the largest step at which the
kernel's model of a step keeps every edge within GROUND_TOLERANCE_KM / SAFETY,
worked out by hand for known geometries (benchmarks/step.py measures what
coarser steps lose).
"""

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from constellation import Constellation, Sensor, sso_inclination_deg, walker_delta
from constellation.orbits import CircularOrbit, raan_from_local_time_deg, repeat_ground_track_alt_km
from sim import Window
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
