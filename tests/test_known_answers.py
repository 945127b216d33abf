"""Known answers from missions with published revisit, flown as synthetic
elements (no network): swath sensors, lighting and repeat ground tracks.

- Sentinel-2 (ESA): 786 km SSO, descending node 10:30, 290 km swath, repeat
  143 orbits in 10 days; one satellite revisits the equator every 10 days, the
  pair (180 deg apart in one plane) every 5 days.
- Landsat 8/9 (USGS): 705 km SSO, descending node ~10:00, 185 km swath, repeat
  233 orbits in 16 days; 16 days each, 8 days combined.

Optical imagers see in daylight only, so the ascending (night) passes must
not count: the Sun is required >= 10 deg above the horizon.
"""

from datetime import datetime, timezone

import numpy as np
import pytest

from constellation import Constellation, Sensor
from constellation.orbits import CircularOrbit, raan_from_local_time_deg, repeat_ground_track_alt_km
from sim import Grid, Window, run

DAY_S = 86400.0
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def in_plane(orbits, days, ltdn_hours, n_sats):
    alt_km, inc_deg = repeat_ground_track_alt_km(orbits, days, epoch=START)
    raan = raan_from_local_time_deg(START, ltdn_hours, "descending")
    return [CircularOrbit(START, alt_km, inc_deg, raan, 360.0 * j / n_sats) for j in range(n_sats)]


def equator_revisit_days(orbits, days, ltdn_hours, n_sats, swath_km, window_days):
    const = Constellation.from_orbits("mission", in_plane(orbits, days, ltdn_hours, n_sats),
                                      Sensor(kind="swath", swath_km=swath_km, min_sun_elevation_deg=10.0))
    lon = np.arange(-180.0, 180.0, 0.05)
    grid = Grid.points(np.zeros_like(lon), lon)
    res = run(const, grid, Window(START, window_days * DAY_S, 60.0))
    f = res.figures
    assert f["seen"].all(), "the swath leaves gaps at the equator"
    assert (f["n_access"] >= 2).all()
    return f["max_revisit_interior_s"] / DAY_S


def test_repeat_orbits_fly_the_published_altitudes():
    alt, inc = repeat_ground_track_alt_km(143, 10)
    assert alt == pytest.approx(786, abs=2) and inc == pytest.approx(98.6, abs=0.1)
    alt, inc = repeat_ground_track_alt_km(233, 16)
    # USGS quotes 705 km over the equator; the mean semi-major axis is 7077.7 km.
    assert alt + 6378.135 == pytest.approx(7077.7, abs=2) and inc == pytest.approx(98.2, abs=0.1)


@pytest.mark.parametrize("n_sats,expected_days", [(1, 10.0), (2, 5.0)])
def test_sentinel2_equatorial_revisit(n_sats, expected_days):
    rev = equator_revisit_days(143, 10, 10.5, n_sats, 290.0, 2 * expected_days + 1.5)
    assert rev.max() == pytest.approx(expected_days, rel=0.05)


@pytest.mark.parametrize("n_sats,expected_days", [(1, 16.0), (2, 8.0)])
def test_landsat_equatorial_revisit(n_sats, expected_days):
    rev = equator_revisit_days(233, 16, 10.0, n_sats, 185.0, 2 * expected_days + 1.5)
    assert rev.max() == pytest.approx(expected_days, rel=0.05)


def test_night_passes_do_not_count():
    """Without the Sun constraint the ascending passes image too, and the
    single Sentinel-2's equatorial revisit is no longer 10 days."""
    const = Constellation.from_orbits("s2a", in_plane(143, 10, 10.5, 1), Sensor(kind="swath", swath_km=290.0))
    lon = np.arange(-180.0, 180.0, 0.05)
    res = run(const, Grid.points(np.zeros_like(lon), lon), Window(START, 21.5 * DAY_S, 60.0))
    assert res.figures["max_revisit_interior_s"].max() / DAY_S < 9.0
