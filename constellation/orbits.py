"""Circular orbits, sun-synchronous helpers and conversion to sgp4 ``Satrec``.

Units live in the names: ``alt_km``, ``inclination_deg``, ``ltan_hours``.  All
synthetic satellites become sgp4 ``Satrec`` objects through ``sgp4init`` so that
synthetic and catalogued satellites are propagated by the same model.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime, timezone

from sgp4.api import WGS72, Satrec

from .constants import (
    EARTH_ROTATION_RAD_S,
    JD_UNIX_EPOCH,
    SECONDS_PER_DAY,
    SSO_NODE_RATE_RAD_S,
    WGS72_J2,
    WGS72_MU_KM3_S2,
    WGS72_RADIUS_KM,
)
from .elements import days_since_sgp4_epoch, to_utc

# sgp4's own Earth (WGS-72), so that a requested altitude is the altitude sgp4 flies.
MU_KM3_S2 = WGS72_MU_KM3_S2
J2 = WGS72_J2

_XKE = 60.0 / math.sqrt(WGS72_RADIUS_KM**3 / MU_KM3_S2)  # sgp4's ke, er^1.5/min


def mean_motion_rad_s(alt_km: float) -> float:
    """Two-body mean motion of a circular orbit at ``alt_km`` above the equator."""
    a_km = WGS72_RADIUS_KM + alt_km
    return math.sqrt(MU_KM3_S2 / a_km**3)


def sso_inclination_deg(alt_km: float, ecc: float = 0.0) -> float:
    """Inclination (deg) that makes an orbit at ``alt_km`` sun-synchronous.

    First-order J2 secular node rate:  dRAAN/dt = -3/2 n J2 (Re/p)^2 cos i,
    solved for cos i with dRAAN/dt = +360 deg per tropical year.
    """
    if alt_km <= 0:
        raise ValueError(f"alt_km must be positive, got {alt_km}")
    a_km = WGS72_RADIUS_KM + alt_km
    p_km = a_km * (1.0 - ecc * ecc)
    n = mean_motion_rad_s(alt_km)
    cos_i = -SSO_NODE_RATE_RAD_S / (1.5 * n * J2 * (WGS72_RADIUS_KM / p_km) ** 2)
    if cos_i < -1.0:
        raise ValueError(f"no sun-synchronous orbit exists at {alt_km} km (too high)")
    return math.degrees(math.acos(cos_i))


def _julian_date(epoch: datetime) -> float:
    return JD_UNIX_EPOCH + to_utc(epoch, "epoch").timestamp() / SECONDS_PER_DAY


def gmst_rad(jd_ut1: float) -> float:
    """Greenwich mean sidereal time, IAU-82 (the one sgp4 and TEME use)."""
    tut1 = (jd_ut1 - 2451545.0) / 36525.0
    temp = (
        -6.2e-6 * tut1**3
        + 0.093104 * tut1**2
        + (876600.0 * 3600 + 8640184.812866) * tut1
        + 67310.54841
    )
    return math.radians((temp / 240.0) % 360.0)


def raan_from_local_time_deg(epoch: datetime, local_time_hours: float, node: str = "ascending") -> float:
    """RAAN (deg) of a plane whose node crosses at ``local_time_hours`` mean solar time.

    Mean local solar time at longitude L is UT + L/15 h and the node's longitude
    is RAAN - GMST, so  RAAN = GMST(epoch) + 15 * (LTAN - UT).  The descending
    node lies 12 h of local time from the ascending one.
    """
    if node not in ("ascending", "descending"):
        raise ValueError("node must be 'ascending' or 'descending'")
    ltan = local_time_hours if node == "ascending" else local_time_hours + 12.0
    epoch = to_utc(epoch, "epoch")
    ut_hours = epoch.hour + epoch.minute / 60 + (epoch.second + epoch.microsecond * 1e-6) / 3600
    raan = math.degrees(gmst_rad(_julian_date(epoch))) + 15.0 * (ltan - ut_hours)
    return raan % 360.0


def local_time_of_node_hours(epoch: datetime, raan_deg: float, node: str = "ascending") -> float:
    """Inverse of :func:`raan_from_local_time_deg`."""
    epoch = to_utc(epoch, "epoch")
    ut_hours = epoch.hour + epoch.minute / 60 + (epoch.second + epoch.microsecond * 1e-6) / 3600
    ltan = ut_hours + (raan_deg - math.degrees(gmst_rad(_julian_date(epoch)))) / 15.0
    if node == "descending":
        ltan += 12.0
    return ltan % 24.0


# The Karman line: below it the air stops any orbit within a revolution.
MIN_ORBIT_ALT_KM = 100.0


@dataclass(frozen=True)
class CircularOrbit:
    """A near-circular orbit given by mean elements at ``epoch`` (UTC).

    ``alt_km`` is the mean altitude above the equatorial radius (a - Re);
    ``arg_lat_deg`` is the argument of latitude (argument of perigee + mean
    anomaly) at the epoch.
    """

    epoch: datetime
    alt_km: float
    inclination_deg: float
    raan_deg: float
    arg_lat_deg: float
    ecc: float = 0.0
    bstar: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "epoch", to_utc(self.epoch, "epoch"))
        for name in ("alt_km", "inclination_deg", "raan_deg", "arg_lat_deg", "ecc", "bstar"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")

    def to_satrec(self, satnum: int) -> Satrec:
        """Build an sgp4 ``Satrec`` whose Brouwer mean semi-major axis is Re + alt_km.

        sgp4 takes a Kozai mean motion and converts it to Brouwer's; we iterate
        so that the semi-major axis sgp4 ends up flying is the requested one.
        """
        if not (MIN_ORBIT_ALT_KM <= self.alt_km < 100000):
            raise ValueError(f"alt_km must be in [{MIN_ORBIT_ALT_KM:g}, 100000) km (nothing orbits lower), "
                             f"got {self.alt_km}")
        if not (0 <= self.inclination_deg <= 180):
            raise ValueError(f"inclination_deg must be in [0, 180], got {self.inclination_deg}")
        if not (0 <= self.ecc < 1):
            raise ValueError(f"ecc must be in [0, 1), got {self.ecc}")
        epoch_days = days_since_sgp4_epoch(self.epoch)
        a_er = (WGS72_RADIUS_KM + self.alt_km) / WGS72_RADIUS_KM
        target_no_unkozai = _XKE / a_er**1.5  # rad/min
        no_kozai = target_no_unkozai
        inc = math.radians(self.inclination_deg)
        raan = math.radians(self.raan_deg % 360.0)
        argp = 0.0
        mo = math.radians(self.arg_lat_deg % 360.0)
        for _ in range(4):
            sat = Satrec()
            sat.sgp4init(WGS72, "i", satnum, epoch_days, self.bstar, 0.0, 0.0,
                         self.ecc, argp, inc, mo, no_kozai, raan)
            no_kozai *= (sat.a / a_er) ** 1.5
        return sat



def repeat_ground_track_alt_km(orbits: int, days: int, inclination_deg: float | None = None,
                               epoch: datetime | None = None) -> tuple[float, float]:
    """Altitude (km, a - Re as in :class:`CircularOrbit`) and inclination (deg)
    of a circular orbit whose ground track repeats after ``orbits`` revolutions
    in ``days`` nodal days (e.g. Sentinel-2: 143 in 10, Landsat 8: 233 in 16).

    Solved with sgp4's own secular rates, so that sgp4 flies the repeat:
    ``orbits`` nodal periods (argument-of-latitude rate dM/dt + dw/dt) equal
    ``days`` turns of the Earth relative to the precessing node
    (w_E - dRAAN/dt).  ``inclination_deg`` None: sun-synchronous, recomputed
    with the altitude.
    """
    if orbits <= 0 or days <= 0:
        raise ValueError("orbits and days must be positive")
    epoch = epoch or datetime(2026, 1, 1, tzinfo=timezone.utc)
    w_earth = EARTH_ROTATION_RAD_S * 60.0  # rad/min, the unit of sgp4's rates

    def mismatch(alt):
        inc = sso_inclination_deg(alt) if inclination_deg is None else inclination_deg
        sat = CircularOrbit(epoch, alt, inc, 0.0, 0.0).to_satrec(1)
        return (sat.mdot + sat.argpdot) * days - orbits * (w_earth - sat.nodedot), inc

    # Two-body first guess from the nodal period, then secant steps.
    period_s = days * SECONDS_PER_DAY / orbits
    alt0 = (MU_KM3_S2 * (period_s / (2 * math.pi)) ** 2) ** (1 / 3) - WGS72_RADIUS_KM
    alt1 = alt0 + 5.0
    f0, _ = mismatch(alt0)
    for _ in range(30):
        f1, inc = mismatch(alt1)
        if abs(alt1 - alt0) < 1e-7 or f1 == f0:
            break
        alt0, alt1, f0 = alt1, alt1 - f1 * (alt1 - alt0) / (f1 - f0), f1
    return alt1, inc
