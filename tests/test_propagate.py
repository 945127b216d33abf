"""Propagation + TEME->Earth-fixed rotation against skyfield's ITRS positions."""

from datetime import datetime, timezone

import numpy as np
from skyfield.api import EarthSatellite
from skyfield.framelib import itrs

from constellation.orbits import CircularOrbit
from sim.engine.propagate import Window, propagate_ecef, timescale

TLE = ("1 40959U 15057B   25276.63107725  .00002267  00000+0  32890-3 0  9999",
       "2 40959  97.6562 279.3520 0017672  28.5842 331.6334 14.76849388537538")


def _skyfield_itrs(satrec, window, t):
    ts = timescale()
    s = window.start
    times = ts.utc(s.year, s.month, s.day, s.hour, s.minute, s.second + t)
    pos, vel = EarthSatellite.from_satrec(satrec, ts).at(times).frame_xyz_and_velocity(itrs)
    return pos.km.T, vel.km_per_s.T


def test_positions_match_skyfield_within_100_m():
    from sgp4.api import Satrec

    sats = [Satrec.twoline2rv(*TLE), CircularOrbit(datetime(2025, 10, 3, tzinfo=timezone.utc), 535, 97.5, 40,
                                                    10).to_satrec(2)]
    window = Window(datetime(2025, 10, 3, 7, 0, tzinfo=timezone.utc), 6 * 3600, 300)
    t, pos, vel, valid = propagate_ecef(sats, window, 0, window.n_samples)
    assert valid.all()
    for i, sat in enumerate(sats):
        ref_pos, ref_vel = _skyfield_itrs(sat, window, t)
        assert np.abs(pos[i] - ref_pos).max() < 0.1  # km
        assert np.abs(vel[i] - ref_vel).max() < 1e-3  # km/s


def test_chunks_share_the_same_samples():
    from sgp4.api import Satrec

    window = Window(datetime(2025, 10, 3, tzinfo=timezone.utc), 3600, 60)
    sat = [Satrec.twoline2rv(*TLE)]
    t_all, p_all, _, _ = propagate_ecef(sat, window, 0, window.n_samples)
    t_b, p_b, _, _ = propagate_ecef(sat, window, 30, 61)
    assert np.array_equal(t_all[30:61], t_b)
    assert np.array_equal(p_all[:, 30:61], p_b)


def test_window_last_sample_is_the_end():
    w = Window(datetime(2026, 1, 1, tzinfo=timezone.utc), 1000, 300)
    assert list(w.sample_times()) == [0, 300, 600, 900, 1000]


def test_a_leap_second_inside_the_window():
    """UT1 - UTC jumps by 1 s at a leap second: the Earth's rotation after it must
    use the new value (a stale one puts points ~0.4 km off at the equator)."""
    from sgp4.api import Satrec

    sat = Satrec.twoline2rv(*TLE)
    window = Window(datetime(2016, 12, 31, 23, 0, tzinfo=timezone.utc), 2 * 3600, 300)
    t, pos, vel, valid = propagate_ecef([sat], window, 0, window.n_samples)
    assert valid.all()
    # Sample times count UTC clock seconds from the start (as sgp4's Julian dates do): compare at those labels.
    from datetime import timedelta

    labels = timescale().from_datetimes([window.start + timedelta(seconds=float(x)) for x in t])
    ref_pos = EarthSatellite.from_satrec(sat, timescale()).at(labels).frame_xyz(itrs).km.T
    assert np.abs(pos[0] - ref_pos).max() < 0.01  # km, before and after 2017-01-01T00:00Z
    dut1 = window.dut1_at(t)
    assert dut1[0] < 0 < dut1[-1] and abs(dut1[-1] - dut1[0] - 1.0) < 0.01


def test_a_start_in_another_zone_is_the_same_instant():
    """A window started at 08:00+08:00 is the one started at 00:00Z: same samples,
    same Sun, and labels in UTC."""
    from datetime import timedelta

    from sgp4.api import Satrec

    from sim.engine.sun import sun_unit_ecef

    utc = Window(datetime(2026, 3, 1, tzinfo=timezone.utc), 3 * 3600, 600)
    east = Window(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))), 3 * 3600, 600)
    assert east.start == utc.start and east.start.utcoffset() == timedelta(0) and east.start.hour == 0
    sat = Satrec.twoline2rv(*TLE)
    assert np.array_equal(propagate_ecef([sat], utc, 0, utc.n_samples)[1],
                          propagate_ecef([sat], east, 0, east.n_samples)[1])
    assert np.array_equal(sun_unit_ecef(utc, 0, utc.n_samples), sun_unit_ecef(east, 0, east.n_samples))
