"""The Sun's direction in the Earth-fixed frame, for lighting constraints.

Positions come from JPL's DE421 ephemeris through skyfield; the file ships
inside the ``skyfield-data`` wheel, so nothing is downloaded (DE421 covers
1900-2050).  The direction is the apparent one (light time, aberration) seen
from the Earth's centre.  From a ground point the Sun stands lower by its
parallax, R/d cos(elevation) (8.8 arcsec, :data:`SUN_PARALLAX_RAD`): small, but
where the Sun's elevation changes slowly (near the poles) it moves a lighting
edge by a minute and more, so the lighting margins count it
(:func:`sim.engine.run.sensor_array`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources

import numpy as np

from constellation.constants import SECONDS_PER_DAY
from sim.engine.propagate import Window, gmst82_rad, timescale


@lru_cache(maxsize=1)
def ephemeris():
    """DE421 from the skyfield-data package (offline)."""
    from skyfield.api import load_file

    path = resources.files("skyfield_data") / "data" / "de421.bsp"
    return load_file(str(path))


# R/d with the Earth's mean radius and the astronomical unit: seen from a ground point the sine of
# the Sun's elevation is x - R/d (1 - x^2), x = n.s its geocentric value (to ~1e-6: the Earth-Sun
# distance's +-1.7 % over the year and the point's distance from the centre move R/d by under
# 1e-6 rad, ~5 m of a lighting edge).
SUN_PARALLAX_RAD = 6371.0 / 149597870.7

# The Sun's direction is computed in the inertial (TEME) frame every this many
# seconds and interpolated: it moves 0.04 deg an hour there, so a chord is
# within 1e-5 deg of the arc.  The Earth's turn is then applied exactly.
SUN_NODE_STEP_S = 3600.0
# The span of DE421 (the ephemeris inside skyfield-data), with a day to spare.
DE421_FIRST = datetime(1899, 7, 30, tzinfo=timezone.utc)
DE421_LAST = datetime(2053, 10, 8, tzinfo=timezone.utc)


def sun_unit_ecef(window: Window, k0: int, k1: int) -> np.ndarray:
    """Unit vectors (nk, 3) towards the Sun at window samples k0 .. k1-1, in the
    Earth-fixed frame the satellites are propagated in (TEME turned by GMST)."""
    return sun_unit_ecef_at(window, window.sample_times(k0, k1))


def sun_unit_ecef_at(window: Window, t_s) -> np.ndarray:
    """Unit vectors (n, 3) towards the Sun at times ``t_s`` (s from the window start,
    any order; n >= 1), as :func:`sun_unit_ecef` gives them at the samples."""
    from skyfield.sgp4lib import TEME

    end = window.start + timedelta(seconds=window.duration_s)
    if not (DE421_FIRST <= window.start and end <= DE421_LAST):
        raise ValueError(f"lighting needs the Sun's position, which DE421 gives from {DE421_FIRST:%Y-%m-%d} to "
                         f"{DE421_LAST:%Y-%m-%d}; the window runs {window.start:%Y-%m-%d} to {end:%Y-%m-%d}")
    t_s = np.asarray(t_s, dtype=np.float64)
    first = math.floor(t_s.min() / SUN_NODE_STEP_S) * SUN_NODE_STEP_S
    nodes = np.arange(first, t_s.max() + SUN_NODE_STEP_S, SUN_NODE_STEP_S)
    start = window.start
    times = timescale().utc(start.year, start.month, start.day, start.hour, start.minute,
                            start.second + start.microsecond * 1e-6 + nodes)
    eph = ephemeris()
    xyz = np.asarray(eph["earth"].at(times).observe(eph["sun"]).apparent().frame_xyz(TEME).km,
                     dtype=np.float64).reshape(3, -1)
    teme = np.stack([np.interp(t_s, nodes, xyz[j]) for j in range(3)], axis=1)
    jd_whole, jd_frac = window.jd_utc()
    theta = gmst82_rad(jd_whole, jd_frac + (t_s + window.dut1_at(t_s)) / SECONDS_PER_DAY)
    c = np.cos(theta)
    s = np.sin(theta)
    out = np.empty_like(teme)
    out[:, 0] = c * teme[:, 0] + s * teme[:, 1]
    out[:, 1] = -s * teme[:, 0] + c * teme[:, 1]
    out[:, 2] = teme[:, 2]
    return np.ascontiguousarray(out / np.linalg.norm(out, axis=1)[:, None])


def sun_elevation_deg(window: Window, k: int, lat_deg, lon_deg) -> np.ndarray:
    """Sun elevation (deg) above the geodetic horizon of points at sample k, as seen
    from the points (the parallax counted)."""
    from sim.engine.geodesy import geodetic_to_ecef

    _, up = geodetic_to_ecef(np.atleast_1d(lat_deg), np.atleast_1d(lon_deg))
    sun = sun_unit_ecef(window, k, k + 1)[0]
    x = np.clip(up @ sun, -1.0, 1.0)
    return np.degrees(np.arcsin(x - SUN_PARALLAX_RAD * (1.0 - x * x)))


__all__ = ["SUN_PARALLAX_RAD", "sun_unit_ecef", "sun_unit_ecef_at", "sun_elevation_deg", "ephemeris"]
