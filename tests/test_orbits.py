"""Orbit helpers against known answers and against skyfield."""

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from constellation.orbits import CircularOrbit, local_time_of_node_hours, raan_from_local_time_deg, sso_inclination_deg
from constellation.patterns import sso_planes, walker_delta, walker_star

EPOCH = datetime(2026, 1, 1, 6, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("alt_km, inc_deg", [(535, 97.5), (786, 98.6), (705, 98.2), (400, 97.0)])
def test_sso_inclination_known_altitudes(alt_km, inc_deg):
    # Published: Jilin-1 ~97.5 at 535 km, Sentinel-2 98.62 at 786 km, Landsat 98.2 at 705 km, ISS-height SSO ~97.0.
    assert sso_inclination_deg(alt_km) == pytest.approx(inc_deg, abs=0.1)


def test_sso_orbit_keeps_its_local_time_in_sgp4():
    inc = sso_inclination_deg(535)
    sat = CircularOrbit(EPOCH, 535, inc, 0.0, 0.0).to_satrec(1)
    node_rate_deg_per_year = math.degrees(sat.nodedot) * 1440 * 365.2422
    assert node_rate_deg_per_year == pytest.approx(360.0, abs=2.0)


def test_requested_altitude_is_the_one_sgp4_flies():
    sat = CircularOrbit(EPOCH, 535, 97.5, 10, 0).to_satrec(1)
    assert sat.a * sat.radiusearthkm - sat.radiusearthkm == pytest.approx(535.0, abs=1e-3)


def test_walker_delta_spacing():
    orbits = walker_delta(24, 4, 2, 700, 60, EPOCH)
    raans = sorted({round(o.raan_deg, 9) for o in orbits})
    assert np.allclose(np.diff(raans), 90.0)
    plane0 = [o for o in orbits if abs(o.raan_deg) < 1e-9]
    assert np.allclose(np.diff(sorted(o.arg_lat_deg for o in plane0)), 60.0)
    plane1 = [o for o in orbits if abs(o.raan_deg - 90) < 1e-9]
    # phasing F=2 of T=24: plane p+1 leads by 2*360/24 = 30 deg
    assert min(o.arg_lat_deg for o in plane1) == pytest.approx(30.0)


def test_walker_star_spreads_planes_over_180():
    orbits = walker_star(12, 3, 0, 700, 90, EPOCH)
    assert sorted({round(o.raan_deg, 9) for o in orbits}) == [0.0, 60.0, 120.0]


def test_raan_local_time_round_trip():
    for lt in (0.0, 6.0, 10.5, 22.25):
        raan = raan_from_local_time_deg(EPOCH, lt, "descending")
        assert local_time_of_node_hours(EPOCH, raan, "descending") == pytest.approx(lt, abs=1e-9)


def test_ltan_matches_skyfield_subpoint_at_node_crossing():
    """Independent check: at the ascending node, UT + longitude/15 (mean solar time) = LTAN."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale()
    ltan = 13.5
    orbit = sso_planes(535, [ltan], [1], EPOCH, node="ascending")[0]
    sat = EarthSatellite.from_satrec(orbit.to_satrec(1), ts)
    t = ts.utc(2026, 1, 1, 6, 30, np.arange(0, 6000, 1.0))
    z = sat.at(t).position.km[2]
    k = np.flatnonzero((z[:-1] < 0) & (z[1:] >= 0))[0]
    lon = wgs84.subpoint_of(sat.at(t[k])).longitude.degrees
    ut_hours = 6.5 + k / 3600.0
    local = (ut_hours + lon / 15.0) % 24
    assert local == pytest.approx(ltan, abs=0.02)  # ~1 minute of local time
