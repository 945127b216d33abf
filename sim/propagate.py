"""Propagation with sgp4 (``SatrecArray``) and TEME -> Earth-fixed rotation.

Earth-fixed here is ITRS without polar motion (PEF), which is what skyfield's
``itrs`` frame gives when no polar-motion table is loaded; the difference from
full ITRS is about 10 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
from sgp4.api import SatrecArray

# Earth's rotation rate consistent with the IAU-82 GMST used by TEME (rad/s).
OMEGA_EARTH_RAD_S = 7.292115146706979e-5


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
        if self.start.tzinfo is None:
            object.__setattr__(self, "start", self.start.replace(tzinfo=timezone.utc))
        if not (self.duration_s > 0) or not math.isfinite(self.duration_s):
            raise ValueError(f"window duration must be positive, got {self.duration_s} s")
        if not (self.step_s > 0) or self.step_s > self.duration_s:
            raise ValueError(f"step must be positive and no longer than the window, got {self.step_s} s")
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
        jd_whole = 2440587.5 + midnight.timestamp() / 86400.0
        frac = (start - midnight).total_seconds() / 86400.0
        return jd_whole, frac

    def dut1_s(self) -> float:
        """UT1 - UTC (s) at the start, from skyfield's built-in tables."""
        return float(timescale().from_datetime(self.start).dut1)


def gmst82_rad(jd_ut1_whole: float, jd_ut1_frac: np.ndarray) -> np.ndarray:
    """IAU-82 Greenwich mean sidereal time (rad), as in sgp4/skyfield for TEME."""
    tut1 = ((jd_ut1_whole - 2451545.0) + jd_ut1_frac) / 36525.0
    theta = (67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * tut1) * tut1) * tut1) / 240.0
    # 876600 h * 3600 s/h * tut1 / 240 is 360 deg times whole UT1 days: add the day fraction exactly.
    theta = np.radians(theta % 360.0) + 2 * np.pi * ((jd_ut1_whole % 1.0 + jd_ut1_frac) % 1.0)
    return np.mod(theta, 2 * np.pi)


def propagate_ecef(satrecs, window: Window, k0: int, k1: int):
    """Earth-fixed positions (km), velocities (km/s) and validity of all satellites
    at window samples k0 .. k1-1: arrays (nsat, nk, 3), (nsat, nk, 3), (nsat, nk)."""
    t = window.sample_times(k0, k1)
    jd_whole, jd_frac = window.jd_utc()
    frac = jd_frac + t / 86400.0
    jd = np.full(t.shape, jd_whole)
    sat_array = satrecs if isinstance(satrecs, SatrecArray) else SatrecArray(list(satrecs))
    err, r, v = sat_array.sgp4(jd, frac)
    theta = gmst82_rad(jd_whole, frac + window.dut1_s() / 86400.0)
    c = np.cos(theta)[None, :]
    s = np.sin(theta)[None, :]
    pos = np.empty_like(r)
    vel = np.empty_like(v)
    pos[..., 0] = c * r[..., 0] + s * r[..., 1]
    pos[..., 1] = -s * r[..., 0] + c * r[..., 1]
    pos[..., 2] = r[..., 2]
    # v_fixed = R v_teme - omega x r_fixed
    vel[..., 0] = c * v[..., 0] + s * v[..., 1] + OMEGA_EARTH_RAD_S * pos[..., 1]
    vel[..., 1] = -s * v[..., 0] + c * v[..., 1] - OMEGA_EARTH_RAD_S * pos[..., 0]
    vel[..., 2] = v[..., 2]
    valid = (err == 0) & np.all(np.isfinite(pos), axis=-1)
    return t, pos, vel, valid
