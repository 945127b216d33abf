"""Propagation with sgp4 (``SatrecArray``) and TEME -> Earth-fixed rotation.

Earth-fixed here is ITRS without polar motion (PEF), which is what skyfield's
``itrs`` frame gives when no polar-motion table is loaded; the difference from
full ITRS is about 10 m.

At fine steps (<= 30 s) satellites are propagated with sgp4 every 60 s and
interpolated in between (cubic Hermite on position and velocity, metre-level);
see :func:`propagate_ecef`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
from sgp4.api import SatrecArray

from constellation.constants import EARTH_ROTATION_RAD_S, SECONDS_PER_DAY, WGS84_A_KM
from constellation.elements import to_utc
from sim.kernels.interp import hermite_states


@lru_cache(maxsize=1)
def timescale():
    from skyfield.api import load

    return load.timescale()  # built-in UT1/leap-second tables: works offline


@dataclass(frozen=True)
class Window:
    """Analysis window: ``start`` (UTC), ``duration_s`` and sample ``step_s``.

    Samples are at 0, step, 2 step, ... and the window end (the last step may be
    shorter), in seconds from the start.
    """

    start: datetime
    duration_s: float
    step_s: float

    def __post_init__(self):
        # One instant, whatever the zone it was given in: every label and the Sun read start's fields as UTC.
        object.__setattr__(self, "start", to_utc(self.start, "the window's start"))
        for name in ("duration_s", "step_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"the window's {name} must be a number of seconds, not {value!r}")
        if not (self.duration_s > 0) or not math.isfinite(self.duration_s):
            raise ValueError(f"window duration must be positive, got {self.duration_s} s")
        if not (self.step_s > 0) or self.step_s > self.duration_s:
            raise ValueError(f"step must be positive and no longer than the window ({self.duration_s:g} s), "
                             f"got {self.step_s:g} s")
        if not (1957 <= self.start.year <= 2056):
            raise ValueError(f"start {self.start.isoformat()} is outside the years sgp4 handles (1957-2056)")

    @property
    def n_samples(self) -> int:
        return int(math.ceil(self.duration_s / self.step_s - 1e-9)) + 1

    def sample_times(self, k0: int = 0, k1: int | None = None) -> np.ndarray:
        """Sample times (s) with indices k0 .. k1-1."""
        k1 = self.n_samples if k1 is None else k1
        t = np.arange(k0, k1, dtype=np.float64) * self.step_s
        return np.minimum(t, self.duration_s)

    def jd_utc(self) -> tuple[float, float]:
        """Julian date of the start split as (whole, fraction) for sgp4."""
        start = self.start.astimezone(timezone.utc)
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        jd_whole = 2440587.5 + midnight.timestamp() / SECONDS_PER_DAY
        frac = (start - midnight).total_seconds() / SECONDS_PER_DAY
        return jd_whole, frac

    def dut1_at(self, t_s) -> np.ndarray:
        """UT1 - UTC (s) at times ``t_s`` (s from the start on the UTC clock, as the
        sgp4 Julian dates count them), from skyfield's built-in tables: it drifts
        by a few ms a day and jumps by 1 s at a leap second."""
        ts = timescale()
        jd_whole, jd_frac = self.jd_utc()
        t = np.asarray(t_s, dtype=np.float64)
        jd_utc = jd_whole + (jd_frac + t / SECONDS_PER_DAY)
        # TAI - UTC from the leap-second table at each UTC label (10 s before its first entry, 1972).
        k = np.searchsorted(ts.leap_dates, jd_utc, side="right") - 1
        tai_minus_utc = np.where(k >= 0, ts.leap_offsets[np.maximum(k, 0)], 10.0)
        dut1 = ts.tai_jd(jd_whole, jd_frac + (t + tai_minus_utc) / SECONDS_PER_DAY).dut1
        return np.asarray(dut1, dtype=np.float64).reshape(t.shape)


def gmst82_rad(jd_ut1_whole: float, jd_ut1_frac: np.ndarray) -> np.ndarray:
    """IAU-82 Greenwich mean sidereal time (rad), as in sgp4/skyfield for TEME."""
    tut1 = ((jd_ut1_whole - 2451545.0) + jd_ut1_frac) / 36525.0
    theta = (67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * tut1) * tut1) * tut1) / 240.0
    # 876600 h * 3600 s/h * tut1 / 240 is 360 deg times whole UT1 days: add the day fraction exactly.
    theta = np.radians(theta % 360.0) + 2 * np.pi * ((jd_ut1_whole % 1.0 + jd_ut1_frac) % 1.0)
    return np.mod(theta, 2 * np.pi)


# sgp4 can go on reporting success (error code 0) for an element set flown past its decay, with
# positions that no orbit has (down in the atmosphere, or 1e8 km and more from the Earth): a sample
# is valid only at a radius an orbiting body can have, above MIN_ORBIT_ALTITUDE_KM over the equator
# (below it a satellite is re-entering within its orbit) and inside the Earth's Hill sphere.
MIN_ORBIT_ALTITUDE_KM = 80.0
MAX_ORBIT_RADIUS_KM = 1.5e6


def in_orbit(r_km: np.ndarray) -> np.ndarray:
    """Whether positions ``r_km`` (..., 3), km from the Earth's centre, lie where an orbiting
    body can be (see :data:`MIN_ORBIT_ALTITUDE_KM`, :data:`MAX_ORBIT_RADIUS_KM`); False for
    non-finite ones."""
    with np.errstate(invalid="ignore", over="ignore"):
        r2 = np.sum(r_km * r_km, axis=-1)
        return (r2 >= (WGS84_A_KM + MIN_ORBIT_ALTITUDE_KM) ** 2) & (r2 <= MAX_ORBIT_RADIUS_KM ** 2)


def _ecef_at(sat_array: SatrecArray, window: Window, t: np.ndarray):
    """sgp4 at times ``t`` (s from the window start), rotated to Earth-fixed: pos, vel, valid."""
    jd_whole, jd_frac = window.jd_utc()
    frac = jd_frac + t / SECONDS_PER_DAY
    jd = np.full(t.shape, jd_whole)
    err, r, v = sat_array.sgp4(jd, frac)
    theta = gmst82_rad(jd_whole, frac + window.dut1_at(t) / SECONDS_PER_DAY)
    c = np.cos(theta)[None, :]
    s = np.sin(theta)[None, :]
    pos = np.empty_like(r)
    vel = np.empty_like(v)
    pos[..., 0] = c * r[..., 0] + s * r[..., 1]
    pos[..., 1] = -s * r[..., 0] + c * r[..., 1]
    pos[..., 2] = r[..., 2]
    # v_fixed = R v_teme - omega x r_fixed
    vel[..., 0] = c * v[..., 0] + s * v[..., 1] + EARTH_ROTATION_RAD_S * pos[..., 1]
    vel[..., 1] = -s * v[..., 0] + c * v[..., 1] - EARTH_ROTATION_RAD_S * pos[..., 0]
    vel[..., 2] = v[..., 2]
    valid = (err == 0) & np.all(np.isfinite(pos), axis=-1) & in_orbit(r)
    return pos, vel, valid


def ecef_at(satrecs, window: Window, t_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sgp4 at any times ``t_s`` (s from the window start, shape (n,)), in the frame and
    time scale of :func:`propagate_ecef`: Earth-fixed pos (km), vel (km/s), valid,
    shaped (nsat, n, 3), (nsat, n, 3), (nsat, n)."""
    sat_array = satrecs if isinstance(satrecs, SatrecArray) else SatrecArray(list(satrecs))
    return _ecef_at(sat_array, window, np.asarray(t_s, dtype=np.float64))


# Fine steps: sgp4 every COARSE_STEP_S (nodes at whole multiples of it from the
# window start) and cubic Hermite on Earth-fixed position and velocity in
# between: the error grows as step^4, ~0.4 m for LEO at 60 s.  Each chunk checks
# itself from its nodes alone and falls back to sgp4 at every sample when the
# estimated error exceeds INTERPOLATION_TOLERANCE_KM (or sgp4 fails at a node):
# - smoothness: the Hermite midpoint of nodes a, a+2 against node a+1 (16x the
#   error at the single step, the error's largest point);
# - velocity consistency: Simpson's rule on the nodes' velocities against their
#   positions, p[a+2] - p[a] = h/3 (v[a] + 4 v[a+1] + v[a+2]) (~0.1 m for LEO).
#   sgp4's velocity lags its position under heavy drag (bstar >~ 0.005 at
#   ~200 km); a velocity bias b gives an error of ~0.1 h b that the midpoint
#   test cannot see, and ~1/20 of this residual.
# tests/test_propagate_interpolation.py checks < 50 m against direct sgp4.  A
# sample's value depends only on its two nodes, so chunks that share a boundary
# sample see the same value there.  Used when the step is at most
# INTERPOLATE_MAX_STEP_S: there it replaces >= 2 sgp4 calls and rotations
# (~0.7 us per satellite and sample) by one Hermite evaluation (~0.02 us).
COARSE_STEP_S = 60.0
INTERPOLATE_MAX_STEP_S = 30.0
INTERPOLATION_TOLERANCE_KM = 0.005


def interpolation_error_km(pos_n: np.ndarray, vel_n: np.ndarray, h: float) -> float:
    """Estimated largest Hermite error (km) between nodes ``h`` s apart, from
    positions and velocities (nsat, m >= 3, 3) at the nodes (see above)."""
    p0, p1, p2 = pos_n[:, :-2], pos_n[:, 1:-1], pos_n[:, 2:]
    v0, v1, v2 = vel_n[:, :-2], vel_n[:, 1:-1], vel_n[:, 2:]
    mid = 0.5 * (p0 + p2) + (2.0 * h / 8.0) * (v0 - v2) - p1
    simpson = p2 - p0 - (h / 3.0) * (v0 + 4.0 * v1 + v2)
    return float(max(np.sqrt(np.max(np.sum(mid * mid, axis=-1))) / 16.0,
                     np.sqrt(np.max(np.sum(simpson * simpson, axis=-1))) / 20.0))


def _ecef_interpolated(sat_array: SatrecArray, window: Window, t: np.ndarray, h: float = COARSE_STEP_S):
    """Earth-fixed pos, vel, valid at ``t`` from sgp4 at multiples of ``h`` s and cubic
    Hermite in between; None when sgp4 fails at a node or the estimated error
    exceeds :data:`INTERPOLATION_TOLERANCE_KM` (the caller then runs sgp4 at ``t``)."""
    j = np.floor(t / h).astype(np.int64)
    j0 = int(j.min())
    nodes = np.arange(j0, max(int(j.max()) + 2, j0 + 3), dtype=np.float64) * h  # >= 3 nodes for the check
    pos_n, vel_n, valid_n = _ecef_at(sat_array, window, nodes)
    if not valid_n.all() or interpolation_error_km(pos_n, vel_n, h) > INTERPOLATION_TOLERANCE_KM:
        return None
    frac = t / h - j
    n_sat = pos_n.shape[0]
    pos = np.empty((n_sat, t.size, 3))
    vel = np.empty((n_sat, t.size, 3))
    valid = np.empty((n_sat, t.size), dtype=np.bool_)
    hermite_states(pos_n, vel_n, valid_n, j - j0, frac, h, pos, vel, valid)
    return pos, vel, valid


def propagate_ecef(satrecs, window: Window, k0: int, k1: int, interpolate: bool | None = None):
    """Earth-fixed positions (km), velocities (km/s) and validity of all satellites
    at window samples k0 .. k1-1: arrays (nsat, nk, 3), (nsat, nk, 3), (nsat, nk).

    ``interpolate`` None: sgp4 at every sample when the step is longer than
    :data:`INTERPOLATE_MAX_STEP_S`, else sgp4 every :data:`COARSE_STEP_S` with
    cubic Hermite in between (metre-level), unless that chunk's own check finds
    it inaccurate (heavy drag, sgp4 failures), when sgp4 runs at every sample.
    True/False force either way (True still falls back when the check fails)."""
    t = window.sample_times(k0, k1)
    sat_array = satrecs if isinstance(satrecs, SatrecArray) else SatrecArray(list(satrecs))
    if interpolate is None:
        interpolate = window.step_s <= INTERPOLATE_MAX_STEP_S
    found = _ecef_interpolated(sat_array, window, t) if interpolate and t.size > 0 else None
    pos, vel, valid = found if found is not None else _ecef_at(sat_array, window, t)
    return t, pos, vel, valid
